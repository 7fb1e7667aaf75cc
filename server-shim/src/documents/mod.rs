//! Documents a client downloads as PDF (payment schedules, reconciliation acts, certificates):
//! built from the accounting DTOs, rendered with a verification code and QR, recorded so
//! anyone holding a copy can check it on the public verify page.
//!
//! [`build`] turns a contract and a query into a [`DocSpec`] (pure, no I/O); [`Documents::issue`]
//! renders it with a fresh code, hashes the bytes and stores the record; `verify` serves
//! `GET /verify/{code}`.

pub mod code;
pub mod issue;
mod loan;
pub mod pdf;
mod savings;
pub mod spec;
pub mod verify;

#[cfg(test)]
pub(crate) mod fixtures;

use kabinet_api::cabinet::{format_rub, DocumentKind, DocumentQuery, LoanDetail, SavingsDetail};
use kabinet_api::ErrorCode;
use time::Date;

use crate::accounting::ClientRecord;
use crate::http::error::AppError;
use crate::org::OrgSettings;

pub use code::VerificationCode;
pub use issue::{Documents, IssueError, IssuedDocument, VerifiedDocument};
pub use spec::DocSpec;

/// The contract a document is about.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    Loan(&'a LoanDetail),
    Savings(&'a SavingsDetail),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// The act's period or the certificate's year is malformed, reversed or outside the
    /// contract.
    #[error("the period is not valid for this contract")]
    InvalidPeriod,
    /// This kind of document does not exist for this contract (a no-debt certificate for an
    /// open loan, an income certificate for a loan).
    #[error("this document is not available for this contract")]
    NotAvailable,
    /// Accounting sent something that cannot be read (a date that is not a date). Not the
    /// client's doing, so it is answered like any other unreadable answer from accounting.
    #[error("accounting data cannot be read: {0}")]
    BadData(String),
}

impl DocumentError {
    pub fn code(&self) -> ErrorCode {
        match self {
            DocumentError::InvalidPeriod => ErrorCode::InvalidPeriod,
            DocumentError::NotAvailable => ErrorCode::DocumentNotAvailable,
            DocumentError::BadData(_) => ErrorCode::AccountingUnavailable,
        }
    }
}

impl From<DocumentError> for AppError {
    fn from(e: DocumentError) -> Self {
        if let DocumentError::BadData(why) = &e {
            tracing::warn!(error = %why, "accounting data unfit for a document");
        }
        AppError::Client(e.code())
    }
}

/// Builds the document `kind` of `subject` for its holder. Which kinds apply:
///
/// | kind | loan | savings |
/// |---|---|---|
/// | Schedule | график платежей | график начисления процентов |
/// | Act (`from`, `to`) | акт сверки | акт сверки |
/// | DebtCertificate | справка о задолженности | — |
/// | NoDebtCertificate | only when closed | — |
/// | InterestPaidCertificate (`year`) | справка об уплаченных процентах | — |
/// | InterestIncomeCertificate (`year`) | — | справка о доходах в виде процентов |
///
/// An act without `from`/`to` covers the contract from its start to its `as_of` day; a
/// certificate without `year` covers the year of `as_of`. Dates are `YYYY-MM-DD` exactly.
pub fn build(
    kind: DocumentKind,
    subject: Subject<'_>,
    query: &DocumentQuery,
    org: &OrgSettings,
    holder: &ClientRecord,
) -> Result<DocSpec, DocumentError> {
    let cx = Ctx { org, holder };
    match subject {
        Subject::Loan(l) => {
            let start = data_day(&l.summary.date, "contract date")?;
            let as_of = data_day(&l.as_of, "as_of")?;
            match kind {
                DocumentKind::Schedule => loan::schedule(l, &cx),
                DocumentKind::Act => {
                    let (from, to) = period(query, start, as_of)?;
                    loan::act(l, from, to, &cx)
                }
                DocumentKind::DebtCertificate => loan::debt_certificate(l, &cx),
                DocumentKind::NoDebtCertificate => loan::no_debt_certificate(l, &cx),
                DocumentKind::InterestPaidCertificate => {
                    let end = closed_or(l.summary.closed_on.as_deref(), as_of)?;
                    loan::interest_paid(l, year(query, start, end, as_of)?, &cx)
                }
                DocumentKind::InterestIncomeCertificate
                | DocumentKind::PaymentReceipt
                | DocumentKind::ForSignature
                | DocumentKind::Signed => Err(DocumentError::NotAvailable),
            }
        }
        Subject::Savings(s) => {
            let start = data_day(&s.summary.date, "contract date")?;
            let as_of = data_day(&s.as_of, "as_of")?;
            match kind {
                DocumentKind::Schedule => savings::schedule(s, &cx),
                DocumentKind::Act => {
                    let (from, to) = period(query, start, as_of)?;
                    savings::act(s, from, to, &cx)
                }
                DocumentKind::InterestIncomeCertificate => {
                    let end = closed_or(s.summary.closed_on.as_deref(), as_of)?;
                    savings::interest_income(s, year(query, start, end, as_of)?, &cx)
                }
                DocumentKind::DebtCertificate
                | DocumentKind::NoDebtCertificate
                | DocumentKind::InterestPaidCertificate
                | DocumentKind::PaymentReceipt
                | DocumentKind::ForSignature
                | DocumentKind::Signed => Err(DocumentError::NotAvailable),
            }
        }
    }
}

