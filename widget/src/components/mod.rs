//! Small reusable pieces of the widget's screens, one per file.

pub mod code_sent;
pub mod consent_text;
pub mod contacts;
pub mod form_alert;
pub mod load_error;
pub mod loading;
pub mod org_footer;
pub mod password_field;
pub mod resend_button;
pub mod screen_heading;
pub mod submit_button;
pub mod text_field;
