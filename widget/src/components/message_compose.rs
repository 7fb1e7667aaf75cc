//! «Новое сообщение»: the text, the files to attach (listed with their sizes, each removable),
//! the checks the shim would make, and the multipart send. Whatever the person wrote or chose
//! stays until the shim has taken the message; a refusal changes nothing they entered.

use kabinet_api::messages::{FILE_PART, MAX_FILES, MAX_TEXT_CHARS, TEXT_PART};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::{form_alert::FormAlert, submit_button::SubmitButton, text_area::TextArea, text_field::described_by};
use crate::form::{self, FormState, FILE_CODES, TEXT_CODES};
use crate::i18n::{file_size, fill, t, T};
use crate::idempotency::{settled, Submission};
use crate::nav::Nav;
use crate::WidgetConfig;

const ERROR_ID: &str = "kb-compose-error";
const FILE_INPUT: &str = "kb-compose-files";
/// What the file picker offers; the shim decides by content in the end.
const ACCEPT: &str = ".jpg,.jpeg,.png,.pdf,image/jpeg,image/png,application/pdf";

/// What is being sent, to tell a retry of the same message from a new one.
type Fingerprint = (String, Vec<(String, u64, u64)>);

fn fingerprint(text: &str, files: &[web_sys::File]) -> Fingerprint {
    (text.to_owned(), files.iter().map(|f| (f.name(), f.size() as u64, f.last_modified() as u64)).collect())
}

#[component]
pub fn MessageCompose(
    /// Called once the shim has taken a message.
    #[prop(into)]
    on_sent: Callback<()>,
) -> impl IntoView {
    let config = expect_context::<WidgetConfig>();
    let lang = config.lang;
    let nav = expect_context::<Nav>();
    let form = FormState::new();
    let text = RwSignal::new(String::new());
    // `File`s are browser objects, so the list lives on this thread only.
    let files = RwSignal::new_local(Vec::<web_sys::File>::new());
    let submission = Submission::<Fingerprint>::new();

    let choose = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(list) = input.files() {
            let chosen: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
            files.update(|v| v.extend(chosen));
        }
        // Emptied, so choosing the same file again (after removing it) is a change again.
        input.set_value("");
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !form.begin() {
            return;
        }
        let body = text.get_untracked();
        let chosen = files.get_untracked();
        let sizes: Vec<(String, u64)> = chosen.iter().map(|f| (f.name(), f.size() as u64)).collect();
        if form.check(|| form::message(&body, &sizes, lang)).is_none() {
            return;
        }
        let Some(data) = multipart(body.trim(), &chosen) else {
            form.fail(crate::api::ApiFailure::Unreadable);
            return;
        };
        let key = submission.key_for(&fingerprint(&body, &chosen));
        form.sending();
        let config = config.clone();
        spawn_local(async move {
            match api::send_message(&config, &data, &key).await {
                Ok(_) => {
                    submission.finished();
                    form.finish();
                    text.try_set(String::new());
                    files.try_set(Vec::new());
                    form.done.try_set(Some(T::MessageSent));
                    on_sent.run(());
                }
                Err(f) if nav.session_ended(&f) => {}
                Err(f) => {
                    if settled(&f) {
                        submission.finished();
                    }
                    form.fail(f);
                }
            }
        });
    };

    let chosen_list = move || {
        let list = files.get();
        (!list.is_empty()).then(|| {
            let items = list
                .into_iter()
                .enumerate()
                .map(|(i, f)| {
                    let name = f.name();
                    let remove_name = fill(lang, T::RemoveFileNamed, &[("name", &name)]);
                    view! {
                        <li class="kb-file">
                            <span class="kb-file-name">{name}</span>
                            <span class="kb-file-size kb-nowrap">{file_size(lang, f.size() as u64)}</span>
                            <button type="button" class="kb-linkbutton kb-file-remove" aria-label=remove_name
                                on:click=move |_| files.update(|v| {
                                    if i < v.len() {
                                        v.remove(i);
                                    }
                                })>
                                {t(lang, T::RemoveFile)}
                            </button>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <div class="kb-files" role="group" aria-labelledby="kb-compose-chosen">
                    <p class="kb-label" id="kb-compose-chosen">{t(lang, T::ChosenFiles)}</p>
                    <ul class="kb-file-list">{items}</ul>
                </div>
            }
        })
    };

    let file_hint_id = format!("{FILE_INPUT}-hint");
    let file_invalid = form.marks(FILE_CODES, T::AttachLabel);
    let file_described = described_by(Some(file_hint_id.clone()), file_invalid, ERROR_ID);
    view! {
        <section class="kb-card kb-compose" aria-labelledby="kb-compose-title">
            <h3 class="kb-subtitle" id="kb-compose-title">{t(lang, T::ComposeTitle)}</h3>
            <form class="kb-form" novalidate on:submit=submit>
                <TextArea id="kb-compose-text" label=T::MessageTextLabel value=text maxlength=MAX_TEXT_CHARS rows=5
                    invalid=form.marks(TEXT_CODES, T::MessageTextLabel) error_id=ERROR_ID/>
                <div class="kb-field">
                    <label class="kb-label" for=FILE_INPUT>{t(lang, T::AttachLabel)}</label>
                    <p class="kb-hint" id=file_hint_id>{fill(lang, T::AttachHint, &[("n", &MAX_FILES.to_string())])}</p>
                    <input type="file" class="kb-input kb-file-input" id=FILE_INPUT name=FILE_INPUT accept=ACCEPT multiple
                        aria-invalid=move || file_invalid.get().then_some("true")
                        aria-describedby=file_described on:change=choose/>
                </div>
                {chosen_list}
                <FormAlert form=form id=ERROR_ID/>
                <div class="kb-actions">
                    <SubmitButton label=T::SendMessage busy=form.busy blocked=form.blocked()/>
                </div>
            </form>
        </section>
    }
}

/// The message as multipart: one text part and a part per file with its name; the browser
/// adds each file's type and the boundary.
fn multipart(text: &str, files: &[web_sys::File]) -> Option<web_sys::FormData> {
    let data = web_sys::FormData::new().ok()?;
    data.append_with_str(TEXT_PART, text).ok()?;
    for f in files {
        data.append_with_blob_and_filename(FILE_PART, f, &f.name()).ok()?;
    }
    Some(data)
}
