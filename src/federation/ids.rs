//! Random identifiers: the unguessable part of a new activity's id, and of session and API
//! tokens (the accounts feature re-exports it for those).

use base64::Engine;
use rand::RngCore;

/// A fresh random token, URL-safe: 32 random bytes in unpadded base64url.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