/// What every builder needs besides its contract.
struct Ctx<'a> {
    org: &'a OrgSettings,
    holder: &'a ClientRecord,
}

impl Ctx<'_> {
    fn org_header(&self) -> spec::OrgHeader {
        spec::OrgHeader::from_settings(self.org)
    }

    /// «Иванова Мария Петровна».
    fn holder_name(&self) -> String {
        self.holder.name.full()
    }

    /// «Иванова М. П.», under a signature line.
    fn holder_initials(&self) -> String {
        let n = &self.holder.name;
        let initial = |s: &str| s.chars().next().map(|c| format!(" {c}.")).unwrap_or_default();
        format!("{}{}{}", n.last, initial(&n.first), initial(&n.middle))
    }

    fn spec(&self, kind: DocumentKind, title: String, stem: &[&str], blocks: Vec<spec::Block>) -> DocSpec {
        DocSpec { kind, title, file_stem: file_stem(stem), org: self.org_header(), blocks }
    }

    fn org_signatory(&self) -> String {
        format!("Уполномоченное лицо {}", self.org.name)
    }

    /// A reconciliation act: one layout for loans and savings, which differ only in what the
    /// parts below say.
    fn act(&self, p: ActParts<'_>) -> DocSpec {
        let mut meta = p.meta;
        meta.truncate(2);
        meta.push(("Период".into(), format!("с {} по {}", ru_date(p.from), ru_date(p.to))));
        let blocks = vec![
            spec::Block::Meta(meta),
            spec::Block::Paragraph(p.explanation.into()),
            spec::Block::Table(spec::Table {
                columns: vec![
                    spec::Column::center("Дата", 13.0),
                    spec::Column::left("Содержание операции", 51.0),
                    spec::Column::right("Дебет, руб.", 18.0),
                    spec::Column::right("Кредит, руб.", 18.0),
                ],
                rows: p.rows,
            }),
            spec::Block::Paragraph(p.conclusion),
            spec::Block::Signatures(vec![format!("От {}", self.org.name), format!("{} {}", p.party, self.holder_initials())]),
        ];
        let title =
            format!("Акт сверки взаимных расчётов {} за период с {} по {}", p.of_contract, ru_date(p.from), ru_date(p.to));
        let (f, t) = (p.from.to_string(), p.to.to_string());
        self.spec(DocumentKind::Act, title, &["akt-sverki", p.number, &f, &t], blocks)
    }
}

/// What a contract's reconciliation act says; [`Ctx::act`] lays it out.
struct ActParts<'a> {
    /// The contract's meta lines; the first two are kept, then the period.
    meta: Vec<(String, String)>,
    /// Which operations are debits and which credits, in words.
    explanation: &'static str,
    rows: Vec<spec::Row>,
    /// The closing balance as a sentence.
    conclusion: String,
    /// «Заёмщик» or «Пайщик», under the signature line.
    party: &'static str,
    /// «по договору займа № …».
    of_contract: String,
    number: &'a str,
    from: Date,
    to: Date,
}

