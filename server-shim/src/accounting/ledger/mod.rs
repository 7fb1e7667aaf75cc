//! The built-in ledger: the embedded accounting system, on the shim's own database. Small
//! cooperatives and the demo need nothing else; larger ones connect their own system.
//!
//! Storage only: terms and posted events go in and out of the database here; every figure
//! (schedules, balances, overdue, penalty, interest) comes from [`engine`].

pub mod cli;
mod contracts;
pub mod engine;
mod messages;
mod payments;
mod requests;
mod seed;

use kabinet_api::cabinet::{
    Application, ApplicationStatus, ContributionAccount, ContributionKind, ContributionOperation, ContributionsView,
    Kopecks, LoanDetail, LoansView, RepaymentKind, SavingsDetail, SavingsView,
};
use kabinet_api::payments::{CardPosting, PaymentPreview, PaymentRequest, PostingReceipt};
use kabinet_api::Phone;
use sqlx::any::AnyRow;
use sqlx::Row;
use time::Date;

use self::engine::{LoanError, LoanEvent, LoanTerms, SavingsError, SavingsEvent, SavingsTerms};
use self::contracts::{Loans, Savings};
use super::{Accounting, AccountingError, AttachmentFile, ClientRecord, FullName, NewAttachment, Passport};
use kabinet_api::messages::{Message, MessageDirection};
use kabinet_api::requests::{ApplicationPreview, NewApplication, ProductsView};
use time::OffsetDateTime;
use crate::storage::Store;

pub use seed::{DEMO_CLIENTS, DEMO_PASSPORTS};

/// Why the ledger refused to record something; the command line prints it.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{0}")]
    Loan(#[from] LoanError),
    #[error("{0}")]
    Savings(#[from] SavingsError),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// A product the cooperative offers; contracts copy its terms when they are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: String,
    pub kind: ProductKind,
    pub name: String,
    pub rate_bp: u32,
    pub min_amount: Kopecks,
    pub max_amount: Kopecks,
    pub min_term_months: u32,
    pub max_term_months: u32,
    /// Loans only.
    pub repayment: Option<RepaymentKind>,
    pub penalty_rate_bp: u32,
    pub capitalisation: bool,
    pub top_up_allowed: bool,
    pub withdrawal_allowed: bool,
    pub min_balance: Kopecks,
    pub early_rate_bp: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductKind {
    Loan,
    Savings,
}

impl ProductKind {
    fn as_str(self) -> &'static str {
        match self {
            ProductKind::Loan => "loan",
            ProductKind::Savings => "savings",
        }
    }
}

pub(crate) fn day(d: Date) -> String {
    d.to_string()
}

pub(crate) fn parse_day(s: &str) -> Result<Date, AccountingError> {
    Date::parse(s, &time::format_description::well_known::Iso8601::DATE)
        .map_err(|e| AccountingError::Unavailable(format!("ledger holds a bad date {s:?}: {e}")))
}

fn repayment_str(r: RepaymentKind) -> &'static str {
    match r {
        RepaymentKind::Annuity => "annuity",
        RepaymentKind::Differentiated => "differentiated",
    }
}

fn parse_repayment(s: &str) -> Result<RepaymentKind, AccountingError> {
    match s {
        "annuity" => Ok(RepaymentKind::Annuity),
        "differentiated" => Ok(RepaymentKind::Differentiated),
        other => Err(AccountingError::Unavailable(format!("ledger holds an unknown repayment kind {other:?}"))),
    }
}

fn status_str(s: ApplicationStatus) -> &'static str {
    match s {
        ApplicationStatus::New => "new",
        ApplicationStatus::UnderReview => "under_review",
        ApplicationStatus::Approved => "approved",
        ApplicationStatus::Declined => "declined",
    }
}

