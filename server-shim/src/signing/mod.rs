//! Simple electronic signature (ПЭП) by SMS code: for now the stamp added to a signed document.

pub mod stamp;
