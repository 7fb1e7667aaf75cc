//! Small reusable pieces of the widget's screens, one per file.

pub mod load_error;
pub mod loading;
