//! Every visible string, in Russian (default) and English.

use kabinet_api::ErrorCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ru,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Lang {
        if s.eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::Ru
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }
}

/// Keys of the translation table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum T {
    CabinetName,
    Welcome,
    Intro,
    SignInSoon,
    Loading,
    LoadFailed,
    NetworkError,
    TimeoutError,
    Retry,
    Contacts,
    Phone,
    Address,
    Hours,
    Inn,
    Ogrn,
}

pub fn t(lang: Lang, key: T) -> &'static str {
    use T::*;
    match (lang, key) {
        (Lang::Ru, CabinetName) => "Личный кабинет",
        (Lang::En, CabinetName) => "Client account",
        (Lang::Ru, Welcome) => "Добро пожаловать в личный кабинет",
        (Lang::En, Welcome) => "Welcome to your client account",
        (Lang::Ru, Intro) => "Здесь можно посмотреть займы, сбережения и взносы, отправить заявление, оплатить картой и подписать документы — без поездки в офис.",
        (Lang::En, Intro) => "See your loans, savings and contributions, send applications, pay by card and sign documents here, without a trip to the office.",
        (Lang::Ru, SignInSoon) => "Вход по номеру телефона и паролю скоро появится на этом месте. До тех пор по всем вопросам звоните или приходите в офис.",
        (Lang::En, SignInSoon) => "Sign-in by phone number and password will appear here soon. Until then, please call or visit the office.",
        (Lang::Ru, Loading) => "Загрузка…",
        (Lang::En, Loading) => "Loading…",
        (Lang::Ru, LoadFailed) => "Не удалось загрузить личный кабинет.",
        (Lang::En, LoadFailed) => "The client account could not be loaded.",
        (Lang::Ru, NetworkError) => "Нет связи с сервером. Проверьте подключение к интернету и повторите попытку.",
        (Lang::En, NetworkError) => "No connection to the server. Check your internet connection and try again.",
        (Lang::Ru, TimeoutError) => "Сервер долго не отвечает. Повторите попытку через минуту.",
        (Lang::En, TimeoutError) => "The server is taking too long to answer. Please try again in a minute.",
        (Lang::Ru, Retry) => "Повторить",
        (Lang::En, Retry) => "Try again",
        (Lang::Ru, Contacts) => "Контакты",
        (Lang::En, Contacts) => "Contacts",
        (Lang::Ru, Phone) => "Телефон",
        (Lang::En, Phone) => "Phone",
        (Lang::Ru, Address) => "Адрес",
        (Lang::En, Address) => "Address",
        (Lang::Ru, Hours) => "Часы работы",
        (Lang::En, Hours) => "Opening hours",
        (Lang::Ru, Inn) => "ИНН",
        (Lang::En, Inn) => "Taxpayer number (INN)",
        (Lang::Ru, Ogrn) => "ОГРН",
        (Lang::En, Ogrn) => "Registration number (OGRN)",
    }
}

/// The sentence a person sees for an API error code.
pub fn error_text(lang: Lang, code: ErrorCode) -> &'static str {
    match lang {
        Lang::Ru => code.message_ru(),
        Lang::En => code.message_en(),
    }
}
