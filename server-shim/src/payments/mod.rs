//! Card payments: a payment's life from the client's «Оплатить» to the posting in accounting.
//!
//! - The amount comes from accounting's quote, never from the browser (A26).
//! - A payment becomes paid only when the bank's status says so for the amount registered:
//!   a verified callback is a trigger to ask, the client's return is a trigger to ask, and
//!   the reconciler asks about payments nobody told us about (A27, A29).
//! - Paid happens once: a conditional update from pending, in the same transaction as the
//!   outbox row that makes the posting. The posting is retried with backoff until accounting
//!   takes it, and accounting takes each payment id once, so a crash anywhere between the
//!   bank's confirmation and the posting still ends in exactly one posting (A28, A29).
//! - Every change wakes the clients waiting on the payment's status (long polling), so the
//!   open widget shows it at once.

pub mod callback;
pub mod receipt;
pub mod routes;
pub mod worker;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kabinet_api::payments::{
    CardPosting, Payment, PaymentContractKind, PaymentPreview, PaymentPurpose, PaymentStatus,
};
use kabinet_api::ErrorCode;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::accounting::{business_day, AccountingError, ClientRecord, DynAccounting};
use crate::audit::{AuditEntry, EventKind, Journal};
use crate::clock::{format_utc, Clock};
use crate::config::{Mode, PaymentsConfig};
use crate::gateways::acquiring::{AcquirerError, CallbackError, CallbackNotice, DynAcquirer, NewOrder, OrderStatus, PaymentState};
use crate::http::error::AppError;
use crate::storage::Store;

/// The failpoint right after a payment's confirmation is committed and before anything is
/// posted: with `KABINET_FAILPOINT=payment_confirmed` (demo and test modes only) the shim kills
/// itself there with SIGKILL, as a crash would.
pub const FAILPOINT_CONFIRMED: &str = "payment_confirmed";

/// How long a claim on an outbox row keeps other instances off it.
const LEASE_SECS: i64 = 60;
/// The most one pass of the reconciler or the outbox takes on.
const BATCH: i64 = 50;
/// The widget's status requests ask the bank at most this often per payment.
const REFRESH_EVERY_SECS: u64 = 3;

const COLS: &str = "id, client_id, client_name, session_id, gateway, order_number, gateway_order_id, contract_kind, \
    contract_id, contract_number, purpose, amount, penalty, interest, principal, advance, description, status, \
    payment_url, created_at, paid_at, posted_at, checks, next_check_at";

/// A payment as stored.
#[derive(Debug, Clone)]
pub struct PaymentRow {
    pub id: String,
    pub client_id: String,
    pub client_name: String,
    pub session_id: String,
    pub gateway: String,
    pub order_number: String,
    pub gateway_order_id: Option<String>,
    pub contract_kind: PaymentContractKind,
    pub contract_id: String,
    pub contract_number: String,
    pub purpose: PaymentPurpose,
    pub amount: i64,
    pub penalty: i64,
    pub interest: i64,
    pub principal: i64,
    pub advance: i64,
    pub description: String,
    /// `new`, `failed` or a [`PaymentStatus`].
    pub status: String,
    pub payment_url: Option<String>,
    pub created_at: i64,
    pub paid_at: Option<i64>,
    pub posted_at: Option<i64>,
    pub checks: i64,
    pub next_check_at: i64,
}

fn kind_str(k: PaymentContractKind) -> &'static str {
    match k {
        PaymentContractKind::Loan => "loan",
        PaymentContractKind::Savings => "savings",
    }
}

fn purpose_str(p: PaymentPurpose) -> &'static str {
    match p {
        PaymentPurpose::NextInstallment => "next_installment",
        PaymentPurpose::Overdue => "overdue",
        PaymentPurpose::Custom => "custom",
        PaymentPurpose::TopUp => "top_up",
    }
}

fn parse_purpose(s: &str) -> PaymentPurpose {
    match s {
        "overdue" => PaymentPurpose::Overdue,
        "custom" => PaymentPurpose::Custom,
        "top_up" => PaymentPurpose::TopUp,
        _ => PaymentPurpose::NextInstallment,
    }
}

