//! The audit of EMS API accesses as a hash chain, so that changing, removing, reordering or
//! cutting off its rows shows.
//!
//! Each row's hash is SHA-256 over the previous row's hash and the row's content (its id and
//! every column, each length-prefixed, so no two rows encode alike). One row,
//! `audit_chain`, holds where the chain starts (rows before it predate the chain) and its last
//! id and hash; a batch of accesses is chained while that row is locked (Postgres:
//! `SELECT ... FOR UPDATE`; SQLite: `BEGIN IMMEDIATE`), so instances writing at once still make
//! one chain. [`verify`] walks the rows in id order, a page at a time (constant memory), and
//! names the first row that breaks the chain. Audit rows hold no personal data (the ERO, the
//! certificate serial, method, route template, the reference or register check id acted on,
//! status and item count), so the chain can be kept as long as the audit is.

use chrono::{DateTime, SubsecRound, Utc};

use crate::{ApiAccess, Backend, Result};

/// The hash the chain starts from.
pub const GENESIS: [u8; 32] = [0; 32];

/// Where the chain starts and where it has got to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    /// The first chained row's id; rows before it were written before the chain existed.
    pub from_id: i64,
    /// The last chained row's id (`from_id - 1` while the chain is empty).
    pub last_id: i64,
    /// The last chained row's hash ([`GENESIS`] while the chain is empty).
    pub hash: Vec<u8>,
}

/// An audit row as stored, with its hash (none for rows older than the chain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedAccess {
    pub id: i64,
    pub access: ApiAccess,
    pub hash: Option<Vec<u8>>,
}

/// Times are kept to the microsecond (what Postgres stores), so a row hashes the same when it
/// is read back as when it was written.
pub fn stored_time(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

/// The hash of row `id` holding `a`, after a row whose hash is `prev`.
pub fn link(prev: &[u8], id: i64, a: &ApiAccess) -> [u8; 32] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut field = |bytes: &[u8]| {
        ctx.update(&(bytes.len() as u64).to_be_bytes());
        ctx.update(bytes);
    };
    field(prev);
    field(&id.to_be_bytes());
    field(&stored_time(a.at).timestamp_micros().to_be_bytes());
    field(a.request_id.as_bytes());
    field(a.ero_id.as_str().as_bytes());
    field(a.certificate_serial.as_bytes());
    field(a.method.as_bytes());
    field(a.route.as_bytes());
    match &a.target {
        Some(t) => field(&[&[1u8][..], t.as_bytes()].concat()),
        None => field(&[0u8]),
    }
    field(&a.status.to_be_bytes());
    match a.items {
        Some(n) => field(&[&[1u8][..], &n.to_be_bytes()[..]].concat()),
        None => field(&[0u8]),
    }
    let digest = ctx.finish();
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// The ids and hashes a batch written after `head` gets, in order, and the head after it.
pub fn extend(head: &ChainHead, batch: &[ApiAccess]) -> (Vec<(i64, [u8; 32])>, ChainHead) {
    let mut prev = head.hash.clone();
    let mut id = head.last_id;
    let mut links = Vec::with_capacity(batch.len());
    for a in batch {
        id += 1;
        let h = link(&prev, id, a);
        links.push((id, h));
        prev = h.to_vec();
    }
    (links, ChainHead { from_id: head.from_id, last_id: id, hash: prev })
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every chained row is present, in order and unchanged, up to the head.
    Intact { chained: u64, older: u64 },
    /// The first place the chain breaks.
    Broken { id: i64, what: Break },
}

/// How the chain breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Break {
    /// The row's content (or its id, or its hash) is not what was chained.
    Changed,
    /// A row is missing before this one.
    Missing,
    /// The rows end before the chain's head says they do (the last rows were removed).
    Truncated,
    /// A row after the chain's head, or without a hash where one belongs.
    Unchained,
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Break::Changed => "its content, id or hash is not what was chained (changed, or rows reordered)",
            Break::Missing => "the row before it in the chain is missing (deleted)",
            Break::Truncated => "the rows end before the chain does (the last rows were deleted)",
            Break::Unchained => "it is not part of the chain (written around the service, or its hash removed)",
        })
    }
}

/// Rows read a page at a time.
const PAGE: u32 = 5_000;

/// Walk the whole audit and check its chain.
pub async fn verify(backend: &dyn Backend) -> Result<Verdict> {
    let head = backend.audit_chain_head().await?;
    let mut older = 0u64;
    let mut chained = 0u64;
    let mut prev: Vec<u8> = GENESIS.to_vec();
    let mut expected = head.from_id;
    let mut after = 0i64;
    loop {
        let rows = backend.audit_rows(after, PAGE).await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for row in &rows {
            if row.id < head.from_id {
                older += 1;
                continue;
            }
            if row.id > head.last_id {
                return Ok(Verdict::Broken { id: row.id, what: Break::Unchained });
            }
            if row.id != expected {
                return Ok(Verdict::Broken { id: row.id, what: Break::Missing });
            }
            let Some(hash) = &row.hash else {
                return Ok(Verdict::Broken { id: row.id, what: Break::Unchained });
            };
            let h = link(&prev, row.id, &row.access);
            if hash.as_slice() != h {
                return Ok(Verdict::Broken { id: row.id, what: Break::Changed });
            }
            prev = h.to_vec();
            expected += 1;
            chained += 1;
        }
    }
    if expected != head.last_id + 1 || prev != head.hash {
        return Ok(Verdict::Broken { id: expected, what: Break::Truncated });
    }
    Ok(Verdict::Intact { chained, older })
}
