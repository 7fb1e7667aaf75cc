//! End to end in real headless Chromium: host-demo on company.localhost embeds the widget from
//! the shim on lk.company.localhost, in frame and inline mode, on plain, themed, hostile and
//! foreign-message pages.

use std::time::Duration;

use fantoccini::{Client, Locator};
use kabinet_tests::browser::{eventually, within, Browser, Scope};
use kabinet_tests::{pkg_dir, workspace_root, Db, Stack};

pub(crate) const WAIT: Duration = Duration::from_secs(30);
const DEFAULT_ACCENT: &str = "rgba(29, 78, 216, 1)";
/// The first screen of a visitor with no session: the login form.
const WELCOME: &str = "Вход в личный кабинет";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    Frame,
    Inline,
}

impl Mode {
    pub(crate) fn query(self) -> &'static str {
        match self {
            Mode::Frame => "frame",
            Mode::Inline => "inline",
        }
    }
}

/// Opens a host-demo page and waits until the loader reports the widget ready (or failed).
pub(crate) async fn open(b: &Browser, stack: &Stack, page: &str, mode: Mode) -> String {
    let c = &b.client;
    c.enter_frame(0).await.ok(); // harmless if we are already at the top
    let sep = if page.contains('?') { '&' } else { '?' };
    c.goto(&format!("{}/{page}{sep}mode={}", stack.site_url, mode.query())).await.expect("open page");
    eventually("the widget settles", WAIT, || async {
        let host = c.find(Locator::Css("[data-kabinet]")).await.ok()?;
        match host.attr("data-kabinet-state").await.ok()??.as_str() {
            s @ ("ready" | "error") => Some(s.to_owned()),
            _ => None,
        }
    })
    .await
}

/// The widget's own document: the frame (entered) or the host's open shadow root.
pub(crate) async fn widget(c: &Client, mode: Mode) -> Scope<'_> {
    let host = c.find(Locator::Css("[data-kabinet]")).await.expect("host element");
    match mode {
        Mode::Frame => {
            let frame = Scope::Page(c).by_role("iframe", "Личный кабинет", WAIT).await;
            assert_eq!(frame.attr("title").await.unwrap().as_deref(), Some("Личный кабинет"));
            frame.enter_frame().await.expect("enter the widget frame");
            Scope::Page(c)
        }
        Mode::Inline => Scope::Shadow(c, host.shadow_root().await.expect("open shadow root")),
    }
}

pub(crate) async fn top(c: &Client) {
    // Back to the host page from inside the frame.
    let _ = c.enter_parent_frame().await;
}

/// Computed style of the welcome heading, found by role and name.
async fn heading_style(c: &Client, mode: Mode) -> (String, String, String, String) {
    let scope = widget(c, mode).await;
    let h = scope.by_role("heading", WELCOME, WAIT).await;
    let style = (
        h.css_value("color").await.unwrap(),
        h.css_value("font-size").await.unwrap(),
        h.css_value("font-family").await.unwrap(),
        h.css_value("letter-spacing").await.unwrap(),
    );
    top(c).await;
    style
}

pub(crate) fn screenshot_path(name: &str) -> std::path::PathBuf {
    workspace_root().join("target/screenshots").join(format!("{name}.png"))
}

async fn first_screen(mode: Mode) {
    pkg_dir();
    let stack = Stack::start(Db::Sqlite).await;
    let b = Browser::start().await;
    for width in [1280u32, 360] {
        b.viewport(width, 900).await;
        assert_eq!(open(&b, &stack, "cabinet", mode).await, "ready");
        let c = &b.client;
        {
            let scope = widget(c, mode).await;
            let region = scope.by_role("region", "Личный кабинет", WAIT).await;
            scope.by_role("heading", WELCOME, WAIT).await;
            // The organisation's name comes from the shim, not from the page.
            let text = region.text().await.unwrap();
            assert!(text.contains("КПК «Надёжный капитал»"), "region text: {text}");
            scope.by_role("link", "+7 (383) 200-00-00", WAIT).await;
            if width == 360 {
                // Nothing wider than the phone: no horizontal scrolling inside the widget.
                let r = region.rectangle().await.unwrap();
                assert!(r.2 <= 360.0, "region is {} px wide at a 360 px viewport", r.2);
            }
        }
        top(c).await;
        if mode == Mode::Frame {
            // The loader resized the frame to its content: nothing is cut off.
            let frame = c.find(Locator::Css("[data-kabinet] iframe")).await.unwrap();
            let h: f64 = frame.css_value("height").await.unwrap().trim_end_matches("px").parse().unwrap();
            assert!(h > 320.0, "frame height {h}");
        }
        b.screenshot_full(&screenshot_path(&format!("{}-{width}", mode.query()))).await;
    }
    // The journal saw the cabinet opened, in this mode.
    let rows = stack.shim.state.store().audit_rows(0, 100).await.unwrap();
    let want = if mode == Mode::Frame { "Режим: фрейм" } else { "Режим: встроенный" };
    assert!(rows.iter().any(|r| r.event == "cabinet_opened" && r.description.starts_with(want)), "{rows:#?}");
    if mode == Mode::Frame {
        assert!(rows.iter().any(|r| r.event == "cabinet_frame_opened" && r.description.contains(&stack.site_url)));
    }
    b.close().await;
    stack.stop().await;
}

#[tokio::test]
async fn first_screen_in_frame_mode() {
    within(180, first_screen(Mode::Frame)).await
}

#[tokio::test]
async fn first_screen_in_inline_mode() {
    within(180, first_screen(Mode::Inline)).await
}

