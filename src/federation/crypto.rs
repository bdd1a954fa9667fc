//! The one seam for RSA: key generation, signing and verification (RSASSA-PKCS1-v1_5 with
//! SHA-256, as every fediverse server uses for HTTP signatures). Backed by aws-lc-rs, which signs
//! about three times and verifies about ten times faster than the pure-Rust `rsa` crate; nothing
//! outside this file knows which library does the work.

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{self, KeyPair as _, ParsedPublicKey};
use base64::Engine;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("key generation failed")]
    Generate,
    #[error("not a usable {0} key")]
    BadKey(&'static str),
    #[error("signing failed")]
    Sign,
}

/// A fresh key pair, PEM-encoded: the private key as PKCS#8 (`PRIVATE KEY`), the public key as
/// SubjectPublicKeyInfo (`PUBLIC KEY`), the forms actors publish and peers expect.
pub struct GeneratedKeys {
    pub private_pem: String,
    pub public_pem: String,
}

impl std::fmt::Debug for GeneratedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKeys")
            .field("public_pem", &self.public_pem)
            .finish_non_exhaustive()
    }
}

/// Makes an RSA-2048 key pair (about 0.1 s; run it off the async threads).
pub fn generate_keys() -> Result<GeneratedKeys, CryptoError> {
    let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| CryptoError::Generate)?;
    let private: Pkcs8V1Der = pair.as_der().map_err(|_| CryptoError::Generate)?;
    let public: PublicKeyX509Der = pair
        .public_key()
        .as_der()
        .map_err(|_| CryptoError::Generate)?;
    Ok(GeneratedKeys {
        private_pem: pem_encode("PRIVATE KEY", private.as_ref()),
        public_pem: pem_encode("PUBLIC KEY", public.as_ref()),
    })
}

/// A parsed private key, ready to sign many times.
pub struct SigningKey(KeyPair);

impl SigningKey {
    /// Reads a PKCS#8 `PRIVATE KEY` PEM.
    pub fn from_pem(pem: &str) -> Result<Self, CryptoError> {
        let der = pem_decode(pem, &["PRIVATE KEY"]).ok_or(CryptoError::BadKey("private"))?;
        KeyPair::from_pkcs8(&der)
            .map(SigningKey)
            .map_err(|_| CryptoError::BadKey("private"))
    }

    /// RSASSA-PKCS1-v1_5 over SHA-256 of `message`.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut signature = vec![0u8; self.0.public_modulus_len()];
        self.0
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut signature,
            )
            .map_err(|_| CryptoError::Sign)?;
        Ok(signature)
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

/// A public key from a peer: SubjectPublicKeyInfo (`PUBLIC KEY`) or PKCS#1 (`RSA PUBLIC KEY`),
/// parsed once: a key kept in the verified signers' cache is not decoded again per request.
#[derive(Clone)]
pub struct VerifyingKey(ParsedPublicKey);

impl VerifyingKey {
    /// Parses an RSA public key; anything else (or a damaged key) is refused here.
    pub fn from_pem(pem: &str) -> Result<Self, CryptoError> {
        let der = pem_decode(pem, &["PUBLIC KEY", "RSA PUBLIC KEY"])
            .ok_or(CryptoError::BadKey("public"))?;
        ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &der)
            .map(VerifyingKey)
            .map_err(|_| CryptoError::BadKey("public"))
    }

    /// Whether `signature` is a valid RSASSA-PKCS1-v1_5 SHA-256 signature of `message`
    /// (keys of 2048 to 8192 bits).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.0.verify_sig(message, signature).is_ok()
    }
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerifyingKey(..)")
    }
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The DER inside the first PEM block whose label is one of `labels`.
fn pem_decode(pem: &str, labels: &[&str]) -> Option<Vec<u8>> {
    for label in labels {
        let begin = format!("-----BEGIN {label}-----");
        let end = format!("-----END {label}-----");
        if let Some(start) = pem.find(&begin) {
            let rest = &pem[start + begin.len()..];
            let stop = rest.find(&end)?;
            let body: String = rest[..stop]
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            return base64::engine::general_purpose::STANDARD.decode(body).ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_sign_verify() {
        let keys = generate_keys().unwrap();
        assert!(keys
            .private_pem
            .starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert!(keys.public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert!(
            !format!("{keys:?}").contains("PRIVATE"),
            "Debug never shows the private key"
        );
        let signer = SigningKey::from_pem(&keys.private_pem).unwrap();
        let verifier = VerifyingKey::from_pem(&keys.public_pem).unwrap();
        let sig = signer.sign(b"hello").unwrap();
        assert_eq!(sig.len(), 256);
        assert!(verifier.verify(b"hello", &sig));
        assert!(!verifier.verify(b"hellO", &sig));
        let mut bad = sig.clone();
        bad[10] ^= 1;
        assert!(!verifier.verify(b"hello", &bad));
    }

    #[test]
    fn bad_keys_are_refused() {
        assert!(SigningKey::from_pem("nope").is_err());
        assert!(VerifyingKey::from_pem(
            "-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----"
        )
        .is_err());
        assert!(VerifyingKey::from_pem("").is_err());
    }
}
