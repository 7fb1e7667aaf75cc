//! The receipt (квитанция) of a paid card payment: the organisation, the payer, what was paid
//! for and how it was split, the bank's order, and when the bank confirmed it. Issued like
//! every other document, so it carries a verification code and QR that prove it is genuine.

use kabinet_api::cabinet::{format_rub, DocumentKind};
use kabinet_api::payments::PaymentContractKind;
use time::OffsetDateTime;

use super::PaymentRow;
use crate::documents::pdf::moscow_time;
use crate::documents::spec::{Block, Column, OrgHeader, Row, Table};
use crate::documents::DocSpec;
use crate::org::OrgSettings;

/// The receipt of `p`, which must be paid (the caller checks).
pub fn spec(p: &PaymentRow, org: &OrgSettings) -> DocSpec {
    let paid_at = p
        .paid_at
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .map(moscow_time)
        .unwrap_or_default();
    let bank = match p.gateway.as_str() {
        "sber" => "ПАО Сбербанк (интернет-эквайринг)",
        "payler" => "Payler (интернет-эквайринг)",
        other => other,
    };
    let mut meta = vec![
        ("Плательщик".to_owned(), p.client_name.clone()),
        ("Получатель".to_owned(), format!("{}, ИНН {}", org.legal_name, org.inn)),
        ("Назначение платежа".to_owned(), p.description.clone()),
        ("Дата и время оплаты".to_owned(), paid_at),
        ("Способ оплаты".to_owned(), format!("Банковская карта, {bank}")),
        ("Номер заказа".to_owned(), p.order_number.clone()),
    ];
    if let Some(id) = &p.gateway_order_id {
        meta.push(("Идентификатор операции в банке".to_owned(), id.clone()));
    }
    meta.push(("Номер платежа в личном кабинете".to_owned(), p.id.clone()));
    let mut rows = Vec::new();
    match p.contract_kind {
        PaymentContractKind::Loan => {
            rows.push(Row::new(vec!["Неустойка (пени)".into(), format_rub(p.penalty)]));
            rows.push(Row::new(vec!["Проценты".into(), format_rub(p.interest)]));
            rows.push(Row::new(vec!["Основной долг".into(), format_rub(p.principal)]));
            if p.advance > 0 {
                rows.push(Row::new(vec!["В счёт следующих платежей по графику".into(), format_rub(p.advance)]));
            }
        }
        PaymentContractKind::Savings => {
            rows.push(Row::new(vec!["Пополнение сбережений".into(), format_rub(p.amount)]));
        }
    }
    rows.push(Row::total(vec!["Итого оплачено".into(), format_rub(p.amount)]));
    let title = format!("Квитанция об оплате по договору № {}", p.contract_number);
    let blocks = vec![
        Block::Meta(meta),
        Block::Table(Table { columns: vec![Column::left("Распределение платежа", 72.0), Column::right("Сумма, руб.", 28.0)], rows }),
        Block::Paragraph(
            "Распределение показано так, как оно было рассчитано при оплате; платёж зачитывается \
             в порядке, установленном договором и законом (ч. 20 ст. 5 Федерального закона № 353-ФЗ). \
             Оплата подтверждена банком-эквайером."
                .into(),
        ),
    ];
    DocSpec {
        kind: DocumentKind::PaymentReceipt,
        title,
        file_stem: crate::documents::file_stem(&["kvitanciya", &p.order_number]),
        org: OrgHeader::from_settings(org),
        blocks,
    }
}
