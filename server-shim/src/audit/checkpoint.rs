//! Signed checkpoints of the journal's head, kept in a file outside the database.
//!
//! A database administrator can rewrite every row and recompute every hash, but cannot sign a
//! checkpoint: the Ed25519 key lives beside the shim, not in the database. A checkpoint that no
//! longer matches the chain, or that names a row that is gone, exposes the rewrite.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::storage::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("checkpoint file {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("checkpoint file line {line}: {msg}")]
    Parse { line: usize, msg: String },
    #[error("signing key {path}: {msg}")]
    Key { path: PathBuf, msg: String },
}

/// One signed statement: «the chain's row `seq` has hash `hash`», made at `at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub at: String,
    pub key_id: String,
    pub signature: String,
}

impl Checkpoint {
    fn message(seq: i64, hash: &str, at: &str) -> Vec<u8> {
        format!("kabinet-audit-checkpoint/v1\n{seq}\n{hash}\n{at}").into_bytes()
    }

    pub fn verify(&self, key: &VerifyingKey) -> bool {
        let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(&self.signature) else {
            return false;
        };
        let Ok(sig) = Signature::from_slice(&raw) else {
            return false;
        };
        key.verify(&Self::message(self.seq, &self.hash, &self.at), &sig).is_ok()
    }
}

