//! Whole screens of the widget, one per file.

pub mod welcome;
