//! A document as plain data: what the builders produce and the PDF renderer lays out, so the
//! figures can be checked without reading a PDF and the layout without any figures.

use kabinet_api::cabinet::DocumentKind;

use crate::org::OrgSettings;

/// One document ready to render: everything but its verification code and issue time, which
/// only issuing knows.
#[derive(Debug, Clone, PartialEq)]
pub struct DocSpec {
    pub kind: DocumentKind,
    /// The heading of the document; stored with the issued copy and shown on the verify page,
    /// so it names the contract but never the client.
    pub title: String,
    /// File name without `.pdf`, ASCII only (browsers and mail clients mangle the rest).
    pub file_stem: String,
    pub org: OrgHeader,
    pub blocks: Vec<Block>,
}

/// The organisation's details printed at the top of the first page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgHeader {
    pub name: String,
    pub legal_name: String,
    pub inn: String,
    pub ogrn: String,
    pub address: String,
    pub phone: String,
}

impl OrgHeader {
    pub fn from_settings(org: &OrgSettings) -> Self {
        OrgHeader {
            name: org.name.clone(),
            legal_name: org.legal_name.clone(),
            inn: org.inn.clone(),
            ogrn: org.ogrn.clone(),
            address: org.address.clone(),
            phone: org.phone.clone(),
        }
    }
}

/// The parts a document is made of, in reading order.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// Label–value lines under the title: the client, the contract, the dates.
    Meta(Vec<(String, String)>),
    /// A section heading; kept on the same page as what follows it.
    Heading(String),
    Paragraph(String),
    Table(Table),
    /// Signature places side by side, one per party, each under its caption.
    Signatures(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub header: String,
    /// Share of the table's width, relative to the other columns.
    pub width: f32,
    pub align: Align,
}

impl Column {
    pub fn left(header: &str, width: f32) -> Self {
        Column { header: header.to_owned(), width, align: Align::Left }
    }
    pub fn center(header: &str, width: f32) -> Self {
        Column { header: header.to_owned(), width, align: Align::Center }
    }
    /// Money and other figures: right-aligned so the digits line up.
    pub fn right(header: &str, width: f32) -> Self {
        Column { header: header.to_owned(), width, align: Align::Right }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub cells: Vec<String>,
    pub style: RowStyle,
}

impl Row {
    pub fn new(cells: Vec<String>) -> Self {
        Row { cells, style: RowStyle::Normal }
    }
    /// Bold: opening and closing balances.
    pub fn emphasis(cells: Vec<String>) -> Self {
        Row { cells, style: RowStyle::Emphasis }
    }
    /// Bold on a shaded background: the totals.
    pub fn total(cells: Vec<String>) -> Self {
        Row { cells, style: RowStyle::Total }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowStyle {
    Normal,
    Emphasis,
    Total,
}

impl DocSpec {
    /// Every piece of text the document will print (bar the footer), for tests that check a
    /// figure made it into the spec before looking at the PDF.
    pub fn texts(&self) -> Vec<&str> {
        let mut out = vec![self.title.as_str(), &self.org.legal_name, &self.org.inn, &self.org.ogrn];
        for b in &self.blocks {
            match b {
                Block::Meta(lines) => lines.iter().for_each(|(l, v)| out.extend([l.as_str(), v.as_str()])),
                Block::Heading(t) | Block::Paragraph(t) => out.push(t),
                Block::Table(t) => {
                    out.extend(t.columns.iter().map(|c| c.header.as_str()));
                    out.extend(t.rows.iter().flat_map(|r| r.cells.iter().map(String::as_str)));
                }
                Block::Signatures(s) => out.extend(s.iter().map(String::as_str)),
            }
        }
        out
    }
}
