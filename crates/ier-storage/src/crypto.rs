//! Encryption of personal data at rest: AES-256-GCM with a key ring.
//!
//! Keys come from configuration as `id:base64key` pairs, the first being the
//! key new data is sealed with; older keys stay in the ring to open old rows,
//! and each row records the id of its key, so keys can be rotated without
//! rewriting the table at once. The row's reference number is the associated
//! data, so a sealed blob cannot be moved to another row.

use std::collections::HashMap;
use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

const NONCE_LEN: usize = 12;
/// What a data key signs to make its person-index key.
const INDEX_LABEL: &[u8] = b"ier person index v1";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("no data keys are configured")]
    Empty,
    #[error("data key {0} is not of the form id:base64 (id is letters, digits, '-' or '_')")]
    Malformed(usize),
    #[error("data key '{0}' must be 32 bytes (256 bits), base64-encoded")]
    WrongLength(String),
    #[error("data key id '{0}' is used twice")]
    Duplicate(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("the data was sealed with key '{0}', which is not in the key ring")]
    UnknownKey(String),
    #[error("the data could not be opened: it was changed, or belongs to another record")]
    Tampered,
}

/// A sealed blob and the id of the key that sealed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    /// nonce ‖ ciphertext ‖ tag
    pub blob: Vec<u8>,
}

/// The key ring. Never printed.
pub struct DataKeys {
    current: String,
    keys: HashMap<String, Aes256Gcm>,
    /// Each key's person-index key ([`crate::persons`]): HMAC-SHA256 of a
    /// fixed label under the data key, so the index rotates with the data keys
    /// and never uses a key for two purposes.
    index: Vec<(String, ring::hmac::Key)>,
}

impl fmt::Debug for DataKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DataKeys {{ current: {:?}, keys: {} }}", self.current, self.keys.len())
    }
}

impl DataKeys {
    /// Parse `id:base64[,id:base64...]`; the first key is current.
    pub fn parse(config: &SecretString) -> Result<Self, KeyError> {
        let mut keys = HashMap::new();
        let mut index = Vec::new();
        let mut current = None;
        for (i, item) in config.expose_secret().split(',').map(str::trim).filter(|s| !s.is_empty()).enumerate() {
            let (id, b64) = item.split_once(':').ok_or(KeyError::Malformed(i + 1))?;
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                return Err(KeyError::Malformed(i + 1));
            }
            let bytes = STANDARD.decode(b64.trim()).map_err(|_| KeyError::Malformed(i + 1))?;
            let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|_| KeyError::WrongLength(id.to_owned()))?;
            if keys.insert(id.to_owned(), cipher).is_some() {
                return Err(KeyError::Duplicate(id.to_owned()));
            }
            let derived = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &bytes), INDEX_LABEL);
            index.push((id.to_owned(), ring::hmac::Key::new(ring::hmac::HMAC_SHA256, derived.as_ref())));
            current.get_or_insert_with(|| id.to_owned());
        }
        Ok(Self { current: current.ok_or(KeyError::Empty)?, keys, index })
    }

    /// A fresh random key in configuration form, `id:base64`.
    pub fn generate(id: &str) -> SecretString {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        SecretString::from(format!("{id}:{}", STANDARD.encode(key)))
    }

    pub fn current_id(&self) -> &str {
        &self.current
    }

    /// The ids of the keys the person index can be digested under, current first.
    pub fn index_ids(&self) -> impl Iterator<Item = &str> {
        self.index.iter().map(|(id, _)| id.as_str())
    }

    /// A person key's digest under data key `id`'s index key: the first 8
    /// bytes of HMAC-SHA256, as a signed integer (what databases index best).
    pub fn index_digest(&self, id: &str, person_key: &str) -> i64 {
        let (_, key) = self.index.iter().find(|(k, _)| k == id).expect("a key of this ring");
        let tag = ring::hmac::sign(key, person_key.as_bytes());
        i64::from_be_bytes(tag.as_ref()[..8].try_into().expect("8 bytes"))
    }

    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Sealed {
        let cipher = &self.keys[&self.current];
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let ct = cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad })
            .expect("AES-GCM encryption does not fail for in-memory buffers");
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ct);
        Sealed { key_id: self.current.clone(), blob }
    }

    pub fn open(&self, sealed: &Sealed, aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let cipher = self.keys.get(&sealed.key_id).ok_or_else(|| CryptoError::UnknownKey(sealed.key_id.clone()))?;
        if sealed.blob.len() < NONCE_LEN {
            return Err(CryptoError::Tampered);
        }
        let (nonce, ct) = sealed.blob.split_at(NONCE_LEN);
        cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad }).map_err(|_| CryptoError::Tampered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(s: &str) -> Result<DataKeys, KeyError> {
        DataKeys::parse(&SecretString::from(s.to_owned()))
    }

    #[test]
    fn seal_and_open_with_rotation() {
        let old = DataKeys::generate("k1");
        let new = DataKeys::generate("k2");
        let ring1 = DataKeys::parse(&old).unwrap();
        let sealed = ring1.seal(b"Sian Evans", b"REF1");
        assert_eq!(sealed.key_id, "k1");
        assert!(!sealed.blob.windows(4).any(|w| w == b"Sian"));
        // rotate: k2 is current, k1 still opens old rows
        let ring2 = keys(&format!("{},{}", new.expose_secret(), old.expose_secret())).unwrap();
        assert_eq!(ring2.current_id(), "k2");
        assert_eq!(ring2.open(&sealed, b"REF1").unwrap(), b"Sian Evans");
        assert_eq!(ring2.seal(b"x", b"R").key_id, "k2");
        // without k1 the row cannot be read, and says why
        let ring3 = DataKeys::parse(&new).unwrap();
        assert_eq!(ring3.open(&sealed, b"REF1"), Err(CryptoError::UnknownKey("k1".into())));
    }

    #[test]
    fn tampering_and_swapping_rows_are_detected() {
        let ring = DataKeys::parse(&DataKeys::generate("k")).unwrap();
        let mut sealed = ring.seal(b"secret", b"REF1");
        assert_eq!(ring.open(&sealed, b"REF2"), Err(CryptoError::Tampered));
        let last = sealed.blob.len() - 1;
        sealed.blob[last] ^= 1;
        assert_eq!(ring.open(&sealed, b"REF1"), Err(CryptoError::Tampered));
    }

    #[test]
    fn bad_configuration_says_what_is_wrong() {
        assert_eq!(keys("").unwrap_err(), KeyError::Empty);
        assert_eq!(keys("nocolon").unwrap_err(), KeyError::Malformed(1));
        assert_eq!(keys("k:c2hvcnQ=").unwrap_err(), KeyError::WrongLength("k".into()));
        let k = DataKeys::generate("a");
        assert_eq!(keys(&format!("{0},{0}", k.expose_secret())).unwrap_err(), KeyError::Duplicate("a".into()));
        assert!(
            !format!("{:?}", keys(k.expose_secret()).unwrap()).contains(k.expose_secret().split(':').nth(1).unwrap())
        );
    }
}
