//! Savings documents: the interest schedule, the reconciliation act and the certificate of
//! interest income for a year.

use kabinet_api::cabinet::{format_date_ru, format_rate, format_rub, DocumentKind, SavingsDetail, SavingsOperationKind};
use time::Date;

use super::spec::{Block, Column, DocSpec, Row, Table};
use super::{amount_or_blank, data_day, ru_date, rub, Ctx, DocumentError};

/// A КПК takes savings from its members (пайщики) under this kind of contract.
fn of_contract(s: &SavingsDetail) -> String {
    format!("по договору передачи личных сбережений №\u{a0}{}", s.summary.number)
}

fn contract_meta(s: &SavingsDetail, cx: &Ctx) -> Vec<(String, String)> {
    let c = &s.summary;
    vec![
        ("Пайщик".into(), cx.holder_name()),
        ("Договор".into(), format!("№\u{a0}{} от {}", c.number, format_date_ru(&c.date))),
        ("Сумма сбережений".into(), format!("{} (первоначальный взнос)", rub(c.amount))),
        ("Процентная ставка".into(), format!("{} % годовых", format_rate(c.rate_bp))),
        ("Срок".into(), format!("{} мес., до {}", c.term_months, format_date_ru(&c.end_date))),
    ]
}

pub(super) fn schedule(s: &SavingsDetail, cx: &Ctx) -> Result<DocSpec, DocumentError> {
    let c = &s.summary;
    let mut meta = contract_meta(s, cx);
    meta.push((
        "Проценты".into(),
        if c.capitalisation {
            "ежемесячно прибавляются к сумме сбережений (капитализация)".into()
        } else {
            "выплачиваются ежемесячно".into()
        },
    ));
    meta.push(("По состоянию на".into(), format_date_ru(&s.as_of)));
    let (mut done, mut planned) = (0i64, 0i64);
    let mut rows: Vec<Row> = s
        .schedule
        .iter()
        .map(|p| {
            if p.done {
                done += p.interest;
            } else {
                planned += p.interest;
            }
            Row::new(vec![
                p.n.to_string(),
                format_date_ru(&p.date),
                format_rub(p.balance),
                format_rub(p.interest),
                if p.done { "Начислено" } else { "Прогноз" }.to_owned(),
            ])
        })
        .collect();
    rows.push(Row::total(vec![String::new(), "Итого".into(), String::new(), format_rub(done + planned), String::new()]));
    let blocks = vec![
        Block::Meta(meta),
        Block::Table(Table {
            columns: vec![
                Column::center("№", 6.0),
                Column::center("Дата начисления", 16.0),
                Column::right("Сумма сбережений, руб.", 26.0),
                Column::right("Проценты, руб.", 22.0),
                Column::left("Статус", 30.0),
            ],
            rows,
        }),
        Block::Paragraph(format!(
            "Начислено на {}: {} Проценты будущих месяцев (прогноз: {}) рассчитаны при нынешних сумме \
             и ставке и изменятся при пополнении, снятии или досрочном расторжении договора.",
            format_date_ru(&s.as_of),
            rub(done),
            rub(planned)
        )),
    ];
    let title = format!("График начисления процентов {}", of_contract(s));
    Ok(cx.spec(DocumentKind::Schedule, title, &["grafik-procentov", &c.number], blocks))
}

pub(super) fn act(s: &SavingsDetail, from: Date, to: Date, cx: &Ctx) -> Result<DocSpec, DocumentError> {
    // Amounts are signed from the client's side: positive, the organisation owes more. In
    // the organisation's books that is a credit to the client's account.
    let mut opening = 0i64;
    let (mut debit, mut credit) = (0i64, 0i64);
    let mut rows = Vec::new();
    for op in &s.operations {
        let day = data_day(&op.date, "operation date")?;
        if day < from {
            opening += op.amount;
            continue;
        }
        if day > to {
            continue;
        }
        let (d, c) = if op.amount < 0 { (-op.amount, 0) } else { (0, op.amount) };
        debit += d;
        credit += c;
        rows.push(Row::new(vec![format_date_ru(&op.date), op.description.clone(), amount_or_blank(d), amount_or_blank(c)]));
    }
    let closing = opening + credit - debit;
    let balance = |k: i64| if k >= 0 { (String::new(), format_rub(k)) } else { (format_rub(-k), String::new()) };
    let (od, oc) = balance(opening);
    let (cd, cc) = balance(closing);
    let mut all = vec![Row::emphasis(vec![String::new(), format!("Сальдо на {}", ru_date(from)), od, oc])];
    all.extend(rows);
    all.push(Row::total(vec![String::new(), "Обороты за период".into(), format_rub(debit), format_rub(credit)]));
    all.push(Row::emphasis(vec![String::new(), format!("Сальдо на {} (конец дня)", ru_date(to)), cd, cc]));
    let conclusion = if closing >= 0 {
        format!(
            "По данным {} на {} задолженность организации перед пайщиком по договору составляет {}",
            cx.org.name,
            ru_date(to),
            rub(closing)
        )
    } else {
        format!(
            "По данным {} на {} задолженность пайщика перед организацией по договору составляет {}",
            cx.org.name,
            ru_date(to),
            rub(-closing)
        )
    };
    Ok(cx.act(super::ActParts {
        meta: contract_meta(s, cx),
        explanation: "Кредит — поступления в пользу пайщика (взносы, пополнения, начисленные проценты); \
             дебет — выплаты пайщику и удержания.",
        rows: all,
        conclusion,
        party: "Пайщик",
        of_contract: of_contract(s),
        number: &s.summary.number,
        from,
        to,
    }))
}

