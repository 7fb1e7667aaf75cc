//! The background work of payments, on every instance: the outbox (posting confirmed payments
//! to accounting, retried with backoff) and the reconciler (asking the bank about payments left
//! pending, with backoff, for up to a day). Rows are claimed with conditional updates, so
//! several instances on one database never work on the same row at once.

use std::sync::Arc;
use std::time::Duration;

use sqlx::Row;

use super::{backoff, PaymentRow, Payments, PaymentsError, BATCH, COLS};

impl Payments {
    /// Runs until [`Payments::stop`]: the outbox and the reconciler as two loops, so a bank
    /// that answers slowly never holds up postings. Each makes a pass at start (work left by a
    /// crash), then the outbox on every confirmation and both every `worker_interval_secs`.
    pub async fn run_workers(self: Arc<Self>) {
        let every = Duration::from_secs(self.config.worker_interval_secs);
        let outbox = {
            let this = self.clone();
            tokio::spawn(async move {
                let mut stopping = this.stopping();
                while !*stopping.borrow() {
                    if let Err(e) = this.post_due().await {
                        tracing::warn!(error = %e, "the payments outbox pass failed");
                    }
                    tokio::select! {
                        _ = this.outbox_kick.notified() => {}
                        _ = tokio::time::sleep(every) => {}
                        _ = stopping.changed() => {}
                    }
                }
            })
        };
        let mut stopping = self.stopping();
        while !*stopping.borrow() {
            if let Err(e) = self.reconcile_due().await {
                tracing::warn!(error = %e, "the payments reconciler pass failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stopping.changed() => {}
            }
        }
        let _ = outbox.await;
    }

    fn is_stopping(&self) -> bool {
        *self.stopping().borrow()
    }

    /// Posts every confirmed payment whose posting is due.
    pub async fn post_due(&self) -> Result<usize, PaymentsError> {
        let now = self.now();
        let rows = sqlx::query(
            // Oldest payment first: accounting takes a contract's events in date order.
            "SELECT o.payment_id FROM payment_outbox o JOIN payments p ON p.id = o.payment_id \
             WHERE o.done_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= $1 AND o.lease_until < $1 \
             ORDER BY p.paid_at, o.created_at LIMIT $2",
        )
        .bind(now)
        .bind(BATCH)
        .fetch_all(self.store.pool())
        .await?;
        let mut posted = 0;
        for r in rows {
            if self.is_stopping() {
                break;
            }
            let id: String = r.get(0);
            if self.post_one(&id).await? {
                posted += 1;
            }
        }
        Ok(posted)
    }

    /// Asks the bank about every pending payment whose check is due; gives up on those older
    /// than `reconcile_give_up_secs` (logged for staff), and on payments the bank never
    /// registered because the shim stopped while registering them.
    pub async fn reconcile_due(&self) -> Result<usize, PaymentsError> {
        let now = self.now();
        let give_up = i64::try_from(self.config.reconcile_give_up_secs).unwrap_or(i64::MAX / 4);
        // A registration the shim never finished: the client never saw the bank's page.
        let abandoned = now - i64::from(self.config.page_lifetime_secs);
        sqlx::query("UPDATE payments SET status = 'failed', updated_at = $1 WHERE status = 'new' AND created_at < $2")
            .bind(now)
            .bind(abandoned)
            .execute(self.store.pool())
            .await?;
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM payments WHERE status = 'pending' AND next_check_at <= $1 ORDER BY next_check_at LIMIT $2"
        ))
        .bind(now)
        .bind(BATCH)
        .fetch_all(self.store.pool())
        .await?;
        let mut asked = 0;
        for r in &rows {
            if self.is_stopping() {
                break;
            }
            let row = PaymentRow::from_row(r);
            let old = now - row.created_at > give_up;
            let next = if old { i64::MAX / 2 } else { now + backoff(row.checks + 1, 60, 3600) };
            let claimed = sqlx::query(
                "UPDATE payments SET checks = checks + 1, next_check_at = $1 WHERE id = $2 AND next_check_at = $3",
            )
            .bind(next)
            .bind(&row.id)
            .bind(row.next_check_at)
            .execute(self.store.pool())
            .await?;
            if claimed.rows_affected() != 1 {
                continue;
            }
            if old {
                tracing::error!(payment = %row.id, order = %row.order_number,
                    "a payment is still pending a day after it started; the reconciler stops asking, check it with the bank");
                continue;
            }
            self.refresh(&row, "сверка со статусом банка").await;
            asked += 1;
        }
        Ok(asked)
    }
}
