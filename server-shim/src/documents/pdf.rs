//! The PDF renderer: lays a [`DocSpec`] out on A4 pages and writes it with krilla, PT Sans
//! embedded as subsets, and on every page a footer with the verification link, code and QR.
//!
//! Why krilla rather than printpdf: krilla (the PDF writer behind Typst) subsets fonts and
//! writes the ToUnicode maps itself, so the text of an issued document can be searched,
//! copied and read back by tests, and it refuses to write a file that breaks PDF/A-2u, the
//! archival profile a document meant to be kept for years should meet. Text is measured
//! here with skrifa (the font reader krilla itself uses), and glyphs are placed one per
//! character without a shaper: Cyrillic and Latin need none, and what is measured is then
//! exactly what is drawn, so right-aligned money lines up to the point.
//!
//! Layout runs first and yields pages of positioned text and boxes; the pages are drawn
//! once their number is known, for «Стр. N из M».

use std::ops::Range;
use std::sync::LazyLock;

use krilla::color::luma;
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::action::{Action, LinkAction};
use krilla::annotation::{Annotation, LinkAnnotation, Target};
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::{Font, Glyph, GlyphId};
use krilla::{Document, SerializeSettings};
use qrcode::{EcLevel, QrCode};
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};
use time::OffsetDateTime;

use super::spec::{Align, Block, DocSpec, OrgHeader, RowStyle, Table};

/// PT Sans (ParaType, 2009): drawn for Russian, free to embed; licence in fonts/.
static REGULAR_TTF: &[u8] = include_bytes!("../../fonts/PTSans-Regular.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../../fonts/PTSans-Bold.ttf");

const MM: f32 = 72.0 / 25.4;
const PAGE_W: f32 = 210.0 * MM;
const PAGE_H: f32 = 297.0 * MM;
/// A wider left margin leaves room for a binder's holes, as Russian office papers do.
const LEFT: f32 = 20.0 * MM;
const RIGHT: f32 = PAGE_W - 15.0 * MM;
const WIDTH: f32 = RIGHT - LEFT;
const TOP: f32 = 15.0 * MM;
const QR_SIZE: f32 = 20.0 * MM;
const QR_TOP: f32 = PAGE_H - 10.0 * MM - QR_SIZE;
/// Four QR modules of quiet space (at most ~2 pt each) between the rule and the code.
const FOOTER_RULE: f32 = QR_TOP - 9.0;
const CONTENT_BOTTOM: f32 = FOOTER_RULE - 8.0;

/// Body text sizes, pt.
const BODY: f32 = 9.5;
const SMALL: f32 = 8.5;
const CELL: f32 = 8.5;
const HEAD_CELL: f32 = 7.5;

/// Luma levels: 0 is black.
const INK: u8 = 0;
const MUTED: u8 = 90;
const LINE: u8 = 150;
const SHADE: u8 = 236;
const TOTAL_SHADE: u8 = 244;

/// What issuing adds to a document: the code and where to check it, and when it was made.
pub struct Stamp<'a> {
    /// Display form, `XXXX-XXXX-XXXX`.
    pub code: &'a str,
    pub url: &'a str,
    pub issued_at: OffsetDateTime,
}

#[derive(Debug, thiserror::Error)]
#[error("the PDF cannot be written: {0}")]
pub struct RenderError(String);

impl RenderError {
    /// The rendering task panicked or was cancelled.
    pub fn from_join(e: tokio::task::JoinError) -> Self {
        RenderError(format!("rendering task: {e}"))
    }
}

// ---------------------------------------------------------------------------------------
// Fonts and text measurement

struct Face {
    charmap: Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    units_per_em: f32,
    /// Drawn for characters the font lacks: PDF/A forbids the .notdef glyph.
    fallback: char,
    pdf: Font,
}

impl Face {
    fn load(bytes: &'static [u8]) -> Face {
        let font = FontRef::new(bytes).expect("the embedded font parses");
        let units_per_em = f32::from(font.metrics(Size::unscaled(), LocationRef::default()).units_per_em);
        let pdf = Font::new(bytes.into(), 0).expect("krilla reads the embedded font");
        Face {
            charmap: font.charmap(),
            metrics: font.glyph_metrics(Size::unscaled(), LocationRef::default()),
            units_per_em,
            fallback: '?',
            pdf,
        }
    }

    /// The character as it will be drawn: layout characters become spaces, characters the
    /// font has no glyph for become the fallback.
    fn drawable(&self, c: char) -> char {
        if c.is_whitespace() && c != '\u{a0}' {
            ' '
        } else if c.is_control() || self.charmap.map(c).is_none() {
            self.fallback
        } else {
            c
        }
    }

    fn clean(&self, s: &str) -> String {
        s.chars().map(|c| self.drawable(c)).collect()
    }

    /// Advance of a drawable character in em.
    fn advance(&self, c: char) -> f32 {
        let gid = self.charmap.map(c).unwrap_or_default();
        self.metrics.advance_width(gid).unwrap_or(0.0) / self.units_per_em
    }

    fn width(&self, s: &str, size: f32) -> f32 {
        s.chars().map(|c| self.advance(self.drawable(c))).sum::<f32>() * size
    }

    /// One glyph per character of an already cleaned string, each tied to its bytes so the
    /// PDF's ToUnicode map gives the text back.
    fn glyphs(&self, clean: &str) -> Vec<PlacedGlyph> {
        clean
            .char_indices()
            .map(|(i, c)| PlacedGlyph {
                id: GlyphId::new(self.charmap.map(c).map(|g| g.to_u32()).unwrap_or(0)),
                range: i..i + c.len_utf8(),
                advance: self.advance(c),
            })
            .collect()
    }
}

struct Faces {
    regular: Face,
    bold: Face,
}