/// Blank instead of a zero, so the columns show where money actually moved.
fn amount_or_blank(k: i64) -> String {
    if k == 0 {
        String::new()
    } else {
        format_rub(k)
    }
}

/// A calendar day written exactly `YYYY-MM-DD`.
pub fn parse_day(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) || !digits(8..10) {
        return None;
    }
    let year: i32 = s[0..4].parse().ok()?;
    let month: u8 = s[5..7].parse().ok()?;
    let day: u8 = s[8..10].parse().ok()?;
    Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()
}

/// A day from accounting's data.
fn data_day(s: &str, what: &str) -> Result<Date, DocumentError> {
    parse_day(s).ok_or_else(|| DocumentError::BadData(format!("{what} {s:?} is not a YYYY-MM-DD day")))
}

fn closed_or(closed_on: Option<&str>, as_of: Date) -> Result<Date, DocumentError> {
    match closed_on {
        Some(c) => Ok(data_day(c, "closed_on")?.min(as_of)),
        None => Ok(as_of),
    }
}

/// The act's period from the query: reversed, or lying wholly before the contract or after
/// `as_of`, is refused; a period reaching past either end is cut to the contract's life, so
/// the act never states a balance for a day accounting has not reached yet.
fn period(q: &DocumentQuery, start: Date, as_of: Date) -> Result<(Date, Date), DocumentError> {
    let day = |s: &Option<String>, default: Date| match s {
        Some(s) => parse_day(s).ok_or(DocumentError::InvalidPeriod),
        None => Ok(default),
    };
    let from = day(&q.from, start)?;
    let to = day(&q.to, as_of)?;
    if from > to || to < start || from > as_of {
        return Err(DocumentError::InvalidPeriod);
    }
    Ok((from.max(start), to.min(as_of)))
}

/// The certificate's year: one the contract lived in, up to `end`.
fn year(q: &DocumentQuery, start: Date, end: Date, as_of: Date) -> Result<i32, DocumentError> {
    let y = q.year.unwrap_or(as_of.year());
    if y < start.year() || y > end.year() {
        return Err(DocumentError::InvalidPeriod);
    }
    Ok(y)
}

/// «1 234,56 руб.», the unit held to its figure by a no-break space.
fn rub(kopecks: i64) -> String {
    format!("{}\u{a0}руб.", format_rub(kopecks))
}

/// «22.11.2026».
fn ru_date(d: Date) -> String {
    format!("{:02}.{:02}.{}", d.day(), u8::from(d.month()), d.year())
}

/// An ASCII file name stem: the parts joined by dashes, Cyrillic transliterated, anything
/// else but letters and digits folded into single dashes («З-2026/0142» → «Z-2026-0142»).
pub(crate) fn file_stem(parts: &[&str]) -> String {
    let mut out = String::new();
    for ch in parts.join("-").chars() {
        match translit(ch) {
            Some(t) => out.push_str(t),
            None if ch.is_ascii_alphanumeric() => out.push(ch),
            None => {
                if !out.is_empty() && !out.ends_with('-') {
                    out.push('-');
                }
            }
        }
    }
    let trimmed = out.trim_end_matches('-');
    trimmed.chars().take(120).collect()
}

