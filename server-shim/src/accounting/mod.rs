//! The `Accounting` port: the organisation's accounting system is the system of record for
//! clients. The built-in ledger ([`ledger::Ledger`]) implements it on the shim's own database.

pub mod ledger;
pub mod name;

use std::sync::Arc;

use kabinet_api::Phone;

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
}

pub type DynAccounting = Arc<dyn Accounting>;