impl PaymentRow {
    fn from_row(r: &AnyRow) -> PaymentRow {
        PaymentRow {
            id: r.get(0),
            client_id: r.get(1),
            client_name: r.get(2),
            session_id: r.get(3),
            gateway: r.get(4),
            order_number: r.get(5),
            gateway_order_id: r.get(6),
            contract_kind: if r.get::<String, _>(7) == "savings" {
                PaymentContractKind::Savings
            } else {
                PaymentContractKind::Loan
            },
            contract_id: r.get(8),
            contract_number: r.get(9),
            purpose: parse_purpose(&r.get::<String, _>(10)),
            amount: r.get(11),
            penalty: r.get(12),
            interest: r.get(13),
            principal: r.get(14),
            advance: r.get(15),
            description: r.get(16),
            status: r.get(17),
            payment_url: r.get(18),
            created_at: r.get(19),
            paid_at: r.get(20),
            posted_at: r.get(21),
            checks: r.get::<i64, _>(22),
            next_check_at: r.get(23),
        }
    }

    /// The status as the client sees it: a payment not yet registered is already «в обработке».
    pub fn status(&self) -> PaymentStatus {
        PaymentStatus::parse(&self.status).unwrap_or(PaymentStatus::Pending)
    }

    pub fn to_api(&self) -> Payment {
        let at = |t: i64| time::OffsetDateTime::from_unix_timestamp(t).map(format_utc).unwrap_or_default();
        Payment {
            id: self.id.clone(),
            contract_id: self.contract_id.clone(),
            contract_number: self.contract_number.clone(),
            contract_kind: self.contract_kind,
            purpose: self.purpose,
            amount: self.amount,
            penalty: self.penalty,
            interest: self.interest,
            principal: self.principal,
            advance: self.advance,
            description: self.description.clone(),
            status: self.status(),
            gateway: self.gateway.clone(),
            order_number: self.order_number.clone(),
            created_at: at(self.created_at),
            paid_at: self.paid_at.map(at),
            posted: self.posted_at.is_some(),
        }
    }

    fn journal_entry(&self, division: &str, kind: EventKind) -> AuditEntry {
        AuditEntry::new(kind, division)
            .client(&self.client_id, &self.client_name)
            .session(&self.session_id)
            .subject(format!("Платёж {} по договору {}", self.order_number, self.contract_number))
    }
}

/// Who starts a payment, for the row and the journal.
pub struct Payer<'a> {
    pub client: &'a ClientRecord,
    pub session_uid: &'a str,
    pub ip: &'a str,
}

/// The payments service, shared by the routes, the callback and the workers.
pub struct Payments {
    store: Store,
    journal: Journal,
    accounting: DynAccounting,
    acquirer: DynAcquirer,
    clock: Arc<dyn Clock>,
    config: PaymentsConfig,
    division: String,
    /// Bumped on every change this instance makes; long polls wait on it (and re-read the
    /// database every second for changes made by other instances).
    changes: tokio::sync::watch::Sender<u64>,
    /// When the bank was last asked about a payment on a client's behalf (monotonic time, so
    /// a clock moved by hand or by NTP neither stops nor floods the asking).
    refreshed: Mutex<HashMap<String, std::time::Instant>>,
    /// Payments whose disagreement with the bank this instance already journaled.
    alerted: Mutex<std::collections::HashSet<String>>,
    /// Rejected callbacks per sender in the current minute.
    rejected: Mutex<HashMap<std::net::IpAddr, (std::time::Instant, u32)>>,
    /// At most this many status queries on clients' behalf at once.
    refresh_slots: Arc<tokio::sync::Semaphore>,
    /// Wakes the outbox worker when a payment is confirmed.
    outbox_kick: tokio::sync::Notify,
    failpoint: crate::failpoint::Failpoint,
    /// Set when the shim is stopping: long polls answer at once instead of holding the
    /// graceful shutdown for their full wait.
    stop: tokio::sync::watch::Sender<bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum PaymentsError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("journal: {0}")]
    Journal(String),
}

impl From<crate::storage::AuditAppendError> for PaymentsError {
    fn from(e: crate::storage::AuditAppendError) -> Self {
        PaymentsError::Journal(e.to_string())
    }
}

