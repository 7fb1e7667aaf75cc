//! The evidence package of a signature: a zip of everything that shows who signed what and when,
//! with a manifest signed by the organisation's Ed25519 key, and its offline verification.
//!
//! Why a plain zip with a JSON manifest: a court expert can open it with any archiver and check
//! each file's SHA-256 with any tool; `kabinet-shim evidence verify` does all of it at once and
//! names the first thing wrong.
//!
//! The manifest's signature: Ed25519 by the organisation's key (the journal's checkpoint key)
//! over «kabinet-evidence-manifest/v1», a newline, and the manifest without its signature as
//! compact JSON. The domain line keeps it from ever passing for a journal checkpoint, and the
//! manifest carries that recipe in `signed_message`, so a third party can rebuild the exact
//! bytes that were signed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::{Cursor, Read, Write};

use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::audit::{key_id, verify_document, AuditRow, CheckpointSigner};

/// The package format; a verifier refuses any other.
pub const FORMAT: &str = "kabinet-evidence/v1";
/// The domain line of the manifest's signature.
pub const SIGNATURE_DOMAIN: &str = "kabinet-evidence-manifest/v1";

pub const MANIFEST: &str = "manifest.json";
pub const ORIGINAL: &str = "original.pdf";
pub const STAMPED: &str = "stamped.pdf";
pub const AGREEMENT: &str = "agreement.txt";
pub const AGREEMENT_ACCEPTANCE: &str = "agreement-acceptance.json";
pub const SMS: &str = "sms.json";
pub const JOURNAL: &str = "journal.jsonl";
pub const PHONE_CONFIRMATION: &str = "phone-confirmation.json";
/// Every file a package must hold besides the manifest, in the manifest's order.
pub const FILES: [&str; 7] = [ORIGINAL, STAMPED, AGREEMENT, AGREEMENT_ACCEPTANCE, SMS, JOURNAL, PHONE_CONFIRMATION];

/// Bounds on what a verifier reads, so a hostile zip costs little: a real package has 8 files
/// and its PDFs are at most a few MB.
pub const MAX_ENTRIES: usize = 32;
pub const MAX_ENTRY_BYTES: u64 = 64 * 1024 * 1024;
pub const MAX_TOTAL_BYTES: u64 = 256 * 1024 * 1024;

/// What the package is about; signed as part of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    pub document_id: String,
    pub document_number: String,
    pub document_title: String,
    /// UTC, as the journal writes times.
    pub signed_at: String,
    pub client_id: String,
    /// The hash fixed when the document was sent for signature (lowercase hex); the package's
    /// original.pdf must have it.
    pub original_sha256: String,
}

/// Everything a package holds, as the signing session left it; issue 7's service fills it.
#[derive(Debug, Clone)]
pub struct EvidenceParts {
    pub subject: Subject,
    pub original_pdf: Vec<u8>,
    pub stamped_pdf: Vec<u8>,
    /// The ПЭП agreement's text in the version the client accepted.
    pub agreement_text: String,
    /// The acceptance record (version, hash, time, session) as stored.
    pub agreement_acceptance: serde_json::Value,
    /// The code's SMS: provider, message id, the provider's answer to sending it and each
    /// delivery status poll, the raw answers exactly as received.
    pub sms: serde_json::Value,
    /// The journal rows of the signing session: a contiguous run of the chain, other sessions'
    /// rows in it withheld (their hashes only).
    pub journal_rows: Vec<JournalEntry>,
    /// The registration's phone confirmation by code, as stored.
    pub phone_confirmation: serde_json::Value,
}

/// One line of journal.jsonl.
///
/// Why withheld rows: the chain is one for the whole organisation, so the rows between the
/// first and last of a session are mostly other clients'. Giving their hashes and links but not
/// their content keeps the run contiguous (a removed row still breaks it) without handing one
/// client's personal data to another's court case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum JournalEntry {
    Row(Box<AuditRow>),
    Withheld(WithheldRow),
}

/// A row of another session: its place in the chain without its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithheldRow {
    pub seq: i64,
    /// Always true; says what the line is to a reader.
    pub withheld: bool,
    pub prev_hash: String,
    pub hash: String,
}

impl JournalEntry {
    pub fn withheld(row: &AuditRow) -> Self {
        JournalEntry::Withheld(WithheldRow { seq: row.seq, withheld: true, prev_hash: row.prev_hash.clone(), hash: row.hash.clone() })
    }

    fn seq(&self) -> i64 {
        match self {
            JournalEntry::Row(r) => r.seq,
            JournalEntry::Withheld(w) => w.seq,
        }
    }

