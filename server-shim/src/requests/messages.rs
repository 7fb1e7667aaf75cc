//! Messages over HTTP: the client's conversation with the organisation, opening a message
//! (which marks it read), sending one with files (multipart, once per idempotency key, every
//! file inspected and cleaned before anything is stored, A25), and downloading a file.

use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kabinet_api::cabinet::format_date_ru;
use kabinet_api::messages::{
    Message, MessageDirection, MessagesView, FILE_PART, MAX_CLIENT_BYTES, MAX_FILES, MAX_FILE_BYTES, MAX_TEXT_CHARS,
    TEXT_PART,
};
use kabinet_api::{ApiError, ErrorCode};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounting::NewAttachment;
use crate::audit::EventKind;
use crate::auth::session::CurrentSession;
use crate::cabinet::info::Reader;
use crate::http::error::AppError;
use crate::http::idempotency::{self, IdempotencyKey};
use crate::http::{AppState, ClientIp};
use crate::uploads::{self, Upload};

/// The largest message body: every file at its limit, plus the text and the multipart frame.
pub const MAX_BODY_BYTES: usize = MAX_FILES * MAX_FILE_BYTES as usize + 1024 * 1024;

/// How long a message waits for an upload slot before it is told to come back.
const UPLOAD_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Messages with files read and checked at once: one per core, at least two.
fn upload_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        tokio::sync::Semaphore::new(cores.max(2))
    })
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(OpenApiRouter::new().routes(routes!(list, send)).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)))
        .routes(routes!(open))
        .routes(routes!(download))
}

/// The conversation, newest first, and how many of the organisation's messages are unread.
#[utoipa::path(get, path = "/api/v1/messages", tag = "requests",
    responses((status = 200, body = MessagesView), (status = 401, body = ApiError), (status = 429, body = ApiError),
              (status = 503, body = ApiError)))]
async fn list(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
) -> Result<Json<MessagesView>, AppError> {
    let reader = Reader::new(&state, session, ip).await?;
    let messages = state.accounting().messages(&reader.client.id).await?;
    let unread = messages
        .iter()
        .filter(|m| m.direction == MessageDirection::FromOrganisation && m.read_at.is_none())
        .count();
    state
        .journal()
        .record(
            reader
                .entry(&state, EventKind::SectionViewed)
                .subject("Сообщения")
                .description(format!("Сообщений: {}, непрочитанных: {unread}", messages.len())),
        )
        .await?;
    Ok(Json(MessagesView { messages, unread: u32::try_from(unread).unwrap_or(u32::MAX) }))
}

/// A message's subject in the journal: its day and the start of its text.
fn subject_of(m: &Message) -> String {
    let day = m.sent_at.get(..10).map(format_date_ru).unwrap_or_default();
    let start: String = m.text.lines().next().unwrap_or_default().chars().take(60).collect();
    if start.is_empty() {
        format!("Сообщение от {day}")
    } else {
        format!("Сообщение от {day}: «{start}»")
    }
}

/// One message. The first time the client opens a message from the organisation it is
/// marked read, and the journal says so («Сообщение личного кабинета прочитано»).
#[utoipa::path(get, path = "/api/v1/messages/{id}", tag = "requests", params(("id" = String, Path)),
    responses((status = 200, body = Message), (status = 401, body = ApiError), (status = 404, body = ApiError),
              (status = 429, body = ApiError), (status = 503, body = ApiError)))]
async fn open(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
) -> Result<Json<Message>, AppError> {
    let reader = Reader::new(&state, session, ip).await?;
    let accounting = state.accounting();
    let Some(message) = accounting.message(&reader.client.id, &id).await? else {
        return Err(reader.not_found(&state, "Сообщение", &id).await);
    };
    if message.direction != MessageDirection::FromOrganisation || message.read_at.is_some() {
        return Ok(Json(message));
    }
    if accounting.mark_read(&reader.client.id, &id, state.now()).await? {
        state
            .journal()
            .record(reader.entry(&state, EventKind::MessageRead).subject(subject_of(&message)).description(format!(
                "Файлов: {}",
                message.attachments.len()
            )))
            .await?;
    }
    let message = accounting.message(&reader.client.id, &id).await?.unwrap_or(message);
    Ok(Json(message))
}

/// A file as it came in, before inspection.
struct RawFile {
    name: String,
    declared: String,
    bytes: Vec<u8>,
}

struct Incoming {
    text: String,
    files: Vec<RawFile>,
}

fn multipart_error(e: MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::Client(ErrorCode::PayloadTooLarge)
    } else {
        AppError::Client(ErrorCode::BadRequest)
    }
}

