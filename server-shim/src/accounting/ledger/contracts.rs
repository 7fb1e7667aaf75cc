//! Reading and posting to the ledger's contracts, written once for both kinds: a loan and a
//! savings contract differ in their table, their terms, their events and the engine function
//! that computes them ([`ContractKind`]), not in how they are stored, listed, locked or checked.

use kabinet_api::payments::CardPosting;
use kabinet_api::cabinet::{Kopecks, LoanDetail, LoanSummary, SavingsDetail, SavingsSummary};
use sqlx::any::AnyRow;
use sqlx::Row;
use time::Date;

use super::engine::{self, LoanError, LoanEvent, LoanTerms, Recalculation, SavingsError, SavingsEvent, SavingsTerms};
use super::{day, parse_day, parse_repayment, u32_col, Ledger, LedgerError};
use crate::accounting::AccountingError;

/// What differs between a loan and a savings contract in storage.
pub(super) trait ContractKind {
    type Terms: Send + Sync;
    type Event: Send + Sync;
    type Detail: Send;
    type Summary: Send;
    type Error: std::fmt::Display + Into<LedgerError>;

    /// For messages: «loan», «savings».
    const NAME: &'static str;
    const TABLE: &'static str;
    /// The terms' columns, in the order [`ContractKind::terms`] reads them.
    const COLS: &'static str;
    /// The column of the first day, for ordering lists.
    const START: &'static str;
    const EVENTS_TABLE: &'static str;
    /// The events table's column naming the contract.
    const EVENTS_KEY: &'static str;

    fn terms(r: &AnyRow) -> Result<Self::Terms, AccountingError>;
    fn id(t: &Self::Terms) -> &str;
    fn start(t: &Self::Terms) -> Date;
    fn event(kind: &str, date: Date, amount: Kopecks) -> Option<Self::Event>;
    /// How an event is stored: its kind, day and amount.
    fn stored(e: &Self::Event) -> (&'static str, Date, Kopecks);
    fn unordered() -> Self::Error;
    fn compute(t: &Self::Terms, events: &[Self::Event], as_of: Date) -> Result<Self::Detail, Self::Error>;
    fn summary(d: Self::Detail) -> Self::Summary;
}

pub(super) struct Loans;
pub(super) struct Savings;

impl ContractKind for Loans {
    type Terms = LoanTerms;
    type Event = LoanEvent;
    type Detail = LoanDetail;
    type Summary = LoanSummary;
    type Error = LoanError;

    const NAME: &'static str = "loan";
    const TABLE: &'static str = "ledger_loans";
    const COLS: &'static str = "id, number, product, issued_on, amount, rate_bp, term_months, repayment, penalty_rate_bp";
    const START: &'static str = "issued_on";
    const EVENTS_TABLE: &'static str = "ledger_loan_events";
    const EVENTS_KEY: &'static str = "loan_id";

    fn terms(r: &AnyRow) -> Result<LoanTerms, AccountingError> {
        Ok(LoanTerms {
            id: r.get(0),
            number: r.get(1),
            product: r.get(2),
            issued_on: parse_day(&r.get::<String, _>(3))?,
            amount: r.get(4),
            rate_bp: u32_col(r, 5),
            term_months: u32_col(r, 6),
            repayment: parse_repayment(&r.get::<String, _>(7))?,
            penalty_rate_bp: u32_col(r, 8),
        })
    }
    fn id(t: &LoanTerms) -> &str {
        &t.id
    }
    fn start(t: &LoanTerms) -> Date {
        t.issued_on
    }
    fn event(kind: &str, date: Date, amount: Kopecks) -> Option<LoanEvent> {
        Some(match kind {
            "payment" => LoanEvent::Payment { date, amount },
            "early_shorter_term" => LoanEvent::EarlyRepayment { date, amount, mode: Recalculation::ShorterTerm },
            "early_smaller_installment" => LoanEvent::EarlyRepayment { date, amount, mode: Recalculation::SmallerInstallment },
            _ => return None,
        })
    }
    fn stored(e: &LoanEvent) -> (&'static str, Date, Kopecks) {
        match *e {
            LoanEvent::Payment { date, amount } => ("payment", date, amount),
            LoanEvent::EarlyRepayment { date, amount, mode: Recalculation::ShorterTerm } => ("early_shorter_term", date, amount),
            LoanEvent::EarlyRepayment { date, amount, mode: Recalculation::SmallerInstallment } => {
                ("early_smaller_installment", date, amount)
            }
        }
    }
    fn unordered() -> LoanError {
        LoanError::Unordered
    }
    fn compute(t: &LoanTerms, events: &[LoanEvent], as_of: Date) -> Result<LoanDetail, LoanError> {
        engine::loan_detail(t, events, as_of)
    }
    fn summary(d: LoanDetail) -> LoanSummary {
        d.summary
    }
}

impl ContractKind for Savings {
    type Terms = SavingsTerms;
    type Event = SavingsEvent;
    type Detail = SavingsDetail;
    type Summary = SavingsSummary;
    type Error = SavingsError;

