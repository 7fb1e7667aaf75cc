//! The safe-upload inspector for message attachments (A25): decides from a file's content
//! whether it is a JPEG, PNG or PDF, refuses polyglots, bombs and active content, and strips
//! images of their metadata by re-encoding them. Pure and blocking: the route calls it inside
//! `spawn_blocking`.

mod pdf;
pub mod samples;

use std::collections::HashSet;
use std::io::Cursor;
use std::ops::Range;
use std::panic::AssertUnwindSafe;

use image::codecs::png::PngEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};
use kabinet_api::messages::{FileType, MAX_FILE_BYTES, MAX_FILE_NAME_CHARS, MAX_IMAGE_PIXELS};
use kabinet_api::ErrorCode;
use lopdf::xref::XrefEntry;
use lopdf::{Document, LoadOptions, Object};
use sha2::{Digest, Sha256};

/// One uploaded file as the multipart form gave it: nothing here is trusted.
#[derive(Clone, Copy)]
pub struct Upload<'a> {
    pub file_name: &'a str,
    pub declared_type: &'a str,
    pub bytes: &'a [u8],
}

/// A file that passed inspection, ready to store: images are the re-encoded bytes, PDFs the
/// uploaded ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanFile {
    pub file_name: String,
    pub file_type: FileType,
    pub bytes: Vec<u8>,
    /// Lowercase hex SHA-256 of `bytes`.
    pub sha256: String,
}

/// Either side of an image beyond this is refused even under the pixel budget: a 1×40M strip
/// is as much a flood as a square.
pub const MAX_IMAGE_SIDE: u32 = 20_000;
/// The decoder's allocation ceiling: a [`MAX_IMAGE_PIXELS`] image at 8-bit RGBA (160 MB) fits
/// under it; a 16-bit image fits up to about 26 MP (RGB) or 20 MP (RGBA).
const MAX_DECODE_ALLOC: u64 = 160 * 1024 * 1024;
/// JPEG re-encoding quality: visually lossless for scans and photos of documents.
const JPEG_QUALITY: u8 = 88;

const JPEG_MAGIC: &[u8] = &[0xFF, 0xD8, 0xFF];
const PNG_MAGIC: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
const PDF_MAGIC: &[u8] = b"%PDF-";

/// Markers of formats a browser or an interpreter would act on; compared case-insensitively.
const TEXT_MARKERS: &[&[u8]] = &[b"<html", b"<script", b"<svg", b"<?php"];
const ZIP_MARKERS: &[&[u8]] = &[b"PK\x03\x04", b"PK\x05\x06"];

/// PDF dictionary keys that carry scripts, launch programs, embed files or send data away.
const PDF_FORBIDDEN_KEYS: &[&[u8]] = &[
    b"JavaScript",
    b"JS",
    b"Launch",
    b"EmbeddedFile",
    b"EmbeddedFiles",
    b"RichMedia",
    b"XFA",
    b"AA",
    b"SubmitForm",
    b"ImportData",
];
/// The same threats as name values (`/S /Launch`, `/Type /EmbeddedFile`): an action's kind is
/// a value, not a key.
const PDF_FORBIDDEN_NAMES: &[&[u8]] =
    &[b"JavaScript", b"Launch", b"EmbeddedFile", b"RichMedia", b"SubmitForm", b"ImportData"];
/// Action kinds (`/S` values, wherever they are) that run code, open other files or hosts
/// (a `\\host\share` path leaks the NTLM hash of whoever opens the file), send or reset
/// data, or play media. Only `/GoTo` and named actions within the document are left. This
/// refuses ordinary documents with web links (`/URI` link annotations) too: acceptable for
/// attachments to a cooperative's messages, where a link can be written in the text.
const PDF_FORBIDDEN_ACTIONS: &[&[u8]] = &[
    b"GoToR",
    b"GoToE",
    b"URI",
    b"Rendition",
    b"Movie",
    b"Sound",
    b"Hide",
    b"ResetForm",
    b"Thread",
    b"SubmitForm",
    b"ImportData",
    b"Launch",
    b"JavaScript",
];
/// ZIP readers look for the end-of-central-directory record this far from a file's end.
const ZIP_EOCD_REACH: usize = 65_557;

/// Windows device names: saving `con.pdf` on the client's machine fails or worse.
const RESERVED_STEMS: &[&str] = &[
    "con", "prn", "aux", "nul", "com0", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9", "com¹",
    "com²", "com³", "lpt0", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9", "lpt¹", "lpt²",
    "lpt³", "conin$", "conout$",
];

/// The display name to keep (trimmed), or `FileNameInvalid`. The name is shown and offered as
/// the download's name, so it must be one plain file name on every client OS.
pub fn check_name(name: &str) -> Result<String, ErrorCode> {
    let name = name.trim();
    let invalid = Err(ErrorCode::FileNameInvalid);
    if name.is_empty() || name.chars().count() > MAX_FILE_NAME_CHARS {
        return invalid;
    }
    if name.starts_with('.') || name.ends_with('.') || name.ends_with(' ') {
        return invalid;
    }
    // Bidi controls let `invoice<RLO>fdp.exe` display as `invoiceexe.pdf`.
    let spoofing = |c: char| matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    // Besides the separators, Windows refuses these in names, and `"` would end a quoted header value.
    let forbidden = |c: char| matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|');
    if name.chars().any(|c| c.is_control() || spoofing(c) || forbidden(c)) {
        return invalid;
    }
    // Without separators a `..` segment is the whole name; refusing every `..` also keeps
    // `x..pdf` from being read as a traversal by a careless consumer downstream.
    if name.contains("..") {
        return invalid;
    }
    let stem = name.split('.').next().unwrap_or_default().trim_end().to_lowercase();
    if RESERVED_STEMS.contains(&stem.as_str()) {
        return invalid;
    }
    Ok(name.to_owned())
}