fn parse_status(s: &str) -> Result<ApplicationStatus, AccountingError> {
    Ok(match s {
        "new" => ApplicationStatus::New,
        "under_review" => ApplicationStatus::UnderReview,
        "approved" => ApplicationStatus::Approved,
        "declined" => ApplicationStatus::Declined,
        other => return Err(AccountingError::Unavailable(format!("ledger holds an unknown status {other:?}"))),
    })
}

fn u32_col(r: &AnyRow, i: usize) -> u32 {
    u32::try_from(r.get::<i64, _>(i)).unwrap_or(0)
}


/// A new loan contract for the command line and the seed.
#[derive(Debug, Clone)]
pub struct NewLoan {
    pub client_id: String,
    pub number: String,
    pub product_id: String,
    pub issued_on: Date,
    pub amount: Kopecks,
    pub term_months: u32,
}

/// A new savings contract.
#[derive(Debug, Clone)]
pub struct NewSavings {
    pub client_id: String,
    pub number: String,
    pub product_id: String,
    pub opened_on: Date,
    pub amount: Kopecks,
    pub term_months: u32,
}

#[derive(Clone)]
pub struct Ledger {
    store: Store,
}

impl Ledger {
    pub fn new(store: Store) -> Self {
        Ledger { store }
    }

    /// Seeds the demo clients and their contracts once; idempotent, so every start of the demo
    /// may call it, and a demo client someone has edited stays as edited.
    pub async fn seed_demo(&self, now: i64, today: Date) -> Result<(), LedgerError> {
        seed::seed(self, now, today).await
    }

