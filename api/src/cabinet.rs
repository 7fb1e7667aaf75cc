//! The «Информация» contract: a client's loans, savings and contributions as the widget sees
//! them, and as an accounting system returns them through the published accounting contract.
//!
//! Money is integer kopecks (`i64`) everywhere; dates are calendar dates of the organisation
//! as ISO `YYYY-MM-DD` strings (a loan's due date is a day, not an instant). Rates are in
//! basis points per year: 2500 = 25.00 %.

use serde::{Deserialize, Serialize};

/// Routes under [`crate::API_PREFIX`]. `{id}` is a contract id from the lists.
pub mod paths {
    pub const LOANS: &str = "/loans";
    pub const SAVINGS: &str = "/savings";
    pub const CONTRIBUTIONS: &str = "/contributions";

    pub fn loan(id: &str) -> String {
        format!("/loans/{id}")
    }
    pub fn saving(id: &str) -> String {
        format!("/savings/{id}")
    }
    /// A document of a contract as PDF; `kind` is a [`super::DocumentKind`] in kebab-case,
    /// the query carries `from`/`to` for acts and `year` for yearly certificates.
    pub fn loan_document(id: &str, kind: super::DocumentKind) -> String {
        format!("/loans/{id}/documents/{}", kind.slug())
    }
    pub fn saving_document(id: &str, kind: super::DocumentKind) -> String {
        format!("/savings/{id}/documents/{}", kind.slug())
    }
    /// The public page that checks a document by its verification code (not under /api).
    pub fn verify(code: &str) -> String {
        format!("/verify/{code}")
    }
}

/// Amount in kopecks.
pub type Kopecks = i64;

/// An application (заявка) a client made, as accounting records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Application {
    pub id: String,
    pub number: String,
    /// Loan and savings applications ask for a new contract; early repayment and early
    /// withdrawal applications are about an existing one ([`Application::contract_number`]).
    #[serde(default)]
    pub kind: crate::requests::ApplicationKind,
    /// Day the application was made.
    pub date: String,
    /// The product's name (for early repayment and withdrawal: the contract's product).
    pub product: String,
    /// Loan and savings: the amount asked for. Early repayment: what the client will pay.
    /// Early withdrawal: what the client will receive.
    pub amount: Kopecks,
    /// Loan and savings: the term asked for; 0 for the other kinds.
    pub term_months: u32,
    pub status: ApplicationStatus,
    /// The organisation's comment on the decision, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The contract an early repayment or withdrawal is about, as printed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_number: Option<String>,
    /// What was asked for, in words: the loan's purpose, or «Частичное досрочное погашение
    /// 15.12.2026, сокращение срока».
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// When the status last changed, UTC, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatus {
    New,
    UnderReview,
    Approved,
    Declined,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RepaymentKind {
    /// Equal installments.
    Annuity,
    /// Equal principal parts, interest on the remaining balance.
    Differentiated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContractStatus {
    Active,
    /// Something due is unpaid after its date.
    Overdue,
    Closed,
}

/// Loans of one client: applications and contracts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoansView {
    /// The day the figures are computed for.
    pub as_of: String,
    pub applications: Vec<Application>,
    pub contracts: Vec<LoanSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DuePayment {
    pub date: String,
    pub amount: Kopecks,
}

/// A loan contract's figures as of [`LoansView::as_of`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoanSummary {
    pub id: String,
    /// Contract number as printed on it, e.g. «З-2026/0142».
    pub number: String,
    /// Day the contract was signed and the money issued.
    pub date: String,
    pub product: String,
    pub amount: Kopecks,
    pub rate_bp: u32,
    pub term_months: u32,
    pub repayment: RepaymentKind,
    /// Penalty rate on overdue amounts, basis points per year.
    pub penalty_rate_bp: u32,
    pub status: ContractStatus,
    /// Principal not yet repaid (overdue principal included).
    pub principal_balance: Kopecks,
    /// Next scheduled installment still to pay, `None` when closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_payment: Option<DuePayment>,
    /// Overdue principal plus overdue interest.
    pub overdue_amount: Kopecks,
    /// Days since the oldest unpaid due date (0 when nothing is overdue).
    pub overdue_days: u32,
    /// Penalty accrued and not yet paid.
    pub penalty: Kopecks,
    /// Interest accrued in the current period and not yet due.
    pub accrued_interest: Kopecks,
    /// Everything needed to close the loan today: overdue, penalty, accrued interest, principal.
    pub payoff_amount: Kopecks,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_on: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InstallmentStatus {
    /// Not yet due.
    Planned,
    Paid,
    /// Due and partly paid, or paid in part ahead of its date.
    PartiallyPaid,
    /// Due date passed and not fully paid.
    Overdue,
}

/// One row of a loan's payment schedule: planned amounts and what has been paid against them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Installment {
    /// 1-based position in the schedule.
    pub n: u32,
    pub date: String,
    pub principal: Kopecks,
    pub interest: Kopecks,
    pub total: Kopecks,
    /// Principal remaining after this installment is paid as planned.
    pub balance_after: Kopecks,
    pub paid_principal: Kopecks,
    pub paid_interest: Kopecks,
    pub status: InstallmentStatus,
    /// Day it was fully paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_on: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LoanOperationKind {
    /// The loan amount issued to the client (a debit).
    Issue,
    /// Interest that became due (a debit).
    InterestAccrued,
    /// Penalty accrued on overdue amounts (a debit).
    PenaltyAccrued,
    /// A payment by the client (a credit), split in the legal order.
    Payment,
    /// An early (full or partial) repayment by the client (a credit).
    EarlyRepayment,
}

