//! The wire contract between the widget and the shim: DTOs and stable error codes, serde only.

use serde::{Deserialize, Serialize};

pub mod auth;
pub mod cabinet;
pub mod esia;
pub mod messages;
pub mod payments;
pub mod phone;
pub mod requests;
pub mod signing;

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
    /// With a refused upload: the name of the file refused, so a person with several files
    /// knows which one to take out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
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
    /// A state-changing request came without an `Idempotency-Key` (a UUID).
    IdempotencyKeyRequired,
    /// This `Idempotency-Key` was already used for a different request.
    IdempotencyKeyReused,
    /// A request with this `Idempotency-Key` is still being handled.
    RequestInProgress,
    /// No such product, or not one a client may apply for.
    ProductUnavailable,
    /// The amount is outside the product's limits.
    AmountOutOfRange,
    /// The term is outside the product's limits.
    TermOutOfRange,
    /// The date is not a day, is in the past, or is too far ahead.
    InvalidDate,
    /// An early repayment amount does not cover what is due and accrued on its day.
    AmountTooSmall,
    /// An early repayment amount is more than what closes the loan; apply for a full one.
    AmountAbovePayoff,
    /// The contract is closed (or ends before the date asked for).
    ContractClosed,
    /// A required text (the loan's purpose, a message) is empty.
    TextRequired,
    /// A text is longer than allowed.
    TextTooLong,
    /// The file is not a JPEG, PNG or PDF.
    FileTypeNotAllowed,
    /// The file's name or declared type says one thing and its content another.
    FileTypeMismatch,
    /// The file holds something besides a picture or a document (a polyglot, scripts, an
    /// attachment inside a PDF).
    FileUnsafe,
    /// The file cannot be read as what it claims to be.
    FileDamaged,
    /// The file is larger than 10 MB.
    FileTooLarge,
    /// A picture with more than 40 megapixels.
    ImageTooLarge,
    /// More than 5 files in one message.
    TooManyFiles,
    /// The client's files together would pass 100 MB.
    StorageQuotaExceeded,
    /// A file name with a path, control characters or no name at all.
    FileNameInvalid,
    /// A text holds control characters (other than line breaks and tabs).
    InvalidCharacters,
    /// An early repayment may be dated no later than the next installment of the schedule.
    DateAfterNextPayment,
    /// Card payments cannot be started now: the bank does not answer, or payments are off.
    PaymentsUnavailable,
    /// The amount to pay is not what the client was shown (a day changed, a payment arrived):
    /// show the new preview.
    PaymentAmountChanged,
    /// Nothing is due for this kind of payment (no overdue amount, the loan is paid ahead).
    NothingToPay,
    /// This savings product does not take top-ups.
    TopUpNotAllowed,
    /// The page to come back to after paying is not on a site the organisation allows.
    ReturnUrlNotAllowed,
    /// Signing needs the agreement on the simple electronic signature accepted first (A30).
    AgreementRequired,
    /// The agreement's text changed since the client was shown it: show the new text.
    AgreementOutdated,
    /// The document's bytes are not the ones the code was sent for: nothing is signed.
    DocumentChanged,
    /// The document is signed already.
    AlreadySigned,
    /// The organisation withdrew the document; it can no longer be signed.
    DocumentWithdrawn,
    /// The person pressed «Отказать» on ESIA's page (ESIA-007004).
    EsiaDenied,
    /// The trip to ESIA took too long (the flow or ESIA's code expired): start again.
    EsiaExpired,
    /// ESIA's answer did not check out (a replayed or swapped answer, a token for another
    /// system, a bad signature): nothing was linked; start again.
    EsiaFailed,
    /// This browser has no trip to ESIA in progress (or it was finished already).
    EsiaNotStarted,
    /// The ESIA account or the cabinet is linked to another one already.
    EsiaLinkConflict,
    /// ESIA did not answer or answered with an error of its own: try again later.
    EsiaUnavailable,
}