impl Faces {
    fn get(&self, bold: bool) -> &Face {
        if bold {
            &self.bold
        } else {
            &self.regular
        }
    }

    fn width(&self, s: &str, size: f32, bold: bool) -> f32 {
        self.get(bold).width(s, size)
    }

    /// Greedy word wrap to `max` points; words longer than a line are cut between letters.
    /// No-break spaces (inside amounts) hold their words together.
    fn wrap(&self, text: &str, size: f32, bold: bool, max: f32) -> Vec<String> {
        let fits = |s: &str| self.width(s, size, bold) <= max;
        let mut out = Vec::new();
        for para in text.split('\n') {
            let mut line = String::new();
            for word in para.split(' ').filter(|w| !w.is_empty()) {
                let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
                if fits(&candidate) {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    out.push(std::mem::take(&mut line));
                }
                if fits(word) {
                    line = word.to_owned();
                } else {
                    for ch in word.chars() {
                        line.push(ch);
                        if !fits(&line) && line.chars().count() > 1 {
                            line.pop();
                            out.push(std::mem::replace(&mut line, ch.to_string()));
                        }
                    }
                }
            }
            out.push(line);
        }
        out
    }
}

static FACES: LazyLock<Faces> = LazyLock::new(|| Faces { regular: Face::load(REGULAR_TTF), bold: Face::load(BOLD_TTF) });

struct PlacedGlyph {
    id: GlyphId,
    range: Range<usize>,
    /// In em.
    advance: f32,
}

impl Glyph for PlacedGlyph {
    fn glyph_id(&self) -> GlyphId {
        self.id
    }
    fn text_range(&self) -> Range<usize> {
        self.range.clone()
    }
    fn x_advance(&self, size: f32) -> f32 {
        self.advance * size
    }
    fn x_offset(&self, _size: f32) -> f32 {
        0.0
    }
    fn y_offset(&self, _size: f32) -> f32 {
        0.0
    }
    fn y_advance(&self, _size: f32) -> f32 {
        0.0
    }
    fn location(&self) -> Option<krilla::surface::Location> {
        None
    }
}

// ---------------------------------------------------------------------------------------
// Layout

/// Something placed on a page; y grows downwards from the top edge, text y is its baseline.
#[derive(Debug, Clone, PartialEq)]
enum Op {
    Text { x: f32, y: f32, style: Style, text: String },
    Box { x: f32, y: f32, w: f32, h: f32, luma: u8 },
}

/// How a piece of text looks.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Style {
    size: f32,
    bold: bool,
    luma: u8,
}

impl Style {
    const fn regular(size: f32) -> Self {
        Style { size, bold: false, luma: INK }
    }
    const fn bold(size: f32) -> Self {
        Style { size, bold: true, luma: INK }
    }
    const fn muted(self) -> Self {
        Style { luma: MUTED, ..self }
    }
}

/// Baseline of a line of `size` text in a line box `leading` times its size, `top` its top:
/// half of PT Sans's capital height (0.7 em) above the box's middle, so text sits centred.
fn baseline(top: f32, size: f32, leading: f32) -> f32 {
    top + size * leading / 2.0 + size * 0.35
}

