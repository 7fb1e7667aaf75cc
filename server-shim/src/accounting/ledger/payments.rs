//! Card payments in the built-in ledger: what a payment made today would be and how the engine
//! would apply it (the quote the client sees before paying), and posting a confirmed payment
//! once per payment id, whoever sends it how often.

use kabinet_api::cabinet::LoanOperationKind;
use kabinet_api::payments::{
    CardPosting, PaymentContractKind, PaymentPreview, PaymentPurpose, PaymentRequest, PostingReceipt, MIN_PAYMENT,
};
use kabinet_api::ErrorCode;
use time::Date;

use super::contracts::{Loans, Savings};
use super::engine::{self, LoanEvent, SavingsEvent};
use super::requests::{loan_refusal, savings_refusal};
use super::{day, parse_day, Ledger, LedgerError};
use crate::accounting::AccountingError;

fn refused(code: ErrorCode) -> AccountingError {
    AccountingError::Refused(code)
}

impl Ledger {
    pub(super) async fn quote(&self, client_id: &str, r: &PaymentRequest, today: Date) -> Result<Option<PaymentPreview>, AccountingError> {
        match r.purpose {
            PaymentPurpose::TopUp => self.quote_top_up(client_id, r, today).await,
            _ => self.quote_loan(client_id, r, today).await,
        }
    }

    async fn quote_loan(&self, client_id: &str, r: &PaymentRequest, today: Date) -> Result<Option<PaymentPreview>, AccountingError> {
        let Some((terms, mut events)) = self.load::<Loans>(client_id, &r.contract_id).await? else {
            return Ok(None);
        };
        if terms.issued_on > today {
            return Ok(None);
        }
        let now = engine::loan_detail(&terms, &events, today).map_err(loan_refusal)?;
        let s = &now.summary;
        if s.closed_on.is_some() {
            return Err(refused(ErrorCode::ContractClosed));
        }
        let overdue = s.overdue_amount + s.penalty;
        let amount = match r.purpose {
            PaymentPurpose::Overdue if r.amount.is_none() => overdue,
            PaymentPurpose::NextInstallment if r.amount.is_none() => {
                overdue + s.next_payment.as_ref().map_or(0, |n| n.amount)
            }
            PaymentPurpose::Custom => {
                let amount = r.amount.ok_or_else(|| refused(ErrorCode::AmountOutOfRange))?;
                if amount < MIN_PAYMENT {
                    return Err(refused(ErrorCode::AmountOutOfRange));
                }
                if amount > s.payoff_amount {
                    return Err(refused(ErrorCode::AmountAbovePayoff));
                }
                amount
            }
            // A computed purpose with an amount, or a top-up of a loan: the browser does not
            // get to name the figure (A26).
            _ => return Err(refused(ErrorCode::AmountOutOfRange)),
        };
        if amount <= 0 {
            return Err(refused(ErrorCode::NothingToPay));
        }
        // What is paid ahead is applied on the next due date: the split is read there, so the
        // client sees where the money goes, not only «advance».
        let next_due = now
            .schedule
            .iter()
            .map(|i| i.date.as_str())
            .find(|d| *d > day(today).as_str())
            .map(parse_day)
            .transpose()?
            .unwrap_or(today);
        events.push(LoanEvent::Payment { date: today, amount });
        let after = engine::loan_detail(&terms, &events, next_due).map_err(loan_refusal)?;
        let op = after
            .operations
            .iter()
            .rev()
            .find(|o| o.kind == LoanOperationKind::Payment && o.date == day(today) && o.amount == amount)
            .ok_or_else(|| AccountingError::Unavailable("the engine lost the payment it was given".into()))?;
        let applied = op.principal + op.interest + op.penalty;
        Ok(Some(PaymentPreview {
            contract_id: terms.id.clone(),
            contract_number: terms.number.clone(),
            contract_kind: PaymentContractKind::Loan,
            purpose: r.purpose,
            amount,
            penalty: op.penalty,
            interest: op.interest,
            principal: op.principal,
            advance: amount - applied,
            balance_after: after.summary.principal_balance,
            // What is due today is applied today; only the rest waits for the due date.
            applied_on: (next_due > today && amount > overdue).then(|| day(next_due)),
            description: loan_description(&terms.number),
        }))
    }

    async fn quote_top_up(&self, client_id: &str, r: &PaymentRequest, today: Date) -> Result<Option<PaymentPreview>, AccountingError> {
        let Some((terms, mut events)) = self.load::<Savings>(client_id, &r.contract_id).await? else {
            return Ok(None);
        };
        if terms.opened_on > today {
            return Ok(None);
        }
        let now = engine::savings_detail(&terms, &events, today).map_err(savings_refusal)?;
        if now.summary.closed_on.is_some() {
            return Err(refused(ErrorCode::ContractClosed));
        }
        if !terms.top_up_allowed {
            return Err(refused(ErrorCode::TopUpNotAllowed));
        }
        let amount = r.amount.ok_or_else(|| refused(ErrorCode::AmountOutOfRange))?;
        if amount < MIN_PAYMENT {
            return Err(refused(ErrorCode::AmountOutOfRange));
        }
        super::bounded(amount).map_err(|_| refused(ErrorCode::AmountOutOfRange))?;
        events.push(SavingsEvent::TopUp { date: today, amount });
        let after = engine::savings_detail(&terms, &events, today).map_err(savings_refusal)?;
        Ok(Some(PaymentPreview {
            contract_id: terms.id.clone(),
            contract_number: terms.number.clone(),
            contract_kind: PaymentContractKind::Savings,
            purpose: PaymentPurpose::TopUp,
            amount,
            penalty: 0,
            interest: 0,
            principal: amount,
            advance: 0,
            balance_after: after.summary.balance,
            applied_on: None,
            description: savings_description(&terms.number),
        }))
    }

    /// Posts a confirmed card payment as a loan payment or a savings top-up, once per payment.
    pub(super) async fn post_card(&self, client_id: &str, p: &CardPosting, now: i64) -> Result<PostingReceipt, AccountingError> {
        if p.amount <= 0 {
            return Err(refused(ErrorCode::AmountOutOfRange));
        }
        let date = parse_day(&p.paid_on).map_err(|_| refused(ErrorCode::InvalidDate))?;
        let card = Some((client_id, p));
        let posted = match p.contract_kind {
            PaymentContractKind::Loan => {
                self.post_once::<Loans>(&p.contract_id, LoanEvent::Payment { date, amount: p.amount }, card, now).await
            }
            PaymentContractKind::Savings => {
                self.post_once::<Savings>(&p.contract_id, SavingsEvent::TopUp { date, amount: p.amount }, card, now)
                    .await
            }
        };
        match posted {
            Ok(inserted) => Ok(PostingReceipt { reference: format!("card:{}", p.payment_id), duplicate: !inserted }),
            // The contract id came from the ledger's own quote; not finding it for this client
            // is a refusal to look at, not a retry.
            Err(LedgerError::NotFound(_)) => Err(refused(ErrorCode::NotFound)),
            Err(e) => Err(e.into()),
        }
    }
}

/// What the bank's page and the receipt say a loan payment is for (at most 99 characters).
pub fn loan_description(number: &str) -> String {
    truncate(format!("Погашение займа по договору {number}"))
}

pub fn savings_description(number: &str) -> String {
    truncate(format!("Пополнение сбережений по договору {number}"))
}

fn truncate(s: String) -> String {
    s.chars().take(99).collect()
}
