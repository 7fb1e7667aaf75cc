//! The `Accounting` port: the organisation's accounting system is the system of record for
//! clients, loans, savings and contributions. The built-in ledger ([`ledger::Ledger`])
//! implements it on the shim's own database.
//!
//! Every call is about exactly one client and names that client's id; an object of another
//! client answers as absent (`Ok(None)`), exactly like an object that does not exist. There is
//! deliberately no call that lists or searches clients in bulk: the cabinet cannot be used to
//! extract the client base, whatever happens to the shim.

pub mod contract;
pub mod http;
pub mod ledger;
pub mod name;

use std::sync::Arc;

use kabinet_api::cabinet::{Application, ContributionsView, LoanDetail, LoansView, SavingsDetail, SavingsView};
use kabinet_api::messages::{AttachmentInfo, FileType, Message};
use kabinet_api::payments::{CardPosting, PaymentPreview, PaymentRequest, PostingReceipt};
use kabinet_api::requests::{ApplicationPreview, NewApplication, ProductsView};
use kabinet_api::{ErrorCode, Phone};
use time::{Date, OffsetDateTime};

pub use name::{FullName, NameError};

/// A client as accounting knows them; only what the cabinet needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRecord {
    /// The accounting system's own id.
    pub id: String,
    pub name: FullName,
    pub phone: Phone,
}

/// A Russian internal passport's series (4 digits) and number (6 digits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passport {
    series: String,
    number: String,
}

impl Passport {
    /// From a series and a number as people write them («45 10», «111 222»): spaces are
    /// dropped; anything but 4 + 6 digits is refused.
    pub fn parse(series: &str, number: &str) -> Option<Passport> {
        let clean = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        let (series, number) = (clean(series), clean(number));
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        (digits(&series, 4) && digits(&number, 6)).then_some(Passport { series, number })
    }

    pub fn series(&self) -> &str {
        &self.series
    }

    pub fn number(&self) -> &str {
        &self.number
    }

    /// The ten digits, series first, as the ledger stores them.
    pub fn digits(&self) -> String {
        format!("{}{}", self.series, self.number)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccountingError {
    /// Timed out, refused, answered 5xx or something unreadable: the cabinet shows a retry.
    #[error("accounting is unavailable: {0}")]
    Unavailable(String),
    /// Accounting refused the request for a reason the client can act on (an amount outside
    /// the product's limits, a closed contract, a date in the past); nothing was written.
    #[error("accounting refused the request: {0:?}")]
    Refused(ErrorCode),
}

/// A file to attach to a message, already inspected and cleaned by the shim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub file_name: String,
    pub content_type: FileType,
    pub bytes: Vec<u8>,
    /// Hex SHA-256 of `bytes`.
    pub sha256: String,
}

/// A file's description and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentFile {
    pub info: AttachmentInfo,
    pub bytes: Vec<u8>,
}

impl From<sqlx::Error> for AccountingError {
    fn from(e: sqlx::Error) -> Self {
        AccountingError::Unavailable(e.to_string())
    }
}

/// Read access to clients. Every call is about one client; nothing lists clients.
#[async_trait::async_trait]
pub trait Accounting: Send + Sync {
    /// The client with exactly this full name (letter case and ё/е aside) and this phone.
    async fn find_client(&self, name: &FullName, phone: &Phone) -> Result<Option<String>, AccountingError>;
    /// The client's record by accounting id.
    /// The client with exactly this full name (letter case and ё/е aside) and this passport,
    /// for sign-in through ESIA; `None` when nobody, or more than one client, matches.
    async fn find_client_by_passport(&self, name: &FullName, passport: &Passport) -> Result<Option<ClientRecord>, AccountingError>;
    async fn client(&self, id: &str) -> Result<Option<ClientRecord>, AccountingError>;

    /// The client's loan applications and loan contracts, figures as of `as_of`.
    async fn loans(&self, client_id: &str, as_of: Date) -> Result<LoansView, AccountingError>;
    /// One loan of this client with its schedule and operations; `None` if it is not theirs.
    async fn loan(&self, client_id: &str, loan_id: &str, as_of: Date) -> Result<Option<LoanDetail>, AccountingError>;
    /// The client's savings applications and contracts.
    async fn savings(&self, client_id: &str, as_of: Date) -> Result<SavingsView, AccountingError>;
    /// One savings contract of this client; `None` if it is not theirs.
    async fn saving(&self, client_id: &str, savings_id: &str, as_of: Date)
        -> Result<Option<SavingsDetail>, AccountingError>;
    /// The client's returnable and membership contributions.
    async fn contributions(&self, client_id: &str, as_of: Date) -> Result<ContributionsView, AccountingError>;

