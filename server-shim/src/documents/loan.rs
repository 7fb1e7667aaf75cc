//! Loan documents: the payment schedule, the reconciliation act, the debt and no-debt
//! certificates and the certificate of interest paid in a year.

use kabinet_api::cabinet::{
    format_date_ru, format_rate, format_rub, ContractStatus, DocumentKind, InstallmentStatus, LoanDetail,
    LoanOperationKind, RepaymentKind,
};
use time::Date;

use super::spec::{Block, Column, DocSpec, Row, Table};
use super::{amount_or_blank, data_day, ru_date, rub, Ctx, DocumentError};

/// «договора займа № З-2026/0142».
fn of_contract(l: &LoanDetail) -> String {
    format!("по договору займа №\u{a0}{}", l.summary.number)
}

/// The lines every loan document opens with.
fn contract_meta(l: &LoanDetail, cx: &Ctx) -> Vec<(String, String)> {
    let s = &l.summary;
    vec![
        ("Заёмщик".into(), cx.holder_name()),
        ("Договор займа".into(), format!("№\u{a0}{} от {}", s.number, format_date_ru(&s.date))),
        ("Сумма займа".into(), rub(s.amount)),
        ("Процентная ставка".into(), format!("{} % годовых", format_rate(s.rate_bp))),
        ("Срок".into(), format!("{} мес.", s.term_months)),
    ]
}

pub(super) fn schedule(l: &LoanDetail, cx: &Ctx) -> Result<DocSpec, DocumentError> {
    let s = &l.summary;
    let mut meta = contract_meta(l, cx);
    meta.push((
        "Порядок погашения".into(),
        match s.repayment {
            RepaymentKind::Annuity => "ежемесячно, равными (аннуитетными) платежами".into(),
            RepaymentKind::Differentiated => "ежемесячно, дифференцированными платежами".into(),
        },
    ));
    meta.push(("По состоянию на".into(), format_date_ru(&l.as_of)));

    let mut rows = Vec::with_capacity(l.schedule.len() + 1);
    let (mut principal, mut interest, mut total, mut paid) = (0, 0, 0, 0);
    for i in &l.schedule {
        let paid_here = i.paid_principal + i.paid_interest;
        let status = match i.status {
            InstallmentStatus::Planned => "Предстоит".to_owned(),
            InstallmentStatus::Paid => match &i.paid_on {
                Some(d) => format!("Оплачен {}", format_date_ru(d)),
                None => "Оплачен".to_owned(),
            },
            InstallmentStatus::PartiallyPaid => "Оплачен частично".to_owned(),
            InstallmentStatus::Overdue => "Просрочен".to_owned(),
        };
        rows.push(Row::new(vec![
            i.n.to_string(),
            format_date_ru(&i.date),
            format_rub(i.principal),
            format_rub(i.interest),
            format_rub(i.total),
            format_rub(i.balance_after),
            amount_or_blank(paid_here),
            status,
        ]));
        principal += i.principal;
        interest += i.interest;
        total += i.total;
        paid += paid_here;
    }
    rows.push(Row::total(vec![
        String::new(),
        "Итого".into(),
        format_rub(principal),
        format_rub(interest),
        format_rub(total),
        String::new(),
        format_rub(paid),
        String::new(),
    ]));
    let table = Table {
        columns: vec![
            Column::center("№", 4.0),
            Column::center("Дата платежа", 10.0),
            Column::right("Основной долг, руб.", 12.5),
            Column::right("Проценты, руб.", 11.5),
            Column::right("Сумма платежа, руб.", 12.5),
            Column::right("Остаток долга, руб.", 13.0),
            Column::right("Оплачено, руб.", 12.0),
            Column::left("Статус", 15.5),
        ],
        rows,
    };
    let blocks = vec![
        Block::Meta(meta),
        Block::Table(table),
        Block::Paragraph(
            "Сумма платежа включает часть основного долга и проценты за период. Неустойка за \
             просрочку в график не входит и начисляется отдельно. «Оплачено» — сумма, \
             поступившая в счёт платежа."
                .into(),
        ),
    ];
    let title = format!("График платежей {}", of_contract(l));
    Ok(cx.spec(DocumentKind::Schedule, title, &["grafik", &l.summary.number], blocks))
}

