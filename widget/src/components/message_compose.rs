//! «Новое сообщение»: the text, the files to attach (listed with their sizes, each removable),
//! the checks the shim would make, and the multipart send. Whatever the person wrote or chose
//! stays until the shim has taken the message; a refusal changes nothing they entered. The text
//! is also kept in the tab's storage as a draft, so a session that ends while the person writes
//! (the login screen comes) does not lose it: the form opens with it again.

use kabinet_api::messages::{FILE_PART, MAX_FILES, MAX_TEXT_CHARS, TEXT_PART};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::{form_alert::FormAlert, submit_button::SubmitButton, text_area::TextArea, text_field::described_by};
use crate::form::{self, FormState, FILE_CODES, TEXT_CODES};
use crate::i18n::{file_size, fill, t, T};
use crate::idempotency::{self, settled, Submission};
use crate::nav::Nav;
use crate::session_store::{self, MESSAGE_DRAFT, PENDING_MESSAGE};
use crate::WidgetConfig;

const ERROR_ID: &str = "kb-compose-error";
const FILE_INPUT: &str = "kb-compose-files";
/// What the file picker offers; the shim decides by content in the end.
const ACCEPT: &str = ".jpg,.jpeg,.png,.pdf,image/jpeg,image/png,application/pdf";

/// From this much in files on, sending says it may take minutes.
const SLOW_UPLOAD_BYTES: u64 = 1024 * 1024;

/// What is being sent, to tell a retry of the same message from a new one: the text as sent
/// and each file's name, size and date.
fn fingerprint(text: &str, files: &[web_sys::File]) -> String {
    let mut parts = vec![text.to_owned()];
    for f in files {
        parts.extend([f.name(), (f.size() as u64).to_string(), (f.last_modified() as u64).to_string()]);
    }
    idempotency::fingerprint(&parts)
}

/// The draft's text if `stored` (owner, a line break, the text) belongs to `owner`.
fn draft_of<'a>(stored: &'a str, owner: &str) -> Option<&'a str> {
    stored.split_once('\n').filter(|(who, _)| !owner.is_empty() && *who == owner).map(|(_, text)| text)
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
    // The draft is stored with whose it is: after a session ends, the next person to sign in
    // in this tab must not find someone else's unsent words.
    let owner = StoredValue::new(nav.session.get_untracked().map(|s| s.client.phone).unwrap_or_default());
    let restored = session_store::get(MESSAGE_DRAFT).and_then(|v| owner.with_value(|o| draft_of(&v, o).map(str::to_owned)));
    let text = RwSignal::new(restored.unwrap_or_default());
    // The draft follows the text; an empty form keeps none.
    Effect::new(move |_| {
        let now = text.get();
        if now.is_empty() {
            session_store::remove(MESSAGE_DRAFT);
        } else {
            session_store::set(MESSAGE_DRAFT, &format!("{}\n{now}", owner.get_value()));
        }
    });
    // `File`s are browser objects, so the list lives on this thread only.
    let files = RwSignal::new_local(Vec::<web_sys::File>::new());
    let submission = Submission::new();
    // The files' total size while a large upload runs, for the note under the button.
    let uploading = RwSignal::new(None::<u64>);

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
        let key = submission.key_for(PENDING_MESSAGE, &fingerprint(body.trim(), &chosen));
        let bytes: u64 = sizes.iter().map(|(_, n)| n).sum();
        form.sending();
        uploading.set((bytes >= SLOW_UPLOAD_BYTES).then_some(bytes));
        let config = config.clone();
        // Whose draft this is, taken now: the screen may be gone when the answer comes.
        let sender = owner.get_value();
        spawn_local(async move {
            let outcome = api::send_message(&config, &data, bytes, &key).await;
            uploading.try_set(None);
            match outcome {
                Ok(_) => {
                    submission.finished(PENDING_MESSAGE, &key);
                    // Also when this screen has gone meanwhile; a draft written since is kept.
                    let draft = session_store::get(MESSAGE_DRAFT);
                    if draft.as_deref().and_then(|v| draft_of(v, &sender)) == Some(body.as_str()) {
                        session_store::remove(MESSAGE_DRAFT);
                    }
                    form.finish();
                    text.try_set(String::new());
                    files.try_set(Vec::new());
                    form.done.try_set(Some(T::MessageSent));
                    // `try_`: after a long upload the screen (and its callback) may be gone.
                    on_sent.try_run(());
                }
                Err(f) => {
                    if settled(&f) {
                        submission.finished(PENDING_MESSAGE, &key);
                    }
                    if !nav.session_ended(&f) {
                        form.fail(f);
                    }
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
                // Always there, so that a screen reader hears the note when it appears.
                <p class="kb-hint kb-upload-note" id="kb-compose-progress" role="status">
                    {move || uploading.get().map(|n| fill(lang, T::UploadSlow, &[("size", &file_size(lang, n))]))}
                </p>
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

#[cfg(test)]
mod tests {
    use super::draft_of;

    #[test]
    fn a_draft_is_given_back_only_to_its_owner() {
        assert_eq!(draft_of("+79161234567\nДобрый день,\nвопрос", "+79161234567"), Some("Добрый день,\nвопрос"));
        assert_eq!(draft_of("+79161234567\nДобрый день", "+79137654321"), None);
        assert_eq!(draft_of("Добрый день", "+79161234567"), None);
        assert_eq!(draft_of("\nДобрый день", ""), None);
    }
}