    pub async fn add_client(&self, id: &str, name: &FullName, phone: &Phone, now: i64) -> Result<(), LedgerError> {
        let done = sqlx::query(
            "INSERT INTO ledger_clients (id, last_name, first_name, middle_name, name_key, phone, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(&name.last)
        .bind(&name.first)
        .bind(&name.middle)
        .bind(name.key())
        .bind(phone.as_e164())
        .bind(now)
        .execute(self.store.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(LedgerError::Invalid(format!("client {id} already exists")));
        }
        Ok(())
    }

    /// Records a client's passport (series and number), replacing any earlier one.
    pub async fn set_passport(&self, id: &str, passport: &Passport) -> Result<(), LedgerError> {
        let done = sqlx::query("UPDATE ledger_clients SET passport = $1 WHERE id = $2")
            .bind(passport.digits())
            .bind(id)
            .execute(self.store.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(LedgerError::NotFound(format!("client {id}")));
        }
        Ok(())
    }

    async fn require_client(&self, id: &str) -> Result<(), LedgerError> {
        let found = sqlx::query("SELECT 1 FROM ledger_clients WHERE id = $1").bind(id).fetch_optional(self.store.pool()).await?;
        found.map(|_| ()).ok_or_else(|| LedgerError::NotFound(format!("client {id}")))
    }

    pub async fn add_product(&self, p: &Product, now: i64) -> Result<(), LedgerError> {
        if p.min_amount <= 0 || p.min_amount > p.max_amount || p.min_term_months == 0 || p.min_term_months > p.max_term_months {
            return Err(LedgerError::Invalid("amount and term limits must be positive and min ≤ max".into()));
        }
        if p.kind == ProductKind::Loan && p.repayment.is_none() {
            return Err(LedgerError::Invalid("a loan product needs a repayment kind".into()));
        }
        let done = sqlx::query(
            "INSERT INTO ledger_products (id, kind, name, rate_bp, min_amount, max_amount, min_term_months, max_term_months, \
             repayment, penalty_rate_bp, capitalisation, top_up_allowed, withdrawal_allowed, min_balance, early_rate_bp, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&p.id)
        .bind(p.kind.as_str())
        .bind(&p.name)
        .bind(i64::from(p.rate_bp))
        .bind(p.min_amount)
        .bind(p.max_amount)
        .bind(i64::from(p.min_term_months))
        .bind(i64::from(p.max_term_months))
        .bind(p.repayment.map(repayment_str).unwrap_or(""))
        .bind(i64::from(p.penalty_rate_bp))
        .bind(i64::from(p.capitalisation))
        .bind(i64::from(p.top_up_allowed))
        .bind(i64::from(p.withdrawal_allowed))
        .bind(p.min_balance)
        .bind(i64::from(p.early_rate_bp))
        .bind(now)
        .execute(self.store.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(LedgerError::Invalid(format!("product {} already exists", p.id)));
        }
        Ok(())
    }

    pub async fn product(&self, id: &str) -> Result<Product, LedgerError> {
        let r = sqlx::query(
            "SELECT id, kind, name, rate_bp, min_amount, max_amount, min_term_months, max_term_months, repayment, \
             penalty_rate_bp, capitalisation, top_up_allowed, withdrawal_allowed, min_balance, early_rate_bp \
             FROM ledger_products WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.store.pool())
        .await?
        .ok_or_else(|| LedgerError::NotFound(format!("product {id}")))?;
        let kind = match r.get::<String, _>(1).as_str() {
            "loan" => ProductKind::Loan,
            _ => ProductKind::Savings,
        };
        let repayment: String = r.get(8);
        Ok(Product {
            id: r.get(0),
            kind,
            name: r.get(2),
            rate_bp: u32_col(&r, 3),
            min_amount: r.get(4),
            max_amount: r.get(5),
            min_term_months: u32_col(&r, 6),
            max_term_months: u32_col(&r, 7),
            repayment: if repayment.is_empty() { None } else { Some(parse_repayment(&repayment).map_err(|e| LedgerError::Invalid(e.to_string()))?) },
            penalty_rate_bp: u32_col(&r, 9),
            capitalisation: r.get::<i64, _>(10) != 0,
            top_up_allowed: r.get::<i64, _>(11) != 0,
            withdrawal_allowed: r.get::<i64, _>(12) != 0,
            min_balance: r.get(13),
            early_rate_bp: u32_col(&r, 14),
        })
    }

    fn check_limits(p: &Product, amount: Kopecks, term: u32) -> Result<(), LedgerError> {
        if amount < p.min_amount || amount > p.max_amount {
            return Err(LedgerError::Invalid(format!(
                "amount {amount} is outside the product's {}..{} kopecks",
                p.min_amount, p.max_amount
            )));
        }
        if term < p.min_term_months || term > p.max_term_months {
            return Err(LedgerError::Invalid(format!(
                "term {term} is outside the product's {}..{} months",
                p.min_term_months, p.max_term_months
            )));
        }
        Ok(())
    }

    /// Signs a loan on the product's terms; returns its id.
    pub async fn open_loan(&self, l: &NewLoan, now: i64) -> Result<String, LedgerError> {
        self.require_client(&l.client_id).await?;
        let p = self.product(&l.product_id).await?;
        if p.kind != ProductKind::Loan {
            return Err(LedgerError::Invalid(format!("product {} is not a loan product", p.id)));
        }
        Self::check_limits(&p, l.amount, l.term_months)?;
        let id = format!("L-{}", uuid::Uuid::new_v4().simple());
        let terms = LoanTerms {
            id: id.clone(),
            number: l.number.clone(),
            product: p.name.clone(),
            issued_on: l.issued_on,
            amount: l.amount,
            rate_bp: p.rate_bp,
            term_months: l.term_months,
            repayment: p.repayment.unwrap_or(RepaymentKind::Annuity),
            penalty_rate_bp: p.penalty_rate_bp,
        };
        // The engine refuses terms it cannot schedule; better now than on every read.
        engine::loan_detail(&terms, &[], terms.issued_on)?;
        self.insert_loan(&l.client_id, &terms, now).await?;
        Ok(id)
    }

    pub(crate) async fn insert_loan(&self, client_id: &str, t: &LoanTerms, now: i64) -> Result<(), LedgerError> {
        sqlx::query(
            "INSERT INTO ledger_loans (id, client_id, number, product, issued_on, amount, rate_bp, term_months, repayment, \
             penalty_rate_bp, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&t.id)
        .bind(client_id)
        .bind(&t.number)
        .bind(&t.product)
        .bind(day(t.issued_on))
        .bind(t.amount)
        .bind(i64::from(t.rate_bp))
        .bind(i64::from(t.term_months))
        .bind(repayment_str(t.repayment))
        .bind(i64::from(t.penalty_rate_bp))
        .bind(now)
        .execute(self.store.pool())
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                LedgerError::Invalid(format!("contract number {} is taken", t.number))
            }
            e => e.into(),
        })?;
        Ok(())
    }

    /// The id of the contract with this id or printed number (the operator types either).
    pub async fn contract_id(&self, kind: ProductKind, id_or_number: &str) -> Result<Option<String>, LedgerError> {
        let table = match kind {
            ProductKind::Loan => "ledger_loans",
            ProductKind::Savings => "ledger_savings",
        };
        let row = sqlx::query(&format!("SELECT id FROM {table} WHERE id = $1 OR number = $1"))
            .bind(id_or_number)
            .fetch_optional(self.store.pool())
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// Posts a payment or an early repayment, checked by the engine (see [`Ledger::post`]).
    pub async fn post_loan_event(&self, loan_id: &str, event: LoanEvent, now: i64) -> Result<(), LedgerError> {
        self.post::<Loans>(loan_id, event, now).await
    }

    /// Opens a savings contract on the product's terms; returns its id.
    pub async fn open_savings(&self, s: &NewSavings, now: i64) -> Result<String, LedgerError> {
        self.require_client(&s.client_id).await?;
        let p = self.product(&s.product_id).await?;
        if p.kind != ProductKind::Savings {
            return Err(LedgerError::Invalid(format!("product {} is not a savings product", p.id)));
        }
        Self::check_limits(&p, s.amount, s.term_months)?;
        let id = format!("S-{}", uuid::Uuid::new_v4().simple());
        let terms = SavingsTerms {
            id: id.clone(),
            number: s.number.clone(),
            product: p.name.clone(),
            opened_on: s.opened_on,
            amount: s.amount,
            rate_bp: p.rate_bp,
            term_months: s.term_months,
            capitalisation: p.capitalisation,
            top_up_allowed: p.top_up_allowed,
            partial_withdrawal_allowed: p.withdrawal_allowed,
            min_balance: p.min_balance,
            early_rate_bp: p.early_rate_bp,
        };
        engine::savings_detail(&terms, &[], terms.opened_on)?;
        self.insert_savings(&s.client_id, &terms, now).await?;
        Ok(id)
    }

    pub(crate) async fn insert_savings(&self, client_id: &str, t: &SavingsTerms, now: i64) -> Result<(), LedgerError> {
        sqlx::query(
            "INSERT INTO ledger_savings (id, client_id, number, product, opened_on, amount, rate_bp, term_months, capitalisation, \
             top_up_allowed, withdrawal_allowed, min_balance, early_rate_bp, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(&t.id)
        .bind(client_id)
        .bind(&t.number)
        .bind(&t.product)
        .bind(day(t.opened_on))
        .bind(t.amount)
        .bind(i64::from(t.rate_bp))
        .bind(i64::from(t.term_months))
        .bind(i64::from(t.capitalisation))
        .bind(i64::from(t.top_up_allowed))
        .bind(i64::from(t.partial_withdrawal_allowed))
        .bind(t.min_balance)
        .bind(i64::from(t.early_rate_bp))
        .bind(now)
        .execute(self.store.pool())
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                LedgerError::Invalid(format!("contract number {} is taken", t.number))
            }
            e => e.into(),
        })?;
        Ok(())
    }

