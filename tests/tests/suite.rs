//! The one integration test binary: API, Store, audit journal, SMS gateways and browser end-to-end tests.

mod api;
mod audit;
mod auth;
mod contract;
mod e2e;
mod esia;
mod esia_e2e;
mod info;
mod info_e2e;
mod ledger;
mod payments;
mod payments_e2e;
mod requests;
mod requests_e2e;
mod signin_e2e;
mod signing;
mod signing_e2e;
mod sms;
mod store;
