//! The typed wire layer on arbitrary bytes: an inbound activity, read with and without plain
//! `http` admitted. Whatever reads must classify, and write back to JSON that reads again.
#![no_main]

use guildhall::federation::link::RemoteUrl;
use guildhall::federation::wire::{self, Activity};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for allow_http in [false, true] {
        let Ok(activity) = wire::parse_activity(data, allow_http) else {
            continue;
        };
        let _ = wire::classify(&activity);
        let _ = activity.object_id().map(RemoteUrl::host);
        let written = serde_json::to_value(&activity).expect("written");
        let again: Activity = wire::parse_value(&written, allow_http).expect("reads again");
        assert_eq!(wire::classify(&again), wire::classify(&activity));
    }
});
