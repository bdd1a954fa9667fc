//! The HTTP signature parser: draft-cavage `Signature` (and `Authorization: Signature`) and
//! RFC 9421 `Signature-Input`/`Signature`, through the one entry point the inbox and signed
//! fetches call. Input: a request as text (see `guildhall_fuzz::request`).
#![no_main]

use guildhall::federation::signatures::{self, MAX_HEADER_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(req) = guildhall_fuzz::request(data) else {
        return;
    };
    let parsed = signatures::parse(
        &req.method,
        &req.uri,
        &req.headers,
        &req.body,
        "https",
        guildhall_fuzz::now(),
    );
    if let Ok(signed) = parsed {
        // Whatever passed names a key, taken from a bounded header.
        assert!(!signed.key_id().is_empty());
        assert!(signed.key_id().len() <= MAX_HEADER_LEN);
    }
});
