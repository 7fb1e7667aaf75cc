//! The agreement on using a simple electronic signature (соглашение об использовании ПЭП):
//! versioned text, filled with the organisation's details, that a client accepts once before
//! the first signing (63-ФЗ ст. 6 ч. 2, ст. 9; A30).
//!
//! The rules the law asks for are in the text itself: how the signer is identified (the
//! cabinet session plus the verified phone the code goes to) and the duty to keep the code
//! secret. A change of wording is a new VERSION; an acceptance stores the version, the SHA-256
//! and the text exactly as shown, so what a client agreed to is never reconstructed later.

use sha2::{Digest, Sha256};

use crate::org::OrgSettings;

/// Bumped with any change of the text below; clients accept the new version before signing.
pub const VERSION: &str = "1";
pub const TITLE: &str = "Соглашение об использовании простой электронной подписи";

/// The text of the current version for this organisation.
pub fn text(org: &OrgSettings) -> String {
    let paragraphs = [
        format!(
            "{TITLE} (редакция {VERSION}) между {legal} (ИНН {inn}, ОГРН {ogrn}, адрес: {address}), далее — Организация, \
             и пайщиком (клиентом), принявшим это соглашение в личном кабинете, далее — Клиент.",
            legal = org.legal_name,
            inn = org.inn,
            ogrn = org.ogrn,
            address = org.address,
        ),
        "1. Стороны договорились, что документы, подписанные Клиентом в личном кабинете простой электронной подписью, \
         признаются равнозначными документам на бумажном носителе, подписанным собственноручной подписью Клиента \
         (часть 2 статьи 6 Федерального закона от 06.04.2011 № 63-ФЗ «Об электронной подписи»)."
            .to_owned(),
        "2. Простой электронной подписью является код из SMS-сообщения, отправленного Организацией на номер мобильного \
         телефона Клиента, подтверждённый кодом при регистрации в личном кабинете. Код действует только для одного \
         документа: SMS-сообщение называет документ и первые 8 символов его контрольной суммы SHA-256, и код не \
         подходит к другому документу или к изменённому файлу."
            .to_owned(),
        "3. Клиент определяется как лицо, подписавшее документ, по совокупности: вход в личный кабинет по номеру \
         телефона и паролю (сессия личного кабинета с её идентификатором), номер телефона, на который отправлен код, \
         и верно введённый код. Документ считается подписанным в момент, когда Организация приняла верный код."
            .to_owned(),
        "4. Клиент обязуется соблюдать конфиденциальность кода и пароля: никому не сообщать код из SMS, в том числе \
         сотрудникам Организации, и не передавать телефон и доступ к личному кабинету третьим лицам. При утрате \
         телефона или SIM-карты, а также если код стал известен кому-то ещё, Клиент немедленно сообщает об этом \
         Организации по телефону "
            .to_owned()
            + &org.phone
            + ".",
        "5. Подписанный документ дополняется отметкой о подписании: время подписания, идентификатор SMS-сообщения у \
         оператора, код подписи, номер телефона, контрольная сумма SHA-256 исходного файла, IP-адрес и идентификатор \
         сессии. Исходный файл остаётся неизменным в начале подписанного файла, и его контрольную сумму может проверить \
         любой. Действия в личном кабинете записываются в журнал, защищённый от изменения."
            .to_owned(),
        "6. Организация хранит подписанные документы и сведения о подписании не менее пяти лет после прекращения \
         отношений с Клиентом и предоставляет их Клиенту по его запросу."
            .to_owned(),
        "7. Соглашение действует до его расторжения. Клиент вправе отказаться от подписания документов простой \
         электронной подписью, сообщив об этом Организации; документы, подписанные до отказа, остаются действительными."
            .to_owned(),
    ];
    paragraphs.join("\n\n")
}

/// SHA-256 of the text's UTF-8 bytes, lowercase hex.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::fixtures::org;

    #[test]
    fn the_text_names_the_organisation_and_the_duties_the_law_asks_for() {
        let t = text(&org());
        assert!(t.contains("ОГРН 1155400000000"), "{t}");
        assert!(t.contains("никому не сообщать код"), "the confidentiality duty (63-ФЗ ст. 9 ч. 2)");
        assert!(t.contains("сессия личного кабинета"), "how the signer is identified");
        assert!(t.contains(&format!("редакция {VERSION}")));
        assert_eq!(sha256_hex(&t), sha256_hex(&text(&org())), "the same version gives the same bytes");
        let mut other = org();
        other.ogrn = "1000000000000".into();
        assert_ne!(sha256_hex(&t), sha256_hex(&text(&other)));
    }
}