    fn links(&self) -> (&str, &str) {
        match self {
            JournalEntry::Row(r) => (&r.prev_hash, &r.hash),
            JournalEntry::Withheld(w) => (&w.prev_hash, &w.hash),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// The parts would make a package that does not verify; nothing is returned.
    #[error("the evidence package would not verify: {0}")]
    Inconsistent(EvidenceProblem),
    #[error("the evidence package cannot be written: {0}")]
    Write(String),
}

/// One file as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    pub name: String,
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
}

/// The manifest's signed content, in the order it is serialised: the canonical bytes are
/// serde_json's compact output of this struct (fields in declaration order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestBody {
    format: String,
    subject: Subject,
    files: Vec<FileEntry>,
    /// Ed25519 public key, hex.
    public_key: String,
    /// How to rebuild the signed bytes, for readers without this program.
    signed_message: String,
}

/// manifest.json: the body's fields plus the signature over the body's canonical bytes.
/// (Spelled out rather than flattened: serde cannot deny unknown fields through a flatten.)
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    format: String,
    subject: Subject,
    files: Vec<FileEntry>,
    public_key: String,
    signed_message: String,
    /// Ed25519 signature, hex.
    signature: String,
}

impl Manifest {
    fn signed(body: ManifestBody, signature: String) -> Self {
        let ManifestBody { format, subject, files, public_key, signed_message } = body;
        Manifest { format, subject, files, public_key, signed_message, signature }
    }

    fn body(&self) -> ManifestBody {
        ManifestBody {
            format: self.format.clone(),
            subject: self.subject.clone(),
            files: self.files.clone(),
            public_key: self.public_key.clone(),
            signed_message: self.signed_message.clone(),
        }
    }
}

impl ManifestBody {
    /// What the signature covers: this body as compact JSON, keys in declaration order.
    fn canonical(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("the manifest serialises")
    }
}

fn signed_message_recipe() -> String {
    format!(
        "Ed25519 over the UTF-8 line \"{SIGNATURE_DOMAIN}\", a newline (0x0A), and this manifest without \"signature\" \
         serialised as compact JSON with keys in the order format, subject, files, public_key, signed_message"
    )
}

/// What a package that verified says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPackage {
    pub subject: Subject,
    pub files: usize,
    /// Hex.
    pub public_key: String,
    pub key_id: String,
    pub first_seq: i64,
    pub last_seq: i64,
    /// Whether the key was the one the caller expected, or only the package's own.
    pub key_was_expected: bool,
}

impl fmt::Display for VerifiedPackage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.subject;
        write!(
            f,
            "{} files match the manifest signed by key {} ({}); journal rows {}..{} intact and chained; \
             stamped.pdf extends original.pdf (SHA-256 {}); document {} № {} signed at {} by client {}",
            self.files,
            self.key_id,
            if self.key_was_expected { "the expected key" } else { "the package's own key, not checked against an expected one" },
            self.first_seq,
            self.last_seq,
            s.original_sha256,
            s.document_id,
            s.document_number,
            s.signed_at,
            s.client_id,
        )
    }
}

/// The first thing wrong with a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvidenceProblem {
    NotAPackage { reason: String },
    TooManyEntries { count: usize },
    EntryTooLarge { name: String },
    TooLarge,
    UnsafeName { name: String },
    DuplicateNames,
    ManifestUnreadable { reason: String },
    WrongKey { found: String, expected: String },
    ManifestSignatureInvalid,
    FileMissing { name: String },
    UnlistedFile { name: String },
    FileChanged { name: String },
    JournalUnreadable { line: usize, reason: String },
    JournalEmpty,
    JournalRowChanged { seq: i64 },
    JournalRowMissing { after_seq: i64 },
    JournalChainBroken { seq: i64 },
    StampDoesNotExtendOriginal,
    OriginalHashMismatch,
}

impl fmt::Display for EvidenceProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use EvidenceProblem as P;
        match self {
            P::NotAPackage { reason } => write!(f, "not an evidence package: {reason}"),
            P::TooManyEntries { count } => write!(f, "the zip has {count} entries, more than {MAX_ENTRIES}"),
            P::EntryTooLarge { name } => write!(f, "{name}: larger than {} MiB", MAX_ENTRY_BYTES >> 20),
            P::TooLarge => write!(f, "the files add up to more than {} MiB", MAX_TOTAL_BYTES >> 20),
            P::UnsafeName { name } => write!(f, "entry name {name:?} is not a plain file name"),
            P::DuplicateNames => write!(f, "the zip holds two entries with the same name"),
            P::ManifestUnreadable { reason } => write!(f, "manifest.json cannot be read: {reason}"),
            P::WrongKey { found, expected } => {
                write!(f, "the manifest is signed by key {found}, not by the expected key {expected}")
            }
            P::ManifestSignatureInvalid => {
                write!(f, "the manifest's signature does not verify (the manifest was changed after signing)")
            }
            P::FileMissing { name } => write!(f, "{name}: missing"),
            P::UnlistedFile { name } => write!(f, "{name}: not listed in the manifest"),
            P::FileChanged { name } => write!(f, "{name}: size or SHA-256 differs from the manifest (file changed)"),
            P::JournalUnreadable { line, reason } => write!(f, "journal.jsonl line {line}: {reason}"),
            P::JournalEmpty => write!(f, "journal.jsonl holds no rows"),
            P::JournalRowChanged { seq } => write!(f, "journal row {seq}: content does not match its hash (row altered)"),
            P::JournalRowMissing { after_seq } => {
                write!(f, "journal row {}: missing (rows after {after_seq} removed)", after_seq + 1)
            }
            P::JournalChainBroken { seq } => {
                write!(f, "journal row {seq}: prev_hash does not match the row before it (chain broken)")
            }
            P::StampDoesNotExtendOriginal => write!(f, "stamped.pdf does not begin with the bytes of original.pdf"),
            P::OriginalHashMismatch => {
                write!(f, "original.pdf does not have the SHA-256 the manifest's subject names")
            }
        }
    }
}