/// Short fingerprint of a public key, written into each checkpoint to tell keys apart.
pub fn key_id(key: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

pub struct CheckpointSigner {
    key: SigningKey,
}

impl CheckpointSigner {
    /// Reads the key (64 hex characters of the Ed25519 seed).
    pub fn load(path: &Path) -> Result<Self, CheckpointError> {
        let key_err = |msg: String| CheckpointError::Key { path: path.to_owned(), msg };
        let text = std::fs::read_to_string(path).map_err(|e| key_err(e.to_string()))?;
        let bytes = hex::decode(text.trim()).map_err(|e| key_err(format!("not hex: {e}")))?;
        let seed: [u8; 32] = bytes.try_into().map_err(|_| key_err("expected 32 bytes".into()))?;
        Ok(CheckpointSigner { key: SigningKey::from_bytes(&seed) })
    }

    /// Creates a new key file (mode 0600) unless one exists, then loads it.
    pub fn load_or_create(path: &Path) -> Result<Self, CheckpointError> {
        if !path.exists() {
            Self::create(path)?;
        }
        Self::load(path)
    }

    pub fn create(path: &Path) -> Result<(), CheckpointError> {
        let io = |source| CheckpointError::Io { path: path.to_owned(), source };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| CheckpointError::Key { path: path.to_owned(), msg: e.to_string() })?;
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(path).map_err(io)?;
        f.write_all(hex::encode(seed).as_bytes()).map_err(io)?;
        Ok(())
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// Signs a document of another kind than a checkpoint (an evidence manifest): Ed25519 over
    /// `domain`, a newline and `bytes`. The domain keeps every kind of signature from passing for
    /// another (checkpoints sign «kabinet-audit-checkpoint/v1\n…»).
    pub fn sign_document(&self, domain: &str, bytes: &[u8]) -> [u8; 64] {
        self.key.sign(&domain_message(domain, bytes)).to_bytes()
    }

    pub fn sign(&self, seq: i64, hash: &str, at: &str) -> Checkpoint {
        let sig = self.key.sign(&Checkpoint::message(seq, hash, at));
        Checkpoint {
            seq,
            hash: hash.to_owned(),
            at: at.to_owned(),
            key_id: key_id(&self.verifying_key()),
            signature: base64::engine::general_purpose::STANDARD.encode(sig.to_bytes()),
        }
    }
}

fn domain_message(domain: &str, bytes: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(domain.len() + 1 + bytes.len());
    m.extend_from_slice(domain.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(bytes);
    m
}

/// Checks a signature made by [`CheckpointSigner::sign_document`].
pub fn verify_document(key: &VerifyingKey, domain: &str, bytes: &[u8], signature: &[u8]) -> bool {
    let Ok(sig) = Signature::from_slice(signature) else {
        return false;
    };
    key.verify(&domain_message(domain, bytes), &sig).is_ok()
}

/// Parses a public key given as 64 hex characters.
pub fn parse_public_key(hex_text: &str) -> Result<VerifyingKey, String> {
    let bytes = hex::decode(hex_text.trim()).map_err(|e| format!("not hex: {e}"))?;
    let arr: [u8; 32] = bytes.try_into().map_err(|_| "expected 32 bytes".to_string())?;
    VerifyingKey::from_bytes(&arr).map_err(|e| e.to_string())
}

/// The append-only file of checkpoints, one JSON object per line.
pub struct CheckpointLog {
    path: PathBuf,
}

impl CheckpointLog {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        CheckpointLog { path: path.into() }
    }

    fn io(&self, source: std::io::Error) -> CheckpointError {
        CheckpointError::Io { path: self.path.clone(), source }
    }

    pub fn append(&self, cp: &Checkpoint) -> Result<(), CheckpointError> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| self.io(e))?;
        }
        let mut line = serde_json::to_string(cp).expect("checkpoint serialises");
        line.push('\n');
        // One write of one short line in append mode: concurrent writers do not interleave.
        let mut f = OpenOptions::new().create(true).append(true).open(&self.path).map_err(|e| self.io(e))?;
        f.write_all(line.as_bytes()).map_err(|e| self.io(e))?;
        f.sync_data().map_err(|e| self.io(e))?;
        Ok(())
    }

    /// All checkpoints in file order; a missing file is an empty log.
    pub fn read_all(&self) -> Result<Vec<Checkpoint>, CheckpointError> {
        let f = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.io(e)),
        };
        let mut out = Vec::new();
        for (i, line) in BufReader::new(f).lines().enumerate() {
            let line = line.map_err(|e| self.io(e))?;
            if line.trim().is_empty() {
                continue;
            }
            let cp = serde_json::from_str(&line).map_err(|e| CheckpointError::Parse { line: i + 1, msg: e.to_string() })?;
            out.push(cp);
        }
        Ok(out)
    }

    pub fn last(&self) -> Result<Option<Checkpoint>, CheckpointError> {
        Ok(self.read_all()?.into_iter().max_by_key(|c| c.seq))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_bind_every_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        let s = CheckpointSigner::load_or_create(&path).unwrap();
        let key = s.verifying_key();
        let cp = s.sign(7, &"a".repeat(64), "2026-11-22T00:00:00.000000Z");
        assert!(cp.verify(&key));
        let mut c = cp.clone();
        c.seq = 8;
        assert!(!c.verify(&key));
        let mut c = cp.clone();
        c.hash = "b".repeat(64);
        assert!(!c.verify(&key));
        let mut c = cp.clone();
        c.at = "2026-11-23T00:00:00.000000Z".into();
        assert!(!c.verify(&key));
        let other = SigningKey::from_bytes(&[9u8; 32]).verifying_key();
        assert!(!cp.verify(&other));
        // The same file loads the same key.
        assert_eq!(CheckpointSigner::load(&path).unwrap().verifying_key(), key);
    }

    #[test]
    fn log_round_trips_and_reports_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let log = CheckpointLog::new(dir.path().join("cp.jsonl"));
        assert!(log.read_all().unwrap().is_empty());
        let s = CheckpointSigner { key: SigningKey::from_bytes(&[1u8; 32]) };
        log.append(&s.sign(1, &"a".repeat(64), "t1")).unwrap();
        log.append(&s.sign(3, &"b".repeat(64), "t2")).unwrap();
        assert_eq!(log.last().unwrap().unwrap().seq, 3);
        std::fs::write(dir.path().join("cp.jsonl"), "{not json\n").unwrap();
        assert!(matches!(log.read_all(), Err(CheckpointError::Parse { line: 1, .. })));
    }
}
