//! The SQL of notification mails (`store.rs`): settings per topic, the shared cursor, the
//! unsubscribe secret, and digests. Re-exported as `notifications::mail_store`.

pub mod store;