impl std::error::Error for EvidenceProblem {}

/// Builds the package, then verifies it, so a package that is returned is one that verifies.
pub fn build(parts: &EvidenceParts, signer: &CheckpointSigner) -> Result<Vec<u8>, EvidenceError> {
    let mut journal = Vec::new();
    for row in &parts.journal_rows {
        serde_json::to_writer(&mut journal, row).map_err(|e| EvidenceError::Write(e.to_string()))?;
        journal.push(b'\n');
    }
    let sms = &parts.sms;
    let pretty = |v: &serde_json::Value| serde_json::to_vec_pretty(v).expect("a JSON value serialises");
    let files: Vec<(&str, Vec<u8>)> = vec![
        (ORIGINAL, parts.original_pdf.clone()),
        (STAMPED, parts.stamped_pdf.clone()),
        (AGREEMENT, parts.agreement_text.as_bytes().to_vec()),
        (AGREEMENT_ACCEPTANCE, pretty(&parts.agreement_acceptance)),
        (SMS, pretty(sms)),
        (JOURNAL, journal),
        (PHONE_CONFIRMATION, pretty(&parts.phone_confirmation)),
    ];
    let manifest = sign_manifest(&parts.subject, &files, signer);
    let zip = write_zip(&files, &manifest).map_err(|e| EvidenceError::Write(e.to_string()))?;
    let key = signer.verifying_key().to_bytes();
    verify(&zip, Some(&key)).map_err(EvidenceError::Inconsistent)?;
    Ok(zip)
}

/// manifest.json's bytes for these files, signed.
pub fn sign_manifest(subject: &Subject, files: &[(&str, Vec<u8>)], signer: &CheckpointSigner) -> Vec<u8> {
    let body = ManifestBody {
        format: FORMAT.to_owned(),
        subject: subject.clone(),
        files: files
            .iter()
            .map(|(name, bytes)| FileEntry {
                name: (*name).to_owned(),
                size: bytes.len() as u64,
                sha256: hex::encode(Sha256::digest(bytes)),
            })
            .collect(),
        public_key: hex::encode(signer.verifying_key().as_bytes()),
        signed_message: signed_message_recipe(),
    };
    let signature = signer.sign_document(SIGNATURE_DOMAIN, &body.canonical());
    let manifest = Manifest::signed(body, hex::encode(signature));
    serde_json::to_vec_pretty(&manifest).expect("the manifest serialises")
}

fn write_zip(files: &[(&str, Vec<u8>)], manifest: &[u8]) -> zip::result::ZipResult<Vec<u8>> {
    // A fixed time (the zip default, 1980-01-01) keeps packages byte-reproducible; the time
    // that matters is the signed subject's.
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in files.iter().map(|(n, b)| (*n, b.as_slice())).chain([(MANIFEST, manifest)]) {
        w.start_file(name, options)?;
        w.write_all(bytes)?;
    }
    Ok(w.finish()?.into_inner())
}

