//! The «Отправка заявлений» contract: products a client may apply for, the four kinds of
//! application (loan, early repayment, savings, early withdrawal) with the ledger's preview of
//! each before it is sent, and the applications' statuses.
//!
//! Every state-changing request carries an [`IDEMPOTENCY_HEADER`] (a UUID the widget makes
//! once per submission): a double click or a retried request makes one application.

use serde::{Deserialize, Serialize};

use crate::cabinet::{Application, Installment, Kopecks, RepaymentKind};

/// Routes under [`crate::API_PREFIX`].
pub mod paths {
    /// The products a client may apply for (GET).
    pub const PRODUCTS: &str = "/products";
    /// The client's applications of every kind (GET), and a new one (POST).
    pub const APPLICATIONS: &str = "/applications";
    /// What an application would mean, computed by the ledger, without sending it (POST).
    pub const APPLICATION_PREVIEW: &str = "/applications/preview";
}

/// Header of every state-changing request: a UUID made once per submission (A28).
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// The longest loan purpose, in characters.
pub const MAX_PURPOSE_CHARS: usize = 500;

/// How far ahead an early repayment or an early withdrawal may be dated, in days.
pub const MAX_DAYS_AHEAD: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    Loan,
    Savings,
}

/// A product the organisation offers, with the limits an application must keep to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductInfo {
    pub id: String,
    pub kind: ProductKind,
    pub name: String,
    /// Basis points per year.
    pub rate_bp: u32,
    pub min_amount: Kopecks,
    pub max_amount: Kopecks,
    pub min_term_months: u32,
    pub max_term_months: u32,
    /// Loans only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repayment: Option<RepaymentKind>,
    /// Savings: interest added to the balance monthly.
    #[serde(default)]
    pub capitalisation: bool,
    #[serde(default)]
    pub top_up_allowed: bool,
    /// Savings: the rate for the whole term when the contract ends early.
    #[serde(default)]
    pub early_rate_bp: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductsView {
    pub loan: Vec<ProductInfo>,
    pub savings: Vec<ProductInfo>,
}

/// How an early repayment is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EarlyRepaymentMode {
    /// Everything owed on the day: the loan closes.
    Full,
    /// Part of the principal; the installment stays, the term gets shorter.
    ShorterTerm,
    /// Part of the principal; the term stays, the installment gets smaller.
    SmallerInstallment,
}

/// What a client asks for. The same body is previewed and sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum NewApplication {
    /// Заявка на заём.
    Loan {
        product_id: String,
        amount: Kopecks,
        term_months: u32,
        /// What the money is for, in the client's words.
        purpose: String,
    },
    /// Заявка на досрочное погашение.
    EarlyRepayment {
        loan_id: String,
        /// The day of the repayment, `YYYY-MM-DD`: today or up to [`MAX_DAYS_AHEAD`] days on.
        date: String,
        mode: EarlyRepaymentMode,
        /// With a partial mode: the money the client will pay on that day (it covers what is
        /// due and accrued first, the rest repays principal). Ignored with `full`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        amount: Option<Kopecks>,
    },
    /// Заявка на сбережения.
    Savings { product_id: String, amount: Kopecks, term_months: u32 },
    /// Заявка на досрочное снятие: the whole savings contract ends early.
    EarlyWithdrawal {
        savings_id: String,
        /// `YYYY-MM-DD`: today or up to [`MAX_DAYS_AHEAD`] days on.
        date: String,
    },
}

impl NewApplication {
    pub fn kind(&self) -> ApplicationKind {
        match self {
            NewApplication::Loan { .. } => ApplicationKind::Loan,
            NewApplication::EarlyRepayment { .. } => ApplicationKind::EarlyRepayment,
            NewApplication::Savings { .. } => ApplicationKind::Savings,
            NewApplication::EarlyWithdrawal { .. } => ApplicationKind::EarlyWithdrawal,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApplicationKind {
    #[default]
    Loan,
    EarlyRepayment,
    Savings,
    EarlyWithdrawal,
}

impl ApplicationKind {
    pub const ALL: [ApplicationKind; 4] = [Self::Loan, Self::EarlyRepayment, Self::Savings, Self::EarlyWithdrawal];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Loan => "loan",
            Self::EarlyRepayment => "early_repayment",
            Self::Savings => "savings",
            Self::EarlyWithdrawal => "early_withdrawal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// «Заявка на заём», as the journal and staff name it.
    pub fn title_ru(self) -> &'static str {
        match self {
            Self::Loan => "Заявка на заём",
            Self::EarlyRepayment => "Заявка на досрочное погашение",
            Self::Savings => "Заявка на сбережения",
            Self::EarlyWithdrawal => "Заявка на досрочное снятие сбережений",
        }
    }
}

/// What the ledger computes for an application before it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ApplicationPreview {
    Loan {
        /// The first installment (for an annuity, every installment but perhaps the last).
        installment: Kopecks,
        /// Interest over the whole term, if paid on schedule.
        total_interest: Kopecks,
        /// The schedule if the loan were issued today on these terms.
        schedule: Vec<Installment>,
    },
    EarlyRepayment {
        date: String,
        /// Everything that closes the loan on that day: overdue, penalty, interest accrued to
        /// the day and the principal.
        payoff_amount: Kopecks,
        /// What the client pays on that day (the payoff with `full`).
        amount: Kopecks,
        /// Of it: what goes to principal ahead of schedule.
        principal_repaid: Kopecks,
        /// Principal left after the repayment (0 when the loan closes).
        principal_after: Kopecks,
        /// The installment before and after (equal with `shorter_term`); `None` when closed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        installment_before: Option<Kopecks>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        installment_after: Option<Kopecks>,
        /// Installments still to pay before and after.
        installments_before: u32,
        installments_after: u32,
        /// The schedule as the ledger would rebuild it: the rows after the repayment day.
        schedule: Vec<Installment>,
    },
    Savings {
        /// Interest over the whole term if the contract runs to its end.
        income: Kopecks,
        end_date: String,
        /// The balance at the end (deposit plus capitalised interest; the deposit alone when
        /// interest is paid out monthly).
        balance_at_end: Kopecks,
    },
    EarlyWithdrawal {
        date: String,
        /// The balance that day as if the contract ran on.
        balance: Kopecks,
        /// Interest taken back because the contract ends early (recomputed at the early rate).
        interest_lost: Kopecks,
        /// What the client receives.
        payout: Kopecks,
        /// The rate the contract would have earned, and the early rate applied instead.
        rate_bp: u32,
        early_rate_bp: u32,
    },
}

/// The client's applications of every kind, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationsView {
    pub applications: Vec<Application>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applications_are_tagged_by_kind_and_refuse_unknown_fields() {
        let a: NewApplication = serde_json::from_str(
            r#"{"kind":"early_repayment","loan_id":"L-1","date":"2026-12-01","mode":"shorter_term","amount":5000000}"#,
        )
        .unwrap();
        assert_eq!(a.kind(), ApplicationKind::EarlyRepayment);
        let bad = serde_json::from_str::<NewApplication>(r#"{"kind":"savings","product_id":"p","amount":1,"term_months":1,"x":1}"#);
        assert!(bad.is_err());
        let unknown = serde_json::from_str::<NewApplication>(r#"{"kind":"gift","amount":1}"#);
        assert!(unknown.is_err());
        for k in ApplicationKind::ALL {
            assert_eq!(ApplicationKind::parse(k.as_str()), Some(k));
        }
    }
}
