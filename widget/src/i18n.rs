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

/// Keys of the translation table. Texts with `{name}` placeholders are filled by [`fill`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum T {
    CabinetName,
    Intro,
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
    Sending,
    Back,
    ShowPassword,
    HidePassword,
    EmptyField,
    PhoneLabel,
    PhoneHint,
    PasswordLabel,
    PasswordHint,
    CodeLabel,
    CodeHint,
    CodeValidFor,
    ResendCode,
    ResendIn,
    RetryIn,
    CodeResent,
    Confirm,
    GetCode,
    LoginTitle,
    LoginSubmit,
    ToRegister,
    ForgotPassword,
    NoAccountYet,
    LoggedOut,
    SessionEnded,
    PasswordResetDone,
    RegisterTitle,
    RegisterIntro,
    FullNameLabel,
    ConsentLabel,
    ReadConsent,
    CodeSentRegister,
    NoCodeRegister,
    ResetTitle,
    ResetIntro,
    CodeSentReset,
    NoCodeReset,
    NewPasswordLabel,
    SavePassword,
    Hello,
    SectionsTitle,
    SectionsSoon,
    Soon,
    Loans,
    Savings,
    Shares,
    Applications,
    Messages,
    Payments,
    Documents,
    Profile,
    Logout,
    FullName,
    ChangePasswordTitle,
    CurrentPasswordLabel,
    ChangePasswordSubmit,
    PasswordChanged,
    ChangePhoneTitle,
    NewPhoneLabel,
    GetCodes,
    CodesSent,
    CodeOldLabel,
    CodeNewLabel,
    ResendCodes,
    CancelPhoneChange,
    PhoneChanged,
}

