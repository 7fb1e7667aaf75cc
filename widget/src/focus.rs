//! Moving keyboard and screen-reader focus to what has just appeared.

use leptos::prelude::request_animation_frame;
use wasm_bindgen::JsCast;

/// Focuses `el` on the next frame: by then the element is in the document and laid out, so
/// the browser can scroll it into view (in inline mode that scrolls the host page to it).
pub fn focus_soon(el: impl JsCast) {
    let el: web_sys::HtmlElement = el.unchecked_into();
    request_animation_frame(move || {
        let _ = el.focus();
    });
}
