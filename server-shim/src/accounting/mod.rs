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

use kabinet_api::cabinet::{ContributionsView, LoanDetail, LoansView, SavingsDetail, SavingsView};
use kabinet_api::Phone;
use time::Date;

pub use name::{FullName, NameError};

/// A client as accounting knows them; only what the cabinet needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRecord {
    /// The accounting system's own id.
    pub id: String,
    pub name: FullName,
    pub phone: Phone,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountingError {
    /// Timed out, refused, answered 5xx or something unreadable: the cabinet shows a retry.
    #[error("accounting is unavailable: {0}")]
    Unavailable(String),
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