fn translit(c: char) -> Option<&'static str> {
    const LOWER: [&str; 33] = [
        "a", "b", "v", "g", "d", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u", "f", "kh",
        "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya", "e",
    ];
    const UPPER: [&str; 33] = [
        "A", "B", "V", "G", "D", "E", "Zh", "Z", "I", "Y", "K", "L", "M", "N", "O", "P", "R", "S", "T", "U", "F", "Kh",
        "Ts", "Ch", "Sh", "Shch", "", "Y", "", "E", "Yu", "Ya", "E",
    ];
    match c {
        'а'..='я' => Some(LOWER[c as usize - 'а' as usize]),
        'А'..='Я' => Some(UPPER[c as usize - 'А' as usize]),
        'ё' => Some(LOWER[32]),
        'Ё' => Some(UPPER[32]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kabinet_api::cabinet::ContractStatus;

    use super::fixtures::*;

    #[test]
    fn days_are_read_strictly() {
        assert_eq!(parse_day("2026-03-01"), Some(time::macros::date!(2026 - 03 - 01)));
        for bad in ["2026-3-01", "2026-02-30", "26-03-01", "2026-03-01T00:00", "+026-03-01", "2026/03/01", ""] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn file_names_are_ascii() {
        assert_eq!(file_stem(&["grafik", "З-2026/0142"]), "grafik-Z-2026-0142");
        assert_eq!(file_stem(&["akt", "№ Щ 12/ё", "2026-01-01"]), "akt-Shch-12-e-2026-01-01");
    }

    #[test]
    fn periods_out_of_the_contract_are_refused() {
        let l = loan(ContractStatus::Active);
        let q = |from: Option<&str>, to: Option<&str>| DocumentQuery {
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
            year: None,
        };
        let act = |q: DocumentQuery| build(DocumentKind::Act, Subject::Loan(&l), &q, &org(), &holder());
        // Reversed, wholly before the contract (signed 2025-01-15), wholly after as_of
        // (2026-11-22), and malformed.
        for (from, to) in [
            (Some("2026-06-30"), Some("2026-01-01")),
            (Some("2024-01-01"), Some("2024-12-31")),
            (Some("2026-12-01"), Some("2026-12-31")),
            (Some("2026-1-1"), None),
            (None, Some("31.12.2026")),
        ] {
            assert_eq!(act(q(from, to)), Err(DocumentError::InvalidPeriod), "{from:?}..{to:?}");
        }
        assert!(act(q(Some("2024-06-01"), Some("2025-03-31"))).is_ok(), "overlapping the start");
        assert!(act(q(None, None)).is_ok(), "the whole contract");

        let year = |y: i32| {
            let q = DocumentQuery { year: Some(y), ..Default::default() };
            build(DocumentKind::InterestPaidCertificate, Subject::Loan(&l), &q, &org(), &holder())
        };
        assert_eq!(year(2024), Err(DocumentError::InvalidPeriod));
        assert_eq!(year(2027), Err(DocumentError::InvalidPeriod));
        assert!(year(2025).is_ok() && year(2026).is_ok());

        let s = saving();
        let q = DocumentQuery { year: Some(2019), ..Default::default() };
        let income = build(DocumentKind::InterestIncomeCertificate, Subject::Savings(&s), &q, &org(), &holder());
        assert_eq!(income, Err(DocumentError::InvalidPeriod));
    }

    #[test]
    fn kinds_that_do_not_apply_are_not_available() {
        let l = loan(ContractStatus::Active);
        let s = saving();
        let q = DocumentQuery::default();
        let (o, h) = (org(), holder());
        assert_eq!(
            build(DocumentKind::InterestIncomeCertificate, Subject::Loan(&l), &q, &o, &h),
            Err(DocumentError::NotAvailable)
        );
        assert_eq!(build(DocumentKind::NoDebtCertificate, Subject::Loan(&l), &q, &o, &h), Err(DocumentError::NotAvailable));
        // Closed, yet accounting still shows money owed: no certificate says otherwise.
        let mut closed = loan(ContractStatus::Closed);
        assert!(build(DocumentKind::NoDebtCertificate, Subject::Loan(&closed), &q, &o, &h).is_ok());
        closed.summary.payoff_amount = 1;
        assert_eq!(
            build(DocumentKind::NoDebtCertificate, Subject::Loan(&closed), &q, &o, &h),
            Err(DocumentError::NotAvailable)
        );
        for k in [DocumentKind::DebtCertificate, DocumentKind::NoDebtCertificate, DocumentKind::InterestPaidCertificate] {
            assert_eq!(build(k, Subject::Savings(&s), &q, &o, &h), Err(DocumentError::NotAvailable), "{k:?}");
        }
        assert_eq!(DocumentError::InvalidPeriod.code(), ErrorCode::InvalidPeriod);
        assert_eq!(DocumentError::NotAvailable.code(), ErrorCode::DocumentNotAvailable);
    }

    #[test]
    fn accounting_garbage_is_not_blamed_on_the_client() {
        let mut l = loan(ContractStatus::Active);
        l.as_of = "22.11.2026".into();
        let e = build(DocumentKind::Schedule, Subject::Loan(&l), &DocumentQuery::default(), &org(), &holder());
        assert!(matches!(e, Err(DocumentError::BadData(_))), "{e:?}");
    }
}