    const NAME: &'static str = "savings";
    const TABLE: &'static str = "ledger_savings";
    const COLS: &'static str = "id, number, product, opened_on, amount, rate_bp, term_months, capitalisation, \
        top_up_allowed, withdrawal_allowed, min_balance, early_rate_bp";
    const START: &'static str = "opened_on";
    const EVENTS_TABLE: &'static str = "ledger_savings_events";
    const EVENTS_KEY: &'static str = "savings_id";

    fn terms(r: &AnyRow) -> Result<SavingsTerms, AccountingError> {
        Ok(SavingsTerms {
            id: r.get(0),
            number: r.get(1),
            product: r.get(2),
            opened_on: parse_day(&r.get::<String, _>(3))?,
            amount: r.get(4),
            rate_bp: u32_col(r, 5),
            term_months: u32_col(r, 6),
            capitalisation: r.get::<i64, _>(7) != 0,
            top_up_allowed: r.get::<i64, _>(8) != 0,
            partial_withdrawal_allowed: r.get::<i64, _>(9) != 0,
            min_balance: r.get(10),
            early_rate_bp: u32_col(r, 11),
        })
    }
    fn id(t: &SavingsTerms) -> &str {
        &t.id
    }
    fn start(t: &SavingsTerms) -> Date {
        t.opened_on
    }
    fn event(kind: &str, date: Date, amount: Kopecks) -> Option<SavingsEvent> {
        Some(match kind {
            "top_up" => SavingsEvent::TopUp { date, amount },
            "withdrawal" => SavingsEvent::Withdrawal { date, amount },
            "early_termination" => SavingsEvent::EarlyTermination { date },
            _ => return None,
        })
    }
    fn stored(e: &SavingsEvent) -> (&'static str, Date, Kopecks) {
        match *e {
            SavingsEvent::TopUp { date, amount } => ("top_up", date, amount),
            SavingsEvent::Withdrawal { date, amount } => ("withdrawal", date, amount),
            SavingsEvent::EarlyTermination { date } => ("early_termination", date, 0),
        }
    }
    fn unordered() -> SavingsError {
        SavingsError::Unordered
    }
    fn compute(t: &SavingsTerms, events: &[SavingsEvent], as_of: Date) -> Result<SavingsDetail, SavingsError> {
        engine::savings_detail(t, events, as_of)
    }
    fn summary(d: SavingsDetail) -> SavingsSummary {
        d.summary
    }
}

fn events_sql<K: ContractKind>() -> String {
    format!("SELECT kind, event_on, amount FROM {} WHERE {} = $1 ORDER BY event_on, id", K::EVENTS_TABLE, K::EVENTS_KEY)
}

fn parse_events<K: ContractKind>(rows: &[AnyRow]) -> Result<Vec<K::Event>, AccountingError> {
    rows.iter()
        .map(|r| {
            let kind: String = r.get(0);
            let date = parse_day(&r.get::<String, _>(1))?;
            K::event(&kind, date, r.get(2))
                .ok_or_else(|| AccountingError::Unavailable(format!("unknown {} event {kind:?}", K::NAME)))
        })
        .collect()
}

fn engine_failure(id: &str, e: impl std::fmt::Display) -> AccountingError {
    // Events are checked by the engine when posted, so this means the data was edited by hand.
    AccountingError::Unavailable(format!("ledger contract {id} cannot be computed: {e}"))
}

impl Ledger {
    /// A contract's events in the order they apply.
    pub(super) async fn events<K: ContractKind>(&self, id: &str) -> Result<Vec<K::Event>, AccountingError> {
        let rows = sqlx::query(&events_sql::<K>()).bind(id).fetch_all(self.store.pool()).await?;
        parse_events::<K>(&rows)
    }

    /// The client's contracts of this kind as of a day, newest first. One that cannot be
    /// computed (data edited by hand) must not hide the others: it is left out and logged;
    /// opening it answers the error.
    pub(super) async fn list<K: ContractKind>(&self, client_id: &str, as_of: Date) -> Result<Vec<K::Summary>, AccountingError> {
        let sql = format!("SELECT {} FROM {} WHERE client_id = $1 ORDER BY {} DESC, number DESC", K::COLS, K::TABLE, K::START);
        let rows = sqlx::query(&sql).bind(client_id).fetch_all(self.store.pool()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let terms = K::terms(r)?;
            if K::start(&terms) > as_of {
                continue;
            }
            let events = self.events::<K>(K::id(&terms)).await?;
            match K::compute(&terms, &events, as_of) {
                Ok(detail) => out.push(K::summary(detail)),
                Err(e) => tracing::error!(error = %engine_failure(K::id(&terms), e), kind = K::NAME, "a contract is left out of the list"),
            }
        }
        Ok(out)
    }

