//! Secrets at rest. A target's token travels in a job request and is kept only sealed
//! (XChaCha20-Poly1305, the key from configuration) while the job needs it: a copy of the
//! store, a log or a report never holds it readable.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretString};
use sha2::Digest;
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("the sealing key must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)")]
    BadKey,
    /// Sealed with another key (its key tag says so).
    #[error("the secret was sealed with another key")]
    OtherKey,
    /// Sealed for another purpose, altered, or not a sealed secret at all.
    #[error("a sealed secret cannot be opened with this key")]
    CannotOpen,
}

/// Seals and opens secrets with one key.
pub struct Sealer {
    cipher: XChaCha20Poly1305,
    /// One byte naming the key, in front of everything it seals.
    tag: u8,
}

/// The layout of a sealed secret, in its first byte: this one is
/// `[FORMAT][key tag][24-byte nonce][ciphertext and tag]`, in base64. The key tag (a byte
/// of the key's SHA-256) tells "sealed with another key" from "altered" when the key
/// changed; it reveals nothing usable of the key.
const FORMAT: u8 = 1;

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(…)")
    }
}

/// Bytes of the random nonce in front of each sealed secret: 192 bits, so random nonces
/// never repeat in practice (the reason for the X variant).
const NONCE_BYTES: usize = 24;

impl Sealer {
    /// A new random key, in the base64 form `from_base64_key` reads.
    pub fn new_base64_key() -> String {
        STANDARD.encode(chacha20poly1305::Key::generate())
    }

    pub fn from_base64_key(key: &str) -> Result<Sealer, SecretError> {
        let bytes = STANDARD
            .decode(key.trim())
            .map_err(|_| SecretError::BadKey)?;
        let cipher = XChaCha20Poly1305::new_from_slice(&bytes).map_err(|_| SecretError::BadKey)?;
        let tag =
            sha2::Sha256::digest([b"contact-loader sealing key\n".as_slice(), &bytes].concat())[0];
        Ok(Sealer { cipher, tag })
    }

    /// Seals `secret` for `purpose` (a job id, say): it opens only for the same purpose, so
    /// a sealed token copied to another job is useless there.
    pub fn seal(&self, secret: &SecretString, purpose: &str) -> String {
        let nonce = XNonce::generate();
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: secret.expose_secret().as_bytes(),
                    aad: purpose.as_bytes(),
                },
            )
            .expect("encryption of a short message does not fail");
        let mut out = vec![FORMAT, self.tag];
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        STANDARD.encode(out)
    }

    pub fn open(&self, sealed: &str, purpose: &str) -> Result<SecretString, SecretError> {
        let bytes = STANDARD
            .decode(sealed)
            .map_err(|_| SecretError::CannotOpen)?;
        let Some([format, tag, rest @ ..]) = bytes.get(..) else {
            return Err(SecretError::CannotOpen);
        };
        if *format != FORMAT || rest.len() < NONCE_BYTES {
            return Err(SecretError::CannotOpen);
        }
        if *tag != self.tag {
            return Err(SecretError::OtherKey);
        }
        let (nonce, sealed) = rest.split_at(NONCE_BYTES);
        let nonce = XNonce::try_from(nonce).map_err(|_| SecretError::CannotOpen)?;
        let opened = self
            .cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: sealed,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| SecretError::CannotOpen)?;
        let text = String::from_utf8(opened).map_err(|_| SecretError::CannotOpen)?;
        Ok(SecretString::from(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

    #[test]
    fn a_sealed_token_opens_only_with_its_key_and_purpose() {
        let sealer = Sealer::from_base64_key(KEY).unwrap();
        let token = SecretString::from("chat2desk-token-123".to_owned());
        let sealed = sealer.seal(&token, "job-1");
        assert!(!sealed.contains("chat2desk-token-123"));
        assert_ne!(
            sealed,
            sealer.seal(&token, "job-1"),
            "a fresh nonce each time"
        );
        assert_eq!(
            sealer.open(&sealed, "job-1").unwrap().expose_secret(),
            "chat2desk-token-123"
        );
        assert_eq!(
            sealer.open(&sealed, "job-2").unwrap_err(),
            SecretError::CannotOpen
        );
        let other = Sealer::from_base64_key(&STANDARD.encode([7u8; 32])).unwrap();
        assert_eq!(
            other.open(&sealed, "job-1").unwrap_err(),
            SecretError::OtherKey
        );
        assert_eq!(STANDARD.decode(&sealed).unwrap()[0], FORMAT);
        let mut altered = STANDARD.decode(&sealed).unwrap();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(
            sealer.open(&STANDARD.encode(altered), "job-1").unwrap_err(),
            SecretError::CannotOpen
        );
        assert_eq!(
            sealer.open("AAAA", "job-1").unwrap_err(),
            SecretError::CannotOpen
        );
        assert_eq!(format!("{sealer:?}"), "Sealer(…)");
    }

    #[test]
    fn a_new_key_is_a_key_and_new_each_time() {
        let key = Sealer::new_base64_key();
        assert_ne!(key, Sealer::new_base64_key());
        let sealer = Sealer::from_base64_key(&key).unwrap();
        let sealed = sealer.seal(&SecretString::from("t"), "p");
        assert_eq!(sealer.open(&sealed, "p").unwrap().expose_secret(), "t");
    }

    #[test]
    fn keys_must_be_32_bytes_of_base64() {
        assert_eq!(
            Sealer::from_base64_key("short").unwrap_err(),
            SecretError::BadKey
        );
        assert_eq!(
            Sealer::from_base64_key(&STANDARD.encode([1u8; 16])).unwrap_err(),
            SecretError::BadKey
        );
    }
}
