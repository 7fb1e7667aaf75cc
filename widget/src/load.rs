//! Data a screen loads from the shim: nothing yet, the data, or why it failed; and a retry that
//! shows the spinner again at once.
//!
//! Not a `LocalResource`: a resource keeps showing its old value while it refetches, so a
//! «Повторить» pressed on a failure would change nothing on screen until the new answer came
//! (up to the 20-second time limit), and the same failure again would look like a dead button.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::ApiFailure;
use crate::nav::Nav;

type Fetch<T> = Rc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<T, ApiFailure>>>>>;

/// `Copy`, so views and handlers take it by value.
pub struct Load<T: Send + Sync + 'static> {
    state: RwSignal<Option<Result<T, ApiFailure>>>,
    fetch: StoredValue<Fetch<T>, LocalStorage>,
    /// Counts attempts, so an answer to an attempt that a retry has replaced is dropped.
    attempt: StoredValue<u32>,
    /// The attempt running was started by [`Load::refresh`]: nothing on screen moves for it.
    quiet: StoredValue<bool>,
    nav: Nav,
}

impl<T: Send + Sync + 'static> Clone for Load<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Load<T> {}

impl<T: Clone + Send + Sync + 'static> Load<T> {
    /// Starts loading at once. Must be called in a component: the data lives as long as it.
    pub fn new<F, Fut>(fetch: F) -> Self
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = Result<T, ApiFailure>> + 'static,
    {
        let fetch: Fetch<T> = Rc::new(move || Box::pin(fetch()));
        let load = Load {
            state: RwSignal::new(None),
            fetch: StoredValue::new_local(fetch),
            attempt: StoredValue::new(0),
            quiet: StoredValue::new(false),
            nav: expect_context::<Nav>(),
        };
        load.start();
        load
    }

    /// Loads again, showing the spinner meanwhile.
    pub fn retry(&self) {
        self.quiet.set_value(false);
        self.start();
    }

    /// Loads again behind the data on screen, which the answer replaces: for news the person
    /// did not ask for by a button (a message just sent appearing in the list), so neither a
    /// spinner nor a focus move interrupts them.
    pub fn refresh(&self) {
        let Some(fetch) = self.fetch.try_get_value() else { return };
        self.quiet.set_value(true);
        self.run(fetch);
    }

    fn start(&self) {
        let Some(fetch) = self.fetch.try_get_value() else { return };
        self.state.set(None);
        self.run(fetch);
    }

    fn run(&self, fetch: Fetch<T>) {
        let attempt = self.attempt.get_value().wrapping_add(1);
        self.attempt.set_value(attempt);
        let this = *self;
        spawn_local(async move {
            let outcome = fetch().await;
            // The person may have left the screen, or pressed «Повторить» again, meanwhile.
            if this.attempt.try_get_value() != Some(attempt) {
                return;
            }
            if let Err(f) = &outcome {
                // A quiet refresh that failed leaves the data on screen as it was.
                if this.nav.session_ended(f) || this.quiet.try_get_value() == Some(true) {
                    return;
                }
            }
            this.state.try_set(Some(outcome));
        });
    }

    /// `None` while loading (tracked).
    pub fn get(&self) -> Option<Result<T, ApiFailure>> {
        self.state.get()
    }

    /// Whether the attempt on screen was started by «Повторить» rather than by the screen
    /// opening: only then may what replaces the pressed button take focus.
    pub fn retried(&self) -> bool {
        self.attempt.get_value() > 1 && !self.quiet.get_value()
    }

    /// The data once loaded (tracked); `None` while loading or after a failure.
    pub fn data(&self) -> Option<T> {
        self.state.with(|s| s.as_ref().and_then(|r| r.as_ref().ok().cloned()))
    }
}