    /// Posts a top-up, a withdrawal or an early termination, checked by the engine (see
    /// [`Ledger::post`]).
    pub async fn post_savings_event(&self, savings_id: &str, event: SavingsEvent, now: i64) -> Result<(), LedgerError> {
        self.post::<Savings>(savings_id, event, now).await
    }

    /// Records a contribution paid in (positive) or returned / charged (negative). A return
    /// of a returnable share may not exceed what the client has paid in.
    pub async fn add_contribution(
        &self,
        client_id: &str,
        kind: ContributionKind,
        on: Date,
        amount: Kopecks,
        description: &str,
        now: i64,
    ) -> Result<(), LedgerError> {
        if amount == 0 {
            return Err(LedgerError::Invalid("amount must not be zero".into()));
        }
        bounded(amount)?;
        let kind_str = contribution_kind_str(kind);
        // Under the client's row lock, so two returns at once cannot both pass the check.
        let mut tx = self.store.pool().begin().await?;
        let locked = sqlx::query("UPDATE ledger_clients SET id = id WHERE id = $1").bind(client_id).execute(&mut *tx).await?;
        if locked.rows_affected() == 0 {
            return Err(LedgerError::NotFound(format!("client {client_id}")));
        }
        if kind == ContributionKind::Returnable && amount < 0 {
            // The share may not go below zero on any day, counting operations in date order
            // with this one among them: a return dated before the money came in is refused too.
            let rows = sqlx::query("SELECT op_on, amount FROM ledger_contributions WHERE client_id = $1 AND kind = $2")
                .bind(client_id)
                .bind(kind_str)
                .fetch_all(&mut *tx)
                .await?;
            let mut ops: Vec<(String, i64)> = rows.iter().map(|r| (r.get::<String, _>(0), r.get::<i64, _>(1))).collect();
            ops.push((day(on), amount));
            // Money in before money out on the same day.
            ops.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
            let mut share = 0i64;
            for (d, a) in &ops {
                share += a;
                if share < 0 {
                    return Err(LedgerError::Invalid(format!(
                        "the client's share on {d} would be {share} kopecks; cannot return {}",
                        -amount
                    )));
                }
            }
        }
        sqlx::query(
            "INSERT INTO ledger_contributions (client_id, kind, op_on, amount, description, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(client_id)
        .bind(kind_str)
        .bind(day(on))
        .bind(amount)
        .bind(description)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records an application (until the cabinet sends them itself, staff enter them here).
    #[allow(clippy::too_many_arguments)]
    pub async fn add_application(
        &self,
        client_id: &str,
        kind: ProductKind,
        number: &str,
        made_on: Date,
        product: &str,
        amount: Kopecks,
        term_months: u32,
        status: ApplicationStatus,
        comment: Option<&str>,
        now: i64,
    ) -> Result<String, LedgerError> {
        self.require_client(client_id).await?;
        if amount <= 0 || term_months == 0 {
            return Err(LedgerError::Invalid("amount and term must be positive".into()));
        }
        let id = format!("A-{}", uuid::Uuid::new_v4().simple());
        sqlx::query(
            "INSERT INTO ledger_applications (id, client_id, kind, number, made_on, product, amount, term_months, status, comment, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
        )
        .bind(&id)
        .bind(client_id)
        .bind(kind.as_str())
        .bind(number)
        .bind(day(made_on))
        .bind(product)
        .bind(amount)
        .bind(i64::from(term_months))
        .bind(status_str(status))
        .bind(comment)
        .bind(now)
        .execute(self.store.pool())
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                LedgerError::Invalid(format!("application number {number} is taken"))
            }
            e => e.into(),
        })?;
        Ok(id)
    }

    async fn applications(&self, client_id: &str, kind: ProductKind) -> Result<Vec<Application>, AccountingError> {
        let rows = sqlx::query(
            "SELECT id, number, made_on, product, amount, term_months, status, comment FROM ledger_applications \
             WHERE client_id = $1 AND kind = $2 ORDER BY made_on DESC, number DESC",
        )
        .bind(client_id)
        .bind(kind.as_str())
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Application {
                    id: r.get(0),
                    number: r.get(1),
                    date: r.get(2),
                    product: r.get(3),
                    amount: r.get(4),
                    term_months: u32_col(r, 5),
                    status: parse_status(&r.get::<String, _>(6))?,
                    comment: r.get(7),
                    kind: match kind {
                        ProductKind::Loan => kabinet_api::requests::ApplicationKind::Loan,
                        ProductKind::Savings => kabinet_api::requests::ApplicationKind::Savings,
                    },
                    contract_number: None,
                    details: None,
                    updated_at: None,
                })
            })
            .collect()
    }
}

