//! The shim's API as the widget calls it: fetch with credentials, a time limit, typed errors.

use gloo_net::http::{Request, Response};
use kabinet_api::{ApiError, ErrorCode, OrgInfo, API_PREFIX, MODE_HEADER};
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::i18n::{error_text, t, Lang, T};
use crate::WidgetConfig;

/// How long a call may take before the person is told and offered a retry.
const TIMEOUT_MS: i32 = 20_000;

/// Why a call failed, in terms a screen can explain.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiFailure {
    /// The server answered with a known error code.
    Api(ErrorCode),
    /// No answer: offline, DNS, CORS refused, aborted.
    Network,
    /// No answer within [`TIMEOUT_MS`].
    Timeout,
    /// The answer could not be read.
    Unreadable,
}

impl ApiFailure {
    pub fn text(&self, lang: Lang) -> &'static str {
        match self {
            ApiFailure::Api(code) => error_text(lang, *code),
            ApiFailure::Network => t(lang, T::NetworkError),
            ApiFailure::Timeout => t(lang, T::TimeoutError),
            ApiFailure::Unreadable => error_text(lang, ErrorCode::Internal),
        }
    }
}

pub async fn org_info(config: &WidgetConfig) -> Result<OrgInfo, ApiFailure> {
    get_json(config, "/org").await
}

async fn get_json<R: DeserializeOwned>(config: &WidgetConfig, path: &str) -> Result<R, ApiFailure> {
    let url = format!("{}{}{}", config.api, API_PREFIX, path);
    let controller = web_sys::AbortController::new().map_err(|_| ApiFailure::Network)?;
    let timed_out = std::rc::Rc::new(std::cell::Cell::new(false));
    let abort = {
        let (controller, timed_out) = (controller.clone(), timed_out.clone());
        Closure::once(move || {
            timed_out.set(true);
            controller.abort();
        })
    };
    let window = web_sys::window().ok_or(ApiFailure::Network)?;
    let timer = window
        .set_timeout_with_callback_and_timeout_and_arguments_0(abort.as_ref().unchecked_ref(), TIMEOUT_MS)
        .map_err(|_| ApiFailure::Network)?;
    let signal = controller.signal();
    let sent = Request::get(&url)
        .header(MODE_HEADER, config.mode.as_str())
        .credentials(web_sys::RequestCredentials::Include)
        .abort_signal(Some(&signal))
        .send()
        .await;
    window.clear_timeout_with_handle(timer);
    drop(abort);
    let response = match sent {
        Ok(r) => r,
        Err(_) if timed_out.get() => return Err(ApiFailure::Timeout),
        Err(_) => return Err(ApiFailure::Network),
    };
    read(response).await
}

async fn read<R: DeserializeOwned>(response: Response) -> Result<R, ApiFailure> {
    if response.ok() {
        return response.json::<R>().await.map_err(|_| ApiFailure::Unreadable);
    }
    match response.json::<ApiError>().await {
        Ok(e) => Err(ApiFailure::Api(e.code)),
        Err(_) if response.status() >= 500 => Err(ApiFailure::Api(ErrorCode::Unavailable)),
        Err(_) => Err(ApiFailure::Unreadable),
    }
}