struct Layouter<'a> {
    faces: &'a Faces,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl<'a> Layouter<'a> {
    fn new(faces: &'a Faces) -> Self {
        Layouter { faces, pages: vec![Vec::new()], y: TOP }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("there is always a page")
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    /// Starts a new page unless `height` still fits on this one (or this page is empty, where
    /// breaking would not help).
    fn ensure(&mut self, height: f32) -> bool {
        if self.y + height > CONTENT_BOTTOM && self.y > TOP + 0.5 {
            self.new_page();
            true
        } else {
            false
        }
    }

    fn text(&mut self, x: f32, y: f32, style: Style, text: &str) {
        if !text.is_empty() {
            let text = text.to_owned();
            self.ops().push(Op::Text { x, y, style, text });
        }
    }

    /// Text aligned within [x, x + w].
    fn text_in(&mut self, x: f32, w: f32, y: f32, style: Style, text: &str, align: Align) {
        let tw = self.faces.width(text, style.size, style.bold);
        let x = match align {
            Align::Left => x,
            Align::Center => x + (w - tw) / 2.0,
            Align::Right => x + w - tw,
        };
        self.text(x, y, style, text);
    }

    fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, luma: u8) {
        self.ops().push(Op::Box { x, y, w, h, luma });
    }

    fn hrule(&mut self, x: f32, y: f32, w: f32, thickness: f32, luma: u8) {
        self.fill(x, y - thickness / 2.0, w, thickness, luma);
    }

    fn vrule(&mut self, x: f32, y: f32, h: f32, thickness: f32, luma: u8) {
        self.fill(x - thickness / 2.0, y, thickness, h, luma);
    }

    /// Flowing text: each line may move to the next page.
    fn flow(&mut self, text: &str, x: f32, w: f32, style: Style, leading: f32, align: Align) {
        let lh = style.size * leading;
        for line in self.faces.wrap(text, style.size, style.bold, w) {
            self.ensure(lh);
            let y = baseline(self.y, style.size, leading);
            self.text_in(x, w, y, style, &line, align);
            self.y += lh;
        }
    }

    fn org_header(&mut self, org: &OrgHeader) {
        let details = Style::regular(SMALL).muted();
        self.flow(&org.legal_name, LEFT, WIDTH, Style::bold(10.5), 1.3, Align::Left);
        self.flow(&format!("ИНН {}   ОГРН {}", org.inn, org.ogrn), LEFT, WIDTH, details, 1.35, Align::Left);
        self.flow(&org.address, LEFT, WIDTH, details, 1.35, Align::Left);
        self.flow(&format!("Телефон: {}", org.phone), LEFT, WIDTH, details, 1.35, Align::Left);
        self.y += 5.0;
        self.hrule(LEFT, self.y, WIDTH, 0.8, INK);
        self.y += 16.0;
    }

    fn title(&mut self, title: &str) {
        self.flow(title, LEFT + 20.0, WIDTH - 40.0, Style::bold(13.5), 1.3, Align::Center);
        self.y += 12.0;
    }

    fn meta(&mut self, lines: &[(String, String)]) {
        let (size, leading) = (BODY, 1.35);
        let lh = size * leading;
        let label_w = lines
            .iter()
            .map(|(l, _)| self.faces.width(&format!("{l}:"), size, false))
            .fold(0.0f32, f32::max)
            .min(WIDTH * 0.4)
            + 10.0;
        for (label, value) in lines {
            let labels = self.faces.wrap(&format!("{label}:"), size, false, label_w - 10.0);
            let values = self.faces.wrap(value, size, false, WIDTH - label_w);
            let n = labels.len().max(values.len());
            self.ensure(n as f32 * lh);
            for i in 0..n {
                let y = baseline(self.y + i as f32 * lh, size, leading);
                if let Some(l) = labels.get(i) {
                    self.text(LEFT, y, Style::regular(size).muted(), l);
                }
                if let Some(v) = values.get(i) {
                    self.text(LEFT + label_w, y, Style::regular(size), v);
                }
            }
            self.y += n as f32 * lh;
        }
        self.y += 10.0;
    }

    fn heading(&mut self, text: &str) {
        // Kept with at least a few lines of what follows.
        self.ensure(11.0 * 1.3 + 60.0);
        self.y += 4.0;
        self.flow(text, LEFT, WIDTH, Style::bold(11.0), 1.3, Align::Left);
        self.y += 4.0;
    }

    fn paragraph(&mut self, text: &str) {
        // A short paragraph moves whole; a long one leaves at least two lines behind.
        let lh = BODY * 1.4;
        let n = self.faces.wrap(text, BODY, false, WIDTH).len();
        self.ensure(if n <= 4 { n as f32 * lh } else { 2.0 * lh });
        self.flow(text, LEFT, WIDTH, Style::regular(BODY), 1.4, Align::Left);
        self.y += 7.0;
    }

    fn table(&mut self, table: &Table) {
        const PAD_X: f32 = 4.0;
        const PAD_Y: f32 = 2.8;
        const THIN: f32 = 0.5;
        let total: f32 = table.columns.iter().map(|c| c.width).sum();
        let widths: Vec<f32> = table.columns.iter().map(|c| WIDTH * c.width / total).collect();
        let xs: Vec<f32> = widths.iter().scan(LEFT, |x, w| Some(std::mem::replace(x, *x + w))).collect();
        let (head_lh, cell_lh) = (HEAD_CELL * 1.25, CELL * 1.3);

        let header: Vec<Vec<String>> = table
            .columns
            .iter()
            .zip(&widths)
            .map(|(c, w)| self.faces.wrap(&c.header, HEAD_CELL, true, w - 2.0 * PAD_X))
            .collect();
        let header_h = header.iter().map(Vec::len).max().unwrap_or(1) as f32 * head_lh + 2.0 * PAD_Y;
        let rows: Vec<(Vec<Vec<String>>, f32, RowStyle)> = table
            .rows
            .iter()
            .map(|r| {
                let bold = r.style != RowStyle::Normal;
                let cells: Vec<Vec<String>> = widths
                    .iter()
                    .enumerate()
                    .map(|(i, w)| {
                        let text = r.cells.get(i).map(String::as_str).unwrap_or("");
                        self.faces.wrap(text, CELL, bold, w - 2.0 * PAD_X)
                    })
                    .collect();
                let h = cells.iter().map(Vec::len).max().unwrap_or(1) as f32 * cell_lh + 2.0 * PAD_Y;
                (cells, h, r.style)
            })
            .collect();

        let draw_header = |l: &mut Layouter| {
            let top = l.y;
            l.fill(LEFT, top, WIDTH, header_h, SHADE);
            for ((lines, x), w) in header.iter().zip(&xs).zip(&widths) {
                let offset = (header_h - 2.0 * PAD_Y - lines.len() as f32 * head_lh) / 2.0;
                for (i, line) in lines.iter().enumerate() {
                    let y = baseline(top + PAD_Y + offset + i as f32 * head_lh, HEAD_CELL, 1.25);
                    l.text_in(x + PAD_X, w - 2.0 * PAD_X, y, Style::bold(HEAD_CELL), line, Align::Center);
                }
            }
            l.hrule(LEFT, top, WIDTH, THIN, LINE);
            l.y += header_h;
            l.hrule(LEFT, l.y, WIDTH, THIN, LINE);
        };
        // The grid's verticals are drawn per page, once the fragment's height is known.
        let close = |l: &mut Layouter, top: f32| {
            for x in xs.iter().copied().chain([RIGHT]) {
                l.vrule(x, top, l.y - top, THIN, LINE);
            }
        };

        let first_h = rows.first().map_or(0.0, |r| r.1);
        self.ensure(header_h + first_h);
        let mut top = self.y;
        draw_header(self);
        for (cells, h, style) in &rows {
            if self.y + h > CONTENT_BOTTOM {
                close(self, top);
                self.new_page();
                top = self.y;
                draw_header(self);
            }
            let row_top = self.y;
            if *style == RowStyle::Total {
                self.fill(LEFT, row_top, WIDTH, *h, TOTAL_SHADE);
            }
            let text_style = if *style == RowStyle::Normal { Style::regular(CELL) } else { Style::bold(CELL) };
            for (i, lines) in cells.iter().enumerate() {
                let align = table.columns[i].align;
                for (j, line) in lines.iter().enumerate() {
                    let y = baseline(row_top + PAD_Y + j as f32 * cell_lh, CELL, 1.3);
                    self.text_in(xs[i] + PAD_X, widths[i] - 2.0 * PAD_X, y, text_style, line, align);
                }
            }
            self.y += h;
            self.hrule(LEFT, self.y, WIDTH, THIN, LINE);
        }
        close(self, top);
        self.y += 12.0;
    }

    fn paragraph_height(&self, text: &str) -> f32 {
        self.faces.wrap(text, BODY, false, WIDTH).len() as f32 * BODY * 1.4 + 7.0
    }

    const SIGN_GAP: f32 = 24.0;

    fn signature_captions(&self, parties: &[String]) -> Vec<Vec<String>> {
        let n = parties.len() as f32;
        let col_w = (WIDTH - Self::SIGN_GAP * (n - 1.0)) / n;
        parties.iter().map(|p| self.faces.wrap(p, BODY, false, col_w)).collect()
    }

    /// Captions, room to sign, the lines and the small print under them.
    fn signatures_height(&self, parties: &[String]) -> f32 {
        let cap_lines = self.signature_captions(parties).iter().map(Vec::len).max().unwrap_or(1) as f32;
        6.0 + cap_lines * BODY * 1.35 + 28.0 + 12.0
    }

    fn signatures(&mut self, parties: &[String]) {
        if parties.is_empty() {
            return;
        }
        let gap = Self::SIGN_GAP;
        let n = parties.len() as f32;
        let col_w = (WIDTH - gap * (n - 1.0)) / n;
        let captions = self.signature_captions(parties);
        let cap_lines = captions.iter().map(Vec::len).max().unwrap_or(1) as f32;
        let lh = BODY * 1.35;
        let height = self.signatures_height(parties) - 6.0;
        self.y += 6.0;
        self.ensure(height);
        let top = self.y;
        for (i, lines) in captions.iter().enumerate() {
            let x = LEFT + i as f32 * (col_w + gap);
            for (j, line) in lines.iter().enumerate() {
                self.text(x, baseline(top + j as f32 * lh, BODY, 1.35), Style::regular(BODY), line);
            }
            let line_y = top + cap_lines * lh + 28.0;
            let sign_w = col_w * 0.45;
            self.hrule(x, line_y, sign_w, 0.6, INK);
            self.hrule(x + sign_w + 10.0, line_y, col_w - sign_w - 10.0, 0.6, INK);
            let under = Style::regular(6.5).muted();
            self.text(x, line_y + 8.0, under, "подпись");
            self.text(x + sign_w + 10.0, line_y + 8.0, under, "фамилия, инициалы");
        }
        self.y = top + height;
    }
}