/// Reads a part, refusing it as soon as it passes `limit` bytes (nothing past that is kept).
async fn read_part(field: &mut Field<'_>, limit: usize, too_large: ErrorCode) -> Result<Vec<u8>, AppError> {
    let mut out = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if out.len() + chunk.len() > limit {
            return Err(AppError::Client(too_large));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

async fn read_incoming(mp: &mut Multipart) -> Result<Incoming, (AppError, Option<String>)> {
    let mut text: Option<String> = None;
    let mut files = Vec::new();
    while let Some(mut field) = mp.next_field().await.map_err(|e| (multipart_error(e), None))? {
        match field.name() {
            Some(TEXT_PART) if text.is_none() => {
                // Up to four bytes a character in UTF-8.
                let bytes = read_part(&mut field, MAX_TEXT_CHARS * 4, ErrorCode::TextTooLong).await.map_err(|e| (e, None))?;
                let s = String::from_utf8(bytes).map_err(|_| (AppError::Client(ErrorCode::BadRequest), None))?;
                text = Some(s);
            }
            Some(FILE_PART) => {
                let name = field.file_name().unwrap_or_default().to_owned();
                if files.len() == MAX_FILES {
                    return Err((AppError::Client(ErrorCode::TooManyFiles), Some(name)));
                }
                let declared = field.content_type().unwrap_or_default().to_owned();
                let limit = usize::try_from(MAX_FILE_BYTES).unwrap_or(usize::MAX);
                let bytes = read_part(&mut field, limit, ErrorCode::FileTooLarge).await.map_err(|e| (e, Some(name.clone())))?;
                files.push(RawFile { name, declared, bytes });
            }
            _ => return Err((AppError::Client(ErrorCode::BadRequest), None)),
        }
    }
    let text = text.unwrap_or_default().replace("\r\n", "\n");
    let text = text.trim().to_owned();
    if kabinet_api::has_control_chars(&text) {
        return Err((AppError::Client(ErrorCode::InvalidCharacters), None));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err((AppError::Client(ErrorCode::TextTooLong), None));
    }
    if text.is_empty() && files.is_empty() {
        return Err((AppError::Client(ErrorCode::TextRequired), None));
    }
    Ok(Incoming { text, files })
}

/// Reads what is left of a refused request without keeping it, so the client (still sending)
/// gets the answer instead of a reset connection. Bounded by the route's body limit.
async fn drain(mp: &mut Multipart) {
    while let Ok(Some(mut field)) = mp.next_field().await {
        while let Ok(Some(_)) = field.chunk().await {}
    }
}

/// Journals a refused upload: staff see who tried to send what, and why it was refused.
async fn refused(state: &AppState, reader: &Reader, error: AppError, file: Option<&str>) -> AppError {
    let AppError::Client(code) = &error else { return error };
    let what = file.map(|f| format!("Файл «{}»: ", f.chars().take(120).collect::<String>())).unwrap_or_default();
    let entry = reader
        .entry(state, EventKind::UploadRefused)
        .subject("Сообщение личного кабинета")
        .description(format!("{what}{} ({})", code.message_ru(), serde_json::to_string(code).unwrap_or_default().trim_matches('"')));
    if let Err(e) = state.journal().record(entry).await {
        return e.into();
    }
    tracing::warn!(client_id = %reader.client.id, code = ?code, "upload refused");
    match file {
        Some(f) if !f.is_empty() => AppError::File { code: *code, file: f.chars().take(kabinet_api::messages::MAX_FILE_NAME_CHARS * 2).collect() },
        _ => error,
    }
}

/// Sends a message with up to 5 files (`multipart/form-data`: one `text` part, `file` parts).
/// Every file must be a JPEG, PNG or PDF by its content, agreeing with its name and declared
/// type; images are re-encoded without metadata. Any refused file refuses the whole message
/// and nothing is stored. One message per `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/messages", tag = "requests",
    request_body(content_type = "multipart/form-data", description = "`text` and up to 5 `file` parts"),
    params(("idempotency-key" = String, Header, description = "A UUID made once per submission")),
    responses((status = 201, body = Message), (status = 400, body = ApiError), (status = 401, body = ApiError),
              (status = 409, body = ApiError), (status = 413, body = ApiError), (status = 415, body = ApiError),
              (status = 422, body = ApiError), (status = 429, body = ApiError), (status = 503, body = ApiError)))]