/// Refuses an amount beyond what the engine's exact arithmetic is bounded for.
fn bounded(amount: Kopecks) -> Result<(), LedgerError> {
    if amount.abs() > engine::MAX_AMOUNT {
        return Err(LedgerError::Invalid(format!("amount {amount} is beyond the ledger's limit of {} kopecks", engine::MAX_AMOUNT)));
    }
    Ok(())
}

fn contribution_kind_str(k: ContributionKind) -> &'static str {
    match k {
        ContributionKind::Returnable => "returnable",
        ContributionKind::Membership => "membership",
    }
}

#[async_trait::async_trait]
impl Accounting for Ledger {
    async fn find_client(&self, name: &FullName, phone: &Phone) -> Result<Option<String>, AccountingError> {
        let row = sqlx::query("SELECT id FROM ledger_clients WHERE phone = $1 AND name_key = $2 ORDER BY id LIMIT 1")
            .bind(phone.as_e164())
            .bind(name.key())
            .fetch_optional(self.store.pool())
            .await?;
        Ok(row.map(|r| r.get::<String, _>(0)))
    }

    async fn find_client_by_passport(&self, name: &FullName, passport: &Passport) -> Result<Option<ClientRecord>, AccountingError> {
        // Two clients with one passport would be an error in the books: then nobody matches,
        // rather than the first of them.
        let rows = sqlx::query("SELECT id FROM ledger_clients WHERE passport = $1 AND name_key = $2 ORDER BY id LIMIT 2")
            .bind(passport.digits())
            .bind(name.key())
            .fetch_all(self.store.pool())
            .await?;
        match rows.as_slice() {
            [one] => self.client(&one.get::<String, _>(0)).await,
            _ => Ok(None),
        }
    }

