//! Templates of the documents the organisation sends a client to sign with a simple electronic
//! signature (ПЭП) by SMS code: the consent to a credit bureau request, a loan's individual
//! conditions and the loan application. Staff give a few values by name; the organisation's
//! details and the client's name and phone come from settings and accounting, so they cannot
//! be mistyped.
//!
//! Values are checked strictly before anything is laid out, because what the client signs is
//! the printed text: a value that would print differently from what staff typed (a control
//! character, a character the document font lacks and would draw as «?», a thousands
//! separator read as a decimal point) is refused, not repaired. Error reasons never repeat
//! the value: a passport number does not belong in a terminal scrollback or a log.

use kabinet_api::cabinet::{format_rate, format_rub, DocumentKind};
use time::Date;

use crate::accounting::ClientRecord;
use crate::documents::spec::{Block, Column, DocSpec, OrgHeader, Row, Table};
use crate::documents::{file_stem, parse_day};
use crate::org::OrgSettings;

/// A document the organisation can send for signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Template {
    /// Согласие субъекта кредитной истории на получение кредитного отчёта (218-ФЗ ст. 6).
    BkiConsent,
    /// Индивидуальные условия договора потребительского займа (353-ФЗ ст. 5), the lender's
    /// offer the client accepts by signing.
    LoanOffer,
    /// Заявление-анкета на предоставление займа: the client's own offer to borrow.
    ApplicationForm,
}

/// One value staff give when filling a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: &'static str,
    pub label_ru: &'static str,
    pub required: bool,
    pub kind: FieldKind,
}

/// How a field's value is written and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text, at most [`MAX_TEXT_CHARS`] characters.
    Text,
    /// `YYYY-MM-DD`.
    Date,
    /// Rubles, `150000` or `150000,50` (or `150 000,50`); kept as kopecks.
    Money,
    /// A whole number of months.
    Months,
    /// Percent a year, `24,5`; kept as basis points.
    RatePercent,
    /// A Russian internal passport: series of 4 digits and number of 6, `5012 345678`.
    Passport,
}

impl FieldKind {
    /// How to write a value of this kind, for the staff CLI's help and error messages.
    pub fn hint(self) -> &'static str {
        match self {
            FieldKind::Text => "text of at most 300 characters",
            FieldKind::Date => "a date as YYYY-MM-DD, e.g. 1985-04-12",
            FieldKind::Money => "rubles as digits with optional kopecks, e.g. 150000 or 150000,50",
            FieldKind::Months => "a whole number of months from 1 to 360, e.g. 12",
            FieldKind::RatePercent => "percent a year with at most two decimals, e.g. 24,5",
            FieldKind::Passport => "the series (4 digits) and number (6 digits), e.g. 5012 345678",
        }
    }
}

/// Long enough for an employer's full name or a purpose in a sentence; a field is not the
/// place for a whole clause of the contract.
pub const MAX_TEXT_CHARS: usize = 300;
/// Document numbers are short codes such as «П-2026-0001».
const MAX_NUMBER_CHARS: usize = 40;
/// Larger sums are not consumer loans of a credit cooperative: a value above is a typo.
const MAX_MONEY_KOPECKS: i64 = 100_000_000 * 100;
const MAX_MONTHS: u32 = 360;
/// Far above any lawful rate or full cost of a consumer loan: a value above is a typo.
const MAX_RATE_BP: u32 = 36_500;
/// A passport is issued at 14; a younger «client» is a mistyped year.
const MIN_AGE_YEARS: i32 = 14;

const BKI_FIELDS: &[FieldSpec] = &[
    FieldSpec { name: "birth_date", label_ru: "Дата рождения", required: true, kind: FieldKind::Date },
    FieldSpec {
        name: "passport",
        label_ru: "Паспорт гражданина РФ (серия и номер)",
        required: true,
        kind: FieldKind::Passport,
    },
    FieldSpec {
        name: "purpose",
        label_ru: "Цель получения кредитного отчёта",
        required: false,
        kind: FieldKind::Text,
    },
];

const OFFER_FIELDS: &[FieldSpec] = &[
    FieldSpec { name: "amount", label_ru: "Сумма займа, руб.", required: true, kind: FieldKind::Money },
    FieldSpec { name: "term_months", label_ru: "Срок возврата займа, мес.", required: true, kind: FieldKind::Months },
    FieldSpec {
        name: "rate",
        label_ru: "Процентная ставка, % годовых",
        required: true,
        kind: FieldKind::RatePercent,
    },
    FieldSpec { name: "purpose", label_ru: "Цель использования займа", required: false, kind: FieldKind::Text },
    FieldSpec {
        name: "psk_percent",
        label_ru: "Полная стоимость займа, % годовых",
        required: false,
        kind: FieldKind::RatePercent,
    },
];

const APPLICATION_FIELDS: &[FieldSpec] = &[
    FieldSpec { name: "amount", label_ru: "Запрашиваемая сумма займа, руб.", required: true, kind: FieldKind::Money },
    FieldSpec { name: "term_months", label_ru: "Срок займа, мес.", required: true, kind: FieldKind::Months },
    FieldSpec { name: "purpose", label_ru: "Цель займа", required: false, kind: FieldKind::Text },
    FieldSpec {
        name: "income",
        label_ru: "Среднемесячный доход, руб.",
        required: false,
        kind: FieldKind::Money,
    },
    FieldSpec { name: "employer", label_ru: "Место работы", required: false, kind: FieldKind::Text },
];

/// What the consent names as the purpose when staff give none: the usual reason a lender
/// asks for a credit report.
const DEFAULT_BKI_PURPOSE: &str = "рассмотрение заявки на получение займа";

impl Template {
    pub const ALL: [Template; 3] = [Template::BkiConsent, Template::LoanOffer, Template::ApplicationForm];