impl From<PaymentsError> for AppError {
    fn from(e: PaymentsError) -> Self {
        match e {
            PaymentsError::Db(e) => AppError::from(e),
            PaymentsError::Journal(m) => AppError::Internal(m),
        }
    }
}

impl Payments {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Store,
        journal: Journal,
        accounting: DynAccounting,
        acquirer: DynAcquirer,
        clock: Arc<dyn Clock>,
        config: PaymentsConfig,
        division: String,
        mode: Mode,
    ) -> Payments {
        let failpoint = crate::failpoint::Failpoint::from_env(mode);
        Payments {
            store,
            journal,
            accounting,
            acquirer,
            clock,
            config,
            division,
            changes: tokio::sync::watch::channel(0).0,
            refreshed: Mutex::new(HashMap::new()),
            alerted: Mutex::new(std::collections::HashSet::new()),
            rejected: Mutex::new(HashMap::new()),
            refresh_slots: Arc::new(tokio::sync::Semaphore::new(8)),
            outbox_kick: tokio::sync::Notify::new(),
            failpoint,
            stop: tokio::sync::watch::channel(false).0,
        }
    }

    pub fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Ends the long polls and the workers.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    pub fn gateway(&self) -> &'static str {
        self.acquirer.gateway().as_str()
    }

    /// Checks a callback's signature with the configured bank's rules.
    pub fn verify_callback(&self, params: &[(String, String)]) -> Result<CallbackNotice, CallbackError> {
        self.acquirer.verify_callback(params)
    }

    pub fn config(&self) -> &PaymentsConfig {
        &self.config
    }

    fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn changed(&self) {
        self.changes.send_modify(|v| *v = v.wrapping_add(1));
    }

    async fn record(&self, entry: AuditEntry) {
        // The payment's state is already committed; a journal that cannot be written is
        // logged loudly rather than undoing a bank's confirmation.
        if let Err(e) = self.journal.record(entry).await {
            tracing::error!(error = %e, "a payment event could not be journaled");
        }
    }

    /// One payment of this client, as stored (a payment the bank never registered is none).
    pub async fn find(&self, client_id: &str, id: &str) -> Result<Option<PaymentRow>, PaymentsError> {
        self.one_where("id = $1 AND client_id = $2 AND status <> 'failed'", &[id, client_id]).await
    }

    /// The one payment matching `condition` (with `$1`, `$2`… for `values`), if any.
    async fn one_where(&self, condition: &str, values: &[&str]) -> Result<Option<PaymentRow>, PaymentsError> {
        let sql = format!("SELECT {COLS} FROM payments WHERE {condition}");
        let mut query = sqlx::query(&sql);
        for v in values {
            query = query.bind(v.to_string());
        }
        let row = query.fetch_optional(self.store.pool()).await?;
        Ok(row.as_ref().map(PaymentRow::from_row))
    }

    async fn by_id(&self, id: &str) -> Result<Option<PaymentRow>, PaymentsError> {
        self.one_where("id = $1", &[id]).await
    }

    /// The payment the bank knows by this order, under this gateway.
    pub async fn by_order(&self, gateway: &str, gateway_order_id: &str) -> Result<Option<PaymentRow>, PaymentsError> {
        self.one_where("gateway = $1 AND gateway_order_id = $2", &[gateway, gateway_order_id]).await
    }

    /// The payment with this order number of ours, under this gateway.
    pub async fn by_order_number(&self, gateway: &str, order_number: &str) -> Result<Option<PaymentRow>, PaymentsError> {
        self.one_where("gateway = $1 AND order_number = $2", &[gateway, order_number]).await
    }

    /// The client's payments, newest first.
    pub async fn list(&self, client_id: &str) -> Result<Vec<PaymentRow>, PaymentsError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM payments WHERE client_id = $1 AND status <> 'failed' ORDER BY created_at DESC, id DESC LIMIT 200"
        ))
        .bind(client_id)
        .fetch_all(self.store.pool())
        .await?;
        Ok(rows.iter().map(PaymentRow::from_row).collect())
    }

    /// Registers the quoted payment with the bank and returns it with the bank's page. The row
    /// is written first, so a bank that answers after we gave up still finds its order.
    pub async fn start(&self, payer: &Payer<'_>, quote: &PaymentPreview, return_to: &url::Url) -> Result<(PaymentRow, String), AppError> {
        let now = self.now();
        let id = uuid::Uuid::new_v4().to_string();
        // Printable ASCII, at most 32 characters, unique per gateway (the UNIQUE constraint).
        let order_number = format!("KB-{}", &uuid::Uuid::new_v4().simple().to_string()[..20].to_uppercase());
        sqlx::query(
            "INSERT INTO payments (id, client_id, client_name, session_id, gateway, order_number, contract_kind, contract_id, \
             contract_number, purpose, amount, penalty, interest, principal, advance, description, status, created_at, \
             updated_at, next_check_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 'new', $17, $17, $18)",
        )
        .bind(&id)
        .bind(&payer.client.id)
        .bind(payer.client.name.full())
        .bind(payer.session_uid)
        .bind(self.gateway())
        .bind(&order_number)
        .bind(kind_str(quote.contract_kind))
        .bind(&quote.contract_id)
        .bind(&quote.contract_number)
        .bind(purpose_str(quote.purpose))
        .bind(quote.amount)
        .bind(quote.penalty)
        .bind(quote.interest)
        .bind(quote.principal)
        .bind(quote.advance)
        .bind(&quote.description)
        .bind(now)
        .bind(now + self.reconcile_after())
        .execute(self.store.pool())
        .await
        .map_err(PaymentsError::from)?;
        let back = return_url_for(return_to, &id);
        let order = NewOrder {
            order_number: order_number.clone(),
            amount: quote.amount,
            description: quote.description.clone(),
            return_url: back.to_string(),
            fail_url: back.to_string(),
            lifetime_secs: self.config.page_lifetime_secs,
        };
        let row = self.by_id(&id).await?.ok_or_else(|| AppError::Internal("the payment just written is gone".into()))?;
        let entry = row
            .journal_entry(&self.division, EventKind::PaymentStarted)
            .ip(payer.ip)
            .description(format!("Сумма {} ₽, {}, банк {}", kabinet_api::cabinet::format_rub(quote.amount), quote.description, self.gateway()));
        self.journal.record(entry).await?;
        match self.acquirer.register(&order).await {
            Ok(registered) => {
                let updated = sqlx::query(
                    "UPDATE payments SET status = 'pending', gateway_order_id = $1, payment_url = $2, bank_status = $3, \
                     updated_at = $4 WHERE id = $5 AND status = 'new'",
                )
                .bind(&registered.gateway_order_id)
                .bind(&registered.payment_url)
                .bind(&registered.raw)
                .bind(self.now())
                .bind(&id)
                .execute(self.store.pool())
                .await
                .map_err(PaymentsError::from)?;
                if updated.rows_affected() != 1 {
                    return Err(AppError::Internal("the new payment changed while it was registered".into()));
                }
                let row = self.by_id(&id).await?.ok_or_else(|| AppError::Internal("the payment is gone".into()))?;
                Ok((row, registered.payment_url))
            }
            Err(e) => {
                // The client never saw a payment page for it, so it can never be paid: it is
                // kept (evidence of the attempt) but not shown.
                tracing::warn!(error = %e, payment = %id, gateway = self.gateway(), "the bank did not register the payment");
                let _ = sqlx::query("UPDATE payments SET status = 'failed', bank_status = $1, updated_at = $2 WHERE id = $3")
                    .bind(e.to_string())
                    .bind(self.now())
                    .bind(&id)
                    .execute(self.store.pool())
                    .await;
                self.record(
                    row.journal_entry(&self.division, EventKind::PaymentDeclined)
                        .ip(payer.ip)
                        .description(format!("Банк не принял заказ: {e}")),
                )
                .await;
                Err(AppError::Client(ErrorCode::PaymentsUnavailable))
            }
        }
    }

    fn reconcile_after(&self) -> i64 {
        i64::try_from(self.config.reconcile_after_secs).unwrap_or(i64::MAX / 4)
    }

    /// Asks the bank about a pending payment on a client's behalf (their status screen, their
    /// return from the bank), at most every few seconds per payment.
    pub async fn refresh_for_client(self: &Arc<Self>, row: &PaymentRow) {
        if row.status != "pending" || row.gateway_order_id.is_none() {
            return;
        }
        let now = std::time::Instant::now();
        let every = std::time::Duration::from_secs(REFRESH_EVERY_SECS);
        {
            let mut last = self.refreshed.lock().unwrap_or_else(|e| e.into_inner());
            if last.get(&row.id).is_some_and(|t| now.duration_since(*t) < every) {
                return;
            }
            last.retain(|_, t| now.duration_since(*t) < std::time::Duration::from_secs(60));
            last.insert(row.id.clone(), now);
        }
        // Bounded: a flood of status screens cannot become a flood of calls to the bank.
        let Ok(slot) = self.refresh_slots.clone().try_acquire_owned() else { return };
        let this = self.clone();
        let row = row.clone();
        tokio::spawn(async move {
            this.refresh(&row, "запрос статуса при возврате клиента").await;
            drop(slot);
        });
    }

    /// Asks the bank where a payment stands and acts on the answer.
    pub async fn refresh(&self, row: &PaymentRow, source: &str) {
        let Some(order_id) = row.gateway_order_id.as_deref() else { return };
        match self.acquirer.status(&row.order_number, order_id).await {
            Ok(status) => {
                if let Err(e) = self.apply(row, &status, source).await {
                    tracing::error!(error = %e, payment = %row.id, "a bank status could not be applied");
                }
            }
            Err(AcquirerError::UnknownOrder) => {
                tracing::warn!(payment = %row.id, "the bank does not know a registered order");
            }
            Err(e) => tracing::warn!(error = %e, payment = %row.id, "the bank's status could not be read"),
        }
    }

    /// Acts on what the bank says about a payment. Paid counts only for the amount registered.
    pub async fn apply(&self, row: &PaymentRow, status: &OrderStatus, source: &str) -> Result<(), PaymentsError> {
        let now = self.now();
        let foreign_order = status.order_number.as_deref().is_some_and(|n| n != row.order_number);
        let foreign_currency = status.currency.as_deref().is_some_and(|c| !matches!(c, "643" | "RUB"));
        match status.state {
            PaymentState::Paid if status.amount != row.amount || foreign_order || foreign_currency => {
                tracing::error!(payment = %row.id, registered = row.amount, bank = status.amount,
                    order = ?status.order_number, currency = ?status.currency,
                    "the bank reports another amount, order or currency than registered; nothing is credited");
                self.store_bank_status(row, &status.raw, now).await?;
                // Once per payment: the reconciler and the client's screen would repeat it.
                if row.status == "pending" && !self.mismatch_journaled(&row.id) {
                    self.record(row.journal_entry(&self.division, EventKind::PaymentMismatch).description(format!(
                        "Банк сообщает {} ₽ (заказ {}, валюта {}) вместо {} ₽ по заказу {} ({source}); платёж не зачтён",
                        kabinet_api::cabinet::format_rub(status.amount),
                        status.order_number.as_deref().unwrap_or("—"),
                        status.currency.as_deref().unwrap_or("—"),
                        kabinet_api::cabinet::format_rub(row.amount),
                        row.order_number
                    )))
                    .await;
                }
                Ok(())
            }
            PaymentState::Paid if row.status != "pending" && row.status != "new" && row.status != "paid" => {
                // Money taken for a payment we closed as declined or returned: staff must know.
                tracing::error!(payment = %row.id, status = %row.status, "the bank reports paid for a payment closed otherwise");
                self.alert_once(row, &format!("Банк сообщает об оплате платежа со статусом «{}» ({source}); проверьте вручную", row.status)).await;
                Ok(())
            }
            PaymentState::Paid => self.confirm(row, &status.raw, source).await,
            PaymentState::Declined | PaymentState::Reversed if row.status == "paid" => {
                tracing::error!(payment = %row.id, "the bank reports a paid payment reversed");
                self.alert_once(row, &format!("Банк сообщает об отмене оплаченного платежа ({source}); проверьте вручную")).await;
                Ok(())
            }
            PaymentState::Declined | PaymentState::Reversed => self.decline(row, &status.raw, source).await,
            PaymentState::Refunded => {
                let done = sqlx::query(
                    "UPDATE payments SET status = 'refunded', bank_status = $1, updated_at = $2 \
                     WHERE id = $3 AND status IN ('new', 'pending', 'paid')",
                )
                .bind(&status.raw)
                .bind(now)
                .bind(&row.id)
                .execute(self.store.pool())
                .await?;
                if done.rows_affected() == 1 {
                    self.changed();
                    // A posting already made is not undone here: the refund is the bank's and
                    // accounting's business; staff are told.
                    self.record(row.journal_entry(&self.division, EventKind::PaymentMismatch).description(format!(
                        "Банк сообщает о возврате платежа на карту ({source}); проверьте проводку в учётной системе"
                    )))
                    .await;
                }
                Ok(())
            }
            PaymentState::Pending => self.store_bank_status(row, &status.raw, now).await,
        }
    }

    /// Whether another callback that is not believed may be stored and journaled for this
    /// sender: at most 30 a minute per address, 300 a minute in all.
    pub fn admit_rejected(&self, ip: std::net::IpAddr) -> bool {
        const PER_IP: u32 = 30;
        const IN_ALL: u32 = 300;
        let now = std::time::Instant::now();
        let minute = std::time::Duration::from_secs(60);
        let mut seen = self.rejected.lock().unwrap_or_else(|e| e.into_inner());
        seen.retain(|_, (since, _)| now.duration_since(*since) < minute);
        let total: u32 = seen.values().map(|(_, n)| *n).sum();
        if total >= IN_ALL {
            return false;
        }
        let (_, n) = seen.entry(ip).or_insert((now, 0));
        *n += 1;
        *n <= PER_IP
    }

    /// Whether a mismatch was already journaled for this payment by this instance.
    fn mismatch_journaled(&self, payment_id: &str) -> bool {
        let mut seen = self.alerted.lock().unwrap_or_else(|e| e.into_inner());
        !seen.insert(payment_id.to_owned())
    }

    async fn alert_once(&self, row: &PaymentRow, text: &str) {
        if !self.mismatch_journaled(&row.id) {
            self.record(row.journal_entry(&self.division, EventKind::PaymentMismatch).description(text)).await;
        }
    }

    async fn store_bank_status(&self, row: &PaymentRow, raw: &str, now: i64) -> Result<(), PaymentsError> {
        sqlx::query("UPDATE payments SET bank_status = $1, updated_at = $2 WHERE id = $3")
            .bind(raw)
            .bind(now)
            .bind(&row.id)
            .execute(self.store.pool())
            .await?;
        Ok(())
    }

    /// Marks the payment paid and queues its posting, in one transaction, once: of any number
    /// of confirmations at once (eight identical callbacks, a callback and the reconciler),
    /// exactly one changes the row and writes the outbox.
    async fn confirm(&self, row: &PaymentRow, raw: &str, source: &str) -> Result<(), PaymentsError> {
        let now = self.now();
        let mut tx = self.store.pool().begin().await?;
        let won = sqlx::query(
            "UPDATE payments SET status = 'paid', paid_at = $1, bank_status = $2, updated_at = $1 \
             WHERE id = $3 AND status IN ('new', 'pending')",
        )
        .bind(now)
        .bind(raw)
        .bind(&row.id)
        .execute(&mut *tx)
        .await?;
        if won.rows_affected() != 1 {
            return Ok(());
        }
        sqlx::query("INSERT INTO payment_outbox (payment_id, next_attempt_at, created_at) VALUES ($1, $2, $2)")
            .bind(&row.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.failpoint.hit(FAILPOINT_CONFIRMED);
        self.changed();
        self.journal_confirmation(row, source, now).await?;
        self.outbox_kick.notify_one();
        Ok(())
    }

    /// Journals a payment's confirmation, then notes that it did. Journal first: a crash in
    /// between journals it again at the posting (a repeated line beats a missing one).
    async fn journal_confirmation(&self, row: &PaymentRow, source: &str, now: i64) -> Result<(), PaymentsError> {
        let entry = row.journal_entry(&self.division, EventKind::PaymentConfirmed).description(format!(
            "Сумма {} ₽; подтверждено банком ({source})",
            kabinet_api::cabinet::format_rub(row.amount)
        ));
        if let Err(e) = self.journal.record(entry).await {
            // Left unnoted, so the posting tries again.
            tracing::error!(error = %e, payment = %row.id, "a payment's confirmation could not be journaled");
            return Ok(());
        }
        sqlx::query("UPDATE payment_outbox SET confirm_journaled = $1 WHERE payment_id = $2")
            .bind(now)
            .bind(&row.id)
            .execute(self.store.pool())
            .await?;
        Ok(())
    }

    async fn decline(&self, row: &PaymentRow, raw: &str, source: &str) -> Result<(), PaymentsError> {
        let done = sqlx::query(
            "UPDATE payments SET status = 'declined', bank_status = $1, updated_at = $2 WHERE id = $3 AND status IN ('new', 'pending')",
        )
        .bind(raw)
        .bind(self.now())
        .bind(&row.id)
        .execute(self.store.pool())
        .await?;
        if done.rows_affected() == 1 {
            self.changed();
            self.record(
                row.journal_entry(&self.division, EventKind::PaymentDeclined)
                    .description(format!("Платёж отклонён банком ({source})")),
            )
            .await;
        }
        Ok(())
    }

    /// Takes a posting off the outbox for good, saying why; a person looks at it from there.
    async fn stop_posting(&self, payment_id: &str, why: &str) -> Result<(), PaymentsError> {
        sqlx::query("UPDATE payment_outbox SET failed_at = $1, last_error = $2 WHERE payment_id = $3")
            .bind(self.now())
            .bind(why)
            .bind(payment_id)
            .execute(self.store.pool())
            .await?;
        Ok(())
    }

    /// Posts one confirmed payment to accounting if its outbox row is due and free. Returns
    /// whether it was posted now.
    pub async fn post_one(&self, payment_id: &str) -> Result<bool, PaymentsError> {
        let now = self.now();
        let claimed = sqlx::query(
            "UPDATE payment_outbox SET lease_until = $1, attempts = attempts + 1 \
             WHERE payment_id = $2 AND done_at IS NULL AND failed_at IS NULL AND lease_until < $3 AND next_attempt_at <= $3",
        )
        .bind(now + LEASE_SECS)
        .bind(payment_id)
        .bind(now)
        .execute(self.store.pool())
        .await?;
        if claimed.rows_affected() != 1 {
            return Ok(false);
        }
        let Some(row) = self.by_id(payment_id).await? else { return Ok(false) };
        if row.status != "paid" {
            // Returned to the card before it was posted: there is nothing to post.
            self.stop_posting(payment_id, &format!("not posted: the payment is {}", row.status)).await?;
            return Ok(false);
        }
        let outbox = sqlx::query("SELECT attempts, confirm_journaled FROM payment_outbox WHERE payment_id = $1")
            .bind(payment_id)
            .fetch_one(self.store.pool())
            .await?;
        let attempts: i64 = outbox.get(0);
        if outbox.get::<Option<i64>, _>(1).is_none() {
            // The shim stopped between committing the confirmation and journaling it.
            self.journal_confirmation(&row, "запись восстановлена после перезапуска", now).await?;
        }
        let paid_at = row.paid_at.unwrap_or(now);
        let paid_on = time::OffsetDateTime::from_unix_timestamp(paid_at).map(business_day).unwrap_or_else(|_| business_day(self.clock.now()));
        let posting = CardPosting {
            payment_id: row.id.clone(),
            contract_id: row.contract_id.clone(),
            contract_kind: row.contract_kind,
            purpose: row.purpose,
            amount: row.amount,
            paid_on: crate::accounting::ledger::day(paid_on),
            gateway: row.gateway.clone(),
            order_number: row.order_number.clone(),
        };
        match self.accounting.post_payment(&row.client_id, &posting).await {
            Ok(receipt) => {
                let done = self.now();
                let mut tx = self.store.pool().begin().await?;
                sqlx::query("UPDATE payment_outbox SET done_at = $1, last_error = NULL WHERE payment_id = $2")
                    .bind(done)
                    .bind(payment_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE payments SET posted_at = $1, updated_at = $1 WHERE id = $2")
                    .bind(done)
                    .bind(payment_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                self.changed();
                let mut description = format!("Проведён в учётной системе: {}", receipt.reference);
                if receipt.duplicate {
                    description.push_str(" (повторная отправка, проведён ранее)");
                }
                self.record(row.journal_entry(&self.division, EventKind::PaymentPosted).description(description)).await;
                Ok(true)
            }
            Err(AccountingError::Refused(code)) => {
                // Accounting will not take it as it is: retrying changes nothing. The money is
                // the client's; a person must post it by hand.
                tracing::error!(payment = %row.id, ?code, "accounting refused a paid card payment; post it by hand");
                self.stop_posting(payment_id, &format!("refused: {code:?}")).await?;
                self.record(row.journal_entry(&self.division, EventKind::PaymentPostingFailed).description(format!(
                    "Учётная система не приняла оплаченный платёж ({code:?}); нужно провести вручную"
                )))
                .await;
                Ok(false)
            }
            Err(e) => {
                let wait = backoff(attempts, 5, 3600);
                tracing::warn!(error = %e, payment = %row.id, attempts, retry_in = wait, "posting to accounting failed; will retry");
                sqlx::query("UPDATE payment_outbox SET next_attempt_at = $1, lease_until = 0, last_error = $2 WHERE payment_id = $3")
                    .bind(self.now() + wait)
                    .bind(e.to_string())
                    .bind(payment_id)
                    .execute(self.store.pool())
                    .await?;
                Ok(false)
            }
        }
    }
}

/// The page to come back to, naming the payment: the host page's own parameters are kept
/// byte for byte (a re-encoding could change what the page reads), an old payment's dropped,
/// and the fragment too (the bank appends its own parameters to the query).
fn return_url_for(page: &url::Url, payment_id: &str) -> url::Url {
    let mut back = page.clone();
    let mut parts: Vec<String> = page
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|part| {
            let key = part.split('=').next().unwrap_or_default();
            !part.is_empty() && url::form_urlencoded::parse(key.as_bytes()).all(|(k, _)| k != kabinet_api::payments::RETURN_PARAM)
        })
        .map(str::to_owned)
        .collect();
    parts.push(format!("{}={payment_id}", kabinet_api::payments::RETURN_PARAM));
    back.set_query(Some(&parts.join("&")));
    back.set_fragment(None);
    back
}

/// `base · 2^(attempt-1)` seconds, at most `cap`.
pub fn backoff(attempt: i64, base: i64, cap: i64) -> i64 {
    let shift = attempt.clamp(1, 30) - 1;
    base.saturating_mul(1_i64 << shift).min(cap)
}

#[cfg(test)]
mod tests {
    use super::{backoff, return_url_for};

    #[test]
    fn the_return_url_keeps_the_pages_parameters_as_they_were() {
        let page = url::Url::parse("https://company.ru/lk/?q=a%20b&kabinet_payment=old&x=%D0%B9#top").unwrap();
        assert_eq!(
            return_url_for(&page, "p-1").as_str(),
            "https://company.ru/lk/?q=a%20b&x=%D0%B9&kabinet_payment=p-1"
        );
        let bare = url::Url::parse("https://company.ru/lk").unwrap();
        assert_eq!(return_url_for(&bare, "p-2").as_str(), "https://company.ru/lk?kabinet_payment=p-2");
        let encoded = url::Url::parse("https://company.ru/?kabinet%5Fpayment=old").unwrap();
        assert_eq!(return_url_for(&encoded, "p-3").as_str(), "https://company.ru/?kabinet_payment=p-3");
    }

    #[test]
    fn backoff_doubles_and_stops_at_the_cap() {
        assert_eq!(backoff(1, 5, 3600), 5);
        assert_eq!(backoff(2, 5, 3600), 10);
        assert_eq!(backoff(5, 5, 3600), 80);
        assert_eq!(backoff(20, 5, 3600), 3600);
        assert_eq!(backoff(i64::MAX, 5, 3600), 3600);
        assert_eq!(backoff(0, 5, 3600), 5);
    }
}
