//! The wire contract between the widget and the shim: DTOs and stable error codes, serde only.

use serde::{Deserialize, Serialize};

/// Path prefix of every JSON API route; bumped only with a breaking change of the contract.
pub const API_PREFIX: &str = "/api/v1";

/// Header the widget sets to say how it is embedded, so the journal records the mode.
pub const MODE_HEADER: &str = "x-kabinet-mode";

/// Public facts about the organisation that the widget shows before anyone signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgInfo {
    /// Short name shown in the welcome, e.g. «КПК «Надёжный капитал»».
    pub name: String,
    /// Full legal name for documents and the footer.
    pub legal_name: String,
    /// Taxpayer number (ИНН).
    pub inn: String,
    /// State registration number (ОГРН).
    pub ogrn: String,
    /// Contact phone for clients, as written for people.
    pub phone: String,
    /// Postal address of the head office.
    pub address: String,
    /// Working hours, as written for people.
    pub hours: String,
}

/// Liveness and readiness answer of `/healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// `ok` when the database answers.
    pub status: String,
    /// Version of the shim.
    pub version: String,
}

/// Body of every 4xx/5xx answer: a stable machine code the widget translates, and a fallback text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    /// Stable code, one of [`ErrorCode`] in snake_case.
    pub code: ErrorCode,
    /// Russian text for people, used when the widget does not know the code.
    pub message: String,
    /// Id of the request, to quote to support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// Every error code the API can answer with. New codes are added, never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NotFound,
    MethodNotAllowed,
    BadRequest,
    UnsupportedMediaType,
    ForbiddenOrigin,
    RateLimited,
    Unavailable,
    Internal,
}

impl ErrorCode {
    /// The Russian sentence a person sees for this code.
    pub fn message_ru(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "Не найдено.",
            ErrorCode::MethodNotAllowed => "Такое действие здесь недоступно.",
            ErrorCode::BadRequest => "Запрос составлен неверно.",
            ErrorCode::UnsupportedMediaType => "Неподдерживаемый формат запроса.",
            ErrorCode::ForbiddenOrigin => "Запрос с этого сайта не разрешён.",
            ErrorCode::RateLimited => "Слишком много запросов. Повторите немного позже.",
            ErrorCode::Unavailable => "Сервис временно недоступен. Повторите попытку через несколько минут.",
            ErrorCode::Internal => "Внутренняя ошибка сервиса. Мы уже разбираемся.",
        }
    }

    /// The English sentence for the second language.
    pub fn message_en(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "Not found.",
            ErrorCode::MethodNotAllowed => "This action is not available here.",
            ErrorCode::BadRequest => "The request is malformed.",
            ErrorCode::UnsupportedMediaType => "Unsupported request format.",
            ErrorCode::ForbiddenOrigin => "Requests from this site are not allowed.",
            ErrorCode::RateLimited => "Too many requests. Please try again shortly.",
            ErrorCode::Unavailable => "The service is temporarily unavailable. Please try again in a few minutes.",
            ErrorCode::Internal => "Internal error. We are looking into it.",
        }
    }
}

/// Messages exchanged by postMessage between the loader on the host page and the /embed frame.
/// Both sides check the sender's origin and window before reading `type`.
pub mod frame {
    /// Frame → host: first screen is on screen.
    pub const READY: &str = "kabinet:ready";
    /// Frame → host: content height changed (`height` in CSS pixels).
    pub const RESIZE: &str = "kabinet:resize";
    /// Host → frame: theme variables computed on the host element (`vars`: name → value).
    pub const THEME: &str = "kabinet:theme";
}

/// Theme variables the host page may set on the host element; the loader forwards exactly these.
pub const THEME_VARIABLES: &[&str] = &[
    "--kabinet-accent",
    "--kabinet-accent-text",
    "--kabinet-text",
    "--kabinet-muted",
    "--kabinet-bg",
    "--kabinet-surface",
    "--kabinet-border",
    "--kabinet-error",
    "--kabinet-font",
    "--kabinet-font-size",
    "--kabinet-radius",
    "--kabinet-max-width",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_snake_case_on_the_wire() {
        let json = serde_json::to_string(&ErrorCode::ForbiddenOrigin).unwrap();
        assert_eq!(json, "\"forbidden_origin\"");
        let back: ErrorCode = serde_json::from_str("\"rate_limited\"").unwrap();
        assert_eq!(back, ErrorCode::RateLimited);
    }

    #[test]
    fn theme_variables_are_prefixed() {
        for v in THEME_VARIABLES {
            assert!(v.starts_with("--kabinet-"), "{v}");
        }
    }
}