/// One accounting operation on a loan. Debits increase what the client owes, credits reduce it;
/// a reconciliation act is built from these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoanOperation {
    pub date: String,
    pub kind: LoanOperationKind,
    /// Full amount of the operation, always positive.
    pub amount: Kopecks,
    /// How a credit was split (all zero for debits other than their own part).
    pub principal: Kopecks,
    pub interest: Kopecks,
    pub penalty: Kopecks,
    /// Human description, e.g. «Погашение по графику», «Досрочное погашение (сокращение срока)».
    pub description: String,
}

impl LoanOperationKind {
    /// Whether the operation increases the client's debt.
    pub fn is_debit(self) -> bool {
        matches!(self, Self::Issue | Self::InterestAccrued | Self::PenaltyAccrued)
    }
}

/// A loan with its schedule and operations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoanDetail {
    pub as_of: String,
    pub summary: LoanSummary,
    pub schedule: Vec<Installment>,
    /// Oldest first.
    pub operations: Vec<LoanOperation>,
}

/// Savings of one client: applications and contracts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SavingsView {
    pub as_of: String,
    pub applications: Vec<Application>,
    pub contracts: Vec<SavingsSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SavingsSummary {
    pub id: String,
    pub number: String,
    pub date: String,
    pub product: String,
    /// The first deposit.
    pub amount: Kopecks,
    /// What the client has on the contract now (capitalised interest included).
    pub balance: Kopecks,
    pub rate_bp: u32,
    pub term_months: u32,
    pub end_date: String,
    /// Interest added to the balance monthly (true) or paid out monthly (false).
    pub capitalisation: bool,
    pub top_up_allowed: bool,
    pub partial_withdrawal_allowed: bool,
    /// The balance a partial withdrawal may not go below.
    pub min_balance: Kopecks,
    /// Rate applied to the whole term when the contract ends early, basis points per year.
    pub early_rate_bp: u32,
    /// Interest accrued in the current month, not yet capitalised or paid.
    pub accrued_interest: Kopecks,
    /// Interest capitalised or paid out so far.
    pub paid_interest: Kopecks,
    pub status: ContractStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_on: Option<String>,
}