pub fn t(lang: Lang, key: T) -> &'static str {
    use T::*;
    match (lang, key) {
        (Lang::Ru, CabinetName) => "Личный кабинет",
        (Lang::En, CabinetName) => "Client account",
        (Lang::Ru, Intro) => "Здесь можно посмотреть займы, сбережения и взносы, отправить заявление, оплатить картой и подписать документы — без поездки в офис.",
        (Lang::En, Intro) => "See your loans, savings and contributions, send applications, pay by card and sign documents here, without a trip to the office.",
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
        (Lang::Ru, Sending) => "Отправка…",
        (Lang::En, Sending) => "Sending…",
        (Lang::Ru, Back) => "Назад",
        (Lang::En, Back) => "Back",
        (Lang::Ru, ShowPassword) => "Показать пароль",
        (Lang::En, ShowPassword) => "Show password",
        (Lang::Ru, HidePassword) => "Скрыть пароль",
        (Lang::En, HidePassword) => "Hide password",
        (Lang::Ru, EmptyField) => "Заполните поле «{field}».",
        (Lang::En, EmptyField) => "Please fill in “{field}”.",
        (Lang::Ru, PhoneLabel) => "Номер телефона",
        (Lang::En, PhoneLabel) => "Phone number",
        (Lang::Ru, PhoneHint) => "Например: +7 916 123-45-67",
        (Lang::En, PhoneHint) => "For example: +7 916 123-45-67",
        (Lang::Ru, PasswordLabel) => "Пароль",
        (Lang::En, PasswordLabel) => "Password",
        (Lang::Ru, PasswordHint) => "Не короче 8 символов",
        (Lang::En, PasswordHint) => "At least 8 characters",
        (Lang::Ru, CodeLabel) => "Код из SMS",
        (Lang::En, CodeLabel) => "Code from the SMS",
        (Lang::Ru, CodeHint) => "6 цифр",
        (Lang::En, CodeHint) => "6 digits",
        (Lang::Ru, CodeValidFor) => "Код действует {min} мин.",
        (Lang::En, CodeValidFor) => "The code is valid for {min} min.",
        (Lang::Ru, ResendCode) => "Отправить код ещё раз",
        (Lang::En, ResendCode) => "Send the code again",
        (Lang::Ru, ResendIn) => "Повторно можно через {time}",
        (Lang::En, ResendIn) => "You can ask again in {time}",
        (Lang::Ru, RetryIn) => "Попробовать снова можно через {time}",
        (Lang::En, RetryIn) => "You can try again in {time}",
        (Lang::Ru, CodeResent) => "Новый код отправлен.",
        (Lang::En, CodeResent) => "A new code has been sent.",
        (Lang::Ru, Confirm) => "Подтвердить",
        (Lang::En, Confirm) => "Confirm",
        (Lang::Ru, GetCode) => "Получить код",
        (Lang::En, GetCode) => "Get a code",
        (Lang::Ru, LoginTitle) => "Вход в личный кабинет",
        (Lang::En, LoginTitle) => "Sign in to your client account",
        (Lang::Ru, LoginSubmit) => "Войти",
        (Lang::En, LoginSubmit) => "Sign in",
        (Lang::Ru, ToRegister) => "Зарегистрироваться",
        (Lang::En, ToRegister) => "Register",
        (Lang::Ru, ForgotPassword) => "Забыли пароль?",
        (Lang::En, ForgotPassword) => "Forgot your password?",
        (Lang::Ru, NoAccountYet) => "Впервые здесь? Кабинет открывается клиентам кооператива по номеру телефона из договора.",
        (Lang::En, NoAccountYet) => "New here? The account is open to the cooperative's clients with the phone number from their contract.",
        (Lang::Ru, LoggedOut) => "Вы вышли из кабинета.",
        (Lang::En, LoggedOut) => "You have signed out.",
        (Lang::Ru, SessionEnded) => "Сеанс завершён. Войдите снова.",
        (Lang::En, SessionEnded) => "Your session has ended. Please sign in again.",
        (Lang::Ru, PasswordResetDone) => "Пароль изменён. Войдите с новым паролем.",
        (Lang::En, PasswordResetDone) => "Your password has been changed. Sign in with the new password.",
        (Lang::Ru, RegisterTitle) => "Регистрация",
        (Lang::En, RegisterTitle) => "Registration",
        (Lang::Ru, RegisterIntro) => "Укажите ФИО и номер телефона так же, как в договоре с кооперативом.",
        (Lang::En, RegisterIntro) => "Enter your name and phone number exactly as in your contract with the cooperative.",
        (Lang::Ru, FullNameLabel) => "Фамилия Имя Отчество",
        (Lang::En, FullNameLabel) => "Surname, first name, patronymic",
        (Lang::Ru, ConsentLabel) => "Я даю согласие на обработку персональных данных",
        (Lang::En, ConsentLabel) => "I consent to the processing of my personal data",
        (Lang::Ru, ReadConsent) => "Прочитать согласие",
        (Lang::En, ReadConsent) => "Read the consent",
        (Lang::Ru, CodeSentRegister) => "Если данные совпадают с данными клиента, на номер {phone} отправлен код из SMS.",
        (Lang::En, CodeSentRegister) => "If the details match a client's records, a code has been sent by SMS to {phone}.",
        (Lang::Ru, NoCodeRegister) => "Если SMS не пришло: проверьте ФИО и номер, как в договоре, или позвоните в офис {org_phone}.",
        (Lang::En, NoCodeRegister) => "If no SMS arrives: check your name and number as in your contract, or call the office at {org_phone}.",
        (Lang::Ru, ResetTitle) => "Восстановление пароля",
        (Lang::En, ResetTitle) => "Password recovery",
        (Lang::Ru, ResetIntro) => "Укажите номер телефона, с которым вы входите в кабинет. На него придёт код из SMS.",
        (Lang::En, ResetIntro) => "Enter the phone number you sign in with. A code will be sent to it by SMS.",
        (Lang::Ru, CodeSentReset) => "Если номер {phone} зарегистрирован в кабинете, на него отправлен код из SMS.",
        (Lang::En, CodeSentReset) => "If {phone} is registered, a code has been sent to it by SMS.",
        (Lang::Ru, NoCodeReset) => "Если SMS не пришло: проверьте номер или позвоните в офис {org_phone}.",
        (Lang::En, NoCodeReset) => "If no SMS arrives: check the number or call the office at {org_phone}.",
        (Lang::Ru, NewPasswordLabel) => "Новый пароль",
        (Lang::En, NewPasswordLabel) => "New password",
        (Lang::Ru, SavePassword) => "Сохранить пароль",
        (Lang::En, SavePassword) => "Save password",
        (Lang::Ru, Hello) => "Здравствуйте, {name}!",
        (Lang::En, Hello) => "Hello, {name}!",
        (Lang::Ru, SectionsTitle) => "Разделы кабинета",
        (Lang::En, SectionsTitle) => "Sections",
        (Lang::Ru, SectionsSoon) => "Эти разделы скоро появятся. До тех пор по всем вопросам звоните или приходите в офис.",
        (Lang::En, SectionsSoon) => "These sections are coming soon. Until then, please call or visit the office.",
        (Lang::Ru, Soon) => "скоро",
        (Lang::En, Soon) => "coming soon",
        (Lang::Ru, Loans) => "Займы",
        (Lang::En, Loans) => "Loans",
        (Lang::Ru, Savings) => "Сбережения",
        (Lang::En, Savings) => "Savings",
        (Lang::Ru, Shares) => "Паевые взносы",
        (Lang::En, Shares) => "Share contributions",
        (Lang::Ru, Applications) => "Заявления",
        (Lang::En, Applications) => "Applications",
        (Lang::Ru, Messages) => "Сообщения",
        (Lang::En, Messages) => "Messages",
        (Lang::Ru, Payments) => "Платежи",
        (Lang::En, Payments) => "Payments",
        (Lang::Ru, Documents) => "Документы",
        (Lang::En, Documents) => "Documents",
        (Lang::Ru, Profile) => "Профиль",
        (Lang::En, Profile) => "Profile",
        (Lang::Ru, Logout) => "Выйти",
        (Lang::En, Logout) => "Sign out",
        (Lang::Ru, FullName) => "ФИО",
        (Lang::En, FullName) => "Full name",
        (Lang::Ru, ChangePasswordTitle) => "Смена пароля",
        (Lang::En, ChangePasswordTitle) => "Change of password",
        (Lang::Ru, CurrentPasswordLabel) => "Текущий пароль",
        (Lang::En, CurrentPasswordLabel) => "Current password",
        (Lang::Ru, ChangePasswordSubmit) => "Сменить пароль",
        (Lang::En, ChangePasswordSubmit) => "Change password",
        (Lang::Ru, PasswordChanged) => "Пароль изменён.",
        (Lang::En, PasswordChanged) => "The password has been changed.",
        (Lang::Ru, ChangePhoneTitle) => "Смена номера телефона",
        (Lang::En, ChangePhoneTitle) => "Change of phone number",
        (Lang::Ru, NewPhoneLabel) => "Новый номер",
        (Lang::En, NewPhoneLabel) => "New number",
        (Lang::Ru, GetCodes) => "Получить коды",
        (Lang::En, GetCodes) => "Get codes",
        (Lang::Ru, CodesSent) => "Коды из SMS отправлены на старый номер {old} и на новый номер {new}.",
        (Lang::En, CodesSent) => "Codes have been sent by SMS to the old number {old} and to the new number {new}.",
        (Lang::Ru, CodeOldLabel) => "Код из SMS на старый номер",
        (Lang::En, CodeOldLabel) => "Code from the SMS to the old number",
        (Lang::Ru, CodeNewLabel) => "Код из SMS на новый номер",
        (Lang::En, CodeNewLabel) => "Code from the SMS to the new number",
        (Lang::Ru, ResendCodes) => "Отправить коды ещё раз",
        (Lang::En, ResendCodes) => "Send the codes again",
        (Lang::Ru, CancelPhoneChange) => "Отменить смену номера",
        (Lang::En, CancelPhoneChange) => "Cancel the change of number",
        (Lang::Ru, PhoneChanged) => "Номер телефона изменён.",
        (Lang::En, PhoneChanged) => "The phone number has been changed.",
    }
}