    async fn client(&self, id: &str) -> Result<Option<ClientRecord>, AccountingError> {
        let row = sqlx::query("SELECT id, last_name, first_name, middle_name, phone FROM ledger_clients WHERE id = $1")
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        let Some(r) = row else { return Ok(None) };
        let phone: String = r.get(4);
        Ok(Some(ClientRecord {
            id: r.get(0),
            name: FullName::from_parts(&r.get::<String, _>(1), &r.get::<String, _>(2), &r.get::<String, _>(3)),
            phone: Phone::parse(&phone)
                .map_err(|e| AccountingError::Unavailable(format!("ledger holds a bad phone for {id}: {e}")))?,
        }))
    }

    async fn loans(&self, client_id: &str, as_of: Date) -> Result<LoansView, AccountingError> {
        let contracts = self.list::<Loans>(client_id, as_of).await?;
        Ok(LoansView { as_of: day(as_of), applications: self.applications(client_id, ProductKind::Loan).await?, contracts })
    }

    async fn loan(&self, client_id: &str, loan_id: &str, as_of: Date) -> Result<Option<LoanDetail>, AccountingError> {
        self.one::<Loans>(client_id, loan_id, as_of).await
    }

    async fn savings(&self, client_id: &str, as_of: Date) -> Result<SavingsView, AccountingError> {
        let contracts = self.list::<Savings>(client_id, as_of).await?;
        Ok(SavingsView { as_of: day(as_of), applications: self.applications(client_id, ProductKind::Savings).await?, contracts })
    }

