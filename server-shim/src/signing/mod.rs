//! Simple electronic signature (ПЭП) by SMS code: documents staff send for signature
//! (`templates`, `service`), the agreement on using the ПЭП (`agreement`), the client's routes
//! (`routes`), the stamp appended to a signed PDF (`stamp`), and the evidence package with its
//! offline verification (`evidence`, assembled from the database by `package`).

pub mod agreement;
pub mod demo;
pub mod evidence;
pub mod package;
pub mod routes;
pub mod service;
pub mod stamp;
pub mod templates;

pub use service::{RequestRow, Signer, Signing};