async fn send(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
    key: IdempotencyKey,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    let reader = Reader::new(&state, session, ip).await?;
    // A multipart body without its boundary, say: a stable code, not axum's plain text.
    let mut multipart = multipart.map_err(|_| AppError::Client(ErrorCode::BadRequest))?;
    // Each message may hold ~50 MB in memory while it is checked, and images are decoded:
    // only a few at a time, the rest wait (their bodies unread) or are told to come back.
    let _permit = match tokio::time::timeout(UPLOAD_WAIT, upload_slots().acquire()).await {
        Ok(Ok(p)) => p,
        _ => return Err(AppError::Unavailable("every upload slot is busy".into())),
    };
    let incoming = match read_incoming(&mut multipart).await {
        Ok(i) => i,
        Err((e, file)) => {
            drain(&mut multipart).await;
            return Err(refused(&state, &reader, e, file.as_deref()).await);
        }
    };
    // The browser picks a new multipart boundary on every try, so the fingerprint is of the
    // content: the text and each file's name, declared type and bytes.
    let hashes: Vec<String> = incoming.files.iter().map(|f| idempotency::fingerprint(&[&f.bytes])).collect();
    let mut parts: Vec<&[u8]> = vec![b"POST /messages", incoming.text.as_bytes()];
    for (f, h) in incoming.files.iter().zip(&hashes) {
        parts.extend([f.name.as_bytes(), f.declared.as_bytes(), h.as_bytes()]);
    }
    let fingerprint = idempotency::fingerprint(&parts);
    let claim = idempotency::claim(state.store(), &reader.client.id, &key, &fingerprint, state.now_secs()).await?;
    idempotency::run(claim, StatusCode::CREATED, async {
        let Incoming { text, files } = incoming;
        // Decoding and re-encoding images is CPU work: off the async threads.
        let checked = tokio::task::spawn_blocking(move || {
            files
                .iter()
                .map(|f| {
                    uploads::inspect(&Upload { file_name: &f.name, declared_type: &f.declared, bytes: &f.bytes })
                        .map_err(|code| (code, f.name.clone()))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        // The inspector catches decoder panics itself; this is the thread pool failing.
        .map_err(|e| AppError::Internal(format!("file inspection failed: {e}")))?;
        let clean = match checked {
            Ok(c) => c,
            Err((code, name)) => return Err(refused(&state, &reader, AppError::Client(code), Some(&name)).await),
        };
        let total: u64 = clean.iter().map(|f| f.bytes.len() as u64).sum();
        if total > 0 && state.accounting().upload_bytes(&reader.client.id).await? + total > MAX_CLIENT_BYTES {
            return Err(refused(&state, &reader, AppError::Client(ErrorCode::StorageQuotaExceeded), None).await);
        }
        let files: Vec<NewAttachment> = clean
            .into_iter()
            .map(|c| NewAttachment { file_name: c.file_name, content_type: c.file_type, bytes: c.bytes, sha256: c.sha256 })
            .collect();
        let message = state.accounting().send_message(&reader.client.id, &key.0, &text, &files, state.now()).await?;
        let listed: Vec<String> =
            message.attachments.iter().map(|a| format!("{} (SHA-256 {})", a.file_name, a.sha256.get(..16).unwrap_or(&a.sha256))).collect();
        state
            .journal()
            .record(reader.entry(&state, EventKind::ObjectsCreated).subject(subject_of(&message)).description(
                if listed.is_empty() { "Без файлов".to_owned() } else { format!("Файлы: {}", listed.join("; ")) },
            ))
            .await?;
        Ok(message)
    })
    .await
}

/// `attachment; filename="…"; filename*=UTF-8''…`: the ASCII name for old clients, the real
/// one (RFC 6266 / 5987) for everyone else. Never a path: the name was checked on upload.
pub fn disposition(name: &str, fallback_stem: &str, ext: &str) -> String {
    let ascii_ok = name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ' | '(' | ')'));
    let fallback = if ascii_ok && !name.is_empty() { name.to_owned() } else { format!("{fallback_stem}.{ext}") };
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// A file of one of the client's messages, as a download: its real type, `attachment`, no
/// sniffing, and a sandbox should a browser ever render it anyway.
#[utoipa::path(get, path = "/api/v1/messages/{message_id}/attachments/{attachment_id}", tag = "requests",
    params(("message_id" = String, Path), ("attachment_id" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 401, body = ApiError),
              (status = 404, body = ApiError), (status = 429, body = ApiError), (status = 503, body = ApiError)))]
async fn download(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CurrentSession(session): CurrentSession,
    Path((message_id, attachment_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let reader = Reader::new(&state, session, ip).await?;
    let Some(file) = state.accounting().attachment(&reader.client.id, &message_id, &attachment_id).await? else {
        return Err(reader.not_found(&state, "Файл сообщения", &attachment_id).await);
    };
    state
        .journal()
        .record(
            reader
                .entry(&state, EventKind::FilesReceived)
                .subject(&file.info.file_name)
                .description(format!("Файл сообщения; SHA-256 {}", file.info.sha256)),
        )
        .await?;
    let ext = file.info.content_type.extension();
    let mut res = file.bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(file.info.content_type.mime()));
    if let Ok(v) = HeaderValue::from_str(&disposition(&file.info.file_name, "file", ext)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::disposition;

    #[test]
    fn download_names_are_quoted_and_encoded() {
        assert_eq!(disposition("scan.pdf", "file", "pdf"), "attachment; filename=\"scan.pdf\"; filename*=UTF-8''scan.pdf");
        let d = disposition("скан \"1\".pdf", "file", "pdf");
        assert!(d.starts_with("attachment; filename=\"file.pdf\"; filename*=UTF-8''%D1%81"), "{d}");
        assert!(!d.contains("\"1\""));
    }
}