/// Checks a package offline and names the first problem.
///
/// `expected_public_key`: the organisation's key as known to the verifier; without it the
/// package is checked against the key it names itself, which proves integrity but not origin.
pub fn verify(zip: &[u8], expected_public_key: Option<&[u8; 32]>) -> Result<VerifiedPackage, EvidenceProblem> {
    use EvidenceProblem as P;
    let entries = read_entries(zip)?;

    let manifest_bytes = entries.get(MANIFEST).ok_or_else(|| P::FileMissing { name: MANIFEST.into() })?;
    let manifest: Manifest =
        serde_json::from_slice(manifest_bytes).map_err(|e| P::ManifestUnreadable { reason: e.to_string() })?;
    let body = &manifest.body();
    if body.format != FORMAT {
        return Err(P::ManifestUnreadable { reason: format!("format {:?}, expected {FORMAT:?}", body.format) });
    }

    // The key first: with the wrong key the signature says nothing about the organisation.
    let key = parse_key(&body.public_key).ok_or_else(|| P::ManifestUnreadable { reason: "public_key is not an Ed25519 key".into() })?;
    if let Some(expected) = expected_public_key {
        if key.as_bytes() != expected {
            return Err(P::WrongKey { found: body.public_key.clone(), expected: hex::encode(expected) });
        }
    }
    if !signature_verifies(body, &manifest.signature, &key) {
        return Err(P::ManifestSignatureInvalid);
    }

    // Now the manifest is the organisation's word: hold every file to it.
    let mut listed = BTreeSet::new();
    for entry in &body.files {
        if !listed.insert(entry.name.as_str()) || entry.name == MANIFEST {
            return Err(P::ManifestUnreadable { reason: format!("{} is listed twice", entry.name) });
        }
    }
    for name in FILES {
        if !listed.contains(name) {
            return Err(P::FileMissing { name: name.into() });
        }
    }
    for name in entries.keys() {
        if name != MANIFEST && !listed.contains(name.as_str()) {
            return Err(P::UnlistedFile { name: name.clone() });
        }
    }
    for entry in &body.files {
        let bytes = entries.get(&entry.name).ok_or_else(|| P::FileMissing { name: entry.name.clone() })?;
        if bytes.len() as u64 != entry.size || hex::encode(Sha256::digest(bytes)) != entry.sha256 {
            return Err(P::FileChanged { name: entry.name.clone() });
        }
    }

    // The contents, for a signer who signed something inconsistent (or a forger with the key
    // who was careless): the journal, the stamp and the document's hash.
    let (first_seq, last_seq) = check_journal(&entries[JOURNAL])?;
    let original = &entries[ORIGINAL];
    let stamped = &entries[STAMPED];
    if stamped.len() <= original.len() || !stamped.starts_with(original) {
        return Err(P::StampDoesNotExtendOriginal);
    }
    if !hex::encode(Sha256::digest(original)).eq_ignore_ascii_case(&body.subject.original_sha256) {
        return Err(P::OriginalHashMismatch);
    }

    Ok(VerifiedPackage {
        subject: body.subject.clone(),
        files: body.files.len(),
        public_key: body.public_key.clone(),
        key_id: key_id(&key),
        first_seq,
        last_seq,
        key_was_expected: expected_public_key.is_some(),
    })
}

fn parse_key(hex_text: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = hex::decode(hex_text).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

fn signature_verifies(body: &ManifestBody, signature_hex: &str, key: &VerifyingKey) -> bool {
    let Ok(raw) = hex::decode(signature_hex) else {
        return false;
    };
    verify_document(key, SIGNATURE_DOMAIN, &body.canonical(), &raw)
}

/// A flat name of letters, digits, dots, dashes and underscores: nothing an extractor could
/// place outside its folder (no separators, no `..`, no drive letters).
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// Every entry's bytes, by name, within the bounds.
fn read_entries(zip: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, EvidenceProblem> {
    use EvidenceProblem as P;
    let not_a_package = |e: zip::result::ZipError| P::NotAPackage { reason: e.to_string() };
    let mut archive = ZipArchive::new(Cursor::new(zip)).map_err(not_a_package)?;
    // The reader keys entries by name; a duplicate would hide one file from the manifest check
    // while an archiver shows it.
    if archive.has_duplicate_names() {
        return Err(P::DuplicateNames);
    }
    if archive.len() > MAX_ENTRIES {
        return Err(P::TooManyEntries { count: archive.len() });
    }
    for i in 0..archive.len() {
        let name = archive.by_index_data(i).map_err(not_a_package)?.name().map_err(not_a_package)?.into_owned();
        if !plain_name(&name) {
            return Err(P::UnsafeName { name });
        }
    }
    // Local headers that disagree with the central directory would let an archiver show other
    // files than the ones verified here.
    archive.validate_header_consistency().map_err(not_a_package)?;

    let mut out = BTreeMap::new();
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).map_err(not_a_package)?;
        let name = file.name().map_err(not_a_package)?.into_owned();
        if file.encrypted() || file.is_dir() {
            return Err(P::NotAPackage { reason: format!("{name} is encrypted or a folder") });
        }
        if file.size() > MAX_ENTRY_BYTES {
            return Err(P::EntryTooLarge { name });
        }
        // The declared size may lie: read one byte past the bound to know.
        let mut bytes = Vec::with_capacity(file.size() as usize);
        (&mut file)
            .take(MAX_ENTRY_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| P::NotAPackage { reason: format!("{name}: {e}") })?;
        if bytes.len() as u64 > MAX_ENTRY_BYTES {
            return Err(P::EntryTooLarge { name });
        }
        total += bytes.len() as u64;
        if total > MAX_TOTAL_BYTES {
            return Err(P::TooLarge);
        }
        out.insert(name, bytes);
    }
    Ok(out)
}

/// journal.jsonl as written: one row per line with every column, or a withheld row.
#[derive(Deserialize)]
#[serde(untagged)]
enum JournalLine {
    Row(Box<RowLine>),
    Withheld(WithheldRow),
}

/// A full row; every column required, nothing else allowed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RowLine {
    seq: i64,
    at: String,
    division: String,
    client_id: String,
    client_name: String,
    session_id: String,
    ip: String,
    event: String,
    subject: String,
    description: String,
    prev_hash: String,
    hash: String,
}