    /// Its name in URLs and on the staff command line.
    pub fn slug(self) -> &'static str {
        match self {
            Template::BkiConsent => "bki-consent",
            Template::LoanOffer => "loan-offer",
            Template::ApplicationForm => "application-form",
        }
    }

    pub fn from_slug(s: &str) -> Option<Template> {
        Template::ALL.into_iter().find(|t| t.slug() == s)
    }

    /// The document's heading, without its number.
    pub fn title_ru(self) -> &'static str {
        match self {
            Template::BkiConsent => "Согласие на получение кредитного отчёта из бюро кредитных историй",
            Template::LoanOffer => "Индивидуальные условия договора потребительского займа",
            Template::ApplicationForm => "Заявление-анкета на предоставление займа",
        }
    }

    /// The values staff must or may give.
    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            Template::BkiConsent => BKI_FIELDS,
            Template::LoanOffer => OFFER_FIELDS,
            Template::ApplicationForm => APPLICATION_FIELDS,
        }
    }

    /// The start of the file name, transliterated so the name stays ASCII.
    fn stem(self) -> &'static str {
        match self {
            Template::BkiConsent => "soglasie-bki",
            Template::LoanOffer => "individualnye-usloviya",
            Template::ApplicationForm => "zayavlenie-anketa",
        }
    }

    fn field_names(self) -> String {
        self.fields().iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
    }
}

