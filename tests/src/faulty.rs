//! An accounting system that breaks on command: the real accounting contract served (HMAC,
//! plain HTTP on loopback) from a seeded built-in ledger, with a switch that makes the data
//! calls answer 5xx or hang. Sign-in calls (finding a client, reading their card) keep working,
//! so a test can sign in first and then watch the cabinet meet a broken accounting system.
//! Writes can also be made to fail *after* they are done, as when the answer is lost on the
//! way back: the case the Idempotency-Key exists for.

use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use std::sync::Arc;

use kabinet_api::cabinet::{ContributionsView, LoanDetail, LoansView, SavingsDetail, SavingsView};
use kabinet_api::Phone;
use kabinet_shim::accounting::contract::{serve, ContractAuth};
use kabinet_shim::accounting::ledger::Ledger;
use kabinet_shim::accounting::{
    business_day, Accounting, AccountingError, AttachmentFile, ClientRecord, DynAccounting, FullName, NewAttachment,
};
use kabinet_api::cabinet::Application;
use kabinet_api::messages::Message;
use kabinet_api::payments::{CardPosting, PaymentPreview, PaymentRequest, PostingReceipt};
use kabinet_api::requests::{ApplicationPreview, NewApplication, ProductsView};
use time::OffsetDateTime;
use kabinet_shim::config::{AccountingBackend, AccountingConfig};
use kabinet_shim::storage::Store;
use secrecy::SecretString;
use time::Date;
use tokio::sync::oneshot;

const SECRET: &str = "faulty-accounting-shared-secret-0123456789";

/// What the data calls do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Fault {
    /// Answer from the ledger.
    None = 0,
    /// Fail: the contract answers 503.
    Fail = 1,
    /// Never answer.
    Hang = 2,
}

struct Faulty {
    inner: DynAccounting,
    mode: Arc<AtomicU8>,
    /// Writes still to fail after being done.
    lose_answers: Arc<AtomicU32>,
}

impl Faulty {
    /// After a write is done: fails it (the contract answers 503) while answers are to be lost.
    fn answer<T>(&self, done: Result<T, AccountingError>) -> Result<T, AccountingError> {
        if done.is_ok() && self.lose_answers.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            return Err(AccountingError::Unavailable("the test lost the answer of a write it made".into()));
        }
        done
    }

    async fn gate(&self) -> Result<(), AccountingError> {
        match self.mode.load(Ordering::SeqCst) {
            1 => Err(AccountingError::Unavailable("the test broke accounting".into())),
            2 => std::future::pending().await,
            _ => Ok(()),
        }
    }
}

#[async_trait::async_trait]
impl Accounting for Faulty {
    async fn find_client(&self, name: &FullName, phone: &Phone) -> Result<Option<String>, AccountingError> {
        self.inner.find_client(name, phone).await
    }
    async fn find_client_by_passport(&self, name: &FullName, passport: &kabinet_shim::accounting::Passport) -> Result<Option<ClientRecord>, AccountingError> {
        self.inner.find_client_by_passport(name, passport).await
    }
    async fn client(&self, id: &str) -> Result<Option<ClientRecord>, AccountingError> {
        self.inner.client(id).await
    }
    async fn loans(&self, client_id: &str, as_of: Date) -> Result<LoansView, AccountingError> {
        self.gate().await?;
        self.inner.loans(client_id, as_of).await
    }
    async fn loan(&self, client_id: &str, loan_id: &str, as_of: Date) -> Result<Option<LoanDetail>, AccountingError> {
        self.gate().await?;
        self.inner.loan(client_id, loan_id, as_of).await
    }
    async fn savings(&self, client_id: &str, as_of: Date) -> Result<SavingsView, AccountingError> {
        self.gate().await?;
        self.inner.savings(client_id, as_of).await
    }
    async fn saving(&self, client_id: &str, savings_id: &str, as_of: Date) -> Result<Option<SavingsDetail>, AccountingError> {
        self.gate().await?;
        self.inner.saving(client_id, savings_id, as_of).await
    }
    async fn contributions(&self, client_id: &str, as_of: Date) -> Result<ContributionsView, AccountingError> {
        self.gate().await?;
        self.inner.contributions(client_id, as_of).await
    }
    async fn products(&self) -> Result<ProductsView, AccountingError> {
        self.gate().await?;
        self.inner.products().await
    }
    async fn preview_application(&self, client_id: &str, a: &NewApplication, today: Date)
        -> Result<ApplicationPreview, AccountingError> {
        self.gate().await?;
        self.inner.preview_application(client_id, a, today).await
    }
    async fn create_application(&self, client_id: &str, key: &str, a: &NewApplication, today: Date, now: OffsetDateTime)
        -> Result<Application, AccountingError> {
        self.gate().await?;
        self.answer(self.inner.create_application(client_id, key, a, today, now).await)
    }
    async fn applications(&self, client_id: &str) -> Result<Vec<Application>, AccountingError> {
        self.gate().await?;
        self.inner.applications(client_id).await
    }
    async fn messages(&self, client_id: &str) -> Result<Vec<Message>, AccountingError> {
        self.gate().await?;
        self.inner.messages(client_id).await
    }
    async fn message(&self, client_id: &str, id: &str) -> Result<Option<Message>, AccountingError> {
        self.gate().await?;
        self.inner.message(client_id, id).await
    }
    async fn mark_read(&self, client_id: &str, id: &str, at: OffsetDateTime) -> Result<bool, AccountingError> {
        self.gate().await?;
        self.answer(self.inner.mark_read(client_id, id, at).await)
    }
    async fn send_message(&self, client_id: &str, key: &str, text: &str, files: &[NewAttachment], at: OffsetDateTime)
        -> Result<Message, AccountingError> {
        self.gate().await?;
        self.answer(self.inner.send_message(client_id, key, text, files, at).await)
    }
    async fn attachment(&self, client_id: &str, message_id: &str, id: &str) -> Result<Option<AttachmentFile>, AccountingError> {
        self.gate().await?;
        self.inner.attachment(client_id, message_id, id).await
    }
    async fn upload_bytes(&self, client_id: &str) -> Result<u64, AccountingError> {
        self.gate().await?;
        self.inner.upload_bytes(client_id).await
    }
    async fn quote_payment(&self, client_id: &str, request: &PaymentRequest, today: Date)
        -> Result<Option<PaymentPreview>, AccountingError> {
        self.gate().await?;
        self.inner.quote_payment(client_id, request, today).await
    }
    async fn post_payment(&self, client_id: &str, posting: &CardPosting) -> Result<PostingReceipt, AccountingError> {
        self.gate().await?;
        self.answer(self.inner.post_payment(client_id, posting).await)
    }
}

