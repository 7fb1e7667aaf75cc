//! `audit verify`: walks the chain and the signed checkpoints and names the first thing wrong.

use std::collections::HashMap;
use std::fmt;

use ed25519_dalek::VerifyingKey;

use super::{AuditRow, Checkpoint, GENESIS_HASH};
use crate::storage::{Store, StoreError};

/// The first inconsistency found. Rows are named by their number (`seq`), checkpoints by
/// their line in the checkpoint file (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A row's content does not match its own hash (a column was changed).
    RowAltered { seq: i64 },
    /// A row does not point at the hash of the row before it (rows removed, swapped or forged).
    ChainBroken { seq: i64 },
    /// Row numbers skip: rows between were deleted.
    RowsMissing { expected: i64, found: i64 },
    /// A checkpoint's signature does not verify with the organisation's key.
    CheckpointForged { line: usize },
    /// A checkpoint names a row whose hash is now different: the chain was rewritten.
    CheckpointMismatch { line: usize, seq: i64 },
    /// A checkpoint names a row that no longer exists: the tail was deleted.
    TailTruncated { line: usize, seq: i64, last: i64 },
    /// The head row disagrees with the last row (edited head or rows removed at the end).
    HeadMismatch { head_seq: i64, last_seq: i64 },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::RowAltered { seq } => write!(f, "row {seq}: content does not match its hash (row altered)"),
            Problem::ChainBroken { seq } => write!(f, "row {seq}: prev_hash does not match row {} (chain broken)", seq - 1),
            Problem::RowsMissing { expected, found } => write!(f, "row {expected}: missing (next row is {found}; rows deleted)"),
            Problem::CheckpointForged { line } => write!(f, "checkpoint on line {line}: signature invalid"),
            Problem::CheckpointMismatch { line, seq } => {
                write!(f, "checkpoint on line {line}: row {seq} has a different hash than was signed (chain rewritten)")
            }
            Problem::TailTruncated { line, seq, last } => {
                write!(f, "checkpoint on line {line}: row {seq} was signed but the journal ends at row {last} (tail deleted)")
            }
            Problem::HeadMismatch { head_seq, last_seq } => {
                write!(f, "head records row {head_seq} but the last row is {last_seq}")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub rows: i64,
    pub checkpoints: usize,
    pub last_checkpoint_seq: Option<i64>,
}

/// Checks every row and every checkpoint. Rows are streamed in pages, so a large journal
/// needs little memory: only the checkpointed hashes are kept aside.
pub async fn verify_journal(
    store: &Store,
    checkpoints: &[Checkpoint],
    key: &VerifyingKey,
) -> Result<Result<VerifyReport, Problem>, StoreError> {
    for (i, cp) in checkpoints.iter().enumerate() {
        if !cp.verify(key) {
            return Ok(Err(Problem::CheckpointForged { line: i + 1 }));
        }
    }
    let wanted: HashMap<i64, ()> = checkpoints.iter().map(|c| (c.seq, ())).collect();
    let mut seen: HashMap<i64, String> = HashMap::new();

    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut expected = 1i64;
    loop {
        let page: Vec<AuditRow> = store.audit_rows(expected - 1, 1000).await?;
        if page.is_empty() {
            break;
        }
        for row in page {
            if row.seq != expected {
                return Ok(Err(Problem::RowsMissing { expected, found: row.seq }));
            }
            if row.compute_hash() != row.hash {
                return Ok(Err(Problem::RowAltered { seq: row.seq }));
            }
            if row.prev_hash != prev_hash {
                return Ok(Err(Problem::ChainBroken { seq: row.seq }));
            }
            if wanted.contains_key(&row.seq) {
                seen.insert(row.seq, row.hash.clone());
            }
            prev_hash = row.hash;
            expected += 1;
        }
    }
    let last = expected - 1;

    for (i, cp) in checkpoints.iter().enumerate() {
        match seen.get(&cp.seq) {
            None => return Ok(Err(Problem::TailTruncated { line: i + 1, seq: cp.seq, last })),
            Some(h) if *h != cp.hash => return Ok(Err(Problem::CheckpointMismatch { line: i + 1, seq: cp.seq })),
            Some(_) => {}
        }
    }
    let (head_seq, head_hash) = store.audit_head().await?;
    if head_seq != last || (last > 0 && head_hash != prev_hash) {
        return Ok(Err(Problem::HeadMismatch { head_seq, last_seq: last }));
    }
    Ok(Ok(VerifyReport {
        rows: last,
        checkpoints: checkpoints.len(),
        last_checkpoint_seq: checkpoints.iter().map(|c| c.seq).max(),
    }))
}