pub(super) fn act(l: &LoanDetail, from: Date, to: Date, cx: &Ctx) -> Result<DocSpec, DocumentError> {
    let mut opening = 0i64;
    let (mut debit, mut credit) = (0i64, 0i64);
    let mut rows = Vec::new();
    for op in &l.operations {
        let day = data_day(&op.date, "operation date")?;
        let signed = if op.kind.is_debit() { op.amount } else { -op.amount };
        if day < from {
            opening += signed;
            continue;
        }
        if day > to {
            continue;
        }
        let mut what = op.description.clone();
        if !op.kind.is_debit() {
            let parts: Vec<String> = [("основной долг", op.principal), ("проценты", op.interest), ("неустойка", op.penalty)]
                .into_iter()
                .filter(|(_, k)| *k != 0)
                .map(|(name, k)| format!("{name} {}", format_rub(k)))
                .collect();
            if !parts.is_empty() {
                what = format!("{what}: {}", parts.join(", "));
            }
        }
        let (d, c) = if op.kind.is_debit() { (op.amount, 0) } else { (0, op.amount) };
        debit += d;
        credit += c;
        rows.push(Row::new(vec![format_date_ru(&op.date), what, amount_or_blank(d), amount_or_blank(c)]));
    }
    let closing = opening + debit - credit;
    // A debit balance is what the client owes; a credit balance is an overpayment.
    let balance = |k: i64| if k >= 0 { (format_rub(k), String::new()) } else { (String::new(), format_rub(-k)) };
    let (od, oc) = balance(opening);
    let (cd, cc) = balance(closing);
    let mut all = vec![Row::emphasis(vec![String::new(), format!("Сальдо на {}", ru_date(from)), od, oc])];
    all.extend(rows);
    all.push(Row::total(vec![String::new(), "Обороты за период".into(), format_rub(debit), format_rub(credit)]));
    all.push(Row::emphasis(vec![String::new(), format!("Сальдо на {} (конец дня)", ru_date(to)), cd, cc]));

    let conclusion = match closing {
        0 => format!("По данным {} на {} задолженность заёмщика по договору отсутствует.", cx.org.name, ru_date(to)),
        k if k > 0 => format!(
            "По данным {} на {} задолженность заёмщика по договору составляет {}",
            cx.org.name,
            ru_date(to),
            rub(k)
        ),
        k => format!("По данным {} на {} переплата заёмщика по договору составляет {}", cx.org.name, ru_date(to), rub(-k)),
    };
    Ok(cx.act(super::ActParts {
        meta: contract_meta(l, cx),
        explanation: "Дебет — начисления, увеличивающие задолженность заёмщика (выдача займа, проценты, \
             неустойка); кредит — платежи заёмщика.",
        rows: all,
        conclusion,
        party: "Заёмщик",
        of_contract: of_contract(l),
        number: &l.summary.number,
        from,
        to,
    }))
}

pub(super) fn debt_certificate(l: &LoanDetail, cx: &Ctx) -> Result<DocSpec, DocumentError> {
    let s = &l.summary;
    let as_of = format_date_ru(&l.as_of);
    let mut meta = contract_meta(l, cx);
    meta.push(("По состоянию на".into(), as_of.clone()));
    let overdue = if s.overdue_days > 0 {
        format!("Просроченная задолженность (основной долг и проценты), просрочка {} дн.", s.overdue_days)
    } else {
        "Просроченная задолженность (основной долг и проценты)".to_owned()
    };
    let rows = vec![
        Row::new(vec!["Остаток основного долга (включая просроченный)".into(), format_rub(s.principal_balance)]),
        Row::new(vec![overdue, format_rub(s.overdue_amount)]),
        Row::new(vec!["Неустойка (пени)".into(), format_rub(s.penalty)]),
        Row::new(vec!["Проценты, начисленные за текущий период".into(), format_rub(s.accrued_interest)]),
        Row::total(vec![format!("Сумма для полного погашения займа на {as_of}"), format_rub(s.payoff_amount)]),
    ];
    let mut blocks = vec![
        Block::Meta(meta),
        Block::Paragraph(format!(
            "{} сообщает, что по договору займа №\u{a0}{} от {} (заёмщик — {}) по состоянию на {} \
             задолженность составляет:",
            cx.org.legal_name,
            s.number,
            format_date_ru(&s.date),
            cx.holder_name(),
            as_of
        )),
        Block::Table(Table {
            columns: vec![Column::left("Показатель", 72.0), Column::right("Сумма, руб.", 28.0)],
            rows,
        }),
    ];
    if let Some(next) = &s.next_payment {
        blocks.push(Block::Paragraph(format!(
            "Ближайший платёж по графику — {} в сумме {}",
            format_date_ru(&next.date),
            rub(next.amount)
        )));
    }
    blocks.push(Block::Paragraph(
        "Сумма для полного погашения верна на указанную дату: проценты начисляются за каждый день \
         пользования займом. Справка выдана для представления по месту требования."
            .into(),
    ));
    blocks.push(Block::Signatures(vec![cx.org_signatory()]));
    let title = format!("Справка о текущей задолженности {}", of_contract(l));
    Ok(cx.spec(DocumentKind::DebtCertificate, title, &["spravka-o-zadolzhennosti", &s.number], blocks))
}

