//! The «Платежи (интернет-эквайринг)» contract: what a card payment would pay and how the
//! ledger would split it, starting a payment on the bank's hosted page, its status (waited for
//! by long polling, so the open widget learns of a callback at once), the history of card
//! payments, and what the shim posts to accounting once a payment is confirmed.
//!
//! The amount is always computed by the shim from the ledger (A26): a start carries the amount
//! the client saw only so a changed figure is noticed, never to set it. A payment becomes paid
//! only after a verified callback or a status query confirms it (A27); the return to the
//! company's page proves nothing.

use serde::{Deserialize, Serialize};

use crate::cabinet::Kopecks;

/// Routes under [`crate::API_PREFIX`].
pub mod paths {
    /// The client's card payments, newest first (GET), and a new one (POST, `Idempotency-Key`).
    pub const PAYMENTS: &str = "/payments";
    /// What a payment would be, computed by the ledger, without starting it (POST).
    pub const PAYMENT_PREVIEW: &str = "/payments/preview";
}

/// The query parameter the shim adds to the return URL: the payment the client comes back
/// from. The widget reads it to show that payment's status; it proves nothing by itself.
pub const RETURN_PARAM: &str = "kabinet_payment";

/// The longest a status request may wait for a change (`wait`), in seconds.
pub const MAX_WAIT_SECS: u32 = 25;

/// The smallest card payment, in kopecks (1 ₽).
pub const MIN_PAYMENT: Kopecks = 100;

/// Which kind of contract a payment goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PaymentContractKind {
    Loan,
    Savings,
}

/// What the client pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PaymentPurpose {
    /// A loan: the next scheduled installment, with anything overdue and the penalty before it.
    NextInstallment,
    /// A loan: only what is overdue, with the penalty.
    Overdue,
    /// A loan: an amount the client chooses, from 1 ₽ up to what closes the loan today.
    Custom,
    /// Savings: a top-up of the amount the client chooses (where the product allows it).
    TopUp,
}

/// What a payment is for; `amount` is read only for [`PaymentPurpose::Custom`] and
/// [`PaymentPurpose::TopUp`] (and must be absent otherwise, so a client cannot believe it set one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    pub contract_id: String,
    pub purpose: PaymentPurpose,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Kopecks>,
}

/// A payment the client confirms: the request, the amount the client saw in the preview (a
/// different figure today answers `payment_amount_changed` instead of charging it), and the
/// page to come back to (an origin the organisation allows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StartPayment {
    pub contract_id: String,
    pub purpose: PaymentPurpose,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Kopecks>,
    pub expected_amount: Kopecks,
    pub return_to: String,
}

impl StartPayment {
    pub fn request(&self) -> PaymentRequest {
        PaymentRequest { contract_id: self.contract_id.clone(), purpose: self.purpose, amount: self.amount }
    }
}

/// How the ledger would apply a payment made today: on a loan, in the legal order (penalty,
/// interest, principal; 353-ФЗ ст. 5 ч. 20), with anything above what is due held as an
/// advance for the next due date; on savings, the balance after the top-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentPreview {
    pub contract_id: String,
    pub contract_number: String,
    pub contract_kind: PaymentContractKind,
    pub purpose: PaymentPurpose,
    /// What the bank will charge.
    pub amount: Kopecks,
    pub penalty: Kopecks,
    pub interest: Kopecks,
    pub principal: Kopecks,
    /// Loans: the part not due yet, kept for the next installment.
    pub advance: Kopecks,
    /// Loans: the principal left after the payment; savings: the balance after the top-up.
    pub balance_after: Kopecks,
    /// Loans: when nothing is due today, the payment waits as an advance and is applied on the
    /// next due date (`YYYY-MM-DD`); the split and `balance_after` are as of that day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_on: Option<String>,
    /// Shown on the bank's page and on the receipt, e.g. «Погашение по договору З-2026/0142».
    pub description: String,
}

/// Where a card payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Started, on the bank's page, or waiting for the bank's confirmation: «в обработке».
    Pending,
    /// Confirmed by the bank: «оплачен».
    Paid,
    /// Refused by the bank or the card, or the page timed out: «отклонён».
    Declined,
    /// Paid and then returned to the card: «возвращён».
    Refunded,
}

impl PaymentStatus {
    pub fn is_final(self) -> bool {
        !matches!(self, PaymentStatus::Pending)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Paid => "paid",
            PaymentStatus::Declined => "declined",
            PaymentStatus::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<PaymentStatus> {
        Some(match s {
            "pending" => PaymentStatus::Pending,
            "paid" => PaymentStatus::Paid,
            "declined" => PaymentStatus::Declined,
            "refunded" => PaymentStatus::Refunded,
            _ => return None,
        })
    }
}

/// One card payment as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Payment {
    pub id: String,
    pub contract_id: String,
    pub contract_number: String,
    pub contract_kind: PaymentContractKind,
    pub purpose: PaymentPurpose,
    pub amount: Kopecks,
    /// The split the client was shown when starting.
    pub penalty: Kopecks,
    pub interest: Kopecks,
    pub principal: Kopecks,
    pub advance: Kopecks,
    pub description: String,
    pub status: PaymentStatus,
    /// `sber` or `payler`.
    pub gateway: String,
    /// The shim's order number, as the bank shows it.
    pub order_number: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<String>,
    /// Whether the payment is already in the organisation's accounting (the balance shows it).
    pub posted: bool,
}

/// The client's card payments, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentsView {
    pub payments: Vec<Payment>,
}

/// A payment just started: the widget sends the client to `payment_url` as a top-level page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentStarted {
    pub payment: Payment,
    pub payment_url: String,
}

/// What the shim posts to accounting once the bank confirmed a payment: once per `payment_id`,
/// however often it is sent (the outbox may send it again after a crash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CardPosting {
    pub payment_id: String,
    pub contract_id: String,
    pub contract_kind: PaymentContractKind,
    pub purpose: PaymentPurpose,
    pub amount: Kopecks,
    /// The business day the bank confirmed the payment, `YYYY-MM-DD`.
    pub paid_on: String,
    pub gateway: String,
    pub order_number: String,
}

/// Accounting's answer to a posting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostingReceipt {
    /// Accounting's own reference for the posting.
    pub reference: String,
    /// True when this payment was posted before and nothing new was written.
    pub duplicate: bool,
}
