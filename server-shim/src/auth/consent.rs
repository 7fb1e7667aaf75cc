//! The consent to personal-data processing (152-ФЗ ст. 9): a separate document with a
//! version; registration stores which version was accepted and when.

use kabinet_api::auth::ConsentDocument;

use crate::org::OrgSettings;

/// Bumped whenever the text changes; acceptances of older versions stay as they were given.
pub const VERSION: &str = "2026-11-01";

/// Name of the document in the `consents` table.
pub const DOCUMENT: &str = "personal_data";

pub fn document(org: &OrgSettings) -> ConsentDocument {
    let text = format!(
        "Я, действуя свободно, своей волей и в своём интересе, даю согласие {legal} (ИНН {inn}, ОГРН {ogrn}, \
адрес: {address}) на обработку моих персональных данных: фамилии, имени, отчества, номера мобильного \
телефона, сведений о договорах займа, сбережений и паевых взносах, а также данных, которые я сообщу \
в личном кабинете.\n\n\
Цель обработки: регистрация и работа в личном кабинете клиента, исполнение договоров, направление \
кодов подтверждения и уведомлений по SMS.\n\n\
Действия с данными: сбор, запись, систематизация, накопление, хранение, уточнение, использование, \
передача операторам связи для доставки SMS, обезличивание, блокирование, удаление, уничтожение, \
с использованием средств автоматизации и без них. Данные хранятся в базах данных на территории \
Российской Федерации.\n\n\
Согласие действует до достижения целей обработки или до его отзыва. Отозвать согласие можно \
письменным заявлением в офисе или по адресу {address}. Отзыв не влияет на обработку, которая \
необходима для исполнения заключённых договоров и требований закона.\n\n\
Согласие дано в соответствии со статьёй 9 Федерального закона от 27.07.2006 № 152-ФЗ \
«О персональных данных». Версия документа: {VERSION}.",
        legal = org.legal_name,
        inn = org.inn,
        ogrn = org.ogrn,
        address = org.address,
    );
    ConsentDocument {
        version: VERSION.to_owned(),
        title: "Согласие на обработку персональных данных".to_owned(),
        text,
    }
}
