//! Applications in the built-in ledger: the products a client may apply for, the preview of
//! each of the four kinds computed by the engine (the same figures the contract would show
//! once the application is carried out), recording an application once per idempotency key,
//! and the staff's status changes.

use kabinet_api::cabinet::{
    format_date_ru, format_rate, format_rub, Application, ApplicationStatus, InstallmentStatus, Kopecks, LoanDetail,
    RepaymentKind,
};
use kabinet_api::requests::{
    ApplicationKind, ApplicationPreview, EarlyRepaymentMode, NewApplication, ProductInfo, ProductsView,
    MAX_DAYS_AHEAD, MAX_PURPOSE_CHARS,
};
use kabinet_api::ErrorCode;
use sqlx::any::AnyRow;
use sqlx::Row;
use time::{Date, OffsetDateTime};

use super::contracts::{Loans, Savings};
use super::engine::{self, LoanError, LoanEvent, LoanTerms, Recalculation, SavingsError, SavingsEvent, SavingsTerms};
use super::{day, parse_status, status_str, u32_col, Ledger, LedgerError, Product, ProductKind};
use crate::accounting::AccountingError;
use crate::clock::format_utc;

fn refused(code: ErrorCode) -> AccountingError {
    AccountingError::Refused(code)
}

/// A day the client typed: today or up to [`MAX_DAYS_AHEAD`] days on.
fn future_day(s: &str, today: Date) -> Result<Date, AccountingError> {
    // Exactly YYYY-MM-DD: ISO 8601 also has week dates (2026-W48-1) of the same length.
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let d = Date::parse(s, &format).map_err(|_| refused(ErrorCode::InvalidDate))?;
    if d < today || (d - today).whole_days() > MAX_DAYS_AHEAD {
        return Err(refused(ErrorCode::InvalidDate));
    }
    Ok(d)
}

pub(super) fn loan_refusal(e: LoanError) -> AccountingError {
    match e {
        LoanError::EarlyRepaymentTooSmall { .. } | LoanError::NonPositiveAmount => refused(ErrorCode::AmountTooSmall),
        LoanError::MoreThanPayoff { .. } => refused(ErrorCode::AmountAbovePayoff),
        LoanError::Closed(_) => refused(ErrorCode::ContractClosed),
        // A day before the last posted payment, or before the issue.
        LoanError::Unordered | LoanError::BeforeIssue(_) | LoanError::BeyondHorizon(_) => refused(ErrorCode::InvalidDate),
        LoanError::InvalidTerms(m) => AccountingError::Unavailable(format!("loan terms cannot be computed: {m}")),
    }
}

pub(super) fn savings_refusal(e: SavingsError) -> AccountingError {
    match e {
        SavingsError::Closed(_) => refused(ErrorCode::ContractClosed),
        SavingsError::Unordered | SavingsError::BeforeOpening(_) => refused(ErrorCode::InvalidDate),
        SavingsError::NonPositiveAmount | SavingsError::BelowMinimum { .. } => refused(ErrorCode::AmountOutOfRange),
        SavingsError::AboveCeiling { .. } => refused(ErrorCode::AmountOutOfRange),
        SavingsError::TopUpNotAllowed | SavingsError::WithdrawalNotAllowed => refused(ErrorCode::ProductUnavailable),
        SavingsError::InvalidTerms(m) => AccountingError::Unavailable(format!("savings terms cannot be computed: {m}")),
    }
}

impl From<LedgerError> for AccountingError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Loan(e) => loan_refusal(e),
            LedgerError::Savings(e) => savings_refusal(e),
            LedgerError::NotFound(_) => refused(ErrorCode::NotFound),
            LedgerError::Invalid(m) => AccountingError::Unavailable(m),
            LedgerError::Db(e) => e.into(),
        }
    }
}

fn product_info(p: &Product) -> ProductInfo {
    ProductInfo {
        id: p.id.clone(),
        kind: match p.kind {
            ProductKind::Loan => kabinet_api::requests::ProductKind::Loan,
            ProductKind::Savings => kabinet_api::requests::ProductKind::Savings,
        },
        name: p.name.clone(),
        rate_bp: p.rate_bp,
        min_amount: p.min_amount,
        max_amount: p.max_amount,
        min_term_months: p.min_term_months,
        max_term_months: p.max_term_months,
        repayment: p.repayment,
        capitalisation: p.capitalisation,
        top_up_allowed: p.top_up_allowed,
        early_rate_bp: p.early_rate_bp,
    }
}