pub(super) fn no_debt_certificate(l: &LoanDetail, cx: &Ctx) -> Result<DocSpec, DocumentError> {
    let s = &l.summary;
    // Closed yet owing would be a contradiction in accounting's data: no certificate then.
    if s.status != ContractStatus::Closed || s.payoff_amount != 0 || s.principal_balance != 0 {
        return Err(DocumentError::NotAvailable);
    }
    let as_of = format_date_ru(&l.as_of);
    let closed = s.closed_on.as_deref().map(format_date_ru);
    let mut meta = contract_meta(l, cx);
    if let Some(c) = &closed {
        meta.push(("Дата погашения".into(), c.clone()));
    }
    meta.push(("По состоянию на".into(), as_of.clone()));
    let when = closed.map(|c| format!(" {c}")).unwrap_or_default();
    let blocks = vec![
        Block::Meta(meta),
        Block::Paragraph(format!(
            "{} (ИНН {}, ОГРН {}) подтверждает, что обязательства по договору займа №\u{a0}{} от {} на сумму {} \
             (заёмщик — {}) исполнены в полном объёме{}.",
            cx.org.legal_name,
            cx.org.inn,
            cx.org.ogrn,
            s.number,
            format_date_ru(&s.date),
            rub(s.amount),
            cx.holder_name(),
            when
        )),
        Block::Paragraph(format!(
            "По состоянию на {as_of} задолженность по договору, включая основной долг, проценты и \
             неустойку, отсутствует. Справка выдана для представления по месту требования."
        )),
        Block::Signatures(vec![cx.org_signatory()]),
    ];
    let title = format!("Справка об отсутствии задолженности {}", of_contract(l));
    let stem = ["spravka-ob-otsutstvii-zadolzhennosti", &s.number];
    Ok(cx.spec(DocumentKind::NoDebtCertificate, title, &stem, blocks))
}

pub(super) fn interest_paid(l: &LoanDetail, year: i32, cx: &Ctx) -> Result<DocSpec, DocumentError> {
    let s = &l.summary;
    let mut rows = Vec::new();
    let (mut amount, mut interest, mut principal) = (0, 0, 0);
    for op in &l.operations {
        if !matches!(op.kind, LoanOperationKind::Payment | LoanOperationKind::EarlyRepayment) {
            continue;
        }
        if data_day(&op.date, "operation date")?.year() != year {
            continue;
        }
        rows.push(Row::new(vec![
            format_date_ru(&op.date),
            op.description.clone(),
            format_rub(op.amount),
            format_rub(op.interest),
            format_rub(op.principal),
        ]));
        amount += op.amount;
        interest += op.interest;
        principal += op.principal;
    }
    let mut meta = contract_meta(l, cx);
    meta.push(("Период".into(), format!("с 01.01.{year} по 31.12.{year}")));
    let mut blocks = vec![
        Block::Meta(meta),
        Block::Paragraph(format!(
            "{} подтверждает, что по договору займа №\u{a0}{} от {} (заёмщик — {}) за {} год \
             уплачены проценты за пользование займом в сумме {}",
            cx.org.legal_name,
            s.number,
            format_date_ru(&s.date),
            cx.holder_name(),
            year,
            rub(interest)
        )),
    ];
    if rows.is_empty() {
        blocks.push(Block::Paragraph(format!("Платежей по договору в {year} году не поступало.")));
    } else {
        rows.push(Row::total(vec![
            String::new(),
            "Итого".into(),
            format_rub(amount),
            format_rub(interest),
            format_rub(principal),
        ]));
        blocks.push(Block::Table(Table {
            columns: vec![
                Column::center("Дата", 13.0),
                Column::left("Операция", 36.0),
                Column::right("Сумма платежа, руб.", 17.0),
                Column::right("В т. ч. проценты, руб.", 17.0),
                Column::right("В т. ч. основной долг, руб.", 17.0),
            ],
            rows,
        }));
    }
    blocks.push(Block::Paragraph("Справка выдана для представления по месту требования.".into()));
    blocks.push(Block::Signatures(vec![cx.org_signatory()]));
    let title = format!("Справка об уплаченных процентах за {year} год {}", of_contract(l));
    let y = year.to_string();
    let stem = ["spravka-ob-uplachennyh-procentah", &y, &s.number];
    Ok(cx.spec(DocumentKind::InterestPaidCertificate, title, &stem, blocks))
}
