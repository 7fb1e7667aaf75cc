//! Whole screens of the widget, one per file, and the shell that switches between them.

pub mod applications;
pub mod change_password;
pub mod change_phone;
pub mod contract_list;
pub mod contributions;
pub mod esia_return;
pub mod home;
pub mod loan;
pub mod loans;
pub mod login;
pub mod message;
pub mod messages;
pub mod new_application;
pub mod pay;
pub mod payment;
pub mod payments;
pub mod profile;
pub mod register;
pub mod reset;
pub mod saving;
pub mod savings;
pub mod shell;
pub mod signature;
pub mod signatures;
