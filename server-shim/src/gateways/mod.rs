//! Ports to the outside world, one trait per capability, each with real adapters and a
//! loopback simulator of the same protocol for demo and tests.

pub mod acquiring;
pub mod sms;
