//! The cabinet: its public start (the organisation's details the widget shows on its first
//! screen) and, for a signed-in client, the «Информация» block ([`info`]).

pub mod documents;
pub mod info;
pub mod reads;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use kabinet_api::{ApiError, OrgInfo};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::{AuditEntry, EventKind};
use crate::http::error::AppError;
use crate::http::{AppState, ClientIp};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(org_info)).merge(info::routes()).merge(documents::routes())
}

/// The organisation's name and contacts. Called by the widget when it starts, so it is also
/// where the journal sees a cabinet being opened in either mode.
#[utoipa::path(get, path = "/api/v1/org", tag = "cabinet",
    params(("x-kabinet-mode" = Option<String>, Header, description = "frame or inline")),
    responses((status = 200, body = OrgInfo), (status = 503, body = ApiError)))]
async fn org_info(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
) -> Result<Json<OrgInfo>, AppError> {
    let org = state.orgs().lookup();
    let mode = match headers.get(kabinet_api::MODE_HEADER).and_then(|v| v.to_str().ok()) {
        Some("frame") => "фрейм",
        Some("inline") => "встроенный (Shadow DOM)",
        _ => "не указан",
    };
    let page = headers
        .get(axum::http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| org.allows_origin(o))
        .map(|o| format!("; страница сайта: {o}"))
        .unwrap_or_default();
    state
        .journal()
        .record(AuditEntry::new(EventKind::CabinetOpened, &org.division).ip(ip).description(format!("Режим: {mode}{page}")))
        .await?;
    Ok(Json(org.public_info()))
}
