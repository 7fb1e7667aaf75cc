//! The kabinet widget: the entry point the loader calls, which mounts the Leptos app either
//! into a Shadow DOM root on the host page (inline) or straight into the /embed page (frame).

mod api;
mod app;
mod components;
mod countdown;
mod download;
mod esia;
mod focus;
mod form;
mod i18n;
mod idempotency;
mod load;
mod nav;
mod payment_return;
mod payment_watch;
mod resend;
mod screens;
mod session_store;
mod time;
mod trip;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

pub use i18n::Lang;

/// Event the widget fires on its host element once its first screen is on screen. The loader
/// (inline) or the embed page (frame) turns it into the public `kabinet:ready`.
pub const WIDGET_READY_EVENT: &str = "kabinet:widget-ready";

/// How the widget is embedded; sent to the shim so the journal can say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Frame,
    Inline,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Frame => "frame",
            Mode::Inline => "inline",
        }
    }
}

/// What the app needs to know about where it runs.
#[derive(Clone)]
pub struct WidgetConfig {
    /// Origin of the shim, e.g. `https://lk.company.ru`.
    pub api: String,
    pub lang: Lang,
    pub mode: Mode,
    /// Element that receives the ready event (the host element or the embed container).
    pub host: web_sys::HtmlElement,
    /// Frame: the host page's origin, the only window the frame talks to.
    pub parent_origin: Option<String>,
    /// Frame: the host page to come back to from the bank or ESIA, as the loader gave it.
    pub page: Option<String>,
    /// The card payment the client has just come back from the bank for, if any.
    pub return_payment: Option<String>,
    /// Whether the client has just come back from ESIA's login page: the shim is then asked
    /// how that trip ended.
    pub esia_return: bool,
}

/// Mounts the widget into `host`. `mode` is `inline` (a Shadow DOM root is attached to the
/// host and `css_href` is linked inside it) or `frame` (the page already has the CSS).
#[wasm_bindgen]
pub fn mount(host: web_sys::HtmlElement, api: String, lang: String, mode: String, css_href: String) -> Result<(), JsValue> {
    let mode = if mode == "inline" { Mode::Inline } else { Mode::Frame };
    let lang = Lang::parse(&lang);
    let api = api.trim_end_matches('/').to_owned();
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;

    let container: web_sys::HtmlElement = match mode {
        Mode::Frame => host.clone(),
        Mode::Inline => {
            let root = host.attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))?;
            let link: web_sys::HtmlLinkElement = document.create_element("link")?.unchecked_into();
            link.set_rel("stylesheet");
            link.set_href(&css_href);
            let div: web_sys::HtmlElement = document.create_element("div")?.unchecked_into();
            div.set_class_name("kb-host");
            // Hidden until the stylesheet arrives, so nobody sees the unstyled page flash.
            div.set_hidden(true);
            let reveal = {
                let div = div.clone();
                Closure::<dyn FnMut()>::new(move || div.set_hidden(false))
            };
            link.set_onload(Some(reveal.as_ref().unchecked_ref()));
            link.set_onerror(Some(reveal.as_ref().unchecked_ref()));
            reveal.forget();
            root.append_child(&link)?;
            root.append_child(&div)?;
            div
        }
    };
    // The return markers are read once, as the widget starts: inline from the host page's own
    // address (and taken off it), in a frame from what the loader passed to /embed.
    let options = match mode {
        Mode::Frame => trip::frame_options(&host),
        Mode::Inline => trip::StartOptions {
            payment: payment_return::take_from_page(),
            esia: esia::take_from_page(),
            ..Default::default()
        },
    };
    let config = WidgetConfig {
        api,
        lang,
        mode,
        host,
        parent_origin: options.parent_origin,
        page: options.page,
        return_payment: options.payment,
        esia_return: options.esia,
    };
    leptos::mount::mount_to(container, move || view! { <app::App config=config.clone()/> }).forget();
    Ok(())
}
