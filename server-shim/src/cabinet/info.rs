//! The «Информация» block over HTTP: a signed-in client's loans, savings and contributions,
//! each contract's detail, and its documents as PDFs. Every answer is about the session's own
//! client; anything else answers 404 exactly like a missing object, and is journaled.

use axum::extract::{Path, State};
use axum::Json;
use kabinet_api::cabinet::{
    ContributionsView, LoanDetail, LoansView, SavingsDetail, SavingsView,
};
use kabinet_api::{ApiError, ErrorCode};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::reads::admit_read;
use crate::accounting::{business_day, ClientRecord};
use crate::audit::{AuditEntry, EventKind};
use crate::auth::session::{ActiveSession, CurrentSession};
use crate::http::error::AppError;
use crate::http::{AppState, ClientIp};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(loans))
        .routes(routes!(loan))
        .routes(routes!(savings))
        .routes(routes!(saving))
        .routes(routes!(contributions))
}

/// Who is asking, for the journal: the session and the client's name from accounting.
pub(crate) struct Reader {
    pub(crate) session: ActiveSession,
    pub(crate) client: ClientRecord,
    pub(crate) ip: String,
}

impl Reader {
    pub(crate) async fn new(state: &AppState, session: ActiveSession, ip: std::net::IpAddr) -> Result<Reader, AppError> {
        admit_read(state, &session).await?;
        let client = state
            .accounting()
            .client(&session.client_id)
            .await?
            .ok_or_else(|| {
                // Accounting no longer knows this member (removed, anonymised): there is no
                // cabinet to show, so the person is sent back to the login, not shown a 500.
                tracing::warn!(client_id = %session.client_id, "the session's client is gone from accounting");
                AppError::Client(ErrorCode::Unauthenticated)
            })?;
        Ok(Reader { session, client, ip: ip.to_string() })
    }

    pub(crate) fn entry(&self, state: &AppState, kind: EventKind) -> AuditEntry {
        AuditEntry::new(kind, &state.orgs().lookup().division)
            .client(&self.client.id, self.client.name.full())
            .session(&self.session.uid)
            .ip(&self.ip)
    }

    /// A 404 for an object this client does not have, journaled: a person mistyping a link
    /// and a script walking through ids look the same here, and staff want to see both.
    pub(crate) async fn not_found(&self, state: &AppState, what: &str, id: &str) -> AppError {
        let entry = self
            .entry(state, EventKind::ObjectNotFound)
            .subject(format!("{what} {id}"))
            .description("Запрошен объект, которого нет у этого клиента");
        if let Err(e) = state.journal().record(entry).await {
            return e.into();
        }
        tracing::warn!(client_id = %self.client.id, object = %id, "object of another client or none asked for");
        AppError::Client(ErrorCode::NotFound)
    }
}

pub(crate) fn today(state: &AppState) -> time::Date {
    business_day(state.now())
}

/// The client's loan applications and contracts.
#[utoipa::path(get, path = "/api/v1/loans", tag = "cabinet",
    responses((status = 200, body = LoansView), (status = 401, body = ApiError), (status = 429, body = ApiError),
              (status = 503, body = ApiError)))]
async fn loans(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
) -> Result<Json<LoansView>, AppError> {
    let reader = Reader::new(&state, session, ip).await?;
    let view = state.accounting().loans(&reader.client.id, today(&state)).await?;
    state
        .journal()
        .record(reader.entry(&state, EventKind::SectionViewed).subject("Займы").description(format!(
            "Договоров: {}, заявок: {}",
            view.contracts.len(),
            view.applications.len()
        )))
        .await?;
    Ok(Json(view))
}

pub(super) async fn loan_of(state: &AppState, reader: &Reader, id: &str) -> Result<LoanDetail, AppError> {
    match state.accounting().loan(&reader.client.id, id, today(state)).await? {
        Some(d) => Ok(d),
        None => Err(reader.not_found(state, "Договор займа", id).await),
    }
}

pub(super) async fn saving_of(state: &AppState, reader: &Reader, id: &str) -> Result<SavingsDetail, AppError> {
    match state.accounting().saving(&reader.client.id, id, today(state)).await? {
        Some(d) => Ok(d),
        None => Err(reader.not_found(state, "Договор сбережений", id).await),
    }
}

/// One loan contract with its schedule and operations.
#[utoipa::path(get, path = "/api/v1/loans/{id}", tag = "cabinet", params(("id" = String, Path)),
    responses((status = 200, body = LoanDetail), (status = 401, body = ApiError), (status = 404, body = ApiError),
              (status = 429, body = ApiError), (status = 503, body = ApiError)))]
async fn loan(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
) -> Result<Json<LoanDetail>, AppError> {
    let reader = Reader::new(&state, session, ip).await?;
    let detail = loan_of(&state, &reader, &id).await?;
    state
        .journal()
        .record(
            reader
                .entry(&state, EventKind::ContractViewed)
                .subject(format!("Договор займа № {}", detail.summary.number))
                .description("Просмотр договора, графика и операций"),
        )
        .await?;
    Ok(Json(detail))
}

/// The client's savings applications and contracts.
#[utoipa::path(get, path = "/api/v1/savings", tag = "cabinet",
    responses((status = 200, body = SavingsView), (status = 401, body = ApiError), (status = 429, body = ApiError),
              (status = 503, body = ApiError)))]
async fn savings(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
) -> Result<Json<SavingsView>, AppError> {
    let reader = Reader::new(&state, session, ip).await?;
    let view = state.accounting().savings(&reader.client.id, today(&state)).await?;
    state
        .journal()
        .record(reader.entry(&state, EventKind::SectionViewed).subject("Сбережения").description(format!(
            "Договоров: {}, заявок: {}",
            view.contracts.len(),
            view.applications.len()
        )))
        .await?;
    Ok(Json(view))
}

/// One savings contract with its interest schedule and operations.
#[utoipa::path(get, path = "/api/v1/savings/{id}", tag = "cabinet", params(("id" = String, Path)),
    responses((status = 200, body = SavingsDetail), (status = 401, body = ApiError), (status = 404, body = ApiError),
              (status = 429, body = ApiError), (status = 503, body = ApiError)))]
async fn saving(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
) -> Result<Json<SavingsDetail>, AppError> {
    let reader = Reader::new(&state, session, ip).await?;
    let detail = saving_of(&state, &reader, &id).await?;
    state
        .journal()
        .record(
            reader
                .entry(&state, EventKind::ContractViewed)
                .subject(format!("Договор сбережений № {}", detail.summary.number))
                .description("Просмотр договора, графика начисления процентов и операций"),
        )
        .await?;
    Ok(Json(detail))
}

/// Returnable (паевые) and membership (членские) contributions.
#[utoipa::path(get, path = "/api/v1/contributions", tag = "cabinet",
    responses((status = 200, body = ContributionsView), (status = 401, body = ApiError), (status = 429, body = ApiError),
              (status = 503, body = ApiError)))]
async fn contributions(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
) -> Result<Json<ContributionsView>, AppError> {
    let reader = Reader::new(&state, session, ip).await?;
    let view = state.accounting().contributions(&reader.client.id, today(&state)).await?;
    state.journal().record(reader.entry(&state, EventKind::SectionViewed).subject("Взносы")).await?;
    Ok(Json(view))
}