/// Inspects one upload; the error is the most specific code for the first rule it breaks.
pub fn inspect(u: &Upload) -> Result<CleanFile, ErrorCode> {
    guarded(|| inspect_unguarded(u))
}

/// A panic in a decoder or parser on crafted input is a damaged file, not a failed request.
/// Unwinding out of the closure is sound: it shares nothing, and what it built is dropped.
fn guarded<T>(f: impl FnOnce() -> Result<T, ErrorCode>) -> Result<T, ErrorCode> {
    std::panic::catch_unwind(AssertUnwindSafe(f)).unwrap_or(Err(ErrorCode::FileDamaged))
}

fn inspect_unguarded(u: &Upload) -> Result<CleanFile, ErrorCode> {
    if u.bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ErrorCode::FileTooLarge);
    }
    let file_name = check_name(u.file_name)?;
    let file_type = sniff(u.bytes).ok_or(ErrorCode::FileTypeNotAllowed)?;
    match FileType::from_name(&file_name) {
        None => return Err(ErrorCode::FileTypeNotAllowed),
        Some(t) if t != file_type => return Err(ErrorCode::FileTypeMismatch),
        Some(_) => {}
    }
    // An unknown declared type (`application/octet-stream`, `image/svg+xml`) also says
    // something other than the content, so it is a mismatch, not a disallowed file.
    if FileType::from_mime(u.declared_type) != Some(file_type) {
        return Err(ErrorCode::FileTypeMismatch);
    }
    let bytes = match file_type {
        FileType::Jpeg | FileType::Png => clean_image(u.bytes, file_type, MAX_FILE_BYTES)?,
        FileType::Pdf => {
            check_pdf(u.bytes)?;
            u.bytes.to_vec()
        }
    };
    let sha256 = hex::encode(Sha256::digest(&bytes));
    Ok(CleanFile { file_name, file_type, bytes, sha256 })
}

/// The type the content's first bytes announce, if it is one we accept.
fn sniff(bytes: &[u8]) -> Option<FileType> {
    if bytes.starts_with(JPEG_MAGIC) {
        Some(FileType::Jpeg)
    } else if bytes.starts_with(PNG_MAGIC) {
        Some(FileType::Png)
    } else if bytes.starts_with(PDF_MAGIC) {
        Some(FileType::Pdf)
    } else {
        None
    }
}

/// Whether any of the markers occurs anywhere, ASCII case-insensitively. One pass, testing
/// only at bytes that can start a marker, since this runs over up to 10 MiB.
fn contains_marker(hay: &[u8], markers: &[&[u8]]) -> bool {
    hay.iter().enumerate().any(|(i, &b)| {
        markers.iter().any(|m| {
            m.first().is_some_and(|f| f.eq_ignore_ascii_case(&b))
                && hay.get(i..i + m.len()).is_some_and(|w| w.eq_ignore_ascii_case(m))
        })
    })
}

/// Bytes after an image's end that carry nothing: zero, 0xFF fill or whitespace, which some
/// cameras and editors leave. Anything else is a payload riding along.
fn is_padding(tail: &[u8]) -> bool {
    tail.iter().all(|b| matches!(b, 0x00 | 0xFF | b' ' | b'\t' | b'\r' | b'\n'))
}

/// Whether any range of `b` holds one of the markers.
fn marker_in(b: &[u8], ranges: &[Range<usize>], markers: &[&[u8]]) -> bool {
    ranges.iter().filter_map(|r| b.get(r.clone())).any(|part| contains_marker(part, markers))
}