impl From<RowLine> for AuditRow {
    fn from(l: RowLine) -> Self {
        AuditRow {
            seq: l.seq,
            at: l.at,
            division: l.division,
            client_id: l.client_id,
            client_name: l.client_name,
            session_id: l.session_id,
            ip: l.ip,
            event: l.event,
            subject: l.subject,
            description: l.description,
            prev_hash: l.prev_hash,
            hash: l.hash,
        }
    }
}

/// Each full row's own hash, then every line's number, then its link to the line before: a
/// removed row shows as a gap in the numbers, which names it better than the broken link it
/// also leaves. A withheld row's hash cannot be recomputed here, but the next line's link must
/// still be to it. The first and last lines must be full rows (the session's own).
fn check_journal(bytes: &[u8]) -> Result<(i64, i64), EvidenceProblem> {
    use EvidenceProblem as P;
    let text = std::str::from_utf8(bytes).map_err(|_| P::JournalUnreadable { line: 0, reason: "not UTF-8".into() })?;
    let mut prev: Option<JournalEntry> = None;
    let mut first = None;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let entry = match serde_json::from_str::<JournalLine>(line) {
            Ok(JournalLine::Row(r)) => JournalEntry::Row(Box::new((*r).into())),
            Ok(JournalLine::Withheld(w)) if w.withheld => JournalEntry::Withheld(w),
            Ok(JournalLine::Withheld(_)) => {
                return Err(P::JournalUnreadable { line: i + 1, reason: "a row without its columns must say withheld".into() })
            }
            Err(_) => return Err(P::JournalUnreadable { line: i + 1, reason: "neither a journal row nor a withheld row".into() }),
        };
        if first.is_none() && matches!(entry, JournalEntry::Withheld(_)) {
            return Err(P::JournalUnreadable { line: i + 1, reason: "the first row is withheld".into() });
        }
        if let JournalEntry::Row(row) = &entry {
            if row.compute_hash() != row.hash {
                return Err(P::JournalRowChanged { seq: row.seq });
            }
        }
        if let Some(p) = &prev {
            if entry.seq() != p.seq() + 1 {
                return Err(P::JournalRowMissing { after_seq: p.seq() });
            }
            if entry.links().0 != p.links().1 {
                return Err(P::JournalChainBroken { seq: entry.seq() });
            }
        }
        first.get_or_insert(entry.seq());
        prev = Some(entry);
    }
    match (first, prev) {
        (Some(_), Some(JournalEntry::Withheld(w))) => {
            Err(P::JournalUnreadable { line: 0, reason: format!("the last row ({}) is withheld", w.seq) })
        }
        (Some(first), Some(last)) => Ok((first, last.seq())),
        _ => Err(P::JournalEmpty),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::GENESIS_HASH;

    fn signer(seed: u8) -> (tempfile::TempDir, CheckpointSigner) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("org.key");
        std::fs::write(&path, hex::encode([seed; 32])).unwrap();
        let s = CheckpointSigner::load(&path).unwrap();
        (dir, s)
    }

    /// Four chained rows from seq 11, as a session in the middle of a journal leaves them.
    fn rows() -> Vec<AuditRow> {
        let events = ["login_succeeded", "message_read", "sms_sent", "code_accepted"];
        let mut prev = "ab".repeat(32);
        events
            .iter()
            .enumerate()
            .map(|(i, event)| {
                let mut r = AuditRow {
                    seq: 11 + i as i64,
                    at: format!("2026-03-02T09:15:0{i}.000000Z"),
                    division: "Офис №1".into(),
                    client_id: "1001".into(),
                    client_name: "Соколова Ольга Игоревна".into(),
                    session_id: "471acfb6-249a-48a1-8078-b2848ef48d5e".into(),
                    ip: "31.170.186.62".into(),
                    event: (*event).into(),
                    subject: "Согласие на запрос в БКИ № БКИ-2026/0042".into(),
                    description: String::new(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                r.hash = r.compute_hash();
                prev = r.hash.clone();
                r
            })
            .collect()
    }

    fn parts() -> EvidenceParts {
        let original = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n".to_vec();
        let mut stamped = original.clone();
        stamped.extend_from_slice(b"2 0 obj <</Stamp true>> endobj\n%%EOF\n");
        EvidenceParts {
            subject: Subject {
                document_id: "doc-42".into(),
                document_number: "БКИ-2026/0042".into(),
                document_title: "Согласие на запрос в бюро кредитных историй".into(),
                signed_at: "2026-03-02T09:15:03.000000Z".into(),
                client_id: "1001".into(),
                original_sha256: hex::encode(Sha256::digest(&original)),
            },
            original_pdf: original,
            stamped_pdf: stamped,
            agreement_text: "Соглашение об использовании простой электронной подписи, версия 3".into(),
            agreement_acceptance: serde_json::json!({"version": 3, "accepted_at": "2026-03-01T10:00:00Z"}),
            sms: serde_json::json!({
                "send_response": r#"{"id":"sim-000017","cnt":1}"#,
                "status_polls": [{"raw_response": r#"{"status":1,"last_date":"02.03.2026 12:15:04"}"#}],
            }),
            journal_rows: rows().into_iter().map(|r| JournalEntry::Row(Box::new(r))).collect(),
            phone_confirmation: serde_json::json!([{"phone": "+79035551234", "confirmed_at": "2025-12-01T08:00:00Z"}]),
        }
    }

    fn unzip(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut a = ZipArchive::new(Cursor::new(zip)).unwrap();
        (0..a.len())
            .map(|i| {
                let mut f = a.by_index(i).unwrap();
                let mut b = Vec::new();
                f.read_to_end(&mut b).unwrap();
                (f.name().unwrap().into_owned(), b)
            })
            .collect()
    }

    /// Writes the entries as given, manifest included, in order.
    fn rezip(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in entries {
            w.start_file(name.as_str(), SimpleFileOptions::default()).unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    /// Replaces files, recomputes the manifest's entries for them and signs it with `signer`:
    /// what a forger holding a key can do.
    fn resign(zip: &[u8], replace: &[(&str, Vec<u8>)], signer: &CheckpointSigner) -> Vec<u8> {
        let mut entries = unzip(zip);
        let manifest: Manifest = serde_json::from_slice(&entries.iter().find(|(n, _)| n == MANIFEST).unwrap().1).unwrap();
        for (name, bytes) in replace {
            entries.iter_mut().find(|(n, _)| n == name).unwrap().1 = bytes.clone();
        }
        let files: Vec<(&str, Vec<u8>)> =
            FILES.iter().map(|name| (*name, entries.iter().find(|(n, _)| n == name).unwrap().1.clone())).collect();
        let new_manifest = sign_manifest(&manifest.subject, &files, signer);
        entries.iter_mut().find(|(n, _)| n == MANIFEST).unwrap().1 = new_manifest;
        rezip(&entries)
    }

    fn journal_without(seq: i64) -> Vec<u8> {
        let mut out = Vec::new();
        for r in rows().iter().filter(|r| r.seq != seq) {
            serde_json::to_writer(&mut out, r).unwrap();
            out.push(b'\n');
        }
        out
    }

    #[test]
    fn a_real_package_verifies_and_holds_every_file() {
        let (_d, s) = signer(7);
        let zip = build(&parts(), &s).unwrap();
        let key = s.verifying_key().to_bytes();
        let ok = verify(&zip, Some(&key)).unwrap();
        assert_eq!((ok.files, ok.first_seq, ok.last_seq), (7, 11, 14));
        assert_eq!(ok.subject, parts().subject);
        assert!(ok.key_was_expected);
        assert!(ok.to_string().contains("journal rows 11..14"), "{ok}");
        let names: Vec<String> = unzip(&zip).into_iter().map(|(n, _)| n).collect();
        let mut want: Vec<String> = FILES.iter().map(|s| s.to_string()).collect();
        want.push(MANIFEST.into());
        assert_eq!(names, want);
        // Every row with every column, one per line.
        let journal = &unzip(&zip)[5].1;
        let first: serde_json::Value = serde_json::from_slice(journal.split(|b| *b == b'\n').next().unwrap()).unwrap();
        for col in ["seq", "at", "client_id", "session_id", "ip", "event", "prev_hash", "hash"] {
            assert!(first.get(col).is_some(), "{col}");
        }
        // The same parts make the same bytes.
        assert_eq!(build(&parts(), &s).unwrap(), zip);
    }

    #[test]
    fn one_changed_byte_in_any_file_is_named() {
        let (_d, s) = signer(7);
        let zip = build(&parts(), &s).unwrap();
        for name in FILES {
            let mut entries = unzip(&zip);
            let bytes = &mut entries.iter_mut().find(|(n, _)| n == name).unwrap().1;
            let mid = bytes.len() / 2;
            bytes[mid] ^= 0x01;
            assert_eq!(verify(&rezip(&entries), None), Err(EvidenceProblem::FileChanged { name: name.into() }), "{name}");
        }
        // The manifest itself: a changed hash digit breaks its signature.
        let mut entries = unzip(&zip);
        let m = &mut entries.iter_mut().find(|(n, _)| n == MANIFEST).unwrap().1;
        let text = String::from_utf8(m.clone()).unwrap();
        let at = text.find("\"sha256\": \"").unwrap() + 11;
        m[at] = if m[at] == b'0' { b'1' } else { b'0' };
        assert_eq!(verify(&rezip(&entries), None), Err(EvidenceProblem::ManifestSignatureInvalid));
    }

    #[test]
    fn a_file_edited_with_its_manifest_entry_breaks_the_signature() {
        let (_d, s) = signer(7);
        let zip = build(&parts(), &s).unwrap();
        let mut entries = unzip(&zip);
        let new_text = b"another agreement".to_vec();
        let m = String::from_utf8(entries[7].1.clone()).unwrap();
        let old = &parts().agreement_text;
        let old_entry = format!(
            "\"size\": {},\n      \"sha256\": \"{}\"",
            old.len(),
            hex::encode(Sha256::digest(old.as_bytes()))
        );
        assert!(m.contains(&old_entry), "{m}");
        let new_entry =
            format!("\"size\": {},\n      \"sha256\": \"{}\"", new_text.len(), hex::encode(Sha256::digest(&new_text)));
        entries[7].1 = m.replace(&old_entry, &new_entry).into_bytes();
        entries[2].1 = new_text;
        assert_eq!(verify(&rezip(&entries), None), Err(EvidenceProblem::ManifestSignatureInvalid));
    }

    #[test]
    fn another_key_verifies_only_without_the_expected_one() {
        let (_d, org) = signer(7);
        let (_d2, forger) = signer(8);
        let zip = build(&parts(), &org).unwrap();
        let forged = resign(&zip, &[(AGREEMENT, b"forged".to_vec())], &forger);
        let ok = verify(&forged, None).unwrap();
        assert!(!ok.key_was_expected);
        assert_eq!(ok.public_key, hex::encode(forger.verifying_key().as_bytes()));
        let expected = org.verifying_key().to_bytes();
        assert_eq!(
            verify(&forged, Some(&expected)),
            Err(EvidenceProblem::WrongKey {
                found: hex::encode(forger.verifying_key().as_bytes()),
                expected: hex::encode(expected)
            })
        );
    }

    #[test]
    fn a_removed_journal_row_is_named() {
        let (_d, s) = signer(7);
        let zip = build(&parts(), &s).unwrap();
        let key = s.verifying_key().to_bytes();

        // Removed, manifest left as it was: the file no longer matches.
        let mut entries = unzip(&zip);
        entries[5].1 = journal_without(12);
        assert_eq!(verify(&rezip(&entries), Some(&key)), Err(EvidenceProblem::FileChanged { name: JOURNAL.into() }));

        // Removed and the manifest re-signed (with the key itself): the gap is named.
        let forged = resign(&zip, &[(JOURNAL, journal_without(12))], &s);
        assert_eq!(verify(&forged, Some(&key)), Err(EvidenceProblem::JournalRowMissing { after_seq: 11 }));

        // An altered row, and a chain whose link is replaced, are told apart.
        let mut r = rows();
        r[2].ip = "10.0.0.1".into();
        let lines = |rows: &[AuditRow]| {
            rows.iter().flat_map(|r| [serde_json::to_vec(r).unwrap(), b"\n".to_vec()].concat()).collect::<Vec<u8>>()
        };
        let forged = resign(&zip, &[(JOURNAL, lines(&r))], &s);
        assert_eq!(verify(&forged, Some(&key)), Err(EvidenceProblem::JournalRowChanged { seq: 13 }));
        r[2].prev_hash = GENESIS_HASH.into();
        r[2].hash = r[2].compute_hash();
        let forged = resign(&zip, &[(JOURNAL, lines(&r))], &s);
        assert_eq!(verify(&forged, Some(&key)), Err(EvidenceProblem::JournalChainBroken { seq: 13 }));
    }

    /// Another session's row between the signer's: its hash and links only, and the run still
    /// proves that nothing was taken out.
    #[test]
    fn withheld_rows_keep_the_run_contiguous_without_their_content() {
        let (_d, s) = signer(7);
        let key = s.verifying_key().to_bytes();
        let mut p = parts();
        p.journal_rows[1] = JournalEntry::withheld(&rows()[1]);
        let zip = build(&p, &s).unwrap();
        let ok = verify(&zip, Some(&key)).unwrap();
        assert_eq!((ok.first_seq, ok.last_seq), (11, 14));
        let journal = String::from_utf8(unzip(&zip)[5].1.clone()).unwrap();
        let line = journal.lines().nth(1).unwrap();
        assert!(line.contains("\"withheld\":true") && !line.contains("Соколова"), "{line}");

        let lines = |entries: &[JournalEntry]| {
            entries.iter().flat_map(|e| [serde_json::to_vec(e).unwrap(), b"\n".to_vec()].concat()).collect::<Vec<u8>>()
        };
        // A withheld row with another hash: the next row's link names the break.
        let mut e = p.journal_rows.clone();
        if let JournalEntry::Withheld(w) = &mut e[1] {
            w.hash = "cd".repeat(32);
        }
        let forged = resign(&zip, &[(JOURNAL, lines(&e))], &s);
        assert_eq!(verify(&forged, Some(&key)), Err(EvidenceProblem::JournalChainBroken { seq: 13 }));
        // A withheld row taken out: the gap.
        let e: Vec<JournalEntry> = p.journal_rows.iter().filter(|e| e.seq() != 12).cloned().collect();
        let forged = resign(&zip, &[(JOURNAL, lines(&e))], &s);
        assert_eq!(verify(&forged, Some(&key)), Err(EvidenceProblem::JournalRowMissing { after_seq: 11 }));
        // A run that starts or ends with a withheld row says nothing about the session.
        let mut e = p.journal_rows.clone();
        e[3] = JournalEntry::withheld(&rows()[3]);
        let forged = resign(&zip, &[(JOURNAL, lines(&e))], &s);
        assert!(matches!(verify(&forged, Some(&key)), Err(EvidenceProblem::JournalUnreadable { .. })));
        let mut e = p.journal_rows.clone();
        e[0] = JournalEntry::withheld(&rows()[0]);
        let forged = resign(&zip, &[(JOURNAL, lines(&e))], &s);
        assert!(matches!(verify(&forged, Some(&key)), Err(EvidenceProblem::JournalUnreadable { line: 1, .. })));
        // A line that says withheld: false is neither kind.
        let bad = String::from_utf8(lines(&p.journal_rows)).unwrap().replace("\"withheld\":true", "\"withheld\":false").into_bytes();
        let forged = resign(&zip, &[(JOURNAL, bad)], &s);
        assert!(matches!(verify(&forged, Some(&key)), Err(EvidenceProblem::JournalUnreadable { line: 2, .. })));
    }

    #[test]
    fn a_stamp_that_does_not_extend_the_original_is_refused() {
        let (_d, s) = signer(7);
        let mut p = parts();
        p.stamped_pdf[3] = b'X';
        assert!(matches!(
            build(&p, &s),
            Err(EvidenceError::Inconsistent(EvidenceProblem::StampDoesNotExtendOriginal))
        ));
        let zip = build(&parts(), &s).unwrap();
        let forged = resign(&zip, &[(STAMPED, p.stamped_pdf.clone())], &s);
        assert_eq!(verify(&forged, None), Err(EvidenceProblem::StampDoesNotExtendOriginal));
        // The stamped file equal to the original has no stamp at all.
        let forged = resign(&zip, &[(STAMPED, parts().original_pdf)], &s);
        assert_eq!(verify(&forged, None), Err(EvidenceProblem::StampDoesNotExtendOriginal));
        // An original other than the one sent for signature.
        let mut p = parts();
        p.subject.original_sha256 = "00".repeat(32);
        assert!(matches!(build(&p, &s), Err(EvidenceError::Inconsistent(EvidenceProblem::OriginalHashMismatch))));
    }

    #[test]
    fn missing_and_unlisted_files_are_named() {
        let (_d, s) = signer(7);
        let zip = build(&parts(), &s).unwrap();
        let mut entries = unzip(&zip);
        entries.remove(4);
        assert_eq!(verify(&rezip(&entries), None), Err(EvidenceProblem::FileMissing { name: SMS.into() }));
        let mut entries = unzip(&zip);
        entries.push(("extra.txt".into(), b"x".to_vec()));
        assert_eq!(verify(&rezip(&entries), None), Err(EvidenceProblem::UnlistedFile { name: "extra.txt".into() }));
        let mut entries = unzip(&zip);
        entries.retain(|(n, _)| n != MANIFEST);
        assert_eq!(verify(&rezip(&entries), None), Err(EvidenceProblem::FileMissing { name: MANIFEST.into() }));
    }

    #[test]
    fn hostile_zips_are_refused_before_they_are_read() {
        let (_d, s) = signer(7);
        let zip = build(&parts(), &s).unwrap();
        for name in ["../evil.pdf", "/etc/passwd", "a/b.txt", "..\\x", "C:x", ".hidden"] {
            let mut entries = unzip(&zip);
            entries.push((name.into(), b"x".to_vec()));
            assert_eq!(verify(&rezip(&entries), None), Err(EvidenceProblem::UnsafeName { name: name.into() }), "{name}");
        }
        let mut entries = unzip(&zip);
        entries.extend((0..25).map(|i| (format!("f{i}.txt"), Vec::new())));
        assert_eq!(verify(&rezip(&entries), None), Err(EvidenceProblem::TooManyEntries { count: 33 }));

        // Two entries under one name: written under two names of one length, then renamed in
        // the raw bytes (the writer itself refuses duplicates).
        let mut entries = unzip(&zip);
        entries.push(("sms.jsoX".into(), b"{}".to_vec()));
        let mut raw = rezip(&entries);
        let mut i = 0;
        while let Some(at) = raw[i..].windows(8).position(|w| w == b"sms.jsoX") {
            raw[i + at + 7] = b'n';
            i += at + 8;
        }
        assert_eq!(verify(&raw, None), Err(EvidenceProblem::DuplicateNames));

        assert!(matches!(verify(b"not a zip", None), Err(EvidenceProblem::NotAPackage { .. })));
    }

    #[test]
    fn a_declared_size_over_the_bound_is_refused() {
        // 65 MiB of zeros deflate to ~65 KB: the bound holds on what the entry inflates to.
        let big = vec![0u8; (MAX_ENTRY_BYTES + 1024 * 1024) as usize];
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        w.start_file("original.pdf", SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)).unwrap();
        w.write_all(&big).unwrap();
        let zip = w.finish().unwrap().into_inner();
        assert!(zip.len() < 1024 * 1024);
        assert_eq!(verify(&zip, None), Err(EvidenceProblem::EntryTooLarge { name: ORIGINAL.into() }));
    }
}
