//! Journal rows in the Store: the chained append and the ordered read, the same SQL on both engines.

use super::{Store, StoreError};
use crate::audit::AuditRow;

#[derive(Debug, thiserror::Error)]
pub enum AuditAppendError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AuditAppendError {
    fn from(e: sqlx::Error) -> Self {
        AuditAppendError::Store(StoreError::Db(e))
    }
}

impl Store {
    /// Appends one row chained to the current head. `make(seq, prev_hash)` builds the row (and
    /// its hash) while this transaction holds the head, so appenders in any number of
    /// processes form one chain: the first statement writes the head row, which takes
    /// SQLite's write lock or PostgreSQL's row lock before anything is read.
    pub async fn audit_append(
        &self,
        make: impl FnOnce(i64, &str) -> AuditRow,
    ) -> Result<AuditRow, AuditAppendError> {
        let mut tx = self.pool.begin().await?;
        let (head_seq, head_hash): (i64, String) =
            sqlx::query_as("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash")
                .fetch_one(&mut *tx)
                .await?;
        let row = make(head_seq + 1, &head_hash);
        if row.seq != head_seq + 1 || row.prev_hash != head_hash {
            return Err(StoreError::Corrupt("appended row does not follow the head".into()).into());
        }
        sqlx::query(
            "INSERT INTO audit_log (seq, at, division, client_id, client_name, session_id, ip, \
             event, subject, description, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(row.seq)
        .bind(&row.at)
        .bind(&row.division)
        .bind(&row.client_id)
        .bind(&row.client_name)
        .bind(&row.session_id)
        .bind(&row.ip)
        .bind(&row.event)
        .bind(&row.subject)
        .bind(&row.description)
        .bind(&row.prev_hash)
        .bind(&row.hash)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(row.seq)
            .bind(&row.hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Rows with `seq > after`, in order, at most `limit` of them.
    pub async fn audit_rows(&self, after: i64, limit: i64) -> Result<Vec<AuditRow>, StoreError> {
        let rows = sqlx::query_as::<_, AuditRow>(
            "SELECT seq, at, division, client_id, client_name, session_id, ip, event, subject, \
             description, prev_hash, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }

    /// The head as the head row records it: (last seq, last hash).
    pub async fn audit_head(&self) -> Result<(i64, String), StoreError> {
        let head: (i64, String) = sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(head)
    }
}