/// Decodes and re-encodes an image; the result must not exceed `max_out` bytes.
fn clean_image(bytes: &[u8], file_type: FileType, max_out: u64) -> Result<Vec<u8>, ErrorCode> {
    let format = match file_type {
        FileType::Jpeg => ImageFormat::Jpeg,
        _ => ImageFormat::Png,
    };

    // The header alone: a pixel flood is refused before anything is allocated for it.
    let (w, h) = ImageReader::with_format(Cursor::new(bytes), format).into_dimensions().map_err(image_error)?;
    if w > MAX_IMAGE_SIDE || h > MAX_IMAGE_SIDE || u64::from(w) * u64::from(h) > MAX_IMAGE_PIXELS {
        return Err(ErrorCode::ImageTooLarge);
    }

    // Markers are looked for only where text can live (metadata segments and chunks, and
    // whatever follows the end): compressed pixels hold any 4-byte pattern by chance often
    // enough to refuse a few percent of large photos.
    let (end, mut text) = match file_type {
        FileType::Jpeg => jpeg_layout(bytes)?,
        _ => png_layout(bytes)?,
    };
    text.push(end..bytes.len());
    let mut markers: Vec<&[u8]> = vec![PDF_MAGIC];
    markers.extend_from_slice(TEXT_MARKERS);
    markers.extend_from_slice(ZIP_MARKERS);
    if marker_in(bytes, &text, &markers) {
        return Err(ErrorCode::FileUnsafe);
    }
    if !bytes.get(end..).is_some_and(is_padding) {
        return Err(ErrorCode::FileUnsafe);
    }

    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(image_error)?;
    // A broken EXIF block is metadata we drop anyway, not damage to the picture.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let img = DynamicImage::from_decoder(decoder).map_err(image_error)?;

    // Colour types are kept as decoded (grey stays grey, alpha stays alpha), so a re-encode
    // does not triple a scan's size; 16-bit and float samples become 8-bit, which documents
    // never need. Each conversion below, like the rotation, makes one copy of at most
    // MAX_IMAGE_PIXELS × 4 bytes (the pixel cap checked above bounds it), and the decoded
    // original is dropped as soon as it is made.
    let mut img = match file_type {
        FileType::Jpeg => match img {
            DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => img,
            // The JPEG encoder takes grey or RGB only.
            _ if img.color().has_color() => DynamicImage::ImageRgb8(img.to_rgb8()),
            _ => DynamicImage::ImageLuma8(img.to_luma8()),
        },
        _ => match img {
            DynamicImage::ImageLuma16(_) => DynamicImage::ImageLuma8(img.to_luma8()),
            DynamicImage::ImageLumaA16(_) => DynamicImage::ImageLumaA8(img.to_luma_alpha8()),
            DynamicImage::ImageRgb16(_) | DynamicImage::ImageRgb32F(_) => DynamicImage::ImageRgb8(img.to_rgb8()),
            DynamicImage::ImageRgba16(_) | DynamicImage::ImageRgba32F(_) => {
                DynamicImage::ImageRgba8(img.to_rgba8())
            }
            other => other,
        },
    };
    img.apply_orientation(orientation);

    // Re-encoding from pixels is what guarantees no EXIF, text chunk, ICC profile or trailer
    // survives: the encoders write none of them.
    let mut out = Vec::new();
    match file_type {
        FileType::Jpeg => {
            // jpeg-encoder: a plain JFIF with the pixels only, several times faster than
            // image's own encoder on a phone photo.
            let (w, h) = (u16::try_from(img.width()), u16::try_from(img.height()));
            let (Ok(w), Ok(h)) = (w, h) else { return Err(ErrorCode::ImageTooLarge) };
            let (data, color) = match &img {
                DynamicImage::ImageLuma8(g) => (g.as_raw().as_slice(), jpeg_encoder::ColorType::Luma),
                DynamicImage::ImageRgb8(rgb) => (rgb.as_raw().as_slice(), jpeg_encoder::ColorType::Rgb),
                _ => return Err(ErrorCode::FileDamaged),
            };
            jpeg_encoder::Encoder::new(&mut out, JPEG_QUALITY).encode(data, w, h, color).map_err(|e| {
                tracing::warn!(error = %e, "re-encoding a JPEG failed");
                ErrorCode::FileDamaged
            })?;
        }
        _ => img.write_with_encoder(PngEncoder::new(&mut out)).map_err(image_error)?,
    }
    // A palette or 1-bit PNG is stored as 8-bit grey or RGB: it can come out several times
    // larger than it went in.
    if out.len() as u64 > max_out {
        return Err(ErrorCode::FileTooLarge);
    }
    Ok(out)
}

fn image_error(e: ImageError) -> ErrorCode {
    match e {
        ImageError::Limits(_) => ErrorCode::ImageTooLarge,
        _ => ErrorCode::FileDamaged,
    }
}

/// Where a JPEG ends (the offset just past its EOI, found by walking the segments and the
/// entropy-coded data, so an EOI inside an EXIF thumbnail or a payload is not mistaken for it)
/// and where its marker segments' payloads are: everything but the entropy-coded data.
fn jpeg_layout(b: &[u8]) -> Result<(usize, Vec<Range<usize>>), ErrorCode> {
    let damaged = ErrorCode::FileDamaged;
    let mut segments = Vec::new();
    let mut i = 2;
    loop {
        if b.get(i) != Some(&0xFF) {
            return Err(damaged);
        }
        while b.get(i) == Some(&0xFF) {
            i += 1;
        }
        let marker = *b.get(i).ok_or(damaged)?;
        i += 1;
        match marker {
            0xD9 => return Ok((i, segments)),
            0x01 | 0xD0..=0xD7 => continue,
            0x00 | 0xD8 => return Err(damaged),
            _ => {}
        }
        let len = b.get(i..i + 2).map(|l| usize::from(u16::from_be_bytes([l[0], l[1]]))).ok_or(damaged)?;
        if len < 2 || i + len > b.len() {
            return Err(damaged);
        }
        segments.push(i + 2..i + len);
        i += len;
        if marker == 0xDA {
            // Entropy-coded data runs to the next marker that is neither a stuffed 0xFF00 nor
            // a restart marker.
            loop {
                let ff = b.get(i..).and_then(|rest| rest.iter().position(|&x| x == 0xFF)).ok_or(damaged)?;
                i += ff;
                match b.get(i + 1) {
                    Some(0x00 | 0xD0..=0xD7) => i += 2,
                    Some(_) => break,
                    None => return Err(damaged),
                }
            }
        }
    }
}