/// Whether a text a person typed holds characters no keyboard makes: control characters
/// other than line breaks and tabs (a NUL, an escape sequence for a terminal).
pub fn has_control_chars(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
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
            SamePhone | PhoneTaken | DocumentNotAvailable | RequestInProgress | ContractClosed | PaymentAmountChanged
            | NothingToPay | TopUpNotAllowed | AgreementRequired | AgreementOutdated | DocumentChanged | AlreadySigned
            | DocumentWithdrawn | EsiaDenied | EsiaExpired | EsiaFailed | EsiaNotStarted | EsiaLinkConflict => 409,
            ReturnUrlNotAllowed => 422,
            IdempotencyKeyRequired => 400,
            FileTypeNotAllowed | FileTypeMismatch | FileUnsafe => 415,
            FileTooLarge | ImageTooLarge | TooManyFiles | StorageQuotaExceeded => 413,
            IdempotencyKeyReused | ProductUnavailable | AmountOutOfRange | TermOutOfRange | InvalidDate | AmountTooSmall
            | AmountAbovePayoff | TextRequired | TextTooLong | FileDamaged | FileNameInvalid | InvalidCharacters
            | DateAfterNextPayment => 422,
            InvalidPhone | PhoneNotMobile | InvalidName | PasswordTooShort | PasswordTooLong | PasswordCommon
            | PasswordLikePhone | WrongPassword | ConsentRequired | CodeInvalid | CodeExpired | CodeUsed
            | CodeAttemptsExceeded | InvalidPeriod => 422,
            Unavailable | SmsUnavailable | AccountingUnavailable | PaymentsUnavailable | EsiaUnavailable => 503,
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
            ErrorCode::IdempotencyKeyRequired => "Запрос составлен неверно: нет ключа повтора. Обновите страницу.",
            ErrorCode::IdempotencyKeyReused => "Этот запрос уже был отправлен с другими данными. Отправьте форму заново.",
            ErrorCode::RequestInProgress => "Предыдущая отправка ещё обрабатывается. Подождите несколько секунд.",
            ErrorCode::ProductUnavailable => "Этот продукт сейчас недоступен. Выберите другой.",
            ErrorCode::AmountOutOfRange => "Сумма вне пределов продукта.",
            ErrorCode::TermOutOfRange => "Срок вне пределов продукта.",
            ErrorCode::InvalidDate => "Проверьте дату: не раньше сегодняшней и не позже чем через 60 дней.",
            ErrorCode::AmountTooSmall => "Сумма меньше того, что нужно уплатить на эту дату (платёж, проценты и пени).",
            ErrorCode::AmountAbovePayoff => "Сумма больше полной задолженности. Выберите полное досрочное погашение.",
            ErrorCode::ContractClosed => "Договор закрыт.",
            ErrorCode::TextRequired => "Заполните текст.",
            ErrorCode::TextTooLong => "Текст слишком длинный.",
            ErrorCode::FileTypeNotAllowed => "Можно прикладывать только изображения JPEG и PNG и документы PDF.",
            ErrorCode::FileTypeMismatch => "Содержимое файла не соответствует его типу или расширению.",
            ErrorCode::FileUnsafe => "Файл содержит недопустимое содержимое (скрипты, вложения или данные другого формата).",
            ErrorCode::FileDamaged => "Файл повреждён или не читается.",
            ErrorCode::FileTooLarge => "Файл больше 10 МБ.",
            ErrorCode::ImageTooLarge => "Изображение слишком большое: не больше 40 мегапикселей.",
            ErrorCode::TooManyFiles => "Не больше 5 файлов в одном сообщении.",
            ErrorCode::StorageQuotaExceeded => "Превышен общий объём ваших файлов (100 МБ).",
            ErrorCode::FileNameInvalid => "Недопустимое имя файла.",
            ErrorCode::InvalidCharacters => "Текст содержит недопустимые символы.",
            ErrorCode::DateAfterNextPayment => {
                "Досрочное погашение можно назначить не позже даты ближайшего платежа по графику."
            }
            ErrorCode::PaymentsUnavailable => "Оплата картой сейчас недоступна. Повторите попытку через несколько минут.",
            ErrorCode::PaymentAmountChanged => "Сумма к оплате изменилась. Проверьте новую сумму и подтвердите оплату.",
            ErrorCode::NothingToPay => "Сейчас нечего оплачивать: задолженности нет.",
            ErrorCode::TopUpNotAllowed => "Этот сберегательный договор нельзя пополнить.",
            ErrorCode::ReturnUrlNotAllowed => "С этой страницы нельзя перейти в банк или на Госуслуги: откройте личный кабинет на сайте организации.",
            ErrorCode::AgreementRequired => {
                "Чтобы подписывать документы кодом из SMS, сначала примите соглашение об использовании простой электронной подписи."
            }
            ErrorCode::AgreementOutdated => "Текст соглашения изменился. Прочитайте новую редакцию и примите её.",
            ErrorCode::DocumentChanged => {
                "Документ изменился после отправки кода, поэтому он не подписан. Откройте документ заново и запросите новый код."
            }
            ErrorCode::AlreadySigned => "Этот документ уже подписан.",
            ErrorCode::DocumentWithdrawn => "Организация отозвала этот документ, подписать его нельзя.",
            ErrorCode::EsiaDenied => "Вход через Госуслуги отменён. Можно попробовать снова или войти по номеру телефона и паролю.",
            ErrorCode::EsiaExpired => "Время на вход через Госуслуги истекло. Нажмите «Войти через Госуслуги» ещё раз.",
            ErrorCode::EsiaFailed => {
                "Госуслуги не подтвердили вход, поэтому вход не выполнен и ничего не изменено. Нажмите «Войти через Госуслуги» ещё раз."
            }
            ErrorCode::EsiaNotStarted => "Вход через Госуслуги не начат или уже завершён. Нажмите «Войти через Госуслуги».",
            ErrorCode::EsiaLinkConflict => {
                "Этот кабинет уже связан с другой учётной записью Госуслуг (или наоборот). Обратитесь в офис."
            }
            ErrorCode::EsiaUnavailable => "Госуслуги сейчас не отвечают. Попробуйте позже или войдите по номеру телефона и паролю.",
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
            ErrorCode::IdempotencyKeyRequired => "The request has no idempotency key. Reload the page.",
            ErrorCode::IdempotencyKeyReused => "This request was already sent with other data. Submit the form again.",
            ErrorCode::RequestInProgress => "The previous submission is still being handled. Wait a few seconds.",
            ErrorCode::ProductUnavailable => "This product is not available now. Choose another.",
            ErrorCode::AmountOutOfRange => "The amount is outside the product's limits.",
            ErrorCode::TermOutOfRange => "The term is outside the product's limits.",
            ErrorCode::InvalidDate => "Check the date: not before today and at most 60 days ahead.",
            ErrorCode::AmountTooSmall => "The amount is less than what is due on that day (installment, interest and penalty).",
            ErrorCode::AmountAbovePayoff => "The amount is more than the whole debt. Choose full early repayment.",
            ErrorCode::ContractClosed => "The contract is closed.",
            ErrorCode::TextRequired => "Fill in the text.",
            ErrorCode::TextTooLong => "The text is too long.",
            ErrorCode::FileTypeNotAllowed => "Only JPEG and PNG images and PDF documents can be attached.",
            ErrorCode::FileTypeMismatch => "The file's content does not match its type or extension.",
            ErrorCode::FileUnsafe => "The file holds content that is not allowed (scripts, attachments or another format).",
            ErrorCode::FileDamaged => "The file is damaged or cannot be read.",
            ErrorCode::FileTooLarge => "The file is larger than 10 MB.",
            ErrorCode::ImageTooLarge => "The image is too large: at most 40 megapixels.",
            ErrorCode::TooManyFiles => "At most 5 files in one message.",
            ErrorCode::StorageQuotaExceeded => "Your files together exceed 100 MB.",
            ErrorCode::FileNameInvalid => "The file name is not allowed.",
            ErrorCode::InvalidCharacters => "The text contains characters that are not allowed.",
            ErrorCode::DateAfterNextPayment => "An early repayment can be dated no later than the next scheduled installment.",
            ErrorCode::PaymentsUnavailable => "Card payments are unavailable now. Try again in a few minutes.",
            ErrorCode::PaymentAmountChanged => "The amount to pay has changed. Check the new amount and confirm again.",
            ErrorCode::NothingToPay => "There is nothing to pay now: no debt is due.",
            ErrorCode::TopUpNotAllowed => "This savings contract cannot be topped up.",
            ErrorCode::ReturnUrlNotAllowed => "The bank or Gosuslugi cannot be opened from this page: open the client account on the organisation's site.",
            ErrorCode::AgreementRequired => {
                "To sign documents with an SMS code, first accept the agreement on the simple electronic signature."
            }
            ErrorCode::AgreementOutdated => "The agreement's text has changed. Read the new version and accept it.",
            ErrorCode::DocumentChanged => {
                "The document changed after the code was sent, so it was not signed. Open it again and ask for a new code."
            }
            ErrorCode::AlreadySigned => "This document is already signed.",
            ErrorCode::DocumentWithdrawn => "The organisation withdrew this document; it can no longer be signed.",
            ErrorCode::EsiaDenied => "Signing in through Gosuslugi was cancelled. Try again or sign in with your phone and password.",
            ErrorCode::EsiaExpired => "Signing in through Gosuslugi took too long. Press «Sign in through Gosuslugi» again.",
            ErrorCode::EsiaFailed => "Gosuslugi did not confirm the sign-in, so nothing was changed. Press «Sign in through Gosuslugi» again.",
            ErrorCode::EsiaNotStarted => "No sign-in through Gosuslugi is in progress. Press «Sign in through Gosuslugi».",
            ErrorCode::EsiaLinkConflict => "This account is already linked to another Gosuslugi account (or the other way round). Contact the office.",
            ErrorCode::EsiaUnavailable => "Gosuslugi is not answering now. Try later or sign in with your phone and password.",
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
    /// Frame → host: open `url` (the bank's payment page) as the top-level page. A frame may
    /// not navigate the host page itself; the loader does it for the frame it created.
    pub const NAVIGATE: &str = "kabinet:navigate";
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
