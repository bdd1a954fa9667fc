//! The CPU bounds of federation: RSA-2048 signatures and verifications per second on one core,
//! for the implementation behind Guildhall's crypto seam (aws-lc-rs) and, for comparison, the
//! pure-Rust `rsa` crate that the design brief's bounds were stated with. Both use the same
//! key pair and the same PKCS#1 v1.5 / SHA-256 scheme as HTTP signatures.

use std::time::{Duration, Instant};

use guildhall::federation::crypto::{SigningKey, VerifyingKey};
use rsa::pkcs1v15;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use sha2::Sha256;

/// Signatures and verifications per second on one core.
#[derive(Debug, Clone, Copy)]
pub struct Rates {
    pub sign: f64,
    pub verify: f64,
}

/// A signing string shaped like the ones the inbox verifies.
const MESSAGE: &[u8] =
    b"(request-target): post /inbox\nhost: bench.test\ndate: Tue, 24 Nov 2026 00:00:00 GMT";

/// Operations per second of `op` on one thread, run for about `for_how_long`.
pub fn per_second(for_how_long: Duration, mut op: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < for_how_long {
        op();
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// Guildhall's own implementation (aws-lc-rs through `federation::crypto`).
pub fn seam(private_pem: &str, public_pem: &str) -> Result<Rates, String> {
    let signer = SigningKey::from_pem(private_pem).map_err(|e| e.to_string())?;
    let verifier = VerifyingKey::from_pem(public_pem).map_err(|e| e.to_string())?;
    let signature = signer.sign(MESSAGE).map_err(|e| e.to_string())?;
    if !verifier.verify(MESSAGE, &signature) {
        return Err("aws-lc-rs does not verify its own signature".into());
    }
    let verify = per_second(Duration::from_secs(1), || {
        assert!(verifier.verify(MESSAGE, &signature));
    });
    let sign = per_second(Duration::from_secs(1), || {
        let _ = signer.sign(MESSAGE);
    });
    Ok(Rates { sign, verify })
}

/// The `rsa` crate on the same key; its signatures must verify with the seam's verifier, so
/// both compute the same thing.
pub fn rsa_crate(private_pem: &str, public_pem: &str) -> Result<Rates, String> {
    let private = rsa::RsaPrivateKey::from_pkcs8_pem(private_pem).map_err(|e| e.to_string())?;
    let public = rsa::RsaPublicKey::from_public_key_pem(public_pem).map_err(|e| e.to_string())?;
    let signer = pkcs1v15::SigningKey::<Sha256>::new(private);
    let verifier = pkcs1v15::VerifyingKey::<Sha256>::new(public);
    let signature = signer.sign(MESSAGE);
    let seam_verifier = VerifyingKey::from_pem(public_pem).map_err(|e| e.to_string())?;
    if !seam_verifier.verify(MESSAGE, &signature.to_vec()) {
        return Err("the rsa crate's signature does not verify with aws-lc-rs".into());
    }
    let verify = per_second(Duration::from_secs(1), || {
        assert!(verifier.verify(MESSAGE, &signature).is_ok());
    });
    // Signing is slow here; half a second is still hundreds of samples.
    let sign = per_second(Duration::from_millis(500), || {
        let _ = signer.sign(MESSAGE);
    });
    Ok(Rates { sign, verify })
}