/// One month of a savings contract: interest accrued (past) or projected (future).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InterestPeriod {
    pub n: u32,
    /// Day the month's interest is capitalised or paid.
    pub date: String,
    /// Balance the interest was computed on (at the end of the period).
    pub balance: Kopecks,
    pub interest: Kopecks,
    /// True for past periods (the figure is final), false for the projection.
    pub done: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SavingsOperationKind {
    /// The first deposit (a credit to the client).
    Deposit,
    TopUp,
    /// Money taken out by the client (a debit).
    Withdrawal,
    InterestCapitalised,
    /// Interest paid out to the client.
    InterestPaid,
    /// Interest taken back when the contract ends early (recalculated at the lower rate).
    InterestRecalculated,
    /// The balance paid out when the contract ends.
    Closing,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SavingsOperation {
    pub date: String,
    pub kind: SavingsOperationKind,
    /// Positive: the organisation owes the client more; negative: less.
    pub amount: Kopecks,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SavingsDetail {
    pub as_of: String,
    pub summary: SavingsSummary,
    pub schedule: Vec<InterestPeriod>,
    pub operations: Vec<SavingsOperation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContributionKind {
    /// Паевой взнос: returned when membership ends.
    Returnable,
    /// Членский взнос: pays for the cooperative's running; not returned.
    Membership,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContributionOperation {
    pub date: String,
    /// Paid in by the client (positive), returned to the client or charged (negative).
    pub amount: Kopecks,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContributionAccount {
    pub kind: ContributionKind,
    /// Returnable: the client's share. Membership: paid minus charged; negative is a debt.
    pub balance: Kopecks,
    pub operations: Vec<ContributionOperation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContributionsView {
    pub as_of: String,
    pub returnable: ContributionAccount,
    pub membership: ContributionAccount,
}

/// The PDFs a client can download. Which apply depends on the contract (see each variant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum DocumentKind {
    /// Loan payment schedule, or savings interest schedule.
    Schedule,
    /// Акт сверки for a period (`from`, `to`).
    Act,
    /// Loan: справка о текущей задолженности.
    DebtCertificate,
    /// Closed loan: справка об отсутствии задолженности.
    NoDebtCertificate,
    /// Loan: справка об уплаченных процентах за год (`year`).
    InterestPaidCertificate,
    /// Savings: справка о доходах в виде процентов за год (`year`).
    InterestIncomeCertificate,
    /// A paid card payment's receipt (квитанция); issued from the payment, not the contract.
    PaymentReceipt,
    /// A document the organisation sends the client to sign (consent, offer, application form);
    /// issued from a template, not from a contract's page.
    ForSignature,
    /// A signed document: the original with the simple-electronic-signature stamp appended.
    Signed,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 9] = [
        Self::Schedule,
        Self::Act,
        Self::DebtCertificate,
        Self::NoDebtCertificate,
        Self::InterestPaidCertificate,
        Self::InterestIncomeCertificate,
        Self::PaymentReceipt,
        Self::ForSignature,
        Self::Signed,
    ];

    /// Its path segment.
    pub fn slug(self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::Act => "act",
            Self::DebtCertificate => "debt-certificate",
            Self::NoDebtCertificate => "no-debt-certificate",
            Self::InterestPaidCertificate => "interest-paid-certificate",
            Self::InterestIncomeCertificate => "interest-income-certificate",
            Self::PaymentReceipt => "payment-receipt",
            Self::ForSignature => "for-signature",
            Self::Signed => "signed",
        }
    }

    pub fn from_slug(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.slug() == s)
    }
}

/// Query of a document download: the act's period or the certificate's year.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct DocumentQuery {
    /// First day of the act's period, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Last day of the act's period, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Year of a yearly certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
}

/// "1 234 567,89" — kopecks as Russian text, with a no-break space between thousands.
pub fn format_rub(kopecks: Kopecks) -> String {
    let sign = if kopecks < 0 { "-" } else { "" };
    let abs = kopecks.unsigned_abs();
    let rub = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in rub.chars().enumerate() {
        if i > 0 && (rub.len() - i).is_multiple_of(3) {
            grouped.push('\u{a0}');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped},{:02}", abs % 100)
}

/// "25,00" for 2500 basis points.
pub fn format_rate(bp: u32) -> String {
    format!("{},{:02}", bp / 100, bp % 100)
}

/// "22.11.2026" for "2026-11-22"; anything else is returned as is.
pub fn format_date_ru(iso: &str) -> String {
    let b = iso.as_bytes();
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        format!("{}.{}.{}", &iso[8..10], &iso[5..7], &iso[0..4])
    } else {
        iso.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_dates_read_as_russians_write_them() {
        assert_eq!(format_rub(0), "0,00");
        assert_eq!(format_rub(5), "0,05");
        assert_eq!(format_rub(123_456_789), "1\u{a0}234\u{a0}567,89");
        assert_eq!(format_rub(-100_000), "-1\u{a0}000,00");
        assert_eq!(format_rate(2500), "25,00");
        assert_eq!(format_rate(1875), "18,75");
        assert_eq!(format_date_ru("2026-03-01"), "01.03.2026");
    }

    #[test]
    fn document_slugs_round_trip() {
        for k in DocumentKind::ALL {
            assert_eq!(DocumentKind::from_slug(k.slug()), Some(k));
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.slug()));
        }
    }
}
