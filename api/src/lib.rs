//! The wire contract between the widget and the shim: DTOs and stable error codes, serde only.

use serde::{Deserialize, Serialize};

pub mod auth;
pub mod cabinet;
pub mod phone;

pub use phone::Phone;

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
    /// With `rate_limited`: seconds until a retry may succeed (also in `Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u32>,
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
    /// The body is not valid JSON for this request (syntax, a missing or an unknown field).
    InvalidJson,
    /// The body is larger than this request allows.
    PayloadTooLarge,
    /// X-Forwarded-For came from a peer that is not a configured proxy.
    UntrustedForwarding,
    /// No session, or it has ended (logout, expiry, reset, phone change).
    Unauthenticated,
    /// Wrong phone or password, or password login is locked; the same answer for all three.
    InvalidCredentials,
    /// Not a phone number.
    InvalidPhone,
    /// A number, but not a Russian mobile (+7 9xx).
    PhoneNotMobile,
    /// Full name must be Фамилия Имя [Отчество] in letters.
    InvalidName,
    PasswordTooShort,
    PasswordTooLong,
    /// Among commonly used passwords.
    PasswordCommon,
    /// Made of the phone number.
    PasswordLikePhone,
    /// The current password given for a change is wrong.
    WrongPassword,
    /// The consent to personal-data processing was not accepted (or an old version was).
    ConsentRequired,
    /// The code is wrong (or no code was sent to this number for this step).
    CodeInvalid,
    CodeExpired,
    CodeUsed,
    /// Five wrong tries: this code no longer works, ask for a new one.
    CodeAttemptsExceeded,
    /// SMS cannot be sent now (provider down, or the daily budget is spent).
    SmsUnavailable,
    /// The new phone is the current one.
    SamePhone,
    /// The new phone already belongs to another cabinet.
    PhoneTaken,
    /// The organisation's accounting system did not answer in time or answered with an error.
    AccountingUnavailable,
    /// A document's period or year is not a valid date range (or lies outside the contract).
    InvalidPeriod,
    /// This document does not exist for this contract in its state (e.g. a no-debt
    /// certificate for a loan that is not closed).
    DocumentNotAvailable,
}

impl ErrorCode {
    /// The HTTP status this code is answered with.
    pub fn http_status(self) -> u16 {
        use ErrorCode::*;
        match self {
            NotFound => 404,
            MethodNotAllowed => 405,
            BadRequest | InvalidJson | UntrustedForwarding => 400,
            UnsupportedMediaType => 415,
            PayloadTooLarge => 413,
            ForbiddenOrigin => 403,
            Unauthenticated | InvalidCredentials => 401,
            RateLimited => 429,
            SamePhone | PhoneTaken | DocumentNotAvailable => 409,
            InvalidPhone | PhoneNotMobile | InvalidName | PasswordTooShort | PasswordTooLong | PasswordCommon
            | PasswordLikePhone | WrongPassword | ConsentRequired | CodeInvalid | CodeExpired | CodeUsed
            | CodeAttemptsExceeded | InvalidPeriod => 422,
            Unavailable | SmsUnavailable | AccountingUnavailable => 503,
            Internal => 500,
        }
    }

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
            ErrorCode::InvalidJson => "Запрос составлен неверно: проверьте поля формы.",
            ErrorCode::PayloadTooLarge => "Слишком большой запрос.",
            ErrorCode::UntrustedForwarding => "Запрос пришёл через неизвестный прокси-сервер.",
            ErrorCode::Unauthenticated => "Войдите в личный кабинет.",
            ErrorCode::InvalidCredentials => "Неверный номер телефона или пароль.",
            ErrorCode::InvalidPhone => "Проверьте номер телефона: например, +7 916 123-45-67.",
            ErrorCode::PhoneNotMobile => "Нужен номер мобильного телефона России (+7 9xx).",
            ErrorCode::InvalidName => "Укажите фамилию, имя и отчество буквами, как в паспорте.",
            ErrorCode::PasswordTooShort => "Пароль должен быть не короче 8 символов.",
            ErrorCode::PasswordTooLong => "Пароль слишком длинный: не больше 256 символов.",
            ErrorCode::PasswordCommon => "Этот пароль слишком распространён. Придумайте другой.",
            ErrorCode::PasswordLikePhone => "Пароль не должен совпадать с номером телефона.",
            ErrorCode::WrongPassword => "Текущий пароль указан неверно.",
            ErrorCode::ConsentRequired => "Нужно согласие на обработку персональных данных.",
            ErrorCode::CodeInvalid => "Неверный код. Проверьте цифры из SMS.",
            ErrorCode::CodeExpired => "Срок действия кода истёк. Запросите новый код.",
            ErrorCode::CodeUsed => "Этот код уже использован. Запросите новый код.",
            ErrorCode::CodeAttemptsExceeded => "Слишком много неверных попыток. Запросите новый код.",
            ErrorCode::SmsUnavailable => "Отправка SMS временно недоступна. Повторите попытку позже.",
            ErrorCode::SamePhone => "Это ваш текущий номер.",
            ErrorCode::PhoneTaken => "Этот номер уже используется другим кабинетом.",
            ErrorCode::AccountingUnavailable => {
                "Учётная система организации сейчас не отвечает. Повторите попытку через минуту."
            }
            ErrorCode::InvalidPeriod => "Проверьте период: дата начала не позже даты окончания, обе в пределах договора.",
            ErrorCode::DocumentNotAvailable => "Этот документ по договору сейчас недоступен.",
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
            ErrorCode::InvalidJson => "The request is malformed: check the form fields.",
            ErrorCode::PayloadTooLarge => "The request is too large.",
            ErrorCode::UntrustedForwarding => "The request came through an unknown proxy.",
            ErrorCode::Unauthenticated => "Please sign in.",
            ErrorCode::InvalidCredentials => "Wrong phone number or password.",
            ErrorCode::InvalidPhone => "Check the phone number, e.g. +7 916 123-45-67.",
            ErrorCode::PhoneNotMobile => "A Russian mobile number (+7 9xx) is required.",
            ErrorCode::InvalidName => "Enter your surname, first name and patronymic in letters, as in your passport.",
            ErrorCode::PasswordTooShort => "The password must be at least 8 characters long.",
            ErrorCode::PasswordTooLong => "The password is too long: at most 256 characters.",
            ErrorCode::PasswordCommon => "This password is too common. Choose another.",
            ErrorCode::PasswordLikePhone => "The password must not be your phone number.",
            ErrorCode::WrongPassword => "The current password is wrong.",
            ErrorCode::ConsentRequired => "Consent to personal data processing is required.",
            ErrorCode::CodeInvalid => "Wrong code. Check the digits in the SMS.",
            ErrorCode::CodeExpired => "The code has expired. Ask for a new one.",
            ErrorCode::CodeUsed => "This code has already been used. Ask for a new one.",
            ErrorCode::CodeAttemptsExceeded => "Too many wrong attempts. Ask for a new code.",
            ErrorCode::SmsUnavailable => "SMS cannot be sent right now. Please try again later.",
            ErrorCode::SamePhone => "This is your current number.",
            ErrorCode::PhoneTaken => "This number is already used by another cabinet.",
            ErrorCode::AccountingUnavailable => {
                "The organisation's accounting system is not answering. Please try again in a minute."
            }
            ErrorCode::InvalidPeriod => "Check the period: the start not after the end, both within the contract.",
            ErrorCode::DocumentNotAvailable => "This document is not available for this contract now.",
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
