//! Simple electronic signature (ПЭП) by SMS code. So far: the stamp added to a signed document
//! (`stamp`) and the evidence package with its offline verification (`evidence`); the signing
//! flow itself is issue 7.

pub mod evidence;
pub mod stamp;
