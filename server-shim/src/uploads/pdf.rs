//! What the inspector reads from a PDF's raw bytes before lopdf parses it: where text can live
//! (for the marker scan), and whether the streams lopdf decodes eagerly while loading (object
//! streams and cross-reference streams) stay within a memory budget for the whole file.
//!
//! lopdf caps each stream's decompressed size, but not the file's: it decodes every object
//! stream and clones each object its index names, and an index may name many objects at one
//! offset. So every `/ObjStm` and `/XRef` stream dictionary written anywhere in the file is
//! found, decoded here under a per-file budget and its index checked, before lopdf sees it.

use std::collections::BTreeMap;
use std::ops::Range;

use kabinet_api::ErrorCode;
use lopdf::{DecompressError, Dictionary, Error as PdfError, Object, Stream, StringFormat};

/// Per-stream ceiling for decompression, here and in lopdf's load.
pub(super) const MAX_STREAM_DECODED: usize = 16 * 1024 * 1024;
/// Ceiling for everything decompressed while checking one file.
pub(super) const MAX_TOTAL_DECODED: usize = 64 * 1024 * 1024;
/// Object and cross-reference streams in one file.
pub(super) const MAX_EAGER_STREAMS: usize = 1000;
/// Objects in all object streams of one file (the sum of their `/N`).
pub(super) const MAX_PACKED_OBJECTS: u64 = 200_000;
/// PDF tokens (numbers, names, strings, brackets) in all object streams of one file: lopdf
/// spends an `Object` (about a hundred bytes) on each, so this bounds what loading allocates.
pub(super) const MAX_PACKED_TOKENS: u64 = 2_000_000;
/// PDF tokens outside stream bodies (the file's own objects): lopdf spends an `Object` on each
/// of these too, so a file of ten megabytes of `0 0 0 …` would cost hundreds of megabytes
/// (a real document of that size has a few hundred thousand).
pub(super) const MAX_PLAIN_TOKENS: u64 = 2_000_000;
/// lopdf refuses objects nested deeper than this.
const MAX_DEPTH: usize = 100;

fn is_space(c: u8) -> bool {
    matches!(c, 0 | b'\t' | b'\n' | 0x0C | b'\r' | b' ')
}

fn is_delimiter(c: u8) -> bool {
    b"()<>[]{}/%".contains(&c)
}

fn is_regular(c: u8) -> bool {
    !is_space(c) && !is_delimiter(c)
}