/// Where a PNG ends (the offset just past its IEND chunk, walking the chunk lengths) and where
/// the data of its chunks other than IDAT is.
fn png_layout(b: &[u8]) -> Result<(usize, Vec<Range<usize>>), ErrorCode> {
    let damaged = ErrorCode::FileDamaged;
    let mut chunks = Vec::new();
    let mut i = PNG_MAGIC.len();
    loop {
        let head = b.get(i..i + 8).ok_or(damaged)?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        if len > 0x7FFF_FFFF {
            return Err(damaged);
        }
        let end = i.checked_add(12 + len as usize).filter(|&e| e <= b.len()).ok_or(damaged)?;
        let kind = head.get(4..8).ok_or(damaged)?;
        if kind != b"IDAT" {
            chunks.push(i + 8..end - 4);
        }
        let is_iend = kind == b"IEND";
        i = end;
        if is_iend {
            return Ok((i, chunks));
        }
    }
}

fn check_pdf(b: &[u8]) -> Result<(), ErrorCode> {
    // Markers are looked for outside stream bodies only (compressed data holds any short
    // pattern by chance), except a ZIP directory at the end, which makes the file an archive
    // wherever it lies, stream body or not.
    let text = pdf::text_ranges(b);
    let mut markers: Vec<&[u8]> = TEXT_MARKERS.to_vec();
    markers.extend_from_slice(ZIP_MARKERS);
    let tail = b.get(b.len().saturating_sub(ZIP_EOCD_REACH)..).unwrap_or_default();
    if marker_in(b, &text, &markers) || tail.windows(4).any(|w| w == b"PK\x05\x06") {
        return Err(ErrorCode::FileUnsafe);
    }
    if !(b.starts_with(b"%PDF-1.") || b.starts_with(b"%PDF-2.")) {
        return Err(ErrorCode::FileDamaged);
    }
    if !pdf::plain_tokens_within(b, &text) {
        return Err(ErrorCode::FileUnsafe);
    }
    let body = b.trim_ascii_end();
    if !body.ends_with(b"%%EOF") {
        return Err(ErrorCode::FileDamaged);
    }
    // Names as written, outside stream bodies; escaped spellings (`/J#53`) are caught by the
    // walk below, and objects lopdf cannot parse make the file damaged.
    let mut raw_names: Vec<&[u8]> = PDF_FORBIDDEN_NAMES.to_vec();
    raw_names.extend_from_slice(&[b"JS", b"XFA"]);
    if text.iter().filter_map(|r| b.get(r.clone())).any(|part| contains_pdf_name(part, &raw_names)) {
        return Err(ErrorCode::FileUnsafe);
    }
    // Encryption and the object and cross-reference streams lopdf would expand eagerly.
    pdf::check_eager_streams(b)?;
    let options = LoadOptions { max_decompressed_size: Some(pdf::MAX_STREAM_DECODED), ..LoadOptions::default() };
    let doc = Document::load_mem_with_options(b, options).map_err(|_| ErrorCode::FileDamaged)?;
    // Encrypted content cannot be inspected.
    if doc.trailer.has(b"Encrypt") || doc.is_encrypted() {
        return Err(ErrorCode::FileUnsafe);
    }
    // Lenient loading drops objects (and whole object streams) it cannot parse, which a viewer
    // may still read and run: every object the cross-reference data lists as in use must have
    // been loaded to be inspected. One that was not makes the file damaged.
    let loaded: HashSet<u32> = doc.objects.keys().map(|id| id.0).collect();
    let skipped = doc.reference_table.entries.iter().any(|(number, entry)| {
        matches!(entry, XrefEntry::Normal { .. } | XrefEntry::Compressed { .. }) && !loaded.contains(number)
    });
    if skipped {
        return Err(ErrorCode::FileDamaged);
    }
    let mut stack: Vec<&Object> = doc.objects.values().collect();
    check_pdf_dict(&doc, &doc.trailer, &mut stack)?;
    // An explicit stack: a crafted file can nest arrays deeper than the thread's stack.
    while let Some(obj) = stack.pop() {
        match obj {
            Object::Name(n) if PDF_FORBIDDEN_NAMES.contains(&n.as_slice()) => return Err(ErrorCode::FileUnsafe),
            Object::Array(items) => stack.extend(items),
            Object::Dictionary(d) => check_pdf_dict(&doc, d, &mut stack)?,
            Object::Stream(s) => check_pdf_dict(&doc, &s.dict, &mut stack)?,
            _ => {}
        }
    }
    Ok(())
}

/// An object, through one reference if it is one.
fn resolve<'d>(doc: &'d Document, value: &'d Object) -> Option<&'d Object> {
    match value {
        Object::Reference(id) => doc.get_object(*id).ok(),
        v => Some(v),
    }
}

