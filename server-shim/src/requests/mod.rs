//! «Отправка заявлений»: a signed-in client's applications (loan, early repayment, savings,
//! early withdrawal) with the ledger's preview before sending, and messages to and from the
//! organisation with safe attachments. Every state change carries an idempotency key.

pub mod applications;
pub mod messages;

use utoipa_axum::router::OpenApiRouter;

use crate::http::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().merge(applications::routes()).merge(messages::routes())
}
