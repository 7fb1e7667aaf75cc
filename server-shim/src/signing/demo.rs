//! The demo's documents for signature: in demo mode each demo client finds one waiting, so the
//! signing flow can be tried without typing staff commands first.

use super::templates::Template;
use super::Signing;
use crate::accounting::DynAccounting;

/// A demo client's id, the template sent and its fields.
type DemoDocument = (&'static str, Template, &'static [(&'static str, &'static str)]);

/// What each demo client is sent, once (a client who has any document for signature is left
/// alone, so a restarted demo does not pile them up).
const DEMO: [DemoDocument; 2] = [
    ("demo-0001", Template::BkiConsent, &[("birth_date", "1961-04-12"), ("passport", "5012 345678")]),
    ("demo-0002", Template::LoanOffer, &[("amount", "150000"), ("term_months", "12"), ("rate", "24,5")]),
];

pub async fn seed(signing: &Signing, accounting: &DynAccounting) -> anyhow::Result<()> {
    for (client_id, template, fields) in DEMO {
        if !signing.rows_of(client_id).await?.is_empty() {
            continue;
        }
        let Some(client) = accounting.client(client_id).await? else { continue };
        let fields: Vec<(String, String)> = fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        signing.send(&client, template, &fields, "Демо-стенд").await?;
    }
    Ok(())
}
