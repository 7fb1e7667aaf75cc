//! The safe-upload inspector for message attachments (A25): decides from a file's content
//! whether it is a JPEG, PNG or PDF, refuses polyglots, bombs and active content, and strips
//! images of their metadata by re-encoding them. Pure and blocking: the route calls it inside
//! `spawn_blocking`.

pub mod samples;

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};
use kabinet_api::messages::{FileType, MAX_FILE_BYTES, MAX_FILE_NAME_CHARS, MAX_IMAGE_PIXELS};
use kabinet_api::ErrorCode;
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
/// The decoder's allocation ceiling; 40 MP at 16-bit RGBA fits under it.
const MAX_DECODE_ALLOC: u64 = 512 * 1024 * 1024;
/// JPEG re-encoding quality: visually lossless for scans and photos of documents.
const JPEG_QUALITY: u8 = 88;
/// Per-stream ceiling for lopdf's eager decompression of object and xref streams.
const MAX_PDF_STREAM_BYTES: usize = 64 * 1024 * 1024;

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
        FileType::Jpeg | FileType::Png => clean_image(u.bytes, file_type)?,
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

fn clean_image(bytes: &[u8], file_type: FileType) -> Result<Vec<u8>, ErrorCode> {
    let mut markers: Vec<&[u8]> = vec![PDF_MAGIC];
    markers.extend_from_slice(TEXT_MARKERS);
    markers.extend_from_slice(ZIP_MARKERS);
    if contains_marker(bytes, &markers) {
        return Err(ErrorCode::FileUnsafe);
    }
    let format = match file_type {
        FileType::Jpeg => ImageFormat::Jpeg,
        _ => ImageFormat::Png,
    };

    // The header alone: a pixel flood is refused before anything is allocated for it.
    let (w, h) = ImageReader::with_format(Cursor::new(bytes), format).into_dimensions().map_err(image_error)?;
    if w > MAX_IMAGE_SIDE || h > MAX_IMAGE_SIDE || u64::from(w) * u64::from(h) > MAX_IMAGE_PIXELS {
        return Err(ErrorCode::ImageTooLarge);
    }

    let end = match file_type {
        FileType::Jpeg => jpeg_end(bytes)?,
        _ => png_end(bytes)?,
    };
    if !is_padding(&bytes[end..]) {
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
    let mut img = DynamicImage::from_decoder(decoder).map_err(image_error)?;
    img.apply_orientation(orientation);

    // Re-encoding from pixels is what guarantees no EXIF, text chunk, ICC profile or trailer
    // survives: the encoders write none of them.
    let mut out = Vec::new();
    let written = match file_type {
        FileType::Jpeg => {
            let img = if img.color().has_color() {
                DynamicImage::ImageRgb8(img.to_rgb8())
            } else {
                DynamicImage::ImageLuma8(img.to_luma8())
            };
            img.write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
        }
        _ => img.write_with_encoder(PngEncoder::new(&mut out)),
    };
    written.map_err(image_error)?;
    Ok(out)
}

fn image_error(e: ImageError) -> ErrorCode {
    match e {
        ImageError::Limits(_) => ErrorCode::ImageTooLarge,
        _ => ErrorCode::FileDamaged,
    }
}

/// Where a JPEG ends: the offset just past its EOI, found by walking the segments and the
/// entropy-coded data, so an EOI inside an EXIF thumbnail or a payload is not mistaken for it.
fn jpeg_end(b: &[u8]) -> Result<usize, ErrorCode> {
    let damaged = ErrorCode::FileDamaged;
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
            0xD9 => return Ok(i),
            0x01 | 0xD0..=0xD7 => continue,
            0x00 | 0xD8 => return Err(damaged),
            _ => {}
        }
        let len = b.get(i..i + 2).map(|l| usize::from(u16::from_be_bytes([l[0], l[1]]))).ok_or(damaged)?;
        if len < 2 || i + len > b.len() {
            return Err(damaged);
        }
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

/// Where a PNG ends: the offset just past its IEND chunk, walking the chunk lengths.
fn png_end(b: &[u8]) -> Result<usize, ErrorCode> {
    let damaged = ErrorCode::FileDamaged;
    let mut i = PNG_MAGIC.len();
    loop {
        let head = b.get(i..i + 8).ok_or(damaged)?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        if len > 0x7FFF_FFFF {
            return Err(damaged);
        }
        let end = i.checked_add(12 + len as usize).filter(|&e| e <= b.len()).ok_or(damaged)?;
        let is_iend = &head[4..8] == b"IEND";
        i = end;
        if is_iend {
            return Ok(i);
        }
    }
}

fn check_pdf(b: &[u8]) -> Result<(), ErrorCode> {
    let mut markers: Vec<&[u8]> = TEXT_MARKERS.to_vec();
    markers.extend_from_slice(ZIP_MARKERS);
    if contains_marker(b, &markers) {
        return Err(ErrorCode::FileUnsafe);
    }
    if !(b.starts_with(b"%PDF-1.") || b.starts_with(b"%PDF-2.")) {
        return Err(ErrorCode::FileDamaged);
    }
    let body = b.trim_ascii_end();
    if !body.ends_with(b"%%EOF") {
        return Err(ErrorCode::FileDamaged);
    }
    // Names as written, in case lopdf skips an object it cannot parse that a viewer would
    // still run; escaped spellings (`/J#53`) are caught by the walk below.
    let mut raw_names: Vec<&[u8]> = PDF_FORBIDDEN_NAMES.to_vec();
    raw_names.extend_from_slice(&[b"JS", b"XFA"]);
    if contains_pdf_name(b, &raw_names) {
        return Err(ErrorCode::FileUnsafe);
    }
    let options = LoadOptions { max_decompressed_size: Some(MAX_PDF_STREAM_BYTES), ..LoadOptions::default() };
    let doc = match Document::load_mem_with_options(b, options) {
        Ok(doc) => doc,
        Err(_) if contains_pdf_name(b, &[b"Encrypt"]) => return Err(ErrorCode::FileUnsafe),
        Err(_) => return Err(ErrorCode::FileDamaged),
    };
    // Encrypted content cannot be inspected.
    if doc.trailer.has(b"Encrypt") || doc.is_encrypted() {
        return Err(ErrorCode::FileUnsafe);
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
        stack.push(value);
    }
    Ok(())
}

/// `/OpenAction` that only opens a page: a destination array or a GoTo action. Office suites
/// write one into ordinary exports, so refusing every `/OpenAction` would refuse them.
fn is_plain_open_action(doc: &Document, value: &Object) -> bool {
    let value = match value {
        Object::Reference(id) => match doc.get_object(*id) {
            Ok(v) => v,
            Err(_) => return false,
        },
        v => v,
    };
    match value {
        Object::Array(_) => true,
        Object::Dictionary(d) => matches!(d.get(b"S"), Ok(Object::Name(s)) if s.as_slice() == b"GoTo"),
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
}
