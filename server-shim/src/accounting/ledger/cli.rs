//! `kabinet-shim ledger …`: the built-in ledger's command line, so a small cooperative can run
//! on it with no other accounting system — clients, products, loans, savings, contributions,
//! applications, payments — and look at any contract as of any day.
//!
//! Amounts are typed in rubles as people write them («300000», «26 000,50», «1500.5»), rates in
//! percent («24,9»), days as YYYY-MM-DD; all are parsed strictly into kopecks, basis points
//! and dates, and a refusal names what is wrong.

use clap::{Args, Subcommand, ValueEnum};
use kabinet_api::cabinet::{format_date_ru, format_rate, format_rub, ApplicationStatus, ContributionKind, RepaymentKind};
use kabinet_api::Phone;
use time::Date;

use super::engine::{LoanEvent, Recalculation, SavingsEvent};
use super::{Ledger, LedgerError, NewLoan, NewSavings, Product, ProductKind};
use crate::accounting::{business_day, Accounting, FullName};

#[derive(Subcommand, Debug)]
pub enum LedgerCommand {
    /// Add a client: `client --id 1001 --name "Фамилия Имя Отчество" --phone +79161234567`.
    Client {
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        phone: String,
    },
    /// Add a loan or savings product.
    Product(ProductArgs),
    /// Loans: open, pay, repay early, show.
    Loan {
        #[command(subcommand)]
        command: LoanCommand,
    },
    /// Savings: open, top up, withdraw, terminate early, show.
    Savings {
        #[command(subcommand)]
        command: SavingsCommand,
    },
    /// Record a contribution: paid in (positive) or returned / charged (negative amount).
    Contribution {
        #[arg(long)]
        client: String,
        #[arg(long, value_enum)]
        kind: ContributionArg,
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        /// Day of the operation (default: today).
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        description: String,
    },
    /// Record an application a client made in the office.
    Application {
        #[arg(long)]
        client: String,
        #[arg(long, value_enum)]
        kind: KindArg,
        #[arg(long)]
        number: String,
        #[arg(long)]
        product: String,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        term: u32,
        #[arg(long, value_enum, default_value = "new")]
        status: StatusArg,
        #[arg(long)]
        comment: Option<String>,
        #[arg(long)]
        date: Option<String>,
    },
}

#[derive(Args, Debug)]
pub struct ProductArgs {
    #[arg(long)]
    id: String,
    #[arg(long, value_enum)]
    kind: KindArg,
    #[arg(long)]
    name: String,
    /// Percent per year, e.g. 24,9.
    #[arg(long)]
    rate: String,
    #[arg(long)]
    min_amount: String,
    #[arg(long)]
    max_amount: String,
    #[arg(long)]
    min_term: u32,
    #[arg(long)]
    max_term: u32,
    /// Loans: how installments are built.
    #[arg(long, value_enum)]
    repayment: Option<RepaymentArg>,
    /// Loans: penalty on overdue amounts, percent per year (the law caps it at 20 while
    /// interest accrues).
    #[arg(long, default_value = "20")]
    penalty_rate: String,
    /// Savings: interest added to the balance monthly instead of paid out.
    #[arg(long)]
    capitalisation: bool,
    #[arg(long)]
    top_up: bool,
    #[arg(long)]
    withdrawal: bool,
    #[arg(long, default_value = "0")]
    min_balance: String,
    /// Savings: rate for the whole term on early termination, percent per year.
    #[arg(long, default_value = "0,1")]
    early_rate: String,
}