/// What the preview worked out, plus what an application row needs.
struct Worked {
    preview: ApplicationPreview,
    product: String,
    amount: Kopecks,
    term_months: u32,
    contract: Option<(String, String)>,
    details: Option<String>,
}

/// Unpaid rows of a schedule: what is still to pay.
fn unpaid(d: &LoanDetail) -> impl Iterator<Item = &kabinet_api::cabinet::Installment> {
    d.schedule.iter().filter(|i| i.status != InstallmentStatus::Paid)
}

const APPLICATION_COLS: &str =
    "id, number, kind, made_on, product, amount, term_months, status, comment, contract_number, details, updated_at";

fn application(r: &AnyRow) -> Result<Application, AccountingError> {
    let kind: String = r.get(2);
    Ok(Application {
        id: r.get(0),
        number: r.get(1),
        kind: ApplicationKind::parse(&kind)
            .ok_or_else(|| AccountingError::Unavailable(format!("ledger holds an unknown application kind {kind:?}")))?,
        date: r.get(3),
        product: r.get(4),
        amount: r.get(5),
        term_months: u32_col(r, 6),
        status: parse_status(&r.get::<String, _>(7))?,
        comment: r.get(8),
        contract_number: r.get(9),
        details: r.get(10),
        updated_at: OffsetDateTime::from_unix_timestamp(r.get::<i64, _>(11)).ok().map(format_utc),
    })
}

impl Ledger {
    pub(super) async fn products_view(&self) -> Result<ProductsView, AccountingError> {
        let rows = sqlx::query("SELECT id FROM ledger_products ORDER BY kind, rate_bp, id").fetch_all(self.store.pool()).await?;
        let mut view = ProductsView { loan: vec![], savings: vec![] };
        for r in &rows {
            let p = self.product(&r.get::<String, _>(0)).await?;
            match p.kind {
                ProductKind::Loan => view.loan.push(product_info(&p)),
                ProductKind::Savings => view.savings.push(product_info(&p)),
            }
        }
        Ok(view)
    }

    async fn applied_product(&self, id: &str, kind: ProductKind, amount: Kopecks, term: u32) -> Result<Product, AccountingError> {
        let p = match self.product(id).await {
            Ok(p) if p.kind == kind => p,
            Ok(_) | Err(LedgerError::NotFound(_)) => return Err(refused(ErrorCode::ProductUnavailable)),
            Err(e) => return Err(e.into()),
        };
        if amount < p.min_amount || amount > p.max_amount {
            return Err(refused(ErrorCode::AmountOutOfRange));
        }
        if term < p.min_term_months || term > p.max_term_months {
            return Err(refused(ErrorCode::TermOutOfRange));
        }
        Ok(p)
    }