/// `key`'s text with each `{name}` replaced by its value.
pub fn fill(lang: Lang, key: T, values: &[(&str, &str)]) -> String {
    let mut text = t(lang, key).to_owned();
    for (name, value) in values {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// `key`'s text split around one `{name}` placeholder, for texts that put a link there.
pub fn split(lang: Lang, key: T, name: &str) -> (&'static str, &'static str) {
    let text = t(lang, key);
    text.split_once(&format!("{{{name}}}")).unwrap_or((text, ""))
}

/// Seconds as `m:ss`, the way a countdown is read: `0:59`, `1:30`.
pub fn mmss(secs: u32) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// The sentence a person sees for an API error code.
pub fn error_text(lang: Lang, code: ErrorCode) -> &'static str {
    match lang {
        Lang::Ru => code.message_ru(),
        Lang::En => code.message_en(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_split() {
        assert_eq!(fill(Lang::Ru, T::Hello, &[("name", "Анна Петровна")]), "Здравствуйте, Анна Петровна!");
        assert_eq!(split(Lang::Ru, T::NoCodeReset, "org_phone"), ("Если SMS не пришло: проверьте номер или позвоните в офис ", "."));
        assert_eq!(mmss(59), "0:59");
        assert_eq!(mmss(90), "1:30");
    }
}