    /// One contract as of a day, if it is this client's and had begun by then.
    pub(super) async fn one<K: ContractKind>(&self, client_id: &str, id: &str, as_of: Date) -> Result<Option<K::Detail>, AccountingError> {
        let sql = format!("SELECT {} FROM {} WHERE id = $1 AND client_id = $2", K::COLS, K::TABLE);
        let row = sqlx::query(&sql).bind(id).bind(client_id).fetch_optional(self.store.pool()).await?;
        let Some(r) = row else { return Ok(None) };
        let terms = K::terms(&r)?;
        if K::start(&terms) > as_of {
            return Ok(None);
        }
        let events = self.events::<K>(K::id(&terms)).await?;
        K::compute(&terms, &events, as_of).map(Some).map_err(|e| engine_failure(K::id(&terms), e))
    }

    /// A contract's terms and events, if it is this client's: for working out what an event
    /// would do before anyone posts it.
    pub(super) async fn load<K: ContractKind>(&self, client_id: &str, id: &str) -> Result<Option<(K::Terms, Vec<K::Event>)>, AccountingError> {
        let sql = format!("SELECT {} FROM {} WHERE id = $1 AND client_id = $2", K::COLS, K::TABLE);
        let row = sqlx::query(&sql).bind(id).bind(client_id).fetch_optional(self.store.pool()).await?;
        let Some(r) = row else { return Ok(None) };
        let terms = K::terms(&r)?;
        let events = self.events::<K>(K::id(&terms)).await?;
        Ok(Some((terms, events)))
    }

    /// Posts an event after checking with the engine that the contract can take it on its
    /// day. Events are kept in date order: one dated before the last posted event is refused,
    /// since it would silently rewrite figures already shown.
    ///
    /// The check and the insert are one transaction that first locks the contract's row, so
    /// two postings at once are checked one after the other: otherwise both could pass against
    /// the same old state and leave a contract the engine refuses on every later read.
    pub(super) async fn post<K: ContractKind>(&self, id_or_number: &str, event: K::Event, now: i64) -> Result<(), LedgerError> {
        self.post_once::<K>(id_or_number, event, None, now).await.map(|_| ())
    }

    /// [`Ledger::post`], once per card payment when `card` is given: the posting's row is
    /// written in the same transaction as the event, and a payment already posted writes
    /// nothing and answers `false`. The contract must then be the card payer's own.
    pub(super) async fn post_once<K: ContractKind>(
        &self,
        id_or_number: &str,
        event: K::Event,
        card: Option<(&str, &CardPosting)>,
        now: i64,
    ) -> Result<bool, LedgerError> {
        let (kind, date, amount) = K::stored(&event);
        super::bounded(amount)?;
        let mut tx = self.store.pool().begin().await?;
        // A write first: on SQLite it takes the write lock at once (a read first could deadlock
        // two upgrading transactions), on PostgreSQL the row lock.
        sqlx::query(&format!("UPDATE {} SET id = id WHERE id = $1 OR number = $1", K::TABLE))
            .bind(id_or_number)
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(&format!("SELECT {} FROM {} WHERE id = $1 OR number = $1", K::COLS, K::TABLE))
            .bind(id_or_number)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| LedgerError::NotFound(format!("{} {id_or_number}", K::NAME)))?;
        let terms = K::terms(&row).map_err(|e| LedgerError::Invalid(e.to_string()))?;
        if let Some((client_id, posting)) = card {
            let owner = sqlx::query(&format!("SELECT 1 FROM {} WHERE id = $1 AND client_id = $2", K::TABLE))
                .bind(K::id(&terms))
                .bind(client_id)
                .fetch_optional(&mut *tx)
                .await?;
            if owner.is_none() {
                return Err(LedgerError::NotFound(format!("{} {id_or_number}", K::NAME)));
            }
            // Only the owner's own repeat is a repeat: under the contract's lock, a repeat of the
            // same payment sees the first's row.
            let done = sqlx::query("SELECT 1 FROM ledger_card_postings WHERE payment_id = $1")
                .bind(&posting.payment_id)
                .fetch_optional(&mut *tx)
                .await?;
            if done.is_some() {
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO ledger_card_postings (payment_id, contract_kind, contract_id, amount, paid_on, gateway, \
                 order_number, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&posting.payment_id)
            .bind(K::NAME)
            .bind(K::id(&terms))
            .bind(amount)
            .bind(day(date))
            .bind(&posting.gateway)
            .bind(&posting.order_number)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let rows = sqlx::query(&events_sql::<K>()).bind(K::id(&terms)).fetch_all(&mut *tx).await?;
        let mut events = parse_events::<K>(&rows).map_err(|e| LedgerError::Invalid(e.to_string()))?;
        if events.last().is_some_and(|last| K::stored(last).1 > date) {
            return Err(K::unordered().into());
        }
        events.push(event);
        K::compute(&terms, &events, date).map_err(Into::into)?;
        sqlx::query(&format!(
            "INSERT INTO {} ({}, kind, event_on, amount, created_at) VALUES ($1, $2, $3, $4, $5)",
            K::EVENTS_TABLE,
            K::EVENTS_KEY
        ))
        .bind(K::id(&terms))
        .bind(kind)
        .bind(day(date))
        .bind(amount)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