async fn hostile(mode: Mode) {
    pkg_dir();
    let stack = Stack::start(Db::Sqlite).await;
    let b = Browser::start().await;
    let c = &b.client;
    assert_eq!(open(&b, &stack, "cabinet", mode).await, "ready");
    let normal = heading_style(c, mode).await;
    assert_eq!(normal.0, DEFAULT_ACCENT);

    assert_eq!(open(&b, &stack, "hostile", mode).await, "ready");
    // The hostile page really is hostile outside the widget.
    let page_h1 = c.find(Locator::Css("main h1")).await.unwrap();
    assert_eq!(page_h1.css_value("color").await.unwrap(), "rgba(255, 0, 0, 1)");
    assert_eq!(page_h1.css_value("font-size").await.unwrap(), "40px");
    // ...and changes nothing inside it.
    assert_eq!(heading_style(c, mode).await, normal, "hostile CSS leaked into the widget ({mode:?})");
    b.screenshot_full(&screenshot_path(&format!("hostile-{}", mode.query()))).await;

    let results = eventually("the hostile script ran", WAIT, || async {
        let v = c.execute("return window.hostileResults", vec![]).await.ok()?;
        (!v.is_null()).then_some(v)
    })
    .await;
    if mode == Mode::Frame {
        assert_eq!(results["contentDocument"], "null", "{results}");
        for attempt in ["read", "click", "eval"] {
            let r = results[attempt].as_str().unwrap_or_default();
            assert!(r.starts_with("blocked:SecurityError"), "{attempt}: {results}");
        }
    } else {
        // Inline mode shares the page's realm: documented as less isolated, and it shows.
        assert_eq!(results["mode"], "inline");
    }
    b.close().await;
    stack.stop().await;
}

#[tokio::test]
async fn hostile_page_in_frame_mode() {
    within(180, hostile(Mode::Frame)).await
}

#[tokio::test]
async fn hostile_page_in_inline_mode() {
    within(180, hostile(Mode::Inline)).await
}

async fn themed(mode: Mode) {
    pkg_dir();
    let stack = Stack::start(Db::Sqlite).await;
    let b = Browser::start().await;
    let c = &b.client;
    assert_eq!(open(&b, &stack, "themed", mode).await, "ready");
    // --kabinet-accent: #0b5d3b on the host element.
    let themed = eventually("the accent reaches the widget", WAIT, || async {
        let s = heading_style(c, mode).await;
        (s.0 == "rgba(11, 93, 59, 1)").then_some(s)
    })
    .await;
    assert!(themed.2.contains("Georgia"), "--kabinet-font did not apply: {}", themed.2);
    // Changing the variable on the live page re-themes the widget too.
    c.execute("document.querySelector('[data-kabinet]').style.setProperty('--kabinet-accent', 'rgb(128, 0, 128)')", vec![])
        .await
        .unwrap();
    eventually("the new accent reaches the widget", WAIT, || async {
        (heading_style(c, mode).await.0 == "rgba(128, 0, 128, 1)").then_some(())
    })
    .await;
    b.screenshot_full(&screenshot_path(&format!("themed-{}", mode.query()))).await;
    b.close().await;
    stack.stop().await;
}

#[tokio::test]
async fn theme_variables_in_frame_mode() {
    within(180, themed(Mode::Frame)).await
}

#[tokio::test]
async fn theme_variables_in_inline_mode() {
    within(180, themed(Mode::Inline)).await
}

#[tokio::test]
async fn foreign_post_messages_are_ignored_by_loader_and_frame() {
    within(180, async {
        pkg_dir();
        let stack = Stack::start(Db::Sqlite).await;
        let b = Browser::start().await;
        let c = &b.client;
        assert_eq!(open(&b, &stack, "foreign", Mode::Frame).await, "ready");
        let frame = c.find(Locator::Css("[data-kabinet] iframe")).await.unwrap();
        let height_before = frame.css_value("height").await.unwrap();
        // The foreign frame sends its 60 messages, then says so.
        let sent = eventually("the foreign frame finished", WAIT, || async {
            let v = c.execute("return window.foreignDone", vec![]).await.ok()?;
            v.as_u64().filter(|n| *n > 0)
        })
        .await;
        assert!(sent >= 60, "{sent}");
        // Loader: no resize to 3 px, no state change to error.
        assert_eq!(frame.css_value("height").await.unwrap(), height_before);
        let host = c.find(Locator::Css("[data-kabinet]")).await.unwrap();
        assert_eq!(host.attr("data-kabinet-state").await.unwrap().as_deref(), Some("ready"));
        // Frame: the foreign theme (red accent) was not applied.
        assert_eq!(heading_style(c, Mode::Frame).await.0, DEFAULT_ACCENT);
        b.close().await;
        stack.stop().await;
    })
    .await
}

#[tokio::test]
async fn a_page_csp_without_wasm_gets_a_readable_message_inline_and_works_in_a_frame() {
    within(180, async {
        pkg_dir();
        let stack = Stack::start(Db::Sqlite).await;
        let b = Browser::start().await;
        let c = &b.client;
        // Inline: the page's CSP forbids compiling WebAssembly; the person is told, in Russian.
        assert_eq!(open(&b, &stack, "cabinet?csp=strict", Mode::Inline).await, "error");
        let alert = Scope::Page(c).by_role("alert", "", WAIT).await;
        let text = alert.text().await.unwrap();
        assert!(text.contains("Личный кабинет не удалось загрузить"), "{text}");
        b.screenshot_full(&screenshot_path("strict-csp-inline")).await;
        // Frame: the frame has the shim's own CSP, so the same page works.
        assert_eq!(open(&b, &stack, "cabinet?csp=strict", Mode::Frame).await, "ready");
        widget(c, Mode::Frame).await.by_role("heading", WELCOME, WAIT).await;
        b.close().await;
        stack.stop().await;
    })
    .await
}