    async fn saving(&self, client_id: &str, savings_id: &str, as_of: Date) -> Result<Option<SavingsDetail>, AccountingError> {
        self.one::<Savings>(client_id, savings_id, as_of).await
    }

    async fn contributions(&self, client_id: &str, as_of: Date) -> Result<ContributionsView, AccountingError> {
        let rows = sqlx::query(
            "SELECT kind, op_on, amount, description FROM ledger_contributions WHERE client_id = $1 AND op_on <= $2 \
             ORDER BY op_on, id",
        )
        .bind(client_id)
        .bind(day(as_of))
        .fetch_all(self.store.pool())
        .await?;
        let mut returnable = ContributionAccount { kind: ContributionKind::Returnable, balance: 0, operations: vec![] };
        let mut membership = ContributionAccount { kind: ContributionKind::Membership, balance: 0, operations: vec![] };
        for r in &rows {
            let account = if r.get::<String, _>(0) == "returnable" { &mut returnable } else { &mut membership };
            let amount: i64 = r.get(2);
            account.balance += amount;
            account.operations.push(ContributionOperation { date: r.get(1), amount, description: r.get(3) });
        }
        Ok(ContributionsView { as_of: day(as_of), returnable, membership })
    }

    async fn products(&self) -> Result<ProductsView, AccountingError> {
        self.products_view().await
    }

    async fn preview_application(&self, client_id: &str, application: &NewApplication, today: Date)
        -> Result<ApplicationPreview, AccountingError> {
        self.preview(client_id, application, today).await
    }

    async fn create_application(
        &self,
        client_id: &str,
        key: &str,
        application: &NewApplication,
        today: Date,
        now: OffsetDateTime,
    ) -> Result<Application, AccountingError> {
        self.create(client_id, key, application, today, now).await
    }

    async fn applications(&self, client_id: &str) -> Result<Vec<Application>, AccountingError> {
        self.all_applications(client_id).await
    }

    async fn messages(&self, client_id: &str) -> Result<Vec<Message>, AccountingError> {
        self.conversation(client_id).await
    }

    async fn message(&self, client_id: &str, message_id: &str) -> Result<Option<Message>, AccountingError> {
        self.one_message(client_id, message_id).await
    }

    async fn mark_read(&self, client_id: &str, message_id: &str, at: OffsetDateTime) -> Result<bool, AccountingError> {
        self.mark_read_by(client_id, message_id, MessageDirection::FromOrganisation, at).await
    }

    async fn send_message(
        &self,
        client_id: &str,
        key: &str,
        text: &str,
        files: &[NewAttachment],
        at: OffsetDateTime,
    ) -> Result<Message, AccountingError> {
        self.store_message(messages::Outgoing {
            client_id,
            direction: MessageDirection::FromClient,
            text,
            files,
            author: None,
            in_reply_to: None,
            key: Some(key),
            at,
        })
        .await
    }

    async fn attachment(&self, client_id: &str, message_id: &str, attachment_id: &str)
        -> Result<Option<AttachmentFile>, AccountingError> {
        self.attachment_file(client_id, message_id, attachment_id).await
    }

    async fn upload_bytes(&self, client_id: &str) -> Result<u64, AccountingError> {
        self.sent_bytes(client_id).await
    }

    async fn quote_payment(&self, client_id: &str, request: &PaymentRequest, today: Date)
        -> Result<Option<PaymentPreview>, AccountingError> {
        self.quote(client_id, request, today).await
    }

    async fn post_payment(&self, client_id: &str, posting: &CardPosting) -> Result<PostingReceipt, AccountingError> {
        self.post_card(client_id, posting, OffsetDateTime::now_utc().unix_timestamp()).await
    }
}
