//! The built-in ledger: the embedded accounting system, on the shim's own database. Small
//! cooperatives and the demo need nothing else; larger ones connect their own system.

use kabinet_api::Phone;
use sqlx::Row;

use super::{Accounting, AccountingError, ClientRecord, FullName};
use crate::storage::Store;

/// Clients the demo and the tests start with; the README lists them for newcomers.
pub const DEMO_CLIENTS: &[(&str, &str, &str, &str, &str)] = &[
    ("demo-0001", "Иванова", "Мария", "Петровна", "+79161234567"),
    ("demo-0002", "Петров", "Сергей", "Николаевич", "+79137654321"),
    ("demo-0003", "Смирнова", "Анна", "Викторовна", "+79235550102"),
    ("demo-0004", "Кузнецов", "Алексей", "Иванович", "+79990001122"),
];

#[derive(Clone)]
pub struct Ledger {
    store: Store,
}

impl Ledger {
    pub fn new(store: Store) -> Self {
        Ledger { store }
    }

    /// Seeds the demo clients once; idempotent, so every start of the demo may call it, and a
    /// demo client someone has edited stays as edited.
    pub async fn seed_demo(&self, now: i64) -> Result<(), AccountingError> {
        for (id, last, first, middle, phone) in DEMO_CLIENTS {
            let name = FullName::from_parts(last, first, middle);
            let phone = Phone::parse(phone).expect("demo phones are valid");
            sqlx::query(
                "INSERT INTO ledger_clients (id, last_name, first_name, middle_name, name_key, phone, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
            )
            .bind(*id)
            .bind(&name.last)
            .bind(&name.first)
            .bind(&name.middle)
            .bind(name.key())
            .bind(phone.as_e164())
            .bind(now)
            .execute(self.store.pool())
            .await?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Accounting for Ledger {
    async fn find_client(&self, name: &FullName, phone: &Phone) -> Result<Option<String>, AccountingError> {
        let row = sqlx::query("SELECT id FROM ledger_clients WHERE phone = $1 AND name_key = $2 ORDER BY id LIMIT 1")
            .bind(phone.as_e164())
            .bind(name.key())
            .fetch_optional(self.store.pool())
            .await?;
        Ok(row.map(|r| r.get::<String, _>(0)))
    }

    async fn client(&self, id: &str) -> Result<Option<ClientRecord>, AccountingError> {
        let row = sqlx::query("SELECT id, last_name, first_name, middle_name, phone FROM ledger_clients WHERE id = $1")
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        let Some(r) = row else { return Ok(None) };
        let phone: String = r.get(4);
        Ok(Some(ClientRecord {
            id: r.get(0),
            name: FullName::from_parts(&r.get::<String, _>(1), &r.get::<String, _>(2), &r.get::<String, _>(3)),
            phone: Phone::parse(&phone)
                .map_err(|e| AccountingError::Unavailable(format!("ledger holds a bad phone for {id}: {e}")))?,
        }))
    }
}