    /// The products a client may apply for.
    async fn products(&self) -> Result<ProductsView, AccountingError>;
    /// What `application` would mean if made on `today`, computed by accounting's own rules;
    /// refused (`Refused`) exactly as [`Accounting::create_application`] would refuse it.
    async fn preview_application(&self, client_id: &str, application: &NewApplication, today: Date)
        -> Result<ApplicationPreview, AccountingError>;
    /// Records the application. `key` is the client's idempotency key: a second call with the
    /// same client and key returns the application the first made and creates nothing.
    async fn create_application(
        &self,
        client_id: &str,
        key: &str,
        application: &NewApplication,
        today: Date,
        now: OffsetDateTime,
    ) -> Result<Application, AccountingError>;
    /// The client's applications of every kind, newest first.
    async fn applications(&self, client_id: &str) -> Result<Vec<Application>, AccountingError>;

    /// The client's conversation with the organisation, newest first.
    async fn messages(&self, client_id: &str) -> Result<Vec<Message>, AccountingError>;
    /// One message of this client; `None` if it is not theirs.
    async fn message(&self, client_id: &str, message_id: &str) -> Result<Option<Message>, AccountingError>;
    /// Marks a message from the organisation read by the client; returns whether this call
    /// was the first to do so (`false` when already read or not from the organisation).
    async fn mark_read(&self, client_id: &str, message_id: &str, at: OffsetDateTime) -> Result<bool, AccountingError>;
    /// Records a message from the client with its files; idempotent by `key` as
    /// [`Accounting::create_application`].
    async fn send_message(
        &self,
        client_id: &str,
        key: &str,
        text: &str,
        files: &[NewAttachment],
        at: OffsetDateTime,
    ) -> Result<Message, AccountingError>;
    /// One file of one of this client's messages; `None` if it is not theirs.
    async fn attachment(&self, client_id: &str, message_id: &str, attachment_id: &str)
        -> Result<Option<AttachmentFile>, AccountingError>;
    /// Bytes of every file the client has sent, for the per-client limit.
    async fn upload_bytes(&self, client_id: &str) -> Result<u64, AccountingError>;

    /// What a card payment made `today` would be and how accounting would apply it. The amount
    /// comes from here (A26): next installment and overdue are computed; a custom amount or a
    /// top-up is checked against what accounting accepts. Refusals: `contract_closed`,
    /// `nothing_to_pay`, `top_up_not_allowed`, `amount_out_of_range`, `amount_above_payoff`.
    /// `Ok(None)` when the contract is not this client's.
    async fn quote_payment(&self, client_id: &str, request: &PaymentRequest, today: Date)
        -> Result<Option<PaymentPreview>, AccountingError>;
    /// Posts a confirmed card payment. Exactly once per `posting.payment_id`: a repeat (the
    /// outbox retrying after a crash or a lost answer) writes nothing and says `duplicate`.
    async fn post_payment(&self, client_id: &str, posting: &CardPosting) -> Result<PostingReceipt, AccountingError>;
}

pub type DynAccounting = Arc<dyn Accounting>;

/// The organisation's offset from UTC. Contract days (issue, due, payment) are calendar days
/// where the organisation works; Moscow time serves every demo and test. A deployment in
/// another zone changes this one place (it belongs in the organisation's settings once one
/// deployment serves organisations in several zones).
pub const ORG_UTC_OFFSET_HOURS: i8 = 3;

/// Today's calendar day for the organisation at instant `now`.
pub fn business_day(now: time::OffsetDateTime) -> Date {
    let offset = time::UtcOffset::from_hms(ORG_UTC_OFFSET_HOURS, 0, 0).expect("a valid offset");
    now.to_offset(offset).date()
}

#[cfg(test)]
mod tests {
    use super::Passport;

    #[test]
    fn passports_are_four_and_six_digits() {
        let p = Passport::parse("50 12", "345 678").unwrap();
        assert_eq!((p.series(), p.number(), p.digits().as_str()), ("5012", "345678", "5012345678"));
        for (series, number) in [("501", "345678"), ("5012", "34567"), ("50a2", "345678"), ("5012", "3456789"), ("", ""), ("５０１２", "345678")] {
            assert_eq!(Passport::parse(series, number), None, "{series} {number}");
        }
    }
}