/// Why a template could not be filled; in English, for the staff command line, and always
/// naming the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("the field {name} is required for {}", .template.slug())]
    MissingField { template: Template, name: &'static str },
    #[error("{} has no field {name:?}; its fields are: {}", .template.slug(), .template.field_names())]
    UnknownField { template: Template, name: String },
    /// Given twice: which one staff meant cannot be told.
    #[error("the field {name} is given more than once")]
    DuplicateField { name: &'static str },
    #[error("the field {name} is not valid: {reason}")]
    BadField { name: &'static str, reason: String },
    #[error("the document number is not valid: {reason}")]
    BadNumber { reason: String },
}

impl TemplateError {
    /// The field at fault, for a form to mark; `None` when it is the document number.
    pub fn field(&self) -> Option<&str> {
        match self {
            TemplateError::MissingField { name, .. }
            | TemplateError::DuplicateField { name }
            | TemplateError::BadField { name, .. } => Some(*name),
            TemplateError::UnknownField { name, .. } => Some(name.as_str()),
            TemplateError::BadNumber { .. } => None,
        }
    }
}

/// Fills the template: `number` is the document number chosen by the caller (e.g.
/// «П-2026-0001»), `today` the date printed on it, `fields` the values staff gave as
/// name–value pairs. Every name must be one of [`Template::fields`], each at most once.
pub fn fill(
    template: Template,
    org: &OrgSettings,
    client: &ClientRecord,
    number: &str,
    today: Date,
    fields: &[(String, String)],
) -> Result<DocSpec, TemplateError> {
    let number = checked_number(number)?;
    let given = Given::parse(template, fields)?;
    let cx = Cx { org, client, number, today, given };
    let blocks = match template {
        Template::BkiConsent => bki_consent(&cx)?,
        Template::LoanOffer => loan_offer(&cx)?,
        Template::ApplicationForm => application_form(&cx)?,
    };
    Ok(DocSpec {
        kind: DocumentKind::ForSignature,
        // The verify page shows the title to anyone holding the code: the number identifies
        // the document, the client is never named in it.
        title: format!("{} №\u{a0}{number}", template.title_ru()),
        file_stem: file_stem(&[template.stem(), number]),
        org: OrgHeader::from_settings(org),
        blocks,
    })
}

// ---------------------------------------------------------------------------------------
// Reading the values

#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Text(String),
    Date(Date),
    Kopecks(i64),
    Months(u32),
    BasisPoints(u32),
    Passport { series: String, number: String },
}

impl Value {
    fn parse(kind: FieldKind, raw: &str) -> Result<Value, String> {
        let v = printable_value(raw)?;
        match kind {
            FieldKind::Text => {
                if !v.chars().any(char::is_alphanumeric) {
                    return Err("it has no letters or digits".into());
                }
                Ok(Value::Text(v.to_owned()))
            }
            FieldKind::Date => parse_day(v).map(Value::Date).ok_or_else(|| format!("expected {}", kind.hint())),
            FieldKind::Money => parse_money(v).map(Value::Kopecks),
            FieldKind::Months => parse_months(v).map(Value::Months),
            FieldKind::RatePercent => parse_percent(v).map(Value::BasisPoints),
            FieldKind::Passport => {
                parse_passport(v).map(|(series, number)| Value::Passport { series, number })
            }
        }
    }
}

/// The value without surrounding spaces, if every character of it prints as typed.
fn printable_value(raw: &str) -> Result<&str, String> {
    if let Some(c) = raw.chars().find(|c| c.is_control()) {
        return Err(format!("it holds a control character (U+{:04X})", u32::from(c)));
    }
    if raw.chars().count() > MAX_TEXT_CHARS {
        return Err(format!("it is longer than {MAX_TEXT_CHARS} characters"));
    }
    let v = raw.trim();
    if v.is_empty() {
        return Err("it is empty".into());
    }
    if let Some(c) = v.chars().find(|&c| !printable(c)) {
        return Err(format!("the character U+{:04X} cannot be printed in the document", u32::from(c)));
    }
    Ok(v)
}

/// Characters the document font (PT Sans, both faces) draws: Latin-1, the Cyrillic of
/// Russian and its neighbours, dashes, quotes, «…» and «№». The renderer would print any other
/// as «?», and the client would sign something staff did not write. Tested against the font
/// itself. The soft hyphen is left out: invisible on the page, it would still be in the
/// signed text.
fn printable(c: char) -> bool {
    matches!(c,
        ' '..='~'
        | '\u{a0}'..='\u{ac}'
        | '\u{ae}'..='\u{ff}'
        | '\u{401}'..='\u{40c}'
        | '\u{40e}'..='\u{44f}'
        | '\u{451}'..='\u{45c}'
        | '\u{45e}' | '\u{45f}'
        | '\u{2013}' | '\u{2014}'
        | '\u{2018}'..='\u{201a}'
        | '\u{201c}'..='\u{201e}'
        | '\u{2026}'
        | '\u{2116}'
    )
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Rubles to kopecks. A comma or a point separates kopecks, which take one or two digits; so
/// «150.000», a thousands separator in some habits, is refused rather than read as 150
/// rubles. Thousands may be grouped by spaces, three digits to a group.
fn parse_money(s: &str) -> Result<i64, String> {
    let how = || format!("expected {}", FieldKind::Money.hint());
    let (whole, frac) = match s.split_once([',', '.']) {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    let groups: Vec<&str> = whole.split([' ', '\u{a0}']).collect();
    let grouped = match groups.as_slice() {
        [one] => all_digits(one),
        [first, rest @ ..] => {
            (1..=3).contains(&first.len()) && all_digits(first) && rest.iter().all(|g| g.len() == 3 && all_digits(g))
        }
        [] => false,
    };
    if !grouped {
        return Err(how());
    }
    let kopecks = match frac {
        None => 0,
        Some(f) if all_digits(f) && f.len() <= 2 => {
            let k: i64 = f.parse().map_err(|_| how())?;
            if f.len() == 1 {
                k * 10
            } else {
                k
            }
        }
        Some(_) => return Err("kopecks take one or two digits after the comma".into()),
    };
    let digits = groups.concat();
    // Ten digits of rubles are already past the limit; more would overflow.
    if digits.trim_start_matches('0').len() > 10 {
        return Err(too_much());
    }
    let rubles: i64 = digits.parse().map_err(|_| how())?;
    let total = rubles * 100 + kopecks;
    if total == 0 {
        return Err("it must be more than zero".into());
    }
    if total > MAX_MONEY_KOPECKS {
        return Err(too_much());
    }
    Ok(total)
}

fn too_much() -> String {
    format!("it is more than {} rubles; check the value", format_rub(MAX_MONEY_KOPECKS).replace(",00", ""))
}

fn parse_months(s: &str) -> Result<u32, String> {
    let how = || format!("expected {}", FieldKind::Months.hint());
    if !all_digits(s) || s.len() > 3 {
        return Err(how());
    }
    let n: u32 = s.parse().map_err(|_| how())?;
    if !(1..=MAX_MONTHS).contains(&n) {
        return Err(how());
    }
    Ok(n)
}

/// Percent with at most two decimals to basis points: «24,5» → 2450.
fn parse_percent(s: &str) -> Result<u32, String> {
    let how = || format!("expected {}", FieldKind::RatePercent.hint());
    let (whole, frac) = match s.split_once([',', '.']) {
        Some((w, f)) => (w, f),
        None => (s, "0"),
    };
    if !all_digits(whole) || whole.len() > 3 || !all_digits(frac) || frac.len() > 2 {
        return Err(how());
    }
    let w: u32 = whole.parse().map_err(|_| how())?;
    let f: u32 = frac.parse().map_err(|_| how())?;
    let bp = w * 100 + if frac.len() == 1 { f * 10 } else { f };
    if bp > MAX_RATE_BP {
        return Err(format!("it is more than {} % a year; check the value", MAX_RATE_BP / 100));
    }
    Ok(bp)
}

/// Series and number of a Russian internal passport, written as on its pages («50 12
/// 345678»), as usually typed («5012 345678») or run together («5012345678»).
fn parse_passport(s: &str) -> Result<(String, String), String> {
    let groups: Vec<&str> = s.split([' ', '\u{a0}']).filter(|g| !g.is_empty()).collect();
    let shape: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    if !groups.iter().all(|g| all_digits(g)) || !matches!(shape.as_slice(), [10] | [4, 6] | [2, 2, 6]) {
        return Err(format!("expected {}", FieldKind::Passport.hint()));
    }
    let digits = groups.concat();
    Ok((digits[..4].to_owned(), digits[4..].to_owned()))
}

fn checked_number(number: &str) -> Result<&str, TemplateError> {
    let bad = |reason: String| TemplateError::BadNumber { reason };
    let n = printable_value(number).map_err(bad)?;
    if n.chars().count() > MAX_NUMBER_CHARS {
        return Err(bad(format!("it is longer than {MAX_NUMBER_CHARS} characters")));
    }
    // The file name is made of it: without a letter or digit it would say nothing.
    if !n.chars().any(char::is_alphanumeric) {
        return Err(bad("it has no letters or digits".into()));
    }
    Ok(n)
}

/// The values staff gave, each checked against its field.
struct Given {
    template: Template,
    values: Vec<(&'static str, Value)>,
}

impl Given {
    fn parse(template: Template, fields: &[(String, String)]) -> Result<Given, TemplateError> {
        let specs = template.fields();
        let mut values: Vec<(&'static str, Value)> = Vec::with_capacity(fields.len());
        for (name, raw) in fields {
            let Some(spec) = specs.iter().find(|f| f.name == name) else {
                return Err(TemplateError::UnknownField { template, name: name.clone() });
            };
            if values.iter().any(|(n, _)| *n == spec.name) {
                return Err(TemplateError::DuplicateField { name: spec.name });
            }
            let value =
                Value::parse(spec.kind, raw).map_err(|reason| TemplateError::BadField { name: spec.name, reason })?;
            values.push((spec.name, value));
        }
        if let Some(missing) = specs.iter().find(|f| f.required && !values.iter().any(|(n, _)| *n == f.name)) {
            return Err(TemplateError::MissingField { template, name: missing.name });
        }
        Ok(Given { template, values })
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    fn text(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(Value::Text(t)) => Some(t),
            _ => None,
        }
    }

    fn kopecks(&self, name: &str) -> Option<i64> {
        match self.get(name) {
            Some(Value::Kopecks(k)) => Some(*k),
            _ => None,
        }
    }

    fn basis_points(&self, name: &str) -> Option<u32> {
        match self.get(name) {
            Some(Value::BasisPoints(bp)) => Some(*bp),
            _ => None,
        }
    }

    /// A required value. [`Given::parse`] has checked it is there; this keeps the builders
    /// free of `unwrap` should a field ever be made optional without them noticing.
    fn need<T>(&self, name: &'static str, v: Option<T>) -> Result<T, TemplateError> {
        v.ok_or(TemplateError::MissingField { template: self.template, name })
    }
}

// ---------------------------------------------------------------------------------------
// The documents

/// What every template's text draws on.
struct Cx<'a> {
    org: &'a OrgSettings,
    client: &'a ClientRecord,
    number: &'a str,
    today: Date,
    given: Given,
}

impl Cx<'_> {
    fn client_name(&self) -> String {
        self.client.name.full()
    }

    /// «Иванова М. П.», under the signature line.
    fn client_initials(&self) -> String {
        let n = &self.client.name;
        let initial = |s: &str| s.chars().next().map(|c| format!(" {c}.")).unwrap_or_default();
        format!("{}{}{}", n.last, initial(&n.first), initial(&n.middle))
    }

    /// «+7 999 123-45-67», kept on one line.
    fn phone(&self) -> String {
        self.client.phone.display().replace(' ', "\u{a0}")
    }

    /// «Кредитный потребительский кооператив «…» (ИНН …, ОГРН …, адрес: …)».
    fn org_in_full(&self) -> String {
        let o = self.org;
        format!("{} (ИНН {}, ОГРН {}, адрес: {})", o.legal_name, o.inn, o.ogrn, o.address)
    }

    /// Why the SMS code binds the client as a handwritten signature would.
    fn signature_law(&self) -> String {
        "В силу ч. 2 ст. 6 и ст. 9 Федерального закона от 06.04.2011 №\u{a0}63-ФЗ «Об электронной \
         подписи» электронный документ, подписанный простой электронной подписью в соответствии с \
         соглашением участников электронного взаимодействия, признаётся равнозначным документу на \
         бумажном носителе, подписанному собственноручной подписью."
            .to_owned()
    }

    /// How the client signs: a code sent to the phone the organisation holds for them.
    fn signing_way(&self) -> String {
        format!(
            "простой электронной подписью — кодом из SMS-сообщения, направленного {} на номер телефона {}, — в \
             соответствии с соглашением об использовании простой электронной подписи, заключённым с {}",
            self.org.name,
            self.phone(),
            self.org.name
        )
    }
}

fn bki_consent(cx: &Cx) -> Result<Vec<Block>, TemplateError> {
    let g = &cx.given;
    let birth = g.need("birth_date", match g.get("birth_date") {
        Some(Value::Date(d)) => Some(*d),
        _ => None,
    })?;
    check_birth_date(birth, cx.today)?;
    let passport = g.need("passport", match g.get("passport") {
        // One unbreakable unit: a series on one line and its number on the next reads as two
        // documents.
        Some(Value::Passport { series, number }) => Some(format!("серия\u{a0}{series}\u{a0}№\u{a0}{number}")),
        _ => None,
    })?;
    let purpose = g.text("purpose").unwrap_or(DEFAULT_BKI_PURPOSE);
    let name = cx.client_name();
    Ok(vec![
        Block::Meta(vec![
            ("Дата".into(), ru_date(cx.today)),
            ("Субъект кредитной истории".into(), name.clone()),
            ("Дата рождения".into(), ru_date(birth)),
            ("Паспорт гражданина РФ".into(), passport.clone()),
            ("Телефон".into(), cx.phone()),
            ("Пользователь кредитной истории".into(), cx.org.legal_name.clone()),
        ]),
        Block::Paragraph(format!(
            "Я, {name}, {} года рождения, паспорт гражданина Российской Федерации {passport}, в соответствии \
             со статьёй 6 Федерального закона от 30.12.2004 №\u{a0}218-ФЗ «О кредитных историях» даю согласие \
             {} — пользователю кредитной истории — на получение из любого бюро кредитных историй кредитного \
             отчёта по моей кредитной истории, в том числе её основной части.",
            ru_date(birth),
            cx.org_in_full()
        )),
        Block::Heading("Цель получения кредитного отчёта".into()),
        Block::Paragraph(format!(
            "{} Мне известно, что пользователь кредитной истории вправе запрашивать и использовать \
             кредитный отчёт только для этой цели, а сведения о запросе отражаются в моей кредитной истории.",
            sentence(purpose)
        )),
        Block::Heading("Срок действия согласия".into()),
        Block::Paragraph(
            "Согласие действительно в течение шести месяцев со дня его подписания. Если в течение этого срока \
             со мной будет заключён договор займа (кредита), согласие сохраняет силу в течение всего срока \
             действия этого договора (ч. 9 ст. 6 Федерального закона №\u{a0}218-ФЗ «О кредитных историях»)."
                .into(),
        ),
        Block::Heading("Подписание".into()),
        Block::Paragraph(format!(
            "Согласие оформлено в форме электронного документа и подписывается мной {}. {}",
            cx.signing_way(),
            cx.signature_law()
        )),
        Block::Signatures(vec![format!("Субъект кредитной истории {}", cx.client_initials())]),
    ])
}

/// A birth date that cannot be the client's is a mistyped year, and a consent naming the
/// wrong person is worthless.
fn check_birth_date(birth: Date, today: Date) -> Result<(), TemplateError> {
    let bad = |reason: String| TemplateError::BadField { name: "birth_date", reason };
    if birth.year() < 1900 {
        return Err(bad("it is before 1900".into()));
    }
    let mut age = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    if birth >= today || age < MIN_AGE_YEARS {
        return Err(bad(format!("the client would be under {MIN_AGE_YEARS}, too young to hold a passport")));
    }
    Ok(())
}

fn loan_offer(cx: &Cx) -> Result<Vec<Block>, TemplateError> {
    let g = &cx.given;
    let amount = g.need("amount", g.kopecks("amount"))?;
    let months = g.need("term_months", months(g))?;
    let rate = g.need("rate", g.basis_points("rate"))?;
    let org = cx.org;
    let mut meta: Vec<(String, String)> = vec![
        ("Займодавец".into(), org.legal_name.clone()),
        ("Заёмщик".into(), cx.client_name()),
        ("Договор потребительского займа".into(), format!("№\u{a0}{} от {}", cx.number, ru_date(cx.today))),
    ];
    // 353-ФЗ ст. 6 ч. 1 wants the full cost before the table of conditions, where the eye
    // falls first; the renderer has no framed corner box, so it leads the meta lines' end.
    if let Some(psk) = g.basis_points("psk_percent") {
        meta.push(("Полная стоимость займа".into(), format!("{}\u{a0}% годовых", format_rate(psk))));
    }
    let row = |n: &str, what: &str, value: String| Row::new(vec![n.to_owned(), what.to_owned(), value]);
    // Numbered as the items of 353-ФЗ ст. 5 ч. 9 they state, so a reader can hold the table
    // against the law and against the Bank of Russia's form.
    let rows = vec![
        row("1", "Сумма займа", rub(amount)),
        row(
            "2",
            "Срок действия договора, срок возврата займа",
            format!(
                "Договор действует до полного исполнения сторонами обязательств по нему. Срок возврата займа — \
                 {} со дня его предоставления.",
                months_ru(months)
            ),
        ),
        row("3", "Валюта, в которой предоставляется заём", "Российский рубль".into()),
        row(
            "4",
            "Процентная ставка",
            format!("{}\u{a0}% годовых, постоянная в течение всего срока действия договора", format_rate(rate)),
        ),
        row(
            "6",
            "Количество, размер и периодичность (сроки) платежей заёмщика",
            format!(
                "Ежемесячно; количество платежей — {months}. Размер и даты платежей в счёт возврата займа и \
                 уплаты процентов указаны в графике платежей, который является неотъемлемой частью договора."
            ),
        ),
        row(
            "8",
            "Способы исполнения заёмщиком обязательств по договору",
            format!(
                "Внесение наличных денежных средств в кассу займодавца по адресу: {}; безналичный перевод на счёт \
                 займодавца; оплата банковской картой в личном кабинете заёмщика.",
                org.address
            ),
        ),
        row(
            "8.1",
            "Бесплатный способ исполнения обязательств",
            format!("Внесение наличных денежных средств в кассу займодавца по адресу: {}.", org.address),
        ),
        row(
            "11",
            "Цели использования заёмщиком займа",
            match g.text("purpose") {
                Some(p) => sentence(p),
                None => "Не установлены.".into(),
            },
        ),
        row(
            "14",
            "Согласие заёмщика с общими условиями договора",
            format!(
                "Заёмщик ознакомлен с общими условиями договора потребительского займа {} и согласен с ними.",
                org.name
            ),
        ),
        row(
            "16",
            "Способ обмена информацией между займодавцем и заёмщиком",
            format!(
                "Через личный кабинет заёмщика; SMS-сообщения на номер телефона заёмщика {}; по телефону \
                 займодавца {}; почтой по адресу займодавца.",
                cx.phone(),
                org.phone
            ),
        ),
    ];
    Ok(vec![
        Block::Meta(meta),
        Block::Table(Table {
            columns: vec![
                Column::center("№ п/п", 8.0),
                Column::left("Условие", 34.0),
                Column::left("Содержание условия", 58.0),
            ],
            rows,
        }),
        Block::Paragraph(format!(
            "Условия, не указанные в таблице, определяются общими условиями договора потребительского займа {}. \
             Настоящие индивидуальные условия являются предложением (офертой) {} заключить договор \
             потребительского займа №\u{a0}{} на указанных условиях. Заёмщик вправе сообщить о согласии \
             получить заём на этих условиях в течение пяти рабочих дней со дня их предоставления (ст. 7 \
             Федерального закона от 21.12.2013 №\u{a0}353-ФЗ «О потребительском кредите (займе)»).",
            org.name,
            cx.org_in_full(),
            cx.number
        )),
        Block::Paragraph(format!(
            "Заёмщик принимает (акцептует) это предложение, подписывая настоящие индивидуальные условия {}. {}",
            cx.signing_way(),
            cx.signature_law()
        )),
        Block::Signatures(vec![
            format!("Займодавец: уполномоченное лицо {}", org.name),
            format!("Заёмщик {}", cx.client_initials()),
        ]),
    ])
}

fn application_form(cx: &Cx) -> Result<Vec<Block>, TemplateError> {
    let g = &cx.given;
    let amount = g.need("amount", g.kopecks("amount"))?;
    let months = g.need("term_months", months(g))?;
    let org = cx.org;
    let mut asked = vec![
        Row::new(vec!["Сумма займа".into(), rub(amount)]),
        Row::new(vec!["Срок займа".into(), months_ru(months)]),
    ];
    if let Some(p) = g.text("purpose") {
        asked.push(Row::new(vec!["Цель займа".into(), sentence(p)]));
    }
    let mut blocks = vec![
        Block::Meta(vec![
            ("Заявитель".into(), cx.client_name()),
            ("Телефон".into(), cx.phone()),
            ("Заявление".into(), format!("№\u{a0}{} от {}", cx.number, ru_date(cx.today))),
        ]),
        Block::Paragraph(format!("Прошу {} предоставить мне заём на следующих условиях:", cx.org_in_full())),
        Block::Table(Table {
            columns: vec![Column::left("Условие", 40.0), Column::left("Запрашиваемое значение", 60.0)],
            rows: asked,
        }),
    ];
    let mut about: Vec<(String, String)> = Vec::new();
    if let Some(e) = g.text("employer") {
        about.push(("Место работы".into(), e.to_owned()));
    }
    if let Some(k) = g.kopecks("income") {
        about.push(("Среднемесячный доход".into(), rub(k)));
    }
    if !about.is_empty() {
        blocks.push(Block::Heading("Сведения о заявителе".into()));
        blocks.push(Block::Meta(about));
    }
    blocks.extend([
        Block::Paragraph(format!(
            "Настоящее заявление является моим предложением (офертой) заключить договор потребительского займа \
             на указанных в нём условиях (ст. 435 Гражданского кодекса Российской Федерации). {} вправе \
             отказать в предоставлении займа. Если заявление будет одобрено, мне будут предоставлены \
             индивидуальные условия договора потребительского займа; договор считается заключённым, когда \
             стороны достигнут согласия по всем индивидуальным условиям (ст. 7 Федерального закона от \
             21.12.2013 №\u{a0}353-ФЗ «О потребительском кредите (займе)»).",
            org.name
        )),
        Block::Paragraph(format!(
            "Подтверждаю, что сведения, указанные в заявлении, достоверны и полны. Мне известно, что {} вправе \
             их проверить, а сведения о доходе учитываются при расчёте показателя долговой нагрузки.",
            org.name
        )),
        Block::Paragraph(format!(
            "Заявление оформлено в форме электронного документа и подписывается мной {}. {}",
            cx.signing_way(),
            cx.signature_law()
        )),
        Block::Signatures(vec![format!("Заявитель {}", cx.client_initials())]),
    ]);
    Ok(blocks)
}

fn months(g: &Given) -> Option<u32> {
    match g.get("term_months") {
        Some(Value::Months(m)) => Some(*m),
        _ => None,
    }
}

/// «1 234,56 руб.», the unit held to its figure by a no-break space.
fn rub(kopecks: i64) -> String {
    format!("{}\u{a0}руб.", format_rub(kopecks))
}

/// «22.11.2026».
fn ru_date(d: Date) -> String {
    format!("{:02}.{:02}.{}", d.day(), u8::from(d.month()), d.year())
}

/// «12 месяцев», «1 месяц», «24 месяца».
fn months_ru(n: u32) -> String {
    let word = match (n % 10, n % 100) {
        (_, 11..=14) => "месяцев",
        (1, _) => "месяц",
        (2..=4, _) => "месяца",
        _ => "месяцев",
    };
    format!("{n}\u{a0}{word}")
}

/// Staff text as a sentence of the document: capitalised, ending with a full stop unless it
/// already ends with a mark of its own.
fn sentence(s: &str) -> String {
    let mut chars = s.chars();
    let mut out: String = chars.next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with(['.', '!', '?', '…']) {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use time::macros::date;
    use time::OffsetDateTime;

    use super::*;
    use crate::documents::fixtures::{holder, org, pdf_pages};
    use crate::documents::pdf::{render, Stamp};

    const NUMBER: &str = "П-2026-0001";
    const TODAY: Date = date!(2026 - 03 - 10);
    const CODE: &str = "7K3M-Q9TX-2H4P";
    const URL: &str = "https://lk.company.ru/verify/7K3M-Q9TX-2H4P";

    fn stamp() -> Stamp<'static> {
        Stamp { code: CODE, url: URL, issued_at: OffsetDateTime::from_unix_timestamp(1_773_000_000).unwrap() }
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
    }

    fn try_fill(t: Template, p: &[(&str, &str)]) -> Result<DocSpec, TemplateError> {
        fill(t, &org(), &holder(), NUMBER, TODAY, &pairs(p))
    }

    /// Line breaks in extracted text become spaces, so wrapped sentences compare whole.
    fn flat(s: &str) -> String {
        s.split([' ', '\n']).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
    }

    fn pdf_text(spec: &DocSpec) -> String {
        let bytes = render(spec, &stamp()).unwrap_or_else(|e| panic!("{}: {e}", spec.title));
        assert!(bytes.starts_with(b"%PDF-"));
        flat(&pdf_pages(&bytes).join("\n"))
    }

    /// Every field of every template, each with what its value must print as.
    fn full(t: Template) -> (Vec<(&'static str, &'static str)>, Vec<String>) {
        match t {
            Template::BkiConsent => (
                vec![("birth_date", "1985-04-12"), ("passport", "5012 345678"), ("purpose", "оценка платёжеспособности")],
                vec![
                    "серия\u{a0}5012\u{a0}№\u{a0}345678".into(),
                    "12.04.1985 года рождения".into(),
                    "Оценка платёжеспособности.".into(),
                    "основной части".into(),
                    "в течение шести месяцев со дня его подписания".into(),
                    "в течение всего срока действия этого договора".into(),
                    "218-ФЗ «О кредитных историях»".into(),
                ],
            ),
            Template::LoanOffer => (
                vec![
                    ("amount", "150000"),
                    ("term_months", "12"),
                    ("rate", "24,5"),
                    ("purpose", "ремонт квартиры"),
                    ("psk_percent", "26,82"),
                ],
                vec![
                    format!("{}\u{a0}руб.", format_rub(15_000_000)),
                    "12\u{a0}месяцев".into(),
                    "24,50\u{a0}% годовых".into(),
                    "Полная стоимость займа".into(),
                    "26,82\u{a0}% годовых".into(),
                    "Ремонт квартиры.".into(),
                    "принимает (акцептует)".into(),
                ],
            ),
            Template::ApplicationForm => (
                vec![
                    ("amount", "150 000,50"),
                    ("term_months", "24"),
                    ("purpose", "покупка автомобиля"),
                    ("income", "85000"),
                    ("employer", "ООО «Сибирские окна»"),
                ],
                vec![
                    format!("{}\u{a0}руб.", format_rub(15_000_050)),
                    "24\u{a0}месяца".into(),
                    "Покупка автомобиля.".into(),
                    format!("{}\u{a0}руб.", format_rub(8_500_000)),
                    "ООО «Сибирские окна»".into(),
                    "предложением (офертой)".into(),
                ],
            ),
        }
    }

    #[test]
    fn slugs_round_trip() {
        for t in Template::ALL {
            assert_eq!(Template::from_slug(t.slug()), Some(t));
            assert!(!t.title_ru().is_empty() && !t.fields().is_empty());
        }
        assert_eq!(Template::from_slug("bki-consent"), Some(Template::BkiConsent));
        assert_eq!(Template::from_slug("loan-offer"), Some(Template::LoanOffer));
        assert_eq!(Template::from_slug("application-form"), Some(Template::ApplicationForm));
        for bad in ["", "BKI-consent", "bki_consent", "loan-offer ", "schedule"] {
            assert_eq!(Template::from_slug(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn every_template_renders_with_the_client_the_org_and_the_figures() {
        let (o, h) = (org(), holder());
        for t in Template::ALL {
            let (fields, want) = full(t);
            let spec = try_fill(t, &fields).unwrap_or_else(|e| panic!("{}: {e}", t.slug()));
            assert_eq!(spec.kind, DocumentKind::ForSignature);
            assert_eq!(spec.title, format!("{} №\u{a0}{NUMBER}", t.title_ru()));
            assert!(!spec.title.contains(&h.name.last), "{}: the title names the client", t.slug());
            assert!(spec.file_stem.is_ascii() && spec.file_stem.ends_with("-P-2026-0001"), "{}", spec.file_stem);
            assert!(matches!(spec.blocks.last(), Some(Block::Signatures(s)) if s.iter().any(|c| c.contains("Иванова М. П."))));

            let text = pdf_text(&spec);
            let mut all = vec![
                flat(&spec.title),
                NUMBER.to_owned(),
                h.name.full(),
                o.legal_name.clone(),
                format!("ОГРН {}", o.ogrn),
                format!("ИНН {}", o.inn),
                "+7\u{a0}999\u{a0}123-45-67".to_owned(),
                "простой электронной подписью".to_owned(),
                "63-ФЗ «Об электронной подписи»".to_owned(),
            ];
            all.extend(want);
            for s in &all {
                assert!(text.contains(&flat(s)), "{}: {s:?} missing from\n{text}", t.slug());
            }
            assert!(!text.contains('?'), "{}: a character the font lacks", t.slug());
        }
        assert_eq!(try_fill(Template::BkiConsent, &full(Template::BkiConsent).0).unwrap().file_stem, "soglasie-bki-P-2026-0001");
    }

    #[test]
    fn optional_fields_may_be_left_out() {
        let consent = try_fill(Template::BkiConsent, &[("passport", "50 12 345678"), ("birth_date", "1985-04-12")]).unwrap();
        let text = pdf_text(&consent);
        assert!(text.contains("Рассмотрение заявки на получение займа. Мне известно"), "{text}");
        assert!(text.contains("серия\u{a0}5012\u{a0}№\u{a0}345678"), "{text}");

        let offer = try_fill(Template::LoanOffer, &[("amount", "300000"), ("term_months", "1"), ("rate", "0")]).unwrap();
        let text = pdf_text(&offer);
        assert!(!text.contains("Полная стоимость"), "no full cost was given");
        assert!(text.contains("1\u{a0}месяц ") && text.contains("0,00\u{a0}% годовых") && text.contains("Не установлены."));
        assert!(text.contains(&format_rub(30_000_000)));

        let form = try_fill(Template::ApplicationForm, &[("amount", "50000"), ("term_months", "6")]).unwrap();
        assert!(!form.blocks.iter().any(|b| matches!(b, Block::Heading(h) if h == "Сведения о заявителе")));
        assert!(pdf_text(&form).contains(&format_rub(5_000_000)));
    }

    #[test]
    fn missing_fields_are_refused_naming_them() {
        for t in Template::ALL {
            let (fields, _) = full(t);
            for spec in t.fields().iter().filter(|f| f.required) {
                let without: Vec<_> = fields.iter().copied().filter(|(n, _)| *n != spec.name).collect();
                let e = try_fill(t, &without).unwrap_err();
                assert_eq!(e, TemplateError::MissingField { template: t, name: spec.name });
                assert!(e.to_string().contains(spec.name), "{e}");
                assert_eq!(e.field(), Some(spec.name));
            }
        }
        assert!(try_fill(Template::LoanOffer, &[]).is_err());
    }

    #[test]
    fn unknown_and_repeated_fields_are_refused() {
        let e = try_fill(Template::LoanOffer, &[("amount", "1000"), ("term_months", "3"), ("rate", "20"), ("income", "1")])
            .unwrap_err();
        assert_eq!(e, TemplateError::UnknownField { template: Template::LoanOffer, name: "income".into() });
        let shown = e.to_string();
        assert!(shown.contains("\"income\"") && shown.contains("loan-offer") && shown.contains("psk_percent"), "{shown}");

        // Names match exactly: a near miss is unknown, not guessed.
        let e = try_fill(Template::ApplicationForm, &[("Amount", "1000"), ("term_months", "3")]).unwrap_err();
        assert!(matches!(e, TemplateError::UnknownField { ref name, .. } if name == "Amount"), "{e}");

        let e = try_fill(Template::ApplicationForm, &[("amount", "1000"), ("term_months", "3"), ("amount", "2000")])
            .unwrap_err();
        assert_eq!(e, TemplateError::DuplicateField { name: "amount" });
        assert!(e.to_string().contains("amount"));
    }

    #[test]
    fn bad_values_are_refused_naming_the_field_without_repeating_the_value() {
        let base = |t: Template| full(t).0;
        let cases: &[(Template, &str, &str)] = &[
            (Template::BkiConsent, "birth_date", "12.04.1985"),
            (Template::BkiConsent, "birth_date", "1985-02-30"),
            (Template::BkiConsent, "birth_date", "2026-03-11"),
            (Template::BkiConsent, "birth_date", "2013-01-01"),
            (Template::BkiConsent, "birth_date", "1899-12-31"),
            (Template::BkiConsent, "passport", "5013 34567"),
            (Template::BkiConsent, "passport", "501 2345678"),
            (Template::BkiConsent, "passport", "50l2 345678"),
            (Template::BkiConsent, "passport", "5012 №345678"),
            (Template::BkiConsent, "purpose", "   "),
            (Template::BkiConsent, "purpose", "..."),
            (Template::LoanOffer, "amount", "0"),
            (Template::LoanOffer, "amount", "-150000"),
            (Template::LoanOffer, "amount", "150.000"),
            (Template::LoanOffer, "amount", "1 50000"),
            (Template::LoanOffer, "amount", "150000 руб."),
            (Template::LoanOffer, "amount", "100000000,01"),
            (Template::LoanOffer, "amount", "99999999999999999999999"),
            (Template::LoanOffer, "term_months", "0"),
            (Template::LoanOffer, "term_months", "361"),
            (Template::LoanOffer, "term_months", "12.5"),
            (Template::LoanOffer, "rate", "24,555"),
            (Template::LoanOffer, "rate", "24%"),
            (Template::LoanOffer, "rate", "365,01"),
            (Template::LoanOffer, "psk_percent", ""),
            (Template::ApplicationForm, "income", "много"),
            (Template::ApplicationForm, "employer", "ООО «Ромашка» 💐"),
        ];
        for &(t, field, value) in cases {
            let mut fields = base(t);
            fields.retain(|(n, _)| *n != field);
            fields.push((field, value));
            match try_fill(t, &fields) {
                Err(e @ TemplateError::BadField { name, .. }) => {
                    assert_eq!(name, field, "{value:?}");
                    let shown = e.to_string();
                    assert!(shown.contains(field), "{shown}");
                    if value.trim().len() > 2 {
                        assert!(!shown.contains(value), "{shown} repeats {value:?}");
                    }
                }
                other => panic!("{}.{field} = {value:?}: {other:?}", t.slug()),
            }
        }
    }

    #[test]
    fn control_characters_and_overlong_text_are_refused() {
        let base = full(Template::ApplicationForm).0;
        for (field, value) in [
            ("employer", "ООО\u{0}«Ромашка»"),
            ("employer", "ООО «Ромашка»\n"),
            ("purpose", "ремонт\tквартиры"),
            ("amount", "150000\r"),
            ("employer", "\u{202e}акшамоР ООО"),
            ("purpose", "ре\u{ad}монт"),
        ] {
            let mut fields = base.clone();
            fields.retain(|(n, _)| *n != field);
            fields.push((field, value));
            let e = try_fill(Template::ApplicationForm, &fields).unwrap_err();
            assert!(matches!(e, TemplateError::BadField { name, .. } if name == field), "{field} = {value:?}: {e:?}");
        }
        let at_limit = "я".repeat(MAX_TEXT_CHARS);
        let over = "я".repeat(MAX_TEXT_CHARS + 1);
        let with = |v: &str| {
            let mut f = pairs(&base);
            f.retain(|(n, _)| n != "employer");
            f.push(("employer".into(), v.to_owned()));
            fill(Template::ApplicationForm, &org(), &holder(), NUMBER, TODAY, &f)
        };
        assert!(with(&at_limit).is_ok());
        assert!(matches!(with(&over), Err(TemplateError::BadField { name: "employer", .. })));
    }

    #[test]
    fn values_are_read_strictly() {
        assert_eq!(parse_money("150000"), Ok(15_000_000));
        assert_eq!(parse_money("150000,50"), Ok(15_000_050));
        assert_eq!(parse_money("150000.5"), Ok(15_000_050));
        assert_eq!(parse_money("150 000,05"), Ok(15_000_005));
        assert_eq!(parse_money("1\u{a0}500\u{a0}000"), Ok(150_000_000));
        assert_eq!(parse_money("0,01"), Ok(1));
        assert_eq!(parse_money("100000000"), Ok(MAX_MONEY_KOPECKS));
        for bad in ["", ",50", "150000,", "150,000", "15 0000", "1 500 00", "+150000", "1e5", "150000,5 0"] {
            assert!(parse_money(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_percent("24,5"), Ok(2450));
        assert_eq!(parse_percent("24.05"), Ok(2405));
        assert_eq!(parse_percent("7"), Ok(700));
        assert_eq!(parse_percent("365"), Ok(36_500));
        for bad in ["", ",5", "24,", "24,5,1", "1000", "-1", "24 %"] {
            assert!(parse_percent(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_months("12"), Ok(12));
        assert_eq!(parse_months("360"), Ok(360));
        for bad in ["", "0", "+12", "12 ", "0012", "361"] {
            assert!(parse_months(bad).is_err(), "{bad:?}");
        }
        let series_number = Ok(("5012".to_owned(), "345678".to_owned()));
        for ok in ["5012 345678", "50 12 345678", "5012345678", "5012\u{a0}345678"] {
            assert_eq!(parse_passport(ok), series_number, "{ok:?}");
        }
        for bad in ["", "5012-345678", "5012 3456789", "501 2345678", "50 12 34 56 78"] {
            assert!(parse_passport(bad).is_err(), "{bad:?}");
        }
        assert_eq!(months_ru(1), "1\u{a0}месяц");
        assert_eq!(months_ru(3), "3\u{a0}месяца");
        assert_eq!(months_ru(11), "11\u{a0}месяцев");
        assert_eq!(months_ru(21), "21\u{a0}месяц");
        assert_eq!(months_ru(112), "112\u{a0}месяцев");
    }

    #[test]
    fn bad_document_numbers_are_refused() {
        let fields = pairs(&full(Template::LoanOffer).0);
        for bad in ["", "  ", "П-2026\n0001", "—/—", &"1".repeat(MAX_NUMBER_CHARS + 1)] {
            let e = fill(Template::LoanOffer, &org(), &holder(), bad, TODAY, &fields).unwrap_err();
            assert!(matches!(e, TemplateError::BadNumber { .. }), "{bad:?}: {e:?}");
            assert!(e.to_string().contains("document number"));
            assert_eq!(e.field(), None);
        }
        let spec = fill(Template::LoanOffer, &org(), &holder(), " З-2026/0142 ", TODAY, &fields).unwrap();
        assert_eq!(spec.file_stem, "individualnye-usloviya-Z-2026-0142");
        assert!(spec.title.ends_with("№\u{a0}З-2026/0142"));
    }

    /// What [`printable`] lets through is drawn by both faces of the document font, so no
    /// accepted value ever prints as «?».
    #[test]
    fn every_printable_character_is_in_the_font() {
        use skrifa::{FontRef, MetadataProvider};
        for bytes in [
            include_bytes!("../../fonts/PTSans-Regular.ttf").as_slice(),
            include_bytes!("../../fonts/PTSans-Bold.ttf").as_slice(),
        ] {
            let charmap = FontRef::new(bytes).unwrap().charmap();
            let missing: Vec<String> = (0..=0x2FFFu32)
                .filter_map(char::from_u32)
                .filter(|&c| printable(c) && charmap.map(c).is_none())
                .map(|c| format!("U+{:04X}", u32::from(c)))
                .collect();
            assert!(missing.is_empty(), "the font lacks {missing:?}");
        }
    }
}