fn layout(spec: &DocSpec, faces: &Faces) -> Vec<Vec<Op>> {
    let mut l = Layouter::new(faces);
    l.org_header(&spec.org);
    l.title(&spec.title);
    for (i, block) in spec.blocks.iter().enumerate() {
        // The signatures never stand alone on a page: the paragraph before them comes along.
        if let (Block::Paragraph(p), Some(Block::Signatures(s))) = (block, spec.blocks.get(i + 1)) {
            let need = l.paragraph_height(p) + l.signatures_height(s);
            if need < (CONTENT_BOTTOM - TOP) / 3.0 {
                l.ensure(need);
            }
        }
        match block {
            Block::Meta(lines) => l.meta(lines),
            Block::Heading(t) => l.heading(t),
            Block::Paragraph(t) => l.paragraph(t),
            Block::Table(t) => l.table(t),
            Block::Signatures(s) => l.signatures(s),
        }
    }
    l.pages
}

/// How many pages the document takes (tests check pagination without reading a PDF).
pub fn page_count(spec: &DocSpec) -> usize {
    layout(spec, &FACES).len()
}

// ---------------------------------------------------------------------------------------
// Drawing

fn fill_of(luma: u8) -> Fill {
    Fill { paint: luma::Color::new(luma).into(), opacity: NormalizedF32::ONE, rule: Default::default() }
}

fn draw_text(s: &mut Surface, faces: &Faces, x: f32, y: f32, style: Style, text: &str) {
    let face = faces.get(style.bold);
    let clean = face.clean(text);
    let glyphs = face.glyphs(&clean);
    s.set_fill(Some(fill_of(style.luma)));
    s.draw_glyphs(Point::from_xy(x, y), &glyphs, face.pdf.clone(), &clean, style.size, false);
}

fn draw_box(s: &mut Surface, x: f32, y: f32, w: f32, h: f32, luma: u8) {
    let Some(rect) = Rect::from_xywh(x, y, w.max(0.01), h.max(0.01)) else { return };
    let mut pb = PathBuilder::new();
    pb.push_rect(rect);
    if let Some(path) = pb.finish() {
        s.set_fill(Some(fill_of(luma)));
        s.draw_path(&path);
    }
}

/// The QR code of `url` as vector squares, one rectangle per horizontal run of dark modules.
fn draw_qr(s: &mut Surface, code: &QrCode, x: f32, y: f32, size: f32) {
    let n = code.width();
    let module = size / n as f32;
    let colors = code.to_colors();
    let mut pb = PathBuilder::new();
    for row in 0..n {
        let mut col = 0;
        while col < n {
            if colors[row * n + col] == qrcode::Color::Dark {
                let start = col;
                while col < n && colors[row * n + col] == qrcode::Color::Dark {
                    col += 1;
                }
                let (rx, ry) = (x + start as f32 * module, y + row as f32 * module);
                if let Some(r) = Rect::from_xywh(rx, ry, (col - start) as f32 * module, module) {
                    pb.push_rect(r);
                }
            } else {
                col += 1;
            }
        }
    }
    if let Some(path) = pb.finish() {
        s.set_fill(Some(fill_of(INK)));
        s.draw_path(&path);
    }
}

/// Moscow time, in which the documents state when they were made.
pub const MSK_OFFSET_HOURS: i8 = 3;