fn hex_value(c: u8) -> Option<u8> {
    (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

#[derive(Debug, PartialEq)]
enum Tok<'a> {
    /// A name with its `#xx` escapes decoded.
    Name(Vec<u8>),
    /// A run of regular characters: a number or a keyword.
    Word(&'a [u8]),
    Str,
    Hex,
    DictOpen,
    DictClose,
    ArrOpen,
    ArrClose,
    /// `)`, `{`, `}` or a lone `>`: never part of a well-formed object.
    Stray,
}

/// A PDF tokenizer over untrusted bytes: no indexing, only `get`.
struct Lexer<'a> {
    b: &'a [u8],
    i: usize,
    /// Refuse comments: see [`check_eager_stream`].
    no_comments: bool,
}

impl<'a> Lexer<'a> {
    fn new(b: &'a [u8], i: usize) -> Self {
        Lexer { b, i, no_comments: false }
    }

    fn skip_space(&mut self) -> Result<(), ()> {
        loop {
            match self.b.get(self.i) {
                Some(&c) if is_space(c) => self.i += 1,
                Some(b'%') if self.no_comments => return Err(()),
                Some(b'%') => {
                    while self.b.get(self.i).is_some_and(|&c| c != b'\r' && c != b'\n') {
                        self.i += 1;
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// The next token, `None` at the end; `Err` for an unterminated string.
    fn next(&mut self) -> Result<Option<Tok<'a>>, ()> {
        self.skip_space()?;
        let start = self.i;
        let Some(&c) = self.b.get(start) else { return Ok(None) };
        self.i += 1;
        let tok = match c {
            b'/' => {
                let mut name = Vec::new();
                while let Some(&c) = self.b.get(self.i) {
                    if !is_regular(c) {
                        break;
                    }
                    let escaped = match (c, self.b.get(self.i + 1), self.b.get(self.i + 2)) {
                        (b'#', Some(&h), Some(&l)) => hex_value(h).zip(hex_value(l)).map(|(h, l)| h << 4 | l),
                        _ => None,
                    };
                    match escaped {
                        Some(v) => {
                            name.push(v);
                            self.i += 3;
                        }
                        None => {
                            name.push(c);
                            self.i += 1;
                        }
                    }
                }
                Tok::Name(name)
            }
            b'(' => {
                let mut depth = 1usize;
                loop {
                    let c = *self.b.get(self.i).ok_or(())?;
                    self.i += 1;
                    match c {
                        b'\\' => self.i += 1,
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                Tok::Str
            }
            b'<' if self.b.get(self.i) == Some(&b'<') => {
                self.i += 1;
                Tok::DictOpen
            }
            b'<' => {
                let close = self.b.get(self.i..).and_then(|rest| rest.iter().position(|&c| c == b'>')).ok_or(())?;
                self.i += close + 1;
                Tok::Hex
            }
            b'>' if self.b.get(self.i) == Some(&b'>') => {
                self.i += 1;
                Tok::DictClose
            }
            b'[' => Tok::ArrOpen,
            b']' => Tok::ArrClose,
            c if is_regular(c) => {
                while self.b.get(self.i).is_some_and(|&c| is_regular(c)) {
                    self.i += 1;
                }
                Tok::Word(self.b.get(start..self.i).unwrap_or_default())
            }
            _ => Tok::Stray,
        };
        Ok(Some(tok))
    }
}

/// Skips one direct object, adding its tokens to `tokens`. `Err` if it is malformed, nested
/// deeper than lopdf reads, or does not end within the lexer's bytes.
fn skip_object(lx: &mut Lexer, tokens: &mut u64) -> Result<(), ()> {
    // true for a dictionary, false for an array: an explicit stack, as the nesting is untrusted.
    let mut open: Vec<bool> = Vec::new();
    loop {
        let tok = lx.next()?.ok_or(())?;
        *tokens += 1;
        match tok {
            Tok::DictOpen => open.push(true),
            Tok::ArrOpen => open.push(false),
            Tok::DictClose if open.pop() == Some(true) => {}
            Tok::ArrClose if open.pop() == Some(false) => {}
            Tok::DictClose | Tok::ArrClose | Tok::Stray => return Err(()),
            Tok::Name(_) | Tok::Word(_) | Tok::Str | Tok::Hex => {}
        }
        if open.len() > MAX_DEPTH {
            return Err(());
        }
        if open.is_empty() {
            return Ok(());
        }
    }
}

/// Parses one direct object into a lopdf object (strings come back empty: only the stream
/// dictionary's numbers and names are read).
fn parse_object(lx: &mut Lexer, tok: Tok, depth: usize) -> Result<Object, ()> {
    if depth > MAX_DEPTH {
        return Err(());
    }
    match tok {
        Tok::Name(n) => Ok(Object::Name(n)),
        Tok::Word(w) => parse_word(lx, w),
        Tok::Str | Tok::Hex => Ok(Object::String(Vec::new(), StringFormat::Literal)),
        Tok::ArrOpen => {
            let mut items = Vec::new();
            loop {
                match lx.next()?.ok_or(())? {
                    Tok::ArrClose => return Ok(Object::Array(items)),
                    t => items.push(parse_object(lx, t, depth + 1)?),
                }
            }
        }
        Tok::DictOpen => {
            let mut dict = Dictionary::new();
            loop {
                match lx.next()?.ok_or(())? {
                    Tok::DictClose => return Ok(Object::Dictionary(dict)),
                    Tok::Name(key) => {
                        let t = lx.next()?.ok_or(())?;
                        dict.set(key, parse_object(lx, t, depth + 1)?);
                    }
                    _ => return Err(()),
                }
            }
        }
        Tok::DictClose | Tok::ArrClose | Tok::Stray => Err(()),
    }
}

/// A number, `true`, `false`, `null`, or the start of a reference `n g R`. Any other keyword
/// is an error, so a parse started inside a string cannot pass words through.
fn parse_word(lx: &mut Lexer, w: &[u8]) -> Result<Object, ()> {
    let text = std::str::from_utf8(w).map_err(|_| ())?;
    match text {
        "true" => return Ok(Object::Boolean(true)),
        "false" => return Ok(Object::Boolean(false)),
        "null" => return Ok(Object::Null),
        _ => {}
    }
    if let Ok(n) = text.parse::<i64>() {
        let save = lx.i;
        if let (Ok(num), Ok(Some(Tok::Word(g)))) = (u32::try_from(n), lx.next()) {
            let generation = std::str::from_utf8(g).ok().and_then(|g| g.parse::<u16>().ok());
            if let (Some(generation), Ok(Some(Tok::Word(b"R")))) = (generation, lx.next()) {
                return Ok(Object::Reference((num, generation)));
            }
        }
        lx.i = save;
        return Ok(Object::Integer(n));
    }
    text.parse::<f32>().map(Object::Real).map_err(|_| ())
}

/// The parts of the file outside stream bodies: header, object dictionaries, cross-reference
/// tables, trailers and whatever follows `%%EOF`. A body runs from the end of line after a
/// `stream` keyword that follows a dictionary to the next `endstream`; without one, the
/// keyword is taken as text.
pub(super) fn text_ranges(b: &[u8]) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut lx = Lexer::new(b, 0);
    let mut text_from = 0;
    let mut after_dict = false;
    loop {
        let start = lx.i;
        let tok = match lx.next() {
            Ok(Some(t)) => t,
            Ok(None) => break,
            // An unterminated string or hex string: step over its opening byte.
            Err(()) => {
                lx.i = start + 1;
                after_dict = false;
                continue;
            }
        };
        if after_dict && tok == Tok::Word(b"stream") {
            let body = eol_after(b, lx.i);
            if let Some(end) = find(b, body, b"endstream") {
                ranges.push(text_from..body);
                text_from = end;
                lx.i = end + b"endstream".len();
            }
        }
        after_dict = tok == Tok::DictClose;
    }
    ranges.push(text_from..b.len());
    ranges
}

/// The offset after the end of line that follows `stream` at `i`, if there is one.
fn eol_after(b: &[u8], i: usize) -> usize {
    match (b.get(i), b.get(i + 1)) {
        (Some(b'\r'), Some(b'\n')) => i + 2,
        (Some(b'\r' | b'\n'), _) => i + 1,
        _ => i,
    }
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| from + p)
}

/// Every name in the file (`/` anywhere, escapes decoded) that `keep` accepts, with its offset.
fn names_where(b: &[u8], keep: impl Fn(&[u8]) -> bool) -> Vec<(usize, Vec<u8>)> {
    let mut out = Vec::new();
    for (i, _) in b.iter().enumerate().filter(|&(_, &c)| c == b'/') {
        let mut lx = Lexer::new(b, i);
        if let Ok(Some(Tok::Name(n))) = lx.next() {
            if keep(&n) {
                out.push((i, n));
            }
        }
    }
    out
}

/// Refuses what lopdf must not load: encrypted files (their objects are decrypted and object
/// streams expanded on a path that takes no limits of ours) and object or cross-reference
/// streams beyond the budgets above.
pub(super) fn check_eager_streams(b: &[u8]) -> Result<(), ErrorCode> {
    check_eager_streams_within(b, Budget::default())
}

/// [`check_eager_streams`] with part of the budget already spent.
pub(super) fn check_eager_streams_within(b: &[u8], mut budget: Budget) -> Result<(), ErrorCode> {
    let found = names_where(b, |n| matches!(n, b"ObjStm" | b"XRef" | b"Encrypt"));
    if found.iter().any(|(_, n)| n == b"Encrypt") {
        return Err(ErrorCode::FileUnsafe);
    }
    if found.len() > MAX_EAGER_STREAMS {
        return Err(ErrorCode::FileUnsafe);
    }
    // Ends of every `obj` keyword, sorted: a stream's dictionary follows its object's header.
    let obj_ends: Vec<usize> = b
        .windows(3)
        .enumerate()
        .filter(|&(i, w)| {
            w == b"obj"
                && (i == 0 || b.get(i - 1).is_some_and(|&c| is_space(c)))
                && b.get(i + 3).is_none_or(|&c| !is_regular(c))
        })
        .map(|(i, _)| i + 3)
        .collect();
    // Dictionaries already checked, by the end of their `obj` keyword: their span.
    let mut checked: BTreeMap<usize, Range<usize>> = BTreeMap::new();
    for (p, _) in found {
        let idx = obj_ends.partition_point(|&e| e < p);
        let obj_end = *idx.checked_sub(1).and_then(|i| obj_ends.get(i)).ok_or(ErrorCode::FileDamaged)?;
        if let Some(span) = checked.get(&obj_end) {
            if span.contains(&p) {
                continue;
            }
            return Err(ErrorCode::FileDamaged);
        }
        let span = check_eager_stream(b, obj_end, p, &mut budget)?;
        checked.insert(obj_end, span);
    }
    Ok(())
}

/// What the checks of one file have spent: bytes decompressed, objects and tokens listed.
#[derive(Default)]
pub(super) struct Budget {
    pub(super) decoded: usize,
    pub(super) objects: u64,
    pub(super) tokens: u64,
}

/// Checks the stream whose `/Type` name is at `p` and whose object header ends at `obj_end`;
/// returns the span of its dictionary.
///
/// The object is found by the nearest `obj` keyword before the name, so a header faked inside
/// a string or comment could be found instead of the real one. A parse from a fake header
/// only passes if it reads the same dictionary the real one does: the dictionary may hold no
/// comment (the one way to hide a `)` that ends an enclosing string), the line before the
/// keyword no `%`, only numbers, `true`, `false`, `null` and `R` as keywords, and it must
/// contain `p`. Real object and cross-reference stream dictionaries hold none of these.
fn check_eager_stream(b: &[u8], obj_end: usize, p: usize, budget: &mut Budget) -> Result<Range<usize>, ErrorCode> {
    let damaged = ErrorCode::FileDamaged;
    let unsafe_ = ErrorCode::FileUnsafe;
    let line_start = b.get(..obj_end).and_then(|h| h.iter().rposition(|&c| c == b'\r' || c == b'\n')).unwrap_or(0);
    if b.get(line_start..obj_end).is_none_or(|line| line.contains(&b'%')) {
        return Err(damaged);
    }
    let mut lx = Lexer { b, i: obj_end, no_comments: true };
    lx.skip_space().map_err(|()| damaged)?;
    let dict_start = lx.i;
    let Ok(Some(Tok::DictOpen)) = lx.next() else { return Err(damaged) };
    let Ok(Object::Dictionary(dict)) = parse_object(&mut lx, Tok::DictOpen, 0) else { return Err(damaged) };
    let span = dict_start..lx.i;
    if !span.contains(&p) || lx.next() != Ok(Some(Tok::Word(b"stream"))) {
        return Err(damaged);
    }
    let is_objstm = match dict.get(b"Type") {
        Ok(Object::Name(t)) if t == b"ObjStm" => true,
        Ok(Object::Name(t)) if t == b"XRef" => false,
        _ => return Err(damaged),
    };
    let body_start = eol_after(b, lx.i);
    let len = match dict.get(b"Length") {
        Ok(Object::Integer(n)) => usize::try_from(*n).map_err(|_| damaged)?,
        Ok(Object::Reference(id)) => indirect_length(b, *id).ok_or(damaged)?,
        _ => return Err(damaged),
    };
    let body_end = body_start.checked_add(len).ok_or(damaged)?;
    let body = b.get(body_start..body_end).ok_or(damaged)?;
    if !b.get(eol_after(b, body_end)..).is_some_and(|rest| rest.starts_with(b"endstream")) {
        return Err(damaged);
    }

    let room = MAX_TOTAL_DECODED.saturating_sub(budget.decoded).min(MAX_STREAM_DECODED);
    let content = match Stream::new(dict.clone(), body.to_vec()).get_plain_content_with_limit(room) {
        Ok(c) => c,
        Err(PdfError::Decompress(DecompressError::MemoryLimitExceeded { .. })) => return Err(unsafe_),
        Err(_) => return Err(damaged),
    };
    budget.decoded += content.len();
    if is_objstm {
        check_object_index(&dict, &content, budget)?;
    }
    Ok(span)
}

/// The value of `n g obj <integer> endobj`, if the file writes exactly one such object.
fn indirect_length(b: &[u8], (n, g): (u32, u16)) -> Option<usize> {
    let header = format!("{n} {g} obj");
    let mut found = None;
    let mut from = 0;
    while let Some(at) = find(b, from, header.as_bytes()) {
        from = at + header.len();
        if at > 0 && !b.get(at - 1).is_some_and(|&c| is_space(c)) {
            continue;
        }
        if found.is_some() {
            return None;
        }
        let mut lx = Lexer::new(b, from);
        let Ok(Some(Tok::Word(w))) = lx.next() else { return None };
        let value = std::str::from_utf8(w).ok()?.parse::<usize>().ok()?;
        if lx.next() != Ok(Some(Tok::Word(b"endobj"))) {
            return None;
        }
        found = Some(value);
    }
    found
}

/// An object stream's index must list `/N` objects at strictly increasing offsets (as the
/// standard requires), each object ending before the next begins: then lopdf, which parses
/// each listed object from its offset, parses every byte once and allocates in proportion.
pub(super) fn check_object_index(dict: &Dictionary, content: &[u8], budget: &mut Budget) -> Result<(), ErrorCode> {
    let damaged = ErrorCode::FileDamaged;
    let unsafe_ = ErrorCode::FileUnsafe;
    let int = |key: &[u8]| match dict.get(key) {
        Ok(Object::Integer(v)) => u64::try_from(*v).map_err(|_| damaged),
        _ => Err(damaged),
    };
    let n = int(b"N")?;
    let first = usize::try_from(int(b"First")?).map_err(|_| damaged)?;
    budget.objects = budget.objects.saturating_add(n);
    if budget.objects > MAX_PACKED_OBJECTS {
        return Err(unsafe_);
    }
    if content.is_empty() {
        return if n == 0 { Ok(()) } else { Err(damaged) };
    }
    let index = content.get(..first).ok_or(damaged)?;
    let index = std::str::from_utf8(index).map_err(|_| damaged)?;
    // lopdf's reading: a comment runs to the end of its line.
    let numbers = index
        .split(['\r', '\n'])
        .flat_map(|line| line.split('%').next().unwrap_or_default().split_whitespace())
        .map(|w| w.parse::<u32>().map_err(|_| damaged))
        .collect::<Result<Vec<u32>, _>>()?;
    if numbers.len() as u64 != n.saturating_mul(2) {
        return Err(unsafe_);
    }
    let offsets: Vec<usize> = numbers.chunks(2).filter_map(|pair| pair.get(1)).map(|&o| first.saturating_add(o as usize)).collect();
    for (k, &start) in offsets.iter().enumerate() {
        let end = match offsets.get(k + 1) {
            Some(&next) if next > start => next,
            Some(_) => return Err(unsafe_),
            None => content.len(),
        };
        let object = content.get(start..end).ok_or(unsafe_)?;
        let mut lx = Lexer::new(object, 0);
        skip_object(&mut lx, &mut budget.tokens).map_err(|()| unsafe_)?;
        if budget.tokens > MAX_PACKED_TOKENS {
            return Err(unsafe_);
        }
    }
    Ok(())
}

/// Whether the tokens outside stream bodies stay within [`MAX_PLAIN_TOKENS`]; counted with the
/// same lexer, bytes it cannot read counted one token each (they cost lopdf nothing more).
pub(super) fn plain_tokens_within(b: &[u8], ranges: &[Range<usize>]) -> bool {
    let mut tokens = 0u64;
    for r in ranges {
        let Some(part) = b.get(r.clone()) else { continue };
        let mut lx = Lexer::new(part, 0);
        loop {
            match lx.next() {
                Ok(Some(_)) => tokens += 1,
                Ok(None) => break,
                // Something the lexer refuses (an unclosed string): step over one byte.
                Err(()) => {
                    tokens += 1;
                    lx.i += 1;
                    if lx.i >= part.len() {
                        break;
                    }
                }
            }
            if tokens > MAX_PLAIN_TOKENS {
                return false;
            }
        }
    }
    true
}