pub(super) fn interest_income(s: &SavingsDetail, year: i32, cx: &Ctx) -> Result<DocSpec, DocumentError> {
    let c = &s.summary;
    let (mut capitalised, mut paid, mut recalculated) = (0i64, 0i64, 0i64);
    let mut rows = Vec::new();
    for op in &s.operations {
        // Magnitudes, not signs: interest paid out is income whichever way accounting signs
        // the payout, and a recalculation always takes interest back.
        let bucket = match op.kind {
            SavingsOperationKind::InterestCapitalised => &mut capitalised,
            SavingsOperationKind::InterestPaid => &mut paid,
            SavingsOperationKind::InterestRecalculated => &mut recalculated,
            _ => continue,
        };
        if data_day(&op.date, "operation date")?.year() != year {
            continue;
        }
        let k = op.amount.abs();
        *bucket += k;
        let shown = if op.kind == SavingsOperationKind::InterestRecalculated { -k } else { k };
        rows.push(Row::new(vec![format_date_ru(&op.date), op.description.clone(), format_rub(shown)]));
    }
    let income = capitalised + paid - recalculated;
    let mut meta = contract_meta(s, cx);
    meta.push(("Период".into(), format!("с 01.01.{year} по 31.12.{year}")));
    let mut blocks = vec![
        Block::Meta(meta),
        Block::Paragraph(format!(
            "{} подтверждает, что по договору передачи личных сбережений №\u{a0}{} от {} (пайщик — {}) \
             доход в виде процентов за {} год составил {}",
            cx.org.legal_name,
            c.number,
            format_date_ru(&c.date),
            cx.holder_name(),
            year,
            rub(income)
        )),
    ];
    if rows.is_empty() {
        blocks.push(Block::Paragraph(format!("Проценты по договору в {year} году не начислялись.")));
    } else {
        rows.push(Row::total(vec![String::new(), "Итого доход в виде процентов".into(), format_rub(income)]));
        blocks.push(Block::Table(Table {
            columns: vec![Column::center("Дата", 15.0), Column::left("Операция", 60.0), Column::right("Сумма, руб.", 25.0)],
            rows,
        }));
        blocks.push(Block::Paragraph(format!(
            "В том числе: прибавлено к сумме сбережений — {}, выплачено — {}, удержано при перерасчёте — {}",
            rub(capitalised),
            rub(paid),
            rub(recalculated)
        )));
    }
    blocks.push(Block::Paragraph("Справка выдана для представления по месту требования.".into()));
    blocks.push(Block::Signatures(vec![cx.org_signatory()]));
    let title = format!("Справка о доходах в виде процентов за {year} год {}", of_contract(s));
    let y = year.to_string();
    Ok(cx.spec(DocumentKind::InterestIncomeCertificate, title, &["spravka-o-dohodah", &y, &c.number], blocks))
}

#[cfg(test)]
mod tests {
    use kabinet_api::cabinet::{format_rub, DocumentKind, DocumentQuery, SavingsOperation, SavingsOperationKind};

    use crate::documents::fixtures::*;
    use crate::documents::{build, rub, Subject};

    #[test]
    fn interest_income_is_capitalised_plus_paid_minus_recalculated() {
        let mut s = saving();
        let op = |date: &str, kind, amount| SavingsOperation { date: date.into(), kind, amount, description: "—".into() };
        // Paid-out interest counts whichever sign accounting gives the payout.
        s.operations.push(op("2026-03-05", SavingsOperationKind::InterestPaid, 30_000));
        s.operations.push(op("2026-04-05", SavingsOperationKind::InterestPaid, -20_000));
        s.operations.push(op("2026-11-20", SavingsOperationKind::InterestRecalculated, -7_500));
        // Another year's interest and money that is not interest are not income of 2026.
        s.operations.push(op("2025-12-31", SavingsOperationKind::InterestPaid, 99_999));
        s.operations.push(op("2026-05-05", SavingsOperationKind::TopUp, 1_000_000));
        let capitalised: i64 = s
            .operations
            .iter()
            .filter(|o| o.kind == SavingsOperationKind::InterestCapitalised && o.date.starts_with("2026"))
            .map(|o| o.amount)
            .sum();
        let income = capitalised + 30_000 + 20_000 - 7_500;
        let q = DocumentQuery { year: Some(2026), ..Default::default() };
        let spec = build(DocumentKind::InterestIncomeCertificate, Subject::Savings(&s), &q, &org(), &holder()).unwrap();
        let texts = spec.texts();
        assert!(texts.iter().any(|t| t.contains(&format!("за 2026 год составил {}", rub(income)))), "{texts:#?}");
        assert!(texts.contains(&format_rub(income).as_str()), "the total row");
        assert!(texts.contains(&format_rub(-7_500).as_str()), "the recalculation shown as taken back");
        assert!(!texts.iter().any(|t| t.contains("99\u{a0}999") || t.contains("10\u{a0}000,00")), "{texts:#?}");
        assert_eq!(spec.file_stem, "spravka-o-dohodah-2026-S-2025-0007");
    }
}