fn check_pdf_dict<'d>(
    doc: &'d Document,
    d: &'d lopdf::Dictionary,
    stack: &mut Vec<&'d Object>,
) -> Result<(), ErrorCode> {
    for (key, value) in d.iter() {
        if PDF_FORBIDDEN_KEYS.contains(&key.as_slice()) {
            return Err(ErrorCode::FileUnsafe);
        }
        if key.as_slice() == b"OpenAction" && !is_plain_open_action(doc, value) {
            return Err(ErrorCode::FileUnsafe);
        }
        if key.as_slice() == b"S"
            && matches!(resolve(doc, value), Some(Object::Name(s)) if PDF_FORBIDDEN_ACTIONS.contains(&s.as_slice()))
        {
            return Err(ErrorCode::FileUnsafe);
        }
        stack.push(value);
    }
    Ok(())
}

/// `/OpenAction` that only opens a page: a destination array or a GoTo action with no `/Next`
/// actions chained after it. Office suites write one into ordinary exports, so refusing every
/// `/OpenAction` would refuse them.
fn is_plain_open_action(doc: &Document, value: &Object) -> bool {
    match resolve(doc, value) {
        Some(Object::Array(_)) => true,
        Some(Object::Dictionary(d)) => {
            matches!(d.get(b"S"), Ok(Object::Name(s)) if s.as_slice() == b"GoTo") && !d.has(b"Next")
        }
        _ => false,
    }
}