/// «22.11.2026 в 10:23 МСК».
pub fn moscow_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::from_hms(MSK_OFFSET_HOURS, 0, 0).expect("a valid offset"));
    format!("{:02}.{:02}.{} в {:02}:{:02} МСК", t.day(), u8::from(t.month()), t.year(), t.hour(), t.minute())
}

/// Footer lines and their sizes, laid out once for every page.
struct Footer {
    lines: Vec<(String, Style)>,
}

impl Footer {
    fn new(faces: &Faces, stamp: &Stamp, text_w: f32) -> Footer {
        let mut lines = Vec::new();
        let check = format!("Проверить документ: {}", stamp.url);
        if faces.width(&check, SMALL, false) <= text_w {
            lines.push((check, Style::regular(SMALL)));
        } else {
            lines.push(("Проверить документ:".to_owned(), Style::regular(SMALL)));
            for l in faces.wrap(stamp.url, SMALL, false, text_w) {
                lines.push((l, Style::regular(SMALL)));
            }
        }
        lines.push((format!("Код проверки: {}", stamp.code), Style::bold(9.5)));
        let note = format!(
            "Сформирован {} в личном кабинете клиента. По ссылке, QR-коду или коду на сайте организации \
             можно убедиться, что документ выдан ею и не изменён.",
            moscow_time(stamp.issued_at)
        );
        for l in faces.wrap(&note, 7.0, false, text_w) {
            lines.push((l, Style::regular(7.0).muted()));
        }
        Footer { lines }
    }
}

/// A UTC instant as PDF metadata takes it.
fn pdf_time(t: OffsetDateTime) -> DateTime {
    DateTime::new(t.year() as u16)
        .month(t.month().into())
        .day(t.day())
        .hour(t.hour())
        .minute(t.minute())
        .second(t.second())
        .utc_offset_hour(0)
}

/// Draws a laid-out page's text and boxes.
fn draw_ops(s: &mut Surface, faces: &Faces, ops: &[Op]) {
    for op in ops {
        match op {
            Op::Text { x, y, style, text } => draw_text(s, faces, *x, *y, *style, text),
            Op::Box { x, y, w, h, luma } => draw_box(s, *x, *y, *w, *h, *luma),
        }
    }
}

pub fn render(spec: &DocSpec, stamp: &Stamp) -> Result<Vec<u8>, RenderError> {
    let faces = &*FACES;
    let pages = layout(spec, faces);
    let qr = QrCode::with_error_correction_level(stamp.url.as_bytes(), EcLevel::M)
        .map_err(|e| RenderError(format!("QR code: {e}")))?;
    let page_no_w = faces.width("Стр. 888 из 888", SMALL, false);
    let text_x = LEFT + QR_SIZE + 10.0;
    let footer = Footer::new(faces, stamp, RIGHT - text_x - page_no_w - 12.0);

    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A2_U)
        .finish()
        .map_err(|e| RenderError(format!("{e:?}")))?;
    let mut doc = Document::new_with(SerializeSettings { configuration, ..Default::default() });
    let t = stamp.issued_at.to_offset(time::UtcOffset::UTC);
    doc.set_metadata(
        Metadata::new()
            .title(spec.title.clone())
            .authors(vec![spec.org.legal_name.clone()])
            .creator("kabinet".to_owned())
            .language("ru".to_owned())
            .creation_date(pdf_time(t)),
    );

    let total = pages.len();
    for (i, ops) in pages.iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| RenderError("page size".into()))?;
        let mut page = doc.start_page_with(settings);
        let mut s = page.surface();
        draw_ops(&mut s, faces, ops);
        // Footer: the rule, the QR code, the link and code beside it, the page number.
        draw_box(&mut s, LEFT, FOOTER_RULE - 0.25, WIDTH, 0.5, LINE);
        draw_qr(&mut s, &qr, LEFT, QR_TOP, QR_SIZE);
        let mut y = QR_TOP + 2.0;
        for (text, style) in &footer.lines {
            draw_text(&mut s, faces, text_x, baseline(y, style.size, 1.3), *style, text);
            y += style.size * 1.3 + if style.bold { 2.0 } else { 0.0 };
        }
        let page_no = format!("Стр. {} из {}", i + 1, total);
        let pw = faces.width(&page_no, SMALL, false);
        let y = baseline(QR_TOP + 2.0, SMALL, 1.3);
        draw_text(&mut s, faces, RIGHT - pw, y, Style::regular(SMALL).muted(), &page_no);
        s.finish();
        // The QR code and the link line open the verify page when clicked in a viewer.
        let first_line_w = faces.width(&footer.lines[0].0, SMALL, false);
        for (x, y, w, h) in [(LEFT, QR_TOP, QR_SIZE, QR_SIZE), (text_x, QR_TOP + 2.0, first_line_w, SMALL * 1.3)] {
            if let Some(rect) = Rect::from_xywh(x, y, w, h) {
                let target = Target::Action(Action::Link(LinkAction::new(stamp.url.to_owned())));
                page.add_annotation(Annotation::new_link(
                    LinkAnnotation::new(rect, target),
                    Some("Проверить документ".to_owned()),
                ));
            }
        }
        page.finish();
    }
    doc.finish().map_err(|e| RenderError(format!("{e:?}")))
}

// ---------------------------------------------------------------------------------------
// A sheet: one page added to a document rather than a document of its own

/// A single framed page, meant to be appended to an issued document (the signature stamp):
/// a heading, label–value lines and a QR code with lines beside it. It has no organisation
/// header and no «Стр. N из M» footer, because it joins a document that has both.
pub(crate) struct Sheet<'a> {
    pub heading: &'a str,
    pub fields: &'a [(String, String)],
    pub qr_url: &'a str,
    /// Beside the QR code; a `true` flag sets the line in bold.
    pub qr_lines: &'a [(String, bool)],
    /// The sheet file's own metadata; a reader that appends the page keeps none of it.
    pub made_at: OffsetDateTime,
}