#[derive(Subcommand, Debug)]
pub enum LoanCommand {
    /// Sign a loan on a product's terms; prints its id and schedule.
    Open {
        #[arg(long)]
        client: String,
        #[arg(long)]
        product: String,
        #[arg(long)]
        number: String,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        term: u32,
        /// Day of issue (default: today).
        #[arg(long)]
        date: Option<String>,
    },
    /// Post a payment (allocated in the legal order), or an early repayment with `--early`.
    Pay {
        /// Loan id or contract number.
        #[arg(long)]
        loan: String,
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        #[arg(long)]
        date: Option<String>,
        /// Early repayment: how the rest of the schedule is recalculated.
        #[arg(long, value_enum)]
        early: Option<EarlyArg>,
    },
    /// Print a loan's figures and schedule as of a day.
    Show {
        #[arg(long)]
        client: String,
        #[arg(long)]
        loan: String,
        #[arg(long)]
        as_of: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum SavingsCommand {
    Open {
        #[arg(long)]
        client: String,
        #[arg(long)]
        product: String,
        #[arg(long)]
        number: String,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        term: u32,
        #[arg(long)]
        date: Option<String>,
    },
    TopUp {
        #[arg(long)]
        savings: String,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        date: Option<String>,
    },
    Withdraw {
        #[arg(long)]
        savings: String,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        date: Option<String>,
    },
    /// End the contract before its term, at the product's lower rate.
    Terminate {
        #[arg(long)]
        savings: String,
        #[arg(long)]
        date: Option<String>,
    },
    Show {
        #[arg(long)]
        client: String,
        #[arg(long)]
        savings: String,
        #[arg(long)]
        as_of: Option<String>,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum KindArg {
    Loan,
    Savings,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum RepaymentArg {
    Annuity,
    Differentiated,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum EarlyArg {
    ShorterTerm,
    SmallerInstallment,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ContributionArg {
    Returnable,
    Membership,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum StatusArg {
    New,
    UnderReview,
    Approved,
    Declined,
}

/// Rubles as typed → kopecks. At most two decimals; spaces (also no-break) between thousands.
pub fn parse_rub(s: &str) -> Result<i64, LedgerError> {
    let bad = || LedgerError::Invalid(format!("{s:?} is not an amount in rubles (e.g. 26000,50)"));
    let t: String = s.trim().chars().filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}')).collect();
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest.to_string()),
        None => (false, t),
    };
    let t = t.replace(',', ".");
    let (int, frac) = t.split_once('.').unwrap_or((&t, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let rub: i64 = int.parse().map_err(|_| bad())?;
    let kop: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| bad())? };
    let v = rub.checked_mul(100).and_then(|r| r.checked_add(kop)).ok_or_else(bad)?;
    Ok(if neg { -v } else { v })
}

/// Percent per year as typed → basis points: «24,9» → 2490.
pub fn parse_rate(s: &str) -> Result<u32, LedgerError> {
    let kop = parse_rub(s).map_err(|_| LedgerError::Invalid(format!("{s:?} is not a rate in percent (e.g. 24,9)")))?;
    u32::try_from(kop)
        .ok()
        .filter(|bp| *bp <= 100_000)
        .ok_or_else(|| LedgerError::Invalid(format!("{s:?} is not a rate between 0 and 1000 %")))
}

pub fn parse_date(s: &str) -> Result<Date, LedgerError> {
    Date::parse(s, &time::format_description::well_known::Iso8601::DATE)
        .map_err(|_| LedgerError::Invalid(format!("{s:?} is not a day as YYYY-MM-DD")))
}

fn day_or_today(s: &Option<String>, today: Date) -> Result<Date, LedgerError> {
    s.as_deref().map(parse_date).transpose().map(|d| d.unwrap_or(today))
}

/// Runs one command; returns what to print.
pub async fn run(ledger: &Ledger, command: LedgerCommand, now: time::OffsetDateTime) -> Result<String, LedgerError> {
    let secs = now.unix_timestamp();
    let today = business_day(now);
    match command {
        LedgerCommand::Client { id, name, phone } => {
            let name = FullName::parse(&name).map_err(|e| LedgerError::Invalid(format!("name: {e}")))?;
            let phone = Phone::parse(&phone).map_err(|e| LedgerError::Invalid(format!("phone: {e}")))?;
            ledger.add_client(&id, &name, &phone, secs).await?;
            Ok(format!("client {id} added: {} {}", name.full(), phone))
        }
        LedgerCommand::Product(p) => {
            let kind = match p.kind {
                KindArg::Loan => ProductKind::Loan,
                KindArg::Savings => ProductKind::Savings,
            };
            let product = Product {
                id: p.id.clone(),
                kind,
                name: p.name,
                rate_bp: parse_rate(&p.rate)?,
                min_amount: parse_rub(&p.min_amount)?,
                max_amount: parse_rub(&p.max_amount)?,
                min_term_months: p.min_term,
                max_term_months: p.max_term,
                repayment: p.repayment.map(|r| match r {
                    RepaymentArg::Annuity => RepaymentKind::Annuity,
                    RepaymentArg::Differentiated => RepaymentKind::Differentiated,
                }),
                penalty_rate_bp: parse_rate(&p.penalty_rate)?,
                capitalisation: p.capitalisation,
                top_up_allowed: p.top_up,
                withdrawal_allowed: p.withdrawal,
                min_balance: parse_rub(&p.min_balance)?,
                early_rate_bp: parse_rate(&p.early_rate)?,
            };
            ledger.add_product(&product, secs).await?;
            Ok(format!("product {} added", p.id))
        }
        LedgerCommand::Loan { command } => loan(ledger, command, secs, today).await,
        LedgerCommand::Savings { command } => savings(ledger, command, secs, today).await,
        LedgerCommand::Contribution { client, kind, amount, date, description } => {
            let kind = match kind {
                ContributionArg::Returnable => ContributionKind::Returnable,
                ContributionArg::Membership => ContributionKind::Membership,
            };
            let amount = parse_rub(&amount)?;
            ledger.add_contribution(&client, kind, day_or_today(&date, today)?, amount, &description, secs).await?;
            let view = ledger.contributions(&client, today).await.map_err(|e| LedgerError::Invalid(e.to_string()))?;
            let balance = match kind {
                ContributionKind::Returnable => view.returnable.balance,
                ContributionKind::Membership => view.membership.balance,
            };
            Ok(format!("recorded; balance now {} ₽", format_rub(balance)))
        }
        LedgerCommand::Application { client, kind, number, product, amount, term, status, comment, date } => {
            let kind = match kind {
                KindArg::Loan => ProductKind::Loan,
                KindArg::Savings => ProductKind::Savings,
            };
            let status = match status {
                StatusArg::New => ApplicationStatus::New,
                StatusArg::UnderReview => ApplicationStatus::UnderReview,
                StatusArg::Approved => ApplicationStatus::Approved,
                StatusArg::Declined => ApplicationStatus::Declined,
            };
            let id = ledger
                .add_application(
                    &client,
                    kind,
                    &number,
                    day_or_today(&date, today)?,
                    &product,
                    parse_rub(&amount)?,
                    term,
                    status,
                    comment.as_deref(),
                    secs,
                )
                .await?;
            Ok(format!("application {number} recorded as {id}"))
        }
    }
}

async fn loan(ledger: &Ledger, command: LoanCommand, secs: i64, today: Date) -> Result<String, LedgerError> {
    match command {
        LoanCommand::Open { client, product, number, amount, term, date } => {
            let new = NewLoan {
                client_id: client.clone(),
                number,
                product_id: product,
                issued_on: day_or_today(&date, today)?,
                amount: parse_rub(&amount)?,
                term_months: term,
            };
            let id = ledger.open_loan(&new, secs).await?;
            let shown = show_loan(ledger, &client, &id, new.issued_on).await?;
            Ok(format!("loan {id} opened\n{shown}"))
        }
        LoanCommand::Pay { loan, amount, date, early } => {
            let date = day_or_today(&date, today)?;
            let amount = parse_rub(&amount)?;
            let event = match early {
                None => LoanEvent::Payment { date, amount },
                Some(EarlyArg::ShorterTerm) => LoanEvent::EarlyRepayment { date, amount, mode: Recalculation::ShorterTerm },
                Some(EarlyArg::SmallerInstallment) => {
                    LoanEvent::EarlyRepayment { date, amount, mode: Recalculation::SmallerInstallment }
                }
            };
            ledger.post_loan_event(&loan, event, secs).await?;
            Ok(format!("posted {} ₽ to loan {loan} on {}", format_rub(amount), format_date_ru(&date.to_string())))
        }
        LoanCommand::Show { client, loan, as_of } => show_loan(ledger, &client, &loan, day_or_today(&as_of, today)?).await,
    }
}

async fn show_loan(ledger: &Ledger, client: &str, loan: &str, as_of: Date) -> Result<String, LedgerError> {
    let id = ledger.contract_id(ProductKind::Loan, loan).await?.unwrap_or_else(|| loan.to_string());
    let d = ledger
        .loan(client, &id, as_of)
        .await
        .map_err(|e| LedgerError::Invalid(e.to_string()))?
        .ok_or_else(|| LedgerError::NotFound(format!("loan {loan} of client {client}")))?;
    let s = &d.summary;
    let mut out = format!(
        "Договор № {} от {} — {}, {} ₽, {} % годовых, {} мес.\nНа {}: статус {:?}, основной долг {} ₽, просрочено {} ₽ ({} дн.), неустойка {} ₽, \
         проценты текущего периода {} ₽, полное погашение {} ₽\n",
        s.number,
        format_date_ru(&s.date),
        s.product,
        format_rub(s.amount),
        format_rate(s.rate_bp),
        s.term_months,
        format_date_ru(&d.as_of),
        s.status,
        format_rub(s.principal_balance),
        format_rub(s.overdue_amount),
        s.overdue_days,
        format_rub(s.penalty),
        format_rub(s.accrued_interest),
        format_rub(s.payoff_amount),
    );
    out.push_str(" №  дата        основной долг    проценты      платёж       остаток   статус\n");
    for i in &d.schedule {
        out.push_str(&format!(
            "{:>3}  {}  {:>13}  {:>10}  {:>12}  {:>12}   {:?}\n",
            i.n,
            format_date_ru(&i.date),
            format_rub(i.principal),
            format_rub(i.interest),
            format_rub(i.total),
            format_rub(i.balance_after),
            i.status
        ));
    }
    Ok(out)
}

async fn savings(ledger: &Ledger, command: SavingsCommand, secs: i64, today: Date) -> Result<String, LedgerError> {
    match command {
        SavingsCommand::Open { client, product, number, amount, term, date } => {
            let new = NewSavings {
                client_id: client.clone(),
                number,
                product_id: product,
                opened_on: day_or_today(&date, today)?,
                amount: parse_rub(&amount)?,
                term_months: term,
            };
            let id = ledger.open_savings(&new, secs).await?;
            Ok(format!("savings {id} opened"))
        }
        SavingsCommand::TopUp { savings, amount, date } => {
            let event = SavingsEvent::TopUp { date: day_or_today(&date, today)?, amount: parse_rub(&amount)? };
            ledger.post_savings_event(&savings, event, secs).await?;
            Ok(format!("top-up posted to {savings}"))
        }
        SavingsCommand::Withdraw { savings, amount, date } => {
            let event = SavingsEvent::Withdrawal { date: day_or_today(&date, today)?, amount: parse_rub(&amount)? };
            ledger.post_savings_event(&savings, event, secs).await?;
            Ok(format!("withdrawal posted to {savings}"))
        }
        SavingsCommand::Terminate { savings, date } => {
            ledger.post_savings_event(&savings, SavingsEvent::EarlyTermination { date: day_or_today(&date, today)? }, secs).await?;
            Ok(format!("savings {savings} terminated early"))
        }
        SavingsCommand::Show { client, savings, as_of } => {
            let as_of = day_or_today(&as_of, today)?;
            let id = ledger.contract_id(ProductKind::Savings, &savings).await?.unwrap_or_else(|| savings.clone());
            let d = ledger
                .saving(&client, &id, as_of)
                .await
                .map_err(|e| LedgerError::Invalid(e.to_string()))?
                .ok_or_else(|| LedgerError::NotFound(format!("savings {savings} of client {client}")))?;
            let s = &d.summary;
            let mut out = format!(
                "Договор № {} от {} — {}, {} % годовых, до {}\nНа {}: остаток {} ₽, начислено в текущем месяце {} ₽, выплачено и капитализировано {} ₽, статус {:?}\n",
                s.number,
                format_date_ru(&s.date),
                s.product,
                format_rate(s.rate_bp),
                format_date_ru(&s.end_date),
                format_date_ru(&d.as_of),
                format_rub(s.balance),
                format_rub(s.accrued_interest),
                format_rub(s.paid_interest),
                s.status
            );
            for op in &d.operations {
                out.push_str(&format!("  {}  {:>14}  {}\n", format_date_ru(&op.date), format_rub(op.amount), op.description));
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_rates_parse_as_people_type_them() {
        assert_eq!(parse_rub("300000").unwrap(), 30_000_000);
        assert_eq!(parse_rub("26 000,50").unwrap(), 2_600_050);
        assert_eq!(parse_rub("1500.5").unwrap(), 150_050);
        assert_eq!(parse_rub("-1200").unwrap(), -120_000);
        assert_eq!(parse_rub("0,07").unwrap(), 7);
        for bad in ["", "abc", "1,234", "1.2.3", "--5", "1e5", "99999999999999999999"] {
            assert!(parse_rub(bad).is_err(), "{bad:?} must be refused");
        }
        assert_eq!(parse_rate("24,9").unwrap(), 2490);
        assert_eq!(parse_rate("20").unwrap(), 2000);
        assert!(parse_rate("-1").is_err());
        assert!(parse_rate("1001").is_err());
        assert!(parse_date("2026-02-30").is_err());
        assert_eq!(parse_date("2028-02-29").unwrap().to_string(), "2028-02-29");
    }
}