/// Whether one of the names occurs as a whole PDF name (`/` before, a delimiter, whitespace
/// or the end after), so `/JS` does not match `/JSomething`.
fn contains_pdf_name(b: &[u8], names: &[&[u8]]) -> bool {
    b.iter().enumerate().filter(|&(_, &c)| c == b'/').any(|(i, _)| {
        names.iter().any(|n| {
            let end = i + 1 + n.len();
            b.get(i + 1..end) == Some(*n)
                && b.get(end).is_none_or(|c| c.is_ascii_whitespace() || b"/[]<>()%{}\0".contains(c))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload<'a>(file_name: &'a str, declared_type: &'a str, bytes: &'a [u8]) -> Upload<'a> {
        Upload { file_name, declared_type, bytes }
    }

    fn refused(file_name: &str, declared_type: &str, bytes: &[u8]) -> ErrorCode {
        match inspect(&upload(file_name, declared_type, bytes)) {
            Ok(_) => panic!("{file_name} was accepted"),
            Err(code) => code,
        }
    }

    fn find(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    fn dimensions(bytes: &[u8], format: ImageFormat) -> (u32, u32) {
        ImageReader::with_format(Cursor::new(bytes), format).into_dimensions().unwrap()
    }

    #[test]
    fn plain_png_is_reencoded_with_its_size() {
        let png = samples::png(40, 30);
        let clean = inspect(&upload("Скан паспорта.png", "image/png", &png)).unwrap();
        assert_eq!(clean.file_type, FileType::Png);
        assert_eq!(clean.file_name, "Скан паспорта.png");
        assert_eq!(dimensions(&clean.bytes, ImageFormat::Png), (40, 30));
        assert_eq!(clean.sha256, hex::encode(Sha256::digest(&clean.bytes)));
        assert_eq!(clean.sha256.len(), 64);
    }

    #[test]
    fn jpeg_loses_its_exif() {
        let jpeg = samples::jpeg_with_exif_gps(64, 48);
        assert!(find(&jpeg, b"GPSLatitude"));
        let clean = inspect(&upload("photo.JPG", "image/jpeg", &jpeg)).unwrap();
        assert_eq!(clean.file_type, FileType::Jpeg);
        assert!(!find(&clean.bytes, b"GPSLatitude"));
        assert!(!find(&clean.bytes, b"Exif\0"));
        assert_eq!(dimensions(&clean.bytes, ImageFormat::Jpeg), (64, 48));
    }

    #[test]
    fn jpeg_exif_orientation_is_applied() {
        let jpeg = samples::jpeg_rotated(64, 48);
        let clean = inspect(&upload("photo.jpeg", "image/jpeg", &jpeg)).unwrap();
        assert_eq!(dimensions(&clean.bytes, ImageFormat::Jpeg), (48, 64));
    }

    #[test]
    fn png_loses_its_text_chunk() {
        let png = samples::png_with_text_chunk();
        assert!(find(&png, samples::TEXT_CHUNK_MARKER.as_bytes()));
        let clean = inspect(&upload("scan.png", "image/png", &png)).unwrap();
        assert!(!find(&clean.bytes, samples::TEXT_CHUNK_MARKER.as_bytes()));
        assert!(!find(&clean.bytes, b"tEXt"));
        assert_eq!(dimensions(&clean.bytes, ImageFormat::Png), dimensions(&png, ImageFormat::Png));
    }

    #[test]
    fn pdf_is_kept_as_uploaded() {
        let pdf = samples::pdf();
        let clean = inspect(&upload("Квитанция ПД-4.pdf", "application/pdf", &pdf)).unwrap();
        assert_eq!(clean.file_type, FileType::Pdf);
        assert_eq!(clean.bytes, pdf);
        assert_eq!(clean.sha256, hex::encode(Sha256::digest(&pdf)));
    }

    #[test]
    fn pdf_going_to_a_page_on_open_is_fine() {
        let pdf = samples::pdf_opening_at_page();
        inspect(&upload("export.pdf", "application/pdf", &pdf)).unwrap();
    }

    #[test]
    fn polyglots_are_unsafe() {
        assert_eq!(refused("doc.pdf", "application/pdf", &samples::polyglot_pdf_zip()), ErrorCode::FileUnsafe);
        assert_eq!(refused("p.jpg", "image/jpeg", &samples::jpeg_with_html_appended()), ErrorCode::FileUnsafe);
        let mut jpeg_zip = samples::jpeg_with_exif_gps(16, 16);
        jpeg_zip.extend_from_slice(&samples::zip());
        assert_eq!(refused("p.jpg", "image/jpeg", &jpeg_zip), ErrorCode::FileUnsafe);
        // A payload with no known marker is still refused for being after the end.
        let mut png = samples::png(8, 8);
        png.extend_from_slice(b"#!/bin/sh\nrm -rf /\n");
        assert_eq!(refused("p.png", "image/png", &png), ErrorCode::FileUnsafe);
        let mut jpeg = samples::jpeg_with_exif_gps(8, 8);
        jpeg.extend_from_slice(b"payload");
        assert_eq!(refused("p.jpg", "image/jpeg", &jpeg), ErrorCode::FileUnsafe);
    }

    #[test]
    fn padding_after_the_end_is_tolerated() {
        let mut png = samples::png(8, 8);
        png.extend_from_slice(&[0, 0, 0, 0]);
        inspect(&upload("p.png", "image/png", &png)).unwrap();
    }

    #[test]
    fn types_must_agree() {
        let png = samples::png(8, 8);
        let pdf = samples::pdf();
        assert_eq!(refused("scan.pdf", "application/pdf", &png), ErrorCode::FileTypeMismatch);
        assert_eq!(refused("scan.png", "application/pdf", &png), ErrorCode::FileTypeMismatch);
        assert_eq!(refused("scan.png", "application/octet-stream", &png), ErrorCode::FileTypeMismatch);
        assert_eq!(refused("invoice.pdf.exe", "application/pdf", &pdf), ErrorCode::FileTypeNotAllowed);
        assert_eq!(refused("noext", "application/pdf", &pdf), ErrorCode::FileTypeNotAllowed);
    }

    #[test]
    fn other_formats_are_not_allowed() {
        let svg = samples::svg();
        assert_eq!(refused("x.svg", "image/svg+xml", &svg), ErrorCode::FileTypeNotAllowed);
        assert_eq!(refused("x.png", "image/png", &svg), ErrorCode::FileTypeNotAllowed);
        assert_eq!(refused("page.html", "text/html", &samples::html()), ErrorCode::FileTypeNotAllowed);
        assert_eq!(refused("page.pdf", "application/pdf", &samples::html()), ErrorCode::FileTypeNotAllowed);
        assert_eq!(
            refused("setup.exe", "application/octet-stream", &samples::exe_bytes()),
            ErrorCode::FileTypeNotAllowed
        );
        assert_eq!(refused("a.pdf", "application/zip", &samples::zip()), ErrorCode::FileTypeNotAllowed);
        assert_eq!(refused("empty.pdf", "application/pdf", b""), ErrorCode::FileTypeNotAllowed);
    }

    #[test]
    fn too_large_is_refused_first() {
        let mut big = samples::pdf();
        big.resize(MAX_FILE_BYTES as usize + 1, b' ');
        assert_eq!(refused("big.pdf", "application/pdf", &big), ErrorCode::FileTooLarge);
        big.truncate(MAX_FILE_BYTES as usize);
        inspect(&upload("big.pdf", "application/pdf", &big)).unwrap();
    }

    #[test]
    fn pixel_bomb_is_refused_from_its_header() {
        let bomb = samples::png_pixel_bomb();
        assert!(bomb.len() < 16 * 1024, "the bomb is {} bytes", bomb.len());
        let started = std::time::Instant::now();
        assert_eq!(refused("bomb.png", "image/png", &bomb), ErrorCode::ImageTooLarge);
        // Allocating and zeroing 900 MB would take far longer than this, even unoptimised.
        assert!(started.elapsed() < std::time::Duration::from_millis(500), "{:?}", started.elapsed());
    }

    #[test]
    fn a_long_strip_is_too_large_too() {
        let png = samples::png(MAX_IMAGE_SIDE + 1, 1);
        assert_eq!(refused("strip.png", "image/png", &png), ErrorCode::ImageTooLarge);
    }

    #[test]
    fn bad_names_are_refused() {
        let pdf = samples::pdf();
        for name in [
            "../../etc/passwd.pdf",
            "a/b.pdf",
            "a\\b.pdf",
            ".htaccess",
            "..",
            "con.pdf",
            "COM1.pdf",
            "Lpt9.tar.pdf",
            "",
            "   ",
            "a\0b.pdf",
            "a\nb.pdf",
            "scan.pdf.",
            "invoice\u{202E}fdp.exe",
            "a:b.pdf",
            "x..pdf",
        ] {
            assert_eq!(refused(name, "application/pdf", &pdf), ErrorCode::FileNameInvalid, "{name:?}");
        }
        let long = format!("{}.pdf", "я".repeat(MAX_FILE_NAME_CHARS - 3));
        assert_eq!(refused(&long, "application/pdf", &pdf), ErrorCode::FileNameInvalid);
        let longest = format!("{}.pdf", "я".repeat(MAX_FILE_NAME_CHARS - 4));
        assert_eq!(check_name(&longest), Ok(longest.clone()));
        assert_eq!(check_name("  Договор №5 (копия).pdf "), Ok("Договор №5 (копия).pdf".to_owned()));
        assert_eq!(check_name("console.pdf"), Ok("console.pdf".to_owned()));
    }

    #[test]
    fn active_pdfs_are_unsafe() {
        assert_eq!(refused("js.pdf", "application/pdf", &samples::pdf_with_javascript()), ErrorCode::FileUnsafe);
        assert_eq!(refused("launch.pdf", "application/pdf", &samples::pdf_with_launch()), ErrorCode::FileUnsafe);
        assert_eq!(
            refused("hidden.pdf", "application/pdf", &samples::pdf_with_escaped_javascript()),
            ErrorCode::FileUnsafe
        );
        assert_eq!(refused("xss.pdf", "application/pdf", &samples::pdf_with_html()), ErrorCode::FileUnsafe);
    }

    #[test]
    fn damaged_files_are_damaged() {
        let pdf = samples::pdf();
        assert_eq!(refused("cut.pdf", "application/pdf", &pdf[..pdf.len() / 2]), ErrorCode::FileDamaged);
        let mut odd_version = pdf.clone();
        odd_version[5] = b'9';
        assert_eq!(refused("v.pdf", "application/pdf", &odd_version), ErrorCode::FileDamaged);
        let png = samples::png(32, 32);
        assert_eq!(refused("cut.png", "image/png", &png[..png.len() - 20]), ErrorCode::FileDamaged);
        assert_eq!(refused("cut.png", "image/png", &png[..30]), ErrorCode::FileDamaged);
        let jpeg = samples::jpeg_with_exif_gps(32, 32);
        assert_eq!(refused("cut.jpg", "image/jpeg", &jpeg[..jpeg.len() - 10]), ErrorCode::FileDamaged);
        assert_eq!(refused("magic.jpg", "image/jpeg", JPEG_MAGIC), ErrorCode::FileDamaged);
        let mut bad_crc = png.clone();
        let idat = bad_crc.windows(4).position(|w| w == b"IDAT").unwrap();
        bad_crc[idat + 6] ^= 0x55;
        assert_eq!(refused("crc.png", "image/png", &bad_crc), ErrorCode::FileDamaged);
    }

    #[test]
    fn object_stream_pdfs_are_fine() {
        let pdf = samples::pdf_with_object_stream();
        let clean = inspect(&upload("packed.pdf", "application/pdf", &pdf)).unwrap();
        assert_eq!(clean.bytes, pdf);
        // lopdf reads the packed catalog, so the walk sees it.
        let doc = Document::load_mem(&pdf).unwrap();
        assert!(doc.catalog().is_ok());
    }

    #[test]
    fn object_stream_bomb_is_refused_quickly() {
        let bomb = samples::pdf_object_stream_bomb();
        assert!(bomb.len() < 1024 * 1024, "the bomb is {} bytes", bomb.len());
        let started = std::time::Instant::now();
        assert_eq!(refused("bomb.pdf", "application/pdf", &bomb), ErrorCode::FileUnsafe);
        assert!(started.elapsed() < std::time::Duration::from_millis(500), "{:?}", started.elapsed());
    }

    #[test]
    fn object_stream_index_must_match_and_not_overlap() {
        // Three objects listed, /N says one.
        let lying = samples::object_stream_pdf("1 0 2 3 3 6 ", "1\n2\n3\n", 1);
        assert_eq!(refused("n.pdf", "application/pdf", &lying), ErrorCode::FileUnsafe);
        // The first object's array runs over the second's offset.
        let overlapping = samples::object_stream_pdf("1 0 2 2 3 8 ", "[ [ 0 0 ] 1 ] 2", 3);
        assert_eq!(refused("o.pdf", "application/pdf", &overlapping), ErrorCode::FileUnsafe);
    }

    #[test]
    fn object_stream_budgets() {
        let mut dict = lopdf::Dictionary::new();
        dict.set("N", pdf::MAX_PACKED_OBJECTS as i64 + 1);
        dict.set("First", 0);
        assert_eq!(
            pdf::check_object_index(&dict, b"", &mut pdf::Budget::default()),
            Err(ErrorCode::FileUnsafe)
        );
        // The whole-file budget for decompression, shared by all streams.
        let packed = samples::pdf_with_object_stream();
        assert_eq!(pdf::check_eager_streams_within(&packed, pdf::Budget::default()), Ok(()));
        let nearly_spent = pdf::Budget { decoded: pdf::MAX_TOTAL_DECODED - 10, ..pdf::Budget::default() };
        assert_eq!(pdf::check_eager_streams_within(&packed, nearly_spent), Err(ErrorCode::FileUnsafe));
    }

    #[test]
    fn escaped_encryption_is_refused_before_loading() {
        let pdf = samples::pdf_with_escaped_encrypt();
        assert_eq!(refused("e.pdf", "application/pdf", &pdf), ErrorCode::FileUnsafe);
    }

    #[test]
    fn chained_and_outward_actions_are_unsafe() {
        assert_eq!(refused("a.pdf", "application/pdf", &samples::pdf_open_action_next_uri()), ErrorCode::FileUnsafe);
        assert_eq!(refused("a.pdf", "application/pdf", &samples::pdf_open_action_next_gotor()), ErrorCode::FileUnsafe);
        let next_goto = samples::pdf_open_action_next_goto();
        assert_eq!(refused("a.pdf", "application/pdf", &next_goto), ErrorCode::FileUnsafe);
        assert_eq!(refused("a.pdf", "application/pdf", &samples::pdf_with_uri_link()), ErrorCode::FileUnsafe);
    }

    #[test]
    fn objects_lopdf_skips_make_the_file_damaged() {
        let pdf = samples::pdf_with_unparsable_script();
        assert_eq!(refused("s.pdf", "application/pdf", &pdf), ErrorCode::FileDamaged);
    }

    #[test]
    fn krilla_pdfs_are_fine() {
        use krilla::geom::{PathBuilder, Rect};
        use krilla::page::PageSettings;
        let mut doc = krilla::Document::new();
        let mut page = doc.start_page_with(PageSettings::from_wh(595.0, 842.0).unwrap());
        let mut surface = page.surface();
        let mut pb = PathBuilder::new();
        pb.push_rect(Rect::from_xywh(50.0, 50.0, 200.0, 100.0).unwrap());
        surface.draw_path(&pb.finish().unwrap());
        surface.finish();
        page.finish();
        let pdf = doc.finish().unwrap();
        inspect(&upload("k.pdf", "application/pdf", &pdf)).unwrap();
    }

    #[test]
    fn markers_in_compressed_data_are_fine() {
        let payload = b"..PK\x03\x04..<svg onload=x>..PK\x05\x06..";
        let png = samples::png_with_payload_in_pixels(payload);
        assert!(find(&png, b"PK\x03\x04") && find(&png, b"<svg"));
        inspect(&upload("p.png", "image/png", &png)).unwrap();
        let pdf = samples::pdf_with_stream_holding(b"..PK\x03\x04..<svg onload=x>..<html>..");
        inspect(&upload("p.pdf", "application/pdf", &pdf)).unwrap();
    }

    #[test]
    fn markers_where_text_lives_are_unsafe() {
        for marker in [&b"PK\x03\x04"[..], b"<svg onload=x>", b"%PDF-1.7"] {
            assert_eq!(refused("t.png", "image/png", &samples::png_with_text(marker)), ErrorCode::FileUnsafe);
            assert_eq!(refused("c.jpg", "image/jpeg", &samples::jpeg_with_comment(marker)), ErrorCode::FileUnsafe);
            let mut jpeg = samples::jpeg(16, 16);
            jpeg.extend_from_slice(marker);
            assert_eq!(refused("e.jpg", "image/jpeg", &jpeg), ErrorCode::FileUnsafe);
        }
        // A ZIP directory near a PDF's end makes it an archive, stream body or not.
        let pdf = samples::pdf_with_stream_holding(b"..PK\x05\x06..");
        assert_eq!(refused("z.pdf", "application/pdf", &pdf), ErrorCode::FileUnsafe);
    }

    #[test]
    fn reencoded_images_must_fit_the_limit() {
        let png = samples::png_1bit_noise(800, 600);
        let out = clean_image(&png, FileType::Png, u64::MAX).unwrap();
        // Decoded to 8-bit grey, the picture grows: the size check is needed.
        assert!(out.len() > png.len(), "{} → {}", png.len(), out.len());
        assert_eq!(clean_image(&png, FileType::Png, png.len() as u64), Err(ErrorCode::FileTooLarge));
        assert_eq!(clean_image(&png, FileType::Png, out.len() as u64 - 1), Err(ErrorCode::FileTooLarge));
        assert_eq!(clean_image(&png, FileType::Png, out.len() as u64), Ok(out));
    }

    #[test]
    fn grey_stays_grey() {
        let png = samples::png_1bit_noise(64, 64);
        let clean = inspect(&upload("g.png", "image/png", &png)).unwrap();
        let img = image::load_from_memory_with_format(&clean.bytes, ImageFormat::Png).unwrap();
        assert_eq!(img.color(), image::ColorType::L8);
    }

    #[test]
    fn a_flood_of_plain_tokens_is_refused_before_loading() {
        // Ten megabytes of `0 ` in one array: five million objects for lopdf.
        let mut b = b"%PDF-1.7\n1 0 obj\n[".to_vec();
        b.extend(std::iter::repeat_n(b"0 ".as_slice(), 4_000_000).flatten());
        b.extend_from_slice(b"]\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
        let started = std::time::Instant::now();
        assert_eq!(refused("flood.pdf", "application/pdf", &b), ErrorCode::FileUnsafe);
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "refused before lopdf builds anything");
        assert!(inspect(&upload("doc.pdf", "application/pdf", &samples::pdf())).is_ok());
    }

    #[test]
    fn panics_become_damaged_files() {
        let r: Result<(), ErrorCode> = guarded(|| panic!("a decoder bug"));
        assert_eq!(r, Err(ErrorCode::FileDamaged));
        assert_eq!(guarded(|| Ok(1)), Ok(1));
    }
}