/// The sheet's QR code is larger than a footer's: it is the way to the verify page.
const SHEET_QR: f32 = 30.0 * MM;
/// The frame stands this far outside the text.
const SHEET_PAD: f32 = 8.0;

/// Renders a [`Sheet`] as a one-page PDF/A-2u file with the same fonts as the documents, so
/// its text extracts the same way. Untagged: the page is lifted out of this file on its own,
/// and a structure tree could not come along with it.
pub(crate) fn render_sheet(sheet: &Sheet) -> Result<Vec<u8>, RenderError> {
    let faces = &*FACES;
    let qr = QrCode::with_error_correction_level(sheet.qr_url.as_bytes(), EcLevel::M)
        .map_err(|e| RenderError(format!("QR code: {e}")))?;

    let mut l = Layouter::new(faces);
    l.y = TOP + SHEET_PAD;
    l.title(sheet.heading);
    l.meta(sheet.fields);
    let qr_top = l.y;
    let text_x = LEFT + SHEET_QR + 12.0;
    let text_w = RIGHT - text_x;
    let mut y = qr_top + 2.0;
    let mut link_line = None;
    for (text, bold) in sheet.qr_lines {
        let style = if *bold { Style::bold(BODY) } else { Style::regular(SMALL) };
        for line in faces.wrap(text, style.size, style.bold, text_w) {
            let lh = style.size * 1.35;
            if link_line.is_none() && line.contains(sheet.qr_url) {
                link_line = Some((y, faces.width(&line, style.size, style.bold), lh));
            }
            l.text(text_x, baseline(y, style.size, 1.35), style, &line);
            y += lh;
        }
        y += 2.0;
    }
    let bottom = (qr_top + SHEET_QR).max(y) + SHEET_PAD;
    let (x0, x1, y0) = (LEFT - SHEET_PAD, RIGHT + SHEET_PAD, TOP);
    l.hrule(x0, y0, x1 - x0, 0.8, INK);
    l.hrule(x0, bottom, x1 - x0, 0.8, INK);
    l.vrule(x0, y0, bottom - y0, 0.8, INK);
    l.vrule(x1, y0, bottom - y0, 0.8, INK);
    if l.pages.len() != 1 {
        return Err(RenderError("the sheet does not fit on one page".into()));
    }

    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A2_U)
        .finish()
        .map_err(|e| RenderError(format!("{e:?}")))?;
    let mut doc =
        Document::new_with(SerializeSettings { configuration, enable_tagging: false, ..Default::default() });
    let t = sheet.made_at.to_offset(time::UtcOffset::UTC);
    doc.set_metadata(
        Metadata::new()
            .title(sheet.heading.to_owned())
            .creator("kabinet".to_owned())
            .language("ru".to_owned())
            .creation_date(pdf_time(t)),
    );
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| RenderError("page size".into()))?;
    let mut page = doc.start_page_with(settings);
    let mut s = page.surface();
    draw_ops(&mut s, faces, &l.pages[0]);
    draw_qr(&mut s, &qr, LEFT, qr_top, SHEET_QR);
    s.finish();
    let mut links = vec![(LEFT, qr_top, SHEET_QR, SHEET_QR)];
    links.extend(link_line.map(|(y, w, h)| (text_x, y, w, h)));
    for (x, y, w, h) in links {
        if let Some(rect) = Rect::from_xywh(x, y, w, h) {
            let target = Target::Action(Action::Link(LinkAction::new(sheet.qr_url.to_owned())));
            page.add_annotation(Annotation::new_link(LinkAnnotation::new(rect, target), Some("Проверить подпись".to_owned())));
        }
    }
    page.finish();
    doc.finish().map_err(|e| RenderError(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use kabinet_api::cabinet::{format_rub, ContractStatus, DocumentKind, DocumentQuery, LoanOperationKind};

    use super::*;
    use crate::documents::fixtures::*;
    use crate::documents::{build, Subject};

    const CODE: &str = "7K3M-Q9TX-2H4P";
    const URL: &str = "https://lk.company.ru/verify/7K3M-Q9TX-2H4P";

    fn stamp() -> Stamp<'static> {
        Stamp { code: CODE, url: URL, issued_at: OffsetDateTime::from_unix_timestamp(1_795_000_000).unwrap() }
    }

    fn query(from: Option<&str>, to: Option<&str>, year: Option<i32>) -> DocumentQuery {
        DocumentQuery { from: from.map(str::to_owned), to: to.map(str::to_owned), year }
    }

    /// Line breaks in extracted text become spaces, so wrapped titles and sentences compare
    /// whole; no-break spaces inside amounts stay as they are.
    fn flat(s: &str) -> String {
        s.split([' ', '\n']).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
    }

    /// Each document with the figures its text must show, taken from the DTOs.
    fn cases() -> Vec<(&'static str, DocSpec, Vec<String>)> {
        let (o, h) = (org(), holder());
        let active = loan(ContractStatus::Overdue);
        let closed = loan(ContractStatus::Closed);
        let s = saving();
        let mut out = Vec::new();

        let spec = build(DocumentKind::Schedule, Subject::Loan(&active), &query(None, None, None), &o, &h).unwrap();
        let mut want: Vec<String> = active
            .schedule
            .iter()
            .flat_map(|i| [i.principal, i.interest, i.total, i.balance_after].map(format_rub))
            .collect();
        want.push(format_rub(active.schedule.iter().map(|i| i.interest).sum()));
        want.push(format_rub(active.schedule.iter().map(|i| i.total).sum()));
        want.extend(["График платежей".into(), "Просрочен".into(), "Оплачен 15.10.2026".into()]);
        out.push(("loan-schedule", spec, want));

        let spec = build(DocumentKind::Act, Subject::Loan(&active), &query(None, None, None), &o, &h).unwrap();
        let debit: i64 = active.operations.iter().filter(|op| op.kind.is_debit()).map(|op| op.amount).sum();
        let credit: i64 = active.operations.iter().filter(|op| !op.kind.is_debit()).map(|op| op.amount).sum();
        let want = vec![
            "Акт сверки взаимных расчётов".into(),
            "Сальдо на 15.01.2025".into(),
            format_rub(30_000_000),
            format_rub(debit),
            format_rub(credit),
            format_rub(debit - credit),
            "Начислена неустойка за просрочку".into(),
            format!("задолженность заёмщика по договору составляет {}\u{a0}руб.", format_rub(debit - credit)),
        ];
        out.push(("loan-act", spec, want));

        // Half a year inside the contract: the opening balance is what was owed on 01.01.2026.
        let (from, to) = (time::macros::date!(2026 - 01 - 01), time::macros::date!(2026 - 06 - 30));
        let signed = |op: &kabinet_api::cabinet::LoanOperation| if op.kind.is_debit() { op.amount } else { -op.amount };
        let day = |op: &kabinet_api::cabinet::LoanOperation| crate::documents::parse_day(&op.date).unwrap();
        let opening: i64 = active.operations.iter().filter(|op| day(op) < from).map(signed).sum();
        let closing: i64 = active.operations.iter().filter(|op| day(op) <= to).map(signed).sum();
        let spec =
            build(DocumentKind::Act, Subject::Loan(&active), &query(Some("2026-01-01"), Some("2026-06-30"), None), &o, &h)
                .unwrap();
        let want = vec!["Сальдо на 01.01.2026".into(), format_rub(opening), "Сальдо на 30.06.2026".into(), format_rub(closing)];
        out.push(("loan-act-half-year", spec, want));

        let spec = build(DocumentKind::DebtCertificate, Subject::Loan(&active), &query(None, None, None), &o, &h).unwrap();
        let sm = &active.summary;
        let mut want: Vec<String> = [sm.principal_balance, sm.overdue_amount, sm.penalty, sm.accrued_interest, sm.payoff_amount]
            .map(format_rub)
            .into();
        want.extend(["Справка о текущей задолженности".into(), "просрочка 7 дн.".into(), "Иванова Мария Петровна".into()]);
        want.push(format_rub(sm.next_payment.as_ref().unwrap().amount));
        out.push(("loan-debt-certificate", spec, want));

        let spec = build(DocumentKind::NoDebtCertificate, Subject::Loan(&closed), &query(None, None, None), &o, &h).unwrap();
        let want = vec![
            "Справка об отсутствии задолженности".into(),
            "исполнены в полном объёме 30.10.2026".into(),
            format!("{}\u{a0}руб.", format_rub(30_000_000)),
        ];
        out.push(("loan-no-debt-certificate", spec, want));

        let spec =
            build(DocumentKind::InterestPaidCertificate, Subject::Loan(&active), &query(None, None, Some(2025)), &o, &h)
                .unwrap();
        let paid_2025: Vec<_> = active
            .operations
            .iter()
            .filter(|op| op.kind == LoanOperationKind::Payment && op.date.starts_with("2025"))
            .collect();
        assert_eq!(paid_2025.len(), 11);
        let mut want: Vec<String> = paid_2025.iter().map(|op| format_rub(op.interest)).collect();
        let total: i64 = paid_2025.iter().map(|op| op.interest).sum();
        want.push(format!("уплачены проценты за пользование займом в сумме {}\u{a0}руб.", format_rub(total)));
        want.push("Справка об уплаченных процентах за 2025 год".into());
        out.push(("loan-interest-paid-2025", spec, want));

        let spec = build(DocumentKind::Schedule, Subject::Savings(&s), &query(None, None, None), &o, &h).unwrap();
        let mut want: Vec<String> = s.schedule.iter().flat_map(|p| [p.balance, p.interest].map(format_rub)).collect();
        want.push(format_rub(s.schedule.iter().map(|p| p.interest).sum()));
        want.extend(["График начисления процентов".into(), "Прогноз".into(), "Начислено".into()]);
        out.push(("savings-schedule", spec, want));

        let spec =
            build(DocumentKind::Act, Subject::Savings(&s), &query(Some("2025-06-01"), Some("2026-02-28"), None), &o, &h)
                .unwrap();
        let before: i64 = s.operations.iter().filter(|op| op.date.as_str() < "2025-06-01").map(|op| op.amount).sum();
        let after: i64 = s.operations.iter().filter(|op| op.date.as_str() <= "2026-02-28").map(|op| op.amount).sum();
        let want = vec![
            format_rub(before),
            format_rub(after),
            format_rub(5_000_000),
            format_rub(2_000_000),
            format!("задолженность организации перед пайщиком по договору составляет {}\u{a0}руб.", format_rub(after)),
        ];
        out.push(("savings-act", spec, want));

        let spec =
            build(DocumentKind::InterestIncomeCertificate, Subject::Savings(&s), &query(None, None, Some(2025)), &o, &h)
                .unwrap();
        let income: i64 = s
            .operations
            .iter()
            .filter(|op| op.date.starts_with("2025") && op.kind == kabinet_api::cabinet::SavingsOperationKind::InterestCapitalised)
            .map(|op| op.amount)
            .sum();
        let want = vec![
            "Справка о доходах в виде процентов за 2025 год".into(),
            format!("доход в виде процентов за 2025 год составил {}\u{a0}руб.", format_rub(income)),
        ];
        out.push(("savings-interest-income-2025", spec, want));
        out
    }

    #[test]
    fn every_kind_renders_with_its_figures_and_the_footer() {
        for (name, spec, want) in cases() {
            let bytes = render(&spec, &stamp()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(bytes.starts_with(b"%PDF-"), "{name}");
            let pages = pdf_pages(&bytes);
            let text = flat(&pages.join("\n"));
            let o = org();
            let number = if name.starts_with("loan") { LOAN_NUMBER } else { SAVINGS_NUMBER };
            assert!(text.contains(&flat(&spec.title)), "{name}: title {:?} missing", spec.title);
            assert!(spec.title.contains(number), "{name}: the title names the contract");
            for s in [number, o.legal_name.as_str(), &format!("ИНН {}", o.inn), &format!("ОГРН {}", o.ogrn)] {
                assert!(text.contains(s), "{name}: {s:?} missing");
            }
            for s in &want {
                assert!(text.contains(&flat(s)), "{name}: {s:?} missing");
            }
            let n = pages.len();
            for (i, page) in pages.iter().enumerate() {
                let page = flat(page);
                assert!(page.contains(&format!("Проверить документ: {URL}")), "{name}: footer link on page {}", i + 1);
                assert!(page.contains(&format!("Код проверки: {CODE}")), "{name}: code on page {}", i + 1);
                assert!(page.contains(&format!("Стр. {} из {n}", i + 1)), "{name}: page number on page {}", i + 1);
            }
        }
    }

    #[test]
    fn long_tables_repeat_their_headers_on_every_page() {
        let (o, h) = (org(), holder());
        // The whole loan's act: 45 operations, the payments on two lines each.
        let l = loan(ContractStatus::Overdue);
        let act = build(DocumentKind::Act, Subject::Loan(&l), &query(None, None, None), &o, &h).unwrap();
        // A 60-month schedule: a 24-month one fits on the first page.
        let mut long = loan(ContractStatus::Active);
        let mut more = long.schedule.clone();
        for k in 1..=2u32 {
            more.extend(long.schedule.iter().map(|i| kabinet_api::cabinet::Installment { n: i.n + 24 * k, ..i.clone() }));
        }
        more.truncate(60);
        long.schedule = more;
        let schedule = build(DocumentKind::Schedule, Subject::Loan(&long), &query(None, None, None), &o, &h).unwrap();
        for (spec, header, first, last) in [
            (act, "Содержание операции", "Сальдо на 15.01.2025", "Сальдо на 22.11.2026 (конец дня)"),
            (schedule, "Дата платежа", "15.02.2025", "Итого"),
        ] {
            let pages = pdf_pages(&render(&spec, &stamp()).unwrap());
            assert!(pages.len() >= 2, "{}: {} page(s)", spec.title, pages.len());
            assert_eq!(pages.len(), page_count(&spec));
            let table_pages = pages.iter().filter(|p| p.contains(header)).count();
            assert!(table_pages >= 2, "{}: the header is on {table_pages} page(s)", spec.title);
            assert!(pages[0].contains(first), "{}", spec.title);
            assert!(pages.iter().any(|p| p.contains(last)), "{}", spec.title);
            // A page the table continues on starts with the header row, before any other text.
            for ops in layout(&spec, &FACES).iter().skip(1) {
                let texts: Vec<_> = ops.iter().filter(|op| matches!(op, Op::Text { .. })).collect();
                if texts.iter().any(|op| matches!(op, Op::Text { text, .. } if text == header)) {
                    let first_is_header = matches!(texts[0], Op::Text { style, .. } if *style == Style::bold(HEAD_CELL));
                    assert!(first_is_header, "{}: a continued page starts with {:?}", spec.title, texts[0]);
                }
            }
        }
    }

    #[test]
    fn everything_stays_inside_the_page() {
        for (name, spec, _) in cases() {
            for (i, ops) in layout(&spec, &FACES).iter().enumerate() {
                for op in ops {
                    let (x0, x1, y0, y1) = match op {
                        Op::Text { x, y, style, text } => {
                            let w = FACES.width(text, style.size, style.bold);
                            (*x, x + w, y - style.size * 0.75, y + style.size * 0.25)
                        }
                        Op::Box { x, y, w, h, .. } => (*x, x + w, *y, y + h),
                    };
                    assert!(x0 >= LEFT - 0.5 && x1 <= RIGHT + 0.5, "{name} p{}: {op:?} crosses a side margin", i + 1);
                    assert!(y0 >= TOP - 1.0 && y1 <= CONTENT_BOTTOM + 1.0, "{name} p{}: {op:?} leaves the body", i + 1);
                }
            }
        }
    }

    #[test]
    fn characters_the_font_lacks_are_replaced_not_dropped() {
        let mut l = loan(ContractStatus::Overdue);
        l.operations[1].description = "Оплата 💳 через 支付 терминал".into();
        let spec = build(DocumentKind::Act, Subject::Loan(&l), &query(None, None, None), &org(), &holder()).unwrap();
        // PDF/A refuses the .notdef glyph, so this would fail to render if one slipped in.
        let text = pdf_pages(&render(&spec, &stamp()).unwrap()).join("\n");
        assert!(text.contains("Оплата ? через ?? терминал"), "{text}");
    }

    /// `KABINET_DOC_SAMPLES=dir cargo test -p kabinet-shim --lib documents::pdf` writes every
    /// document to `dir` to look at.
    #[test]
    fn samples() {
        let Some(dir) = std::env::var_os("KABINET_DOC_SAMPLES") else { return };
        std::fs::create_dir_all(&dir).unwrap();
        for (name, spec, _) in cases() {
            let bytes = render(&spec, &stamp()).unwrap();
            println!("{name}: {} bytes, {} page(s)", bytes.len(), page_count(&spec));
            std::fs::write(std::path::Path::new(&dir).join(format!("{name}.pdf")), bytes).unwrap();
        }
    }
}
