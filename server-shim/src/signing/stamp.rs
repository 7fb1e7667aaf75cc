//! The signature stamp: a signed document's original PDF with one page appended as a PDF
//! incremental update, so the original file is a byte prefix of the stamped one.
//!
//! Why an incremental update (ISO 32000-1, 7.5.6) rather than a re-rendered document: the
//! stamped file then carries the very bytes the client was shown and signed. Anyone can cut
//! it at the original's length and check the SHA-256 the stamp prints, without trusting us
//! or any PDF tool; viewers show the original pages followed by the stamp page.
//!
//! The stamp page is rendered on its own by the documents' renderer (same fonts, PDF/A-2u,
//! extractable text), read back with lopdf, and its objects are copied into the update under
//! fresh object numbers; the original's page tree root is rewritten in the update with the
//! new page added to its kids.

use std::collections::BTreeMap;
use std::net::IpAddr;

use lopdf::{Dictionary, IncrementalDocument, LoadOptions, Object, ObjectId};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::documents::pdf::{moscow_time, render_sheet, RenderError, Sheet};

/// Our own documents are a few hundred KB; anything much larger is not one of them, and
/// parsing it would only cost memory.
pub const MAX_ORIGINAL_BYTES: usize = 16 * 1024 * 1024;
/// Bounds what any single stream of the original may inflate to while it is parsed.
const MAX_DECOMPRESSED_BYTES: usize = 64 * 1024 * 1024;
/// ISO 32000 lets `%%EOF` sit anywhere in the last 1024 bytes.
const EOF_WINDOW: usize = 1024;