/// The contract server; stops when dropped.
pub struct FaultyAccounting {
    pub base_url: String,
    /// The ledger behind the contract, to see what the writes really made.
    pub ledger: Ledger,
    mode: Arc<AtomicU8>,
    lose_answers: Arc<AtomicU32>,
    _stop: oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

impl FaultyAccounting {
    pub async fn start() -> FaultyAccounting {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&format!("sqlite://{}?mode=rwc", dir.path().join("accounting.db").display()))
            .await
            .expect("accounting's own database");
        let ledger = Ledger::new(store);
        let now = time::OffsetDateTime::now_utc();
        ledger.seed_demo(now.unix_timestamp(), business_day(now)).await.expect("demo ledger");
        let mode = Arc::new(AtomicU8::new(Fault::None as u8));
        let lose_answers = Arc::new(AtomicU32::new(0));
        let accounting: DynAccounting = Arc::new(Faulty {
            inner: Arc::new(ledger.clone()),
            mode: mode.clone(),
            lose_answers: lose_answers.clone(),
        });
        let mut serving = Self::config_template();
        serving.serve_hmac_secret = SecretString::from(SECRET);
        let auth = ContractAuth::from_config(&serving).expect("contract auth");
        let listener = crate::bind().await;
        let base_url = format!("http://127.0.0.1:{}", listener.local_addr().expect("bound").port());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(serve(listener, accounting, auth, async move {
            let _ = rx.await;
        }));
        FaultyAccounting { base_url, ledger, mode, lose_answers, _stop: tx, _dir: dir }
    }

    fn config_template() -> AccountingConfig {
        let dir = std::env::temp_dir();
        crate::test_config(&dir, "sqlite::memory:", "http://lk.company.localhost", &["http://company.localhost".to_string()]).accounting
    }

    /// The `[accounting]` a shim uses to reach this server: short timeout, one retry.
    pub fn client_config(&self, timeout_secs: u64, read_retries: u32) -> AccountingConfig {
        let mut c = Self::config_template();
        c.backend = AccountingBackend::Http;
        c.base_url = self.base_url.clone();
        c.hmac_secret = SecretString::from(SECRET);
        c.timeout_secs = timeout_secs;
        c.read_retries = read_retries;
        c
    }

    pub fn set(&self, fault: Fault) {
        self.mode.store(fault as u8, Ordering::SeqCst);
    }

    /// The next `n` writes (create_application, send_message, mark_read, post_payment) are done, then
    /// answered 503 as if the answer were lost on the way back.
    pub fn lose_next_write_answers(&self, n: u32) {
        self.lose_answers.store(n, Ordering::SeqCst);
    }
}
