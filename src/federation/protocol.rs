//! The wire types under their earlier path: they live in [`super::wire`] (the `@context` and
//! constants in `wire::context`, actor documents in `wire::actors`). Callers move to
//! `federation::wire` as their owners next touch them.

pub use super::wire::actors::{Actor, Endpoints, Hashtag, Image, PropertyValue, PublicKey};
pub use super::wire::context::{context, datetime, ACTIVITY_JSON, AS_PUBLIC, GUILDHALL_NS};