    /// The preview and the row an application would make; refuses what the ledger would.
    async fn work_out(&self, client_id: &str, a: &NewApplication, today: Date) -> Result<Worked, AccountingError> {
        match a {
            NewApplication::Loan { product_id, amount, term_months, purpose } => {
                let purpose = purpose.trim();
                if kabinet_api::has_control_chars(purpose) {
                    return Err(refused(ErrorCode::InvalidCharacters));
                }
                if purpose.is_empty() {
                    return Err(refused(ErrorCode::TextRequired));
                }
                if purpose.chars().count() > MAX_PURPOSE_CHARS {
                    return Err(refused(ErrorCode::TextTooLong));
                }
                let p = self.applied_product(product_id, ProductKind::Loan, *amount, *term_months).await?;
                let terms = LoanTerms {
                    id: "preview".into(),
                    number: "preview".into(),
                    product: p.name.clone(),
                    issued_on: today,
                    amount: *amount,
                    rate_bp: p.rate_bp,
                    term_months: *term_months,
                    repayment: p.repayment.unwrap_or(RepaymentKind::Annuity),
                    penalty_rate_bp: p.penalty_rate_bp,
                };
                let d = engine::loan_detail(&terms, &[], today).map_err(loan_refusal)?;
                let installment = d.schedule.first().map(|i| i.total).unwrap_or(0);
                let total_interest = d.schedule.iter().map(|i| i.interest).sum();
                Ok(Worked {
                    preview: ApplicationPreview::Loan { installment, total_interest, schedule: d.schedule },
                    product: p.name,
                    amount: *amount,
                    term_months: *term_months,
                    contract: None,
                    details: Some(purpose.to_owned()),
                })
            }
            NewApplication::Savings { product_id, amount, term_months } => {
                let p = self.applied_product(product_id, ProductKind::Savings, *amount, *term_months).await?;
                let terms = SavingsTerms {
                    id: "preview".into(),
                    number: "preview".into(),
                    product: p.name.clone(),
                    opened_on: today,
                    amount: *amount,
                    rate_bp: p.rate_bp,
                    term_months: *term_months,
                    capitalisation: p.capitalisation,
                    top_up_allowed: p.top_up_allowed,
                    partial_withdrawal_allowed: p.withdrawal_allowed,
                    min_balance: p.min_balance,
                    early_rate_bp: p.early_rate_bp,
                };
                let d = engine::savings_detail(&terms, &[], today).map_err(savings_refusal)?;
                let income: Kopecks = d.schedule.iter().map(|i| i.interest).sum();
                let balance_at_end = if p.capitalisation { amount + income } else { *amount };
                Ok(Worked {
                    preview: ApplicationPreview::Savings { income, end_date: d.summary.end_date.clone(), balance_at_end },
                    product: p.name,
                    amount: *amount,
                    term_months: *term_months,
                    contract: None,
                    details: None,
                })
            }
            NewApplication::EarlyRepayment { loan_id, date, mode, amount } => {
                let on = future_day(date, today)?;
                let (terms, mut events) =
                    self.load::<Loans>(client_id, loan_id).await?.ok_or_else(|| refused(ErrorCode::NotFound))?;
                if terms.issued_on > today {
                    return Err(refused(ErrorCode::NotFound));
                }
                // Payoff on a later day would count the installments due in between as unpaid
                // (overdue, with penalty), which is not what a client paying on time owes:
                // the repayment is dated at the latest on the next installment's day.
                let now = engine::loan_detail(&terms, &events, today).map_err(loan_refusal)?;
                if now.summary.closed_on.is_some() {
                    return Err(refused(ErrorCode::ContractClosed));
                }
                let next_due = now.schedule.iter().map(|i| i.date.as_str()).find(|d| *d > day(today).as_str());
                if next_due.is_some_and(|next| day(on).as_str() > next) {
                    return Err(refused(ErrorCode::DateAfterNextPayment));
                }
                let before = engine::loan_detail(&terms, &events, on).map_err(loan_refusal)?;
                if before.summary.closed_on.is_some() {
                    return Err(refused(ErrorCode::ContractClosed));
                }
                let payoff = before.summary.payoff_amount;
                let (paid, recalc) = match mode {
                    EarlyRepaymentMode::Full => (payoff, Recalculation::ShorterTerm),
                    partial => {
                        let paid = amount.ok_or_else(|| refused(ErrorCode::AmountTooSmall))?;
                        if paid <= 0 {
                            return Err(refused(ErrorCode::AmountTooSmall));
                        }
                        if paid >= payoff {
                            return Err(refused(ErrorCode::AmountAbovePayoff));
                        }
                        let recalc = if *partial == EarlyRepaymentMode::ShorterTerm {
                            Recalculation::ShorterTerm
                        } else {
                            Recalculation::SmallerInstallment
                        };
                        (paid, recalc)
                    }
                };
                events.push(LoanEvent::EarlyRepayment { date: on, amount: paid, mode: recalc });
                let after = engine::loan_detail(&terms, &events, on).map_err(loan_refusal)?;
                let on_day = day(on);
                let next_after =
                    after.schedule.iter().filter(|i| i.status != InstallmentStatus::Paid).find(|i| i.date.as_str() > on_day.as_str());
                let schedule: Vec<_> = after.schedule.iter().filter(|i| i.date.as_str() > on_day.as_str()).cloned().collect();
                let details = match mode {
                    EarlyRepaymentMode::Full => format!("Полное досрочное погашение на {}", format_date_ru(&day(on))),
                    EarlyRepaymentMode::ShorterTerm => {
                        format!("Частичное досрочное погашение на {}, сокращение срока", format_date_ru(&day(on)))
                    }
                    EarlyRepaymentMode::SmallerInstallment => {
                        format!("Частичное досрочное погашение на {}, уменьшение платежа", format_date_ru(&day(on)))
                    }
                };
                let installment_before = unpaid(&before).next().map(|i| i.total);
                let installments_before = u32::try_from(unpaid(&before).count()).unwrap_or(u32::MAX);
                Ok(Worked {
                    preview: ApplicationPreview::EarlyRepayment {
                        date: day(on),
                        payoff_amount: payoff,
                        amount: paid,
                        principal_repaid: before.summary.principal_balance - after.summary.principal_balance,
                        principal_after: after.summary.principal_balance,
                        installment_before,
                        installment_after: next_after.map(|i| i.total),
                        installments_before,
                        installments_after: u32::try_from(schedule.iter().filter(|i| i.status != InstallmentStatus::Paid).count())
                            .unwrap_or(u32::MAX),
                        schedule,
                    },
                    product: terms.product.clone(),
                    amount: paid,
                    term_months: 0,
                    contract: Some((terms.id.clone(), terms.number.clone())),
                    details: Some(details),
                })
            }
            NewApplication::EarlyWithdrawal { savings_id, date } => {
                let on = future_day(date, today)?;
                let (terms, mut events) =
                    self.load::<Savings>(client_id, savings_id).await?.ok_or_else(|| refused(ErrorCode::NotFound))?;
                if terms.opened_on > today {
                    return Err(refused(ErrorCode::NotFound));
                }
                let before = engine::savings_detail(&terms, &events, on).map_err(savings_refusal)?;
                if before.summary.closed_on.is_some() {
                    return Err(refused(ErrorCode::ContractClosed));
                }
                // On the end day itself the contract ends on its own terms: nothing is early.
                if day(on) >= before.summary.end_date {
                    return Err(refused(ErrorCode::InvalidDate));
                }
                events.push(SavingsEvent::EarlyTermination { date: on });
                let after = engine::savings_detail(&terms, &events, on).map_err(savings_refusal)?;
                let payout = after
                    .operations
                    .iter()
                    .rev()
                    .find(|o| o.kind == kabinet_api::cabinet::SavingsOperationKind::Closing)
                    .map(|o| -o.amount)
                    .unwrap_or(0);
                let balance = before.summary.balance;
                let interest_lost = (balance + before.summary.accrued_interest - payout).max(0);
                Ok(Worked {
                    preview: ApplicationPreview::EarlyWithdrawal {
                        date: day(on),
                        balance,
                        interest_lost,
                        payout,
                        rate_bp: terms.rate_bp,
                        early_rate_bp: terms.early_rate_bp,
                    },
                    product: terms.product.clone(),
                    amount: payout,
                    term_months: 0,
                    contract: Some((terms.id.clone(), terms.number.clone())),
                    details: Some(format!(
                        "Досрочное расторжение на {}: к выплате {} ₽, проценты пересчитываются по ставке {} %",
                        format_date_ru(&day(on)),
                        format_rub(payout),
                        format_rate(terms.early_rate_bp)
                    )),
                })
            }
        }
    }