/// What the stamp states about one signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StampData {
    /// The document's title as issued.
    pub title: String,
    /// The document's number (e.g. the contract number).
    pub number: String,
    pub signed_at: OffsetDateTime,
    /// The message id the SMS provider returned for the code's message.
    pub sms_id: String,
    /// The signature code as the client received and entered it.
    pub code: String,
    /// Display form, e.g. «+7 999 123-45-67».
    pub phone: String,
    /// Lowercase hex; must be the hash of the original the stamp is put on.
    pub original_sha256_hex: String,
    pub ip: IpAddr,
    pub session_uid: String,
    /// The public verify page; the stamp's QR code opens it.
    pub verify_url: String,
    /// The short code to type on the verify page.
    pub verify_code: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StampError {
    #[error("the original is not a PDF file")]
    NotPdf,
    #[error("the original is {0} bytes, more than a document of ours can be")]
    TooLarge(usize),
    #[error("the original is encrypted")]
    Encrypted,
    /// Truncated, damaged, or a structure we do not update (no page tree).
    #[error("the original PDF cannot be read: {0}")]
    Unreadable(String),
    #[error("the SHA-256 given for the stamp is not the original's")]
    HashMismatch,
    #[error(transparent)]
    Render(#[from] RenderError),
    /// Our own stamp page could not be read back or the update could not be written.
    #[error("the stamped PDF cannot be written: {0}")]
    Write(String),
}

/// The original's bytes, unchanged, followed by an update that appends the stamp page.
///
/// CPU-bound (rendering, then parsing two PDFs): async callers run it in `spawn_blocking`,
/// as issuing does with `render`.
pub fn stamp(original: &[u8], data: &StampData) -> Result<Vec<u8>, StampError> {
    let prev = load_original(original)?;
    if !hex::encode(Sha256::digest(original)).eq_ignore_ascii_case(&data.original_sha256_hex) {
        return Err(StampError::HashMismatch);
    }
    let sheet = render_stamp_page(data, original.len())?;
    let sheet = lopdf::Document::load_mem(&sheet).map_err(|e| StampError::Write(format!("stamp page: {e}")))?;

    let pages_id = pages_root(&prev)?;
    let mut update = IncrementalDocument::create_from(original.to_vec(), prev);
    let page_id = import_page(&sheet, &mut update.new_document, pages_id)?;
    append_kid(&mut update, pages_id, page_id)?;

    let mut out = Vec::with_capacity(original.len() + 64 * 1024);
    update.save_to(&mut out).map_err(|e| StampError::Write(e.to_string()))?;
    debug_assert!(out.starts_with(original));
    Ok(out)
}

/// The lines of the stamp, label and value, in the order the seed's stamp gives them.
pub fn stamp_fields(data: &StampData) -> Vec<(String, String)> {
    [
        ("Документ", data.title.as_str()),
        ("Номер документа", data.number.as_str()),
        ("Дата и время подписания", moscow_time(data.signed_at).as_str()),
        ("SMS ID", data.sms_id.as_str()),
        ("Код подписи", data.code.as_str()),
        ("Телефон", data.phone.as_str()),
        ("SHA-256 исходного файла", data.original_sha256_hex.as_str()),
        ("IP-адрес", data.ip.to_string().as_str()),
        ("Сессия (UID)", data.session_uid.as_str()),
    ]
    .into_iter()
    .map(|(l, v)| (l.to_owned(), v.to_owned()))
    .collect()
}

fn render_stamp_page(data: &StampData, original_len: usize) -> Result<Vec<u8>, RenderError> {
    let fields = stamp_fields(data);
    let qr_lines = [
        (format!("Проверить подпись: {}", data.verify_url), false),
        (format!("Код проверки: {}", data.verify_code), true),
        (
            // The length is what lets a reader holding only this file cut the original out.
            format!(
                "По ссылке, QR-коду или коду проверки на сайте организации можно убедиться, что документ \
                 подписан. Исходный файл — первые {original_len} байт этого файла, его SHA-256 указан выше."
            ),
            false,
        ),
    ];
    render_sheet(&Sheet {
        heading: "Документ подписан простой электронной подписью",
        fields: &fields,
        qr_url: &data.verify_url,
        qr_lines: &qr_lines,
        made_at: data.signed_at,
    })
}

/// Checks the original cheaply before parsing it, then parses it strictly: an update built on
/// a repaired reading of a damaged file would point at objects that are not where it says.
fn load_original(original: &[u8]) -> Result<lopdf::Document, StampError> {
    if !original.starts_with(b"%PDF-") {
        return Err(StampError::NotPdf);
    }
    if original.len() > MAX_ORIGINAL_BYTES {
        return Err(StampError::TooLarge(original.len()));
    }
    let tail = &original[original.len().saturating_sub(EOF_WINDOW)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(StampError::Unreadable("no end-of-file marker; the file is truncated".into()));
    }
    let options = LoadOptions { strict: true, max_decompressed_size: Some(MAX_DECOMPRESSED_BYTES), ..Default::default() };
    let doc = lopdf::Document::load_mem_with_options(original, options).map_err(|e| match e {
        lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword | lopdf::Error::AlreadyEncrypted => {
            StampError::Encrypted
        }
        e => StampError::Unreadable(e.to_string()),
    })?;
    // lopdf opens a file encrypted with an empty user password by itself; an update to it
    // would have to be encrypted too, and our documents never are.
    if doc.is_encrypted() || doc.was_encrypted() {
        return Err(StampError::Encrypted);
    }
    if let Some(how) = doc.xref_recovery {
        return Err(StampError::Unreadable(format!("damaged cross-reference data ({how:?})")));
    }
    if doc.xref_start == 0 {
        return Err(StampError::Unreadable("no cross-reference section".into()));
    }
    Ok(doc)
}

/// The root of the original's page tree, which the new page joins.
fn pages_root(doc: &lopdf::Document) -> Result<ObjectId, StampError> {
    let id = doc
        .catalog()
        .and_then(|c| c.get(b"Pages"))
        .and_then(Object::as_reference)
        .map_err(|e| StampError::Unreadable(format!("no page tree: {e}")))?;
    let pages = doc.get_dictionary(id).map_err(|e| StampError::Unreadable(format!("no page tree: {e}")))?;
    if pages.get(b"Count").and_then(Object::as_i64).is_err() || pages.get(b"Kids").is_err() {
        return Err(StampError::Unreadable("the page tree root has no /Count or /Kids".into()));
    }
    Ok(id)
}

/// Copies the sheet's only page and everything it refers to (bar its parent) into `into`,
/// numbered after the original's objects; returns the new page's id.
fn import_page(sheet: &lopdf::Document, into: &mut lopdf::Document, parent: ObjectId) -> Result<ObjectId, StampError> {
    let pages = sheet.get_pages();
    let (Some(&page_id), 1) = (pages.values().next(), pages.len()) else {
        return Err(StampError::Write(format!("the stamp sheet has {} pages", pages.len())));
    };
    let missing = |e: lopdf::Error| StampError::Write(format!("stamp page: {e}"));

    // Number every object reachable from the page, depth first; the page's /Parent is the
    // sheet's own page tree, which stays behind.
    let mut renumber: BTreeMap<ObjectId, ObjectId> = BTreeMap::new();
    let mut next = into.max_id;
    let mut stack = vec![page_id];
    while let Some(id) = stack.pop() {
        if renumber.contains_key(&id) {
            continue;
        }
        next += 1;
        renumber.insert(id, (next, 0));
        let object = sheet.get_object(id).map_err(missing)?;
        let mut refs = Vec::new();
        if id == page_id {
            let mut page = object.as_dict().map_err(missing)?.clone();
            page.remove(b"Parent");
            references(&Object::Dictionary(page), &mut refs);
        } else {
            references(object, &mut refs);
        }
        stack.extend(refs.into_iter().filter(|r| !renumber.contains_key(r)));
    }

    for (&old, &new) in &renumber {
        let mut object = sheet.get_object(old).map_err(missing)?.clone();
        rewrite(&mut object, &renumber);
        if old == page_id {
            let page = object.as_dict_mut().map_err(missing)?;
            page.set("Parent", Object::Reference(parent));
            // The sheet is untagged; a stale key would point into a structure tree it lacks.
            page.remove(b"StructParents");
        }
        into.objects.insert(new, object);
    }
    into.max_id = next;
    Ok(renumber[&page_id])
}

fn references(object: &Object, out: &mut Vec<ObjectId>) {
    match object {
        Object::Reference(id) => out.push(*id),
        Object::Array(items) => items.iter().for_each(|o| references(o, out)),
        Object::Dictionary(d) => d.iter().for_each(|(_, o)| references(o, out)),
        Object::Stream(s) => s.dict.iter().for_each(|(_, o)| references(o, out)),
        _ => {}
    }
}

fn rewrite(object: &mut Object, map: &BTreeMap<ObjectId, ObjectId>) {
    match object {
        Object::Reference(id) => {
            if let Some(new) = map.get(id) {
                *id = *new;
            }
        }
        Object::Array(items) => items.iter_mut().for_each(|o| rewrite(o, map)),
        Object::Dictionary(d) => rewrite_dict(d, map),
        Object::Stream(s) => rewrite_dict(&mut s.dict, map),
        _ => {}
    }
}

fn rewrite_dict(d: &mut Dictionary, map: &BTreeMap<ObjectId, ObjectId>) {
    d.iter_mut().for_each(|(_, o)| rewrite(o, map));
}

/// Rewrites the page tree root in the update with the new page as its last kid.
fn append_kid(update: &mut IncrementalDocument, pages_id: ObjectId, page_id: ObjectId) -> Result<(), StampError> {
    let broken = |e: lopdf::Error| StampError::Unreadable(format!("page tree: {e}"));
    update.opt_clone_object_to_new_document(pages_id).map_err(broken)?;
    let pages = update.new_document.get_object_mut(pages_id).and_then(Object::as_dict_mut).map_err(broken)?;
    let count = pages.get(b"Count").and_then(Object::as_i64).map_err(broken)?;
    pages.set("Count", count + 1);
    // /Kids is almost always inline; an indirect array is rewritten in the update too.
    let kids_ref = pages.get(b"Kids").and_then(Object::as_reference).ok();
    let kids = match kids_ref {
        None => pages.get_mut(b"Kids").map_err(broken)?,
        Some(id) => {
            update.opt_clone_object_to_new_document(id).map_err(broken)?;
            update.new_document.get_object_mut(id).map_err(broken)?
        }
    };
    kids.as_array_mut().map_err(broken)?.push(Object::Reference(page_id));
    Ok(())
}

#[cfg(test)]
mod tests {
    use kabinet_api::cabinet::DocumentKind;

    use super::*;
    use crate::documents::pdf::{render, Stamp};
    use crate::documents::spec::{Block, Column, DocSpec, OrgHeader, Row, Table};

    const VERIFY_URL: &str = "https://lk.company.ru/verify/7K3M-Q9TX-2H4P";

    /// A two-page document like the ones we issue: the table runs over the first page.
    fn original() -> Vec<u8> {
        let rows = (1..=60)
            .map(|n| Row::new(vec![n.to_string(), format!("15.{:02}.2026", n % 12 + 1), format!("{n} 000,00")]))
            .collect();
        let spec = DocSpec {
            kind: DocumentKind::Schedule,
            title: "Согласие на запрос в бюро кредитных историй № БКИ-2026/0042".into(),
            file_stem: "bki-consent".into(),
            org: OrgHeader {
                name: "КПК «Надёжный капитал»".into(),
                legal_name: "Кредитный потребительский кооператив «Надёжный капитал»".into(),
                inn: "5401000000".into(),
                ogrn: "1155400000000".into(),
                address: "630099, г. Новосибирск, ул. Примерная, д. 1, офис 10".into(),
                phone: "+7 (383) 200-00-00".into(),
            },
            blocks: vec![
                Block::Meta(vec![("Клиент".into(), "Иванова Мария Петровна".into())]),
                Block::Paragraph("Я даю согласие на запрос моей кредитной истории.".into()),
                Block::Table(Table {
                    columns: vec![Column::center("№", 1.0), Column::center("Дата", 2.0), Column::right("Сумма", 2.0)],
                    rows,
                }),
                Block::Signatures(vec!["Клиент".into()]),
            ],
        };
        let issued_at = OffsetDateTime::from_unix_timestamp(1_795_000_000).unwrap();
        render(&spec, &Stamp { code: "7K3M-Q9TX-2H4P", url: VERIFY_URL, issued_at }).unwrap()
    }

    fn data(original: &[u8]) -> StampData {
        StampData {
            title: "Согласие на запрос в бюро кредитных историй".into(),
            number: "БКИ-2026/0042".into(),
            signed_at: OffsetDateTime::from_unix_timestamp(1_795_003_600).unwrap(),
            sms_id: "sim-4f1c2a9e".into(),
            code: "482913".into(),
            phone: "+7 999 123-45-67".into(),
            original_sha256_hex: hex::encode(Sha256::digest(original)),
            ip: "203.0.113.42".parse().unwrap(),
            session_uid: "0f6a3c1e-8d2b-4e7a-9c51-2b7e9d04a1f3".into(),
            verify_url: VERIFY_URL.into(),
            verify_code: "7K3M-Q9TX-2H4P".into(),
        }
    }

    fn pages(bytes: &[u8]) -> Vec<String> {
        let doc = lopdf::Document::load_mem(bytes).expect("the PDF parses");
        doc.get_pages().keys().map(|&n| doc.extract_text(&[n]).expect("text extracts")).collect()
    }

    fn sha256_hex(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    /// Line breaks in extracted text become spaces, so wrapped sentences compare whole.
    fn flat(s: &str) -> String {
        s.split([' ', '\n']).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn the_original_is_a_byte_prefix_and_the_stamp_is_one_more_page() {
        let original = original();
        let d = data(&original);
        let stamped = stamp(&original, &d).unwrap();

        assert!(stamped.starts_with(&original));
        assert!(stamped.len() > original.len());
        // What anyone can do with the file alone: cut it where the original ended and hash.
        assert_eq!(sha256_hex(&stamped[..original.len()]), d.original_sha256_hex);

        let before = pages(&original);
        let after = pages(&stamped);
        assert!(before.len() >= 2, "the original spans pages");
        assert_eq!(after.len(), before.len() + 1);
        assert_eq!(after[..before.len()], before[..], "the original pages read the same");

        let last = flat(after.last().unwrap());
        for want in [
            "Документ подписан простой электронной подписью",
            "Согласие на запрос в бюро кредитных историй",
            "БКИ-2026/0042",
            "18.11.2026 в 15:06 МСК",
            "SMS ID: sim-4f1c2a9e",
            "Код подписи: 482913",
            "Телефон: +7 999 123-45-67",
            &format!("SHA-256 исходного файла: {}", d.original_sha256_hex),
            "IP-адрес: 203.0.113.42",
            "Сессия (UID): 0f6a3c1e-8d2b-4e7a-9c51-2b7e9d04a1f3",
            &format!("Проверить подпись: {VERIFY_URL}"),
            "Код проверки: 7K3M-Q9TX-2H4P",
            &format!("Исходный файл — первые {} байт этого файла", original.len()),
        ] {
            assert!(last.contains(want), "{want:?} missing from the stamp page: {last}");
        }
    }

    #[test]
    fn the_update_is_well_formed() {
        let original = original();
        let stamped = stamp(&original, &data(&original)).unwrap();
        // Strict reading follows the /Prev chain and refuses offsets that are off.
        let options = LoadOptions { strict: true, ..Default::default() };
        let doc = lopdf::Document::load_mem_with_options(&stamped, options).unwrap();
        assert_eq!(doc.xref_recovery, None);

        // The appended section adds no second header and ends as a file must.
        let update = &stamped[original.len()..];
        assert!(!update.windows(5).any(|w| w == b"%PDF-"));
        assert!(stamped.trim_ascii_end().ends_with(b"%%EOF"));

        // The new page hangs from the original page tree root and counts in it.
        let root = pages_root(&doc).unwrap();
        let tree = doc.get_dictionary(root).unwrap();
        let kids = tree.get(b"Kids").and_then(Object::as_array).unwrap();
        assert_eq!(tree.get(b"Count").and_then(Object::as_i64).unwrap(), kids.len() as i64);
        let last = kids.last().and_then(|k| k.as_reference().ok()).unwrap();
        let page = doc.get_dictionary(last).unwrap();
        assert_eq!(page.get(b"Parent").and_then(Object::as_reference).unwrap(), root);
        assert!(!page.has(b"StructParents"));

        // The QR code and the link line open the verify page.
        let uris: Vec<Vec<u8>> = page
            .get(b"Annots")
            .and_then(Object::as_array)
            .unwrap()
            .iter()
            .map(|a| {
                let annot = doc.dereference(a).unwrap().1.as_dict().unwrap();
                let action = annot.get(b"A").and_then(Object::as_dict).unwrap();
                action.get(b"URI").and_then(Object::as_str).unwrap().to_vec()
            })
            .collect();
        assert_eq!(uris.len(), 2);
        assert!(uris.iter().all(|u| u == VERIFY_URL.as_bytes()));
    }

    /// qpdf's structural check when it is installed; the tests above do not depend on it.
    #[test]
    fn qpdf_finds_no_fault() {
        let Ok(out) = std::process::Command::new("qpdf").arg("--version").output() else { return };
        if !out.status.success() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let original = original();
        let path = dir.path().join("stamped.pdf");
        std::fs::write(&path, stamp(&original, &data(&original)).unwrap()).unwrap();
        let out = std::process::Command::new("qpdf").arg("--check").arg(&path).output().unwrap();
        let report = String::from_utf8_lossy(&out.stdout);
        // Exit code 3 is "warnings", which qpdf also uses for problems it repaired.
        assert_eq!(out.status.code(), Some(0), "{report}{}", String::from_utf8_lossy(&out.stderr));
        assert!(report.contains("No syntax or stream encoding errors found"), "{report}");
    }

    #[test]
    fn a_stamped_file_can_be_stamped_again() {
        // A second signer, or a repeated signature, stacks a second update on the first.
        let original = original();
        let once = stamp(&original, &data(&original)).unwrap();
        let mut second = data(&once);
        second.sms_id = "sim-second".into();
        let twice = stamp(&once, &second).unwrap();
        assert!(twice.starts_with(&once));
        let pages = pages(&twice);
        assert_eq!(pages.len(), self::pages(&original).len() + 2);
        assert!(flat(pages.last().unwrap()).contains("SMS ID: sim-second"));
    }

    #[test]
    fn what_is_not_one_of_our_pdfs_is_refused() {
        let original = original();
        let d = data(&original);

        assert!(matches!(stamp(b"PK\x03\x04 a zip, not a PDF", &d), Err(StampError::NotPdf)));
        assert!(matches!(stamp(b"", &d), Err(StampError::NotPdf)));

        let half = &original[..original.len() / 2];
        assert!(matches!(stamp(half, &data(half)), Err(StampError::Unreadable(_))));
        // Cut short but given an end marker: strict reading finds no cross-reference section
        // where the file says it is, where lenient reading would rebuild one.
        let mut faked = original[..original.len() / 2].to_vec();
        faked.extend_from_slice(b"\nstartxref\n1234\n%%EOF\n");
        assert!(matches!(stamp(&faked, &data(&faked)), Err(StampError::Unreadable(_))));

        let mut huge = b"%PDF-1.7\n".to_vec();
        huge.resize(MAX_ORIGINAL_BYTES + 1, b' ');
        assert!(matches!(stamp(&huge, &data(&huge)), Err(StampError::TooLarge(n)) if n == MAX_ORIGINAL_BYTES + 1));

        // The stamp must state the hash of the file it is put on.
        let mut wrong = d.clone();
        wrong.original_sha256_hex = sha256_hex(b"another file");
        assert!(matches!(stamp(&original, &wrong), Err(StampError::HashMismatch)));
    }

    #[test]
    fn an_encrypted_original_is_refused() {
        // With a user password (lopdf cannot open it) and without one (lopdf decrypts it
        // silently, and an update would have to be encrypted too).
        for user_password in ["secret", ""] {
            let mut doc = lopdf::Document::load_mem(&original()).unwrap();
            let version = lopdf::EncryptionVersion::V2 {
                document: &doc,
                owner_password: "owner",
                user_password,
                key_length: 128,
                permissions: lopdf::Permissions::all(),
            };
            let state = lopdf::EncryptionState::try_from(version).unwrap();
            doc.encrypt(&state).unwrap();
            let mut encrypted = Vec::new();
            doc.save_to(&mut encrypted).unwrap();
            let result = stamp(&encrypted, &data(&encrypted));
            assert!(matches!(result, Err(StampError::Encrypted)), "user password {user_password:?}: {result:?}");
        }
    }

    /// `KABINET_STAMP_SAMPLE=file cargo test -p kabinet-shim --lib signing` writes a stamped
    /// document to look at.
    #[test]
    fn sample() {
        let Some(path) = std::env::var_os("KABINET_STAMP_SAMPLE") else { return };
        let original = original();
        std::fs::write(path, stamp(&original, &data(&original)).unwrap()).unwrap();
    }
}