    pub(super) async fn preview(&self, client_id: &str, a: &NewApplication, today: Date) -> Result<ApplicationPreview, AccountingError> {
        Ok(self.work_out(client_id, a, today).await?.preview)
    }

    /// The application made with this key, if any; refused when it was made from another
    /// request (a key stands for one request, whoever repeats it).
    async fn application_by_key(&self, client_id: &str, key: &str, request: &str) -> Result<Option<Application>, AccountingError> {
        let row = sqlx::query(&format!(
            "SELECT {APPLICATION_COLS}, request_json FROM ledger_applications WHERE client_id = $1 AND idempotency_key = $2"
        ))
        .bind(client_id)
        .bind(key)
        .fetch_optional(self.store.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        if r.get::<Option<String>, _>(12).as_deref() != Some(request) {
            return Err(refused(ErrorCode::IdempotencyKeyReused));
        }
        application(&r).map(Some)
    }

    /// Records an application once per (client, key): a repeat returns the first one.
    pub(super) async fn create(
        &self,
        client_id: &str,
        key: &str,
        a: &NewApplication,
        today: Date,
        now: OffsetDateTime,
    ) -> Result<Application, AccountingError> {
        let request = serde_json::to_string(a).map_err(|e| AccountingError::Unavailable(e.to_string()))?;
        if let Some(done) = self.application_by_key(client_id, key, &request).await? {
            return Ok(done);
        }
        let w = self.work_out(client_id, a, today).await?;
        let (contract_id, contract_number) = w.contract.clone().unzip();
        // Numbers are random, so two may meet: then another number, a few times over.
        for _ in 0..5 {
            let id = format!("A-{}", uuid::Uuid::new_v4().simple());
            let number = format!("ЛК-{}-{}", today.year(), &uuid::Uuid::new_v4().simple().to_string()[..8].to_uppercase());
            let inserted = sqlx::query(
            "INSERT INTO ledger_applications (id, client_id, kind, number, made_on, product, amount, term_months, status, \
             comment, created_at, updated_at, contract_id, contract_number, details, request_json, idempotency_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'new', NULL, $9, $9, $10, $11, $12, $13, $14)",
        )
            .bind(&id)
            .bind(client_id)
            .bind(a.kind().as_str())
            .bind(&number)
            .bind(day(today))
            .bind(&w.product)
            .bind(w.amount)
            .bind(i64::from(w.term_months))
            .bind(now.unix_timestamp())
            .bind(&contract_id)
            .bind(&contract_number)
            .bind(&w.details)
            .bind(&request)
            .bind(key)
            .execute(self.store.pool())
            .await;
            match inserted {
                Ok(_) => {}
                // The same key made it at the same moment (that one stands), or the number
                // was taken (then try another).
                Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {}
                Err(e) => return Err(e.into()),
            }
            if let Some(made) = self.application_by_key(client_id, key, &request).await? {
                return Ok(made);
            }
        }
        Err(AccountingError::Unavailable("no free application number after five tries".into()))
    }

    pub(super) async fn all_applications(&self, client_id: &str) -> Result<Vec<Application>, AccountingError> {
        let rows = sqlx::query(&format!(
            "SELECT {APPLICATION_COLS} FROM ledger_applications WHERE client_id = $1 ORDER BY made_on DESC, created_at DESC, number DESC"
        ))
        .bind(client_id)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(application).collect()
    }

    /// Staff: one application by id or number, with its client's id.
    pub async fn application(&self, id_or_number: &str) -> Result<(String, Application), LedgerError> {
        let row = sqlx::query(&format!(
            "SELECT {APPLICATION_COLS}, client_id FROM ledger_applications WHERE id = $1 OR number = $1"
        ))
        .bind(id_or_number)
        .fetch_optional(self.store.pool())
        .await?
        .ok_or_else(|| LedgerError::NotFound(format!("application {id_or_number}")))?;
        let a = application(&row).map_err(|e| LedgerError::Invalid(e.to_string()))?;
        Ok((row.get(12), a))
    }

    /// Staff: moves an application on. New → under review → approved or declined; a decision
    /// is final, so a status once decided is never silently rewritten.
    pub async fn set_application_status(
        &self,
        id_or_number: &str,
        status: ApplicationStatus,
        comment: Option<&str>,
        now: i64,
    ) -> Result<(String, Application), LedgerError> {
        let (_, current) = self.application(id_or_number).await?;
        let allowed = matches!(
            (current.status, status),
            (ApplicationStatus::New, ApplicationStatus::UnderReview)
                | (ApplicationStatus::New | ApplicationStatus::UnderReview, ApplicationStatus::Approved | ApplicationStatus::Declined)
        );
        if !allowed {
            return Err(LedgerError::Invalid(format!(
                "application {} is {}; it cannot become {}",
                current.number,
                status_str(current.status),
                status_str(status)
            )));
        }
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if comment.is_some_and(|c| c.chars().count() > 1000) {
            return Err(LedgerError::Invalid("the comment is longer than 1000 characters".into()));
        }
        // Conditional on the status read above, so two operators at once cannot both decide.
        let done = sqlx::query(
            "UPDATE ledger_applications SET status = $1, comment = COALESCE($2, comment), updated_at = $3 \
             WHERE id = $4 AND status = $5",
        )
        .bind(status_str(status))
        .bind(comment)
        .bind(now)
        .bind(&current.id)
        .bind(status_str(current.status))
        .execute(self.store.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(LedgerError::Invalid(format!("application {} changed meanwhile; look again", current.number)));
        }
        self.application(&current.id).await
    }

    /// Staff: the applications still waiting for an answer (new or under review), oldest first;
    /// of one client when `client_id` is given.
    pub async fn open_applications(&self, client_id: Option<&str>) -> Result<Vec<(String, Application)>, LedgerError> {
        let rows = sqlx::query(&format!(
            "SELECT {APPLICATION_COLS}, client_id FROM ledger_applications \
             WHERE status IN ('new', 'under_review') AND ($1 = '' OR client_id = $1) ORDER BY created_at, number"
        ))
        .bind(client_id.unwrap_or(""))
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.get::<String, _>(12), application(r).map_err(|e| LedgerError::Invalid(e.to_string()))?)))
            .collect()
    }
}
