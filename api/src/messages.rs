//! Messages between a client and the organisation, with attachments: the wire types and the
//! upload rules (A25) both the widget (to warn early) and the shim (to enforce) read.
//!
//! A client sends a message as `multipart/form-data` to [`paths::MESSAGES`]: one `text` part
//! and up to [`MAX_FILES`] `file` parts, each with its file name and declared type, plus the
//! [`crate::requests::IDEMPOTENCY_HEADER`]. The shim trusts neither the name nor the declared
//! type: the content decides, and both must agree with it.

use serde::{Deserialize, Serialize};

/// Routes under [`crate::API_PREFIX`].
pub mod paths {
    /// The client's conversation (GET), and a new message (POST, multipart).
    pub const MESSAGES: &str = "/messages";

    /// One message (GET); opening a message from the organisation marks it read.
    pub fn message(id: &str) -> String {
        format!("/messages/{id}")
    }

    /// An attachment's bytes, served as a download.
    pub fn attachment(message_id: &str, attachment_id: &str) -> String {
        format!("/messages/{message_id}/attachments/{attachment_id}")
    }
}

/// Name of the multipart part holding the message's text.
pub const TEXT_PART: &str = "text";
/// Name of each multipart part holding a file.
pub const FILE_PART: &str = "file";

/// The largest file, in bytes (10 MiB).
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;
/// Files in one message.
pub const MAX_FILES: usize = 5;
/// Everything one client has sent, in bytes (100 MiB).
pub const MAX_CLIENT_BYTES: u64 = 100 * 1024 * 1024;
/// The most pixels an image may have (40 megapixels): more is a pixel flood.
pub const MAX_IMAGE_PIXELS: u64 = 40_000_000;
/// The longest message, in characters.
pub const MAX_TEXT_CHARS: usize = 4000;
/// The longest file name, in characters.
pub const MAX_FILE_NAME_CHARS: usize = 120;

/// The file types a message may carry, recognised by their content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FileType {
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "application/pdf")]
    Pdf,
}

impl FileType {
    pub const ALL: [FileType; 3] = [FileType::Jpeg, FileType::Png, FileType::Pdf];

    pub fn mime(self) -> &'static str {
        match self {
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
            FileType::Pdf => "application/pdf",
        }
    }

    pub fn from_mime(m: &str) -> Option<FileType> {
        let m = m.split(';').next().unwrap_or_default().trim();
        match m.to_ascii_lowercase().as_str() {
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(FileType::Jpeg),
            "image/png" => Some(FileType::Png),
            "application/pdf" => Some(FileType::Pdf),
            _ => None,
        }
    }

    /// The type a file name's last extension names, if it is one of ours.
    pub fn from_name(name: &str) -> Option<FileType> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "jpg" | "jpeg" => Some(FileType::Jpeg),
            "png" => Some(FileType::Png),
            "pdf" => Some(FileType::Pdf),
            _ => None,
        }
    }

    /// The extension stored names get.
    pub fn extension(self) -> &'static str {
        match self {
            FileType::Jpeg => "jpg",
            FileType::Png => "png",
            FileType::Pdf => "pdf",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MessageDirection {
    FromClient,
    FromOrganisation,
}

/// A file attached to a message, as stored: images are re-encoded without their metadata, so
/// `size` and `sha256` are of the stored bytes, which a download returns exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentInfo {
    pub id: String,
    /// The name to show and to save under (the sender's name, checked; never a storage path).
    pub file_name: String,
    pub content_type: FileType,
    pub size: u64,
    /// Hex SHA-256 of the stored bytes.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    pub id: String,
    pub direction: MessageDirection,
    /// When it was sent, UTC, RFC 3339.
    pub sent_at: String,
    pub text: String,
    pub attachments: Vec<AttachmentInfo>,
    /// From the organisation: when the client first opened it (UTC, RFC 3339); `None` unread.
    /// From the client: when the organisation read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_at: Option<String>,
    /// From the organisation: who answered, as the organisation wants it shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The client's message this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<String>,
}

/// The conversation, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessagesView {
    pub messages: Vec<Message>,
    /// Messages from the organisation not yet opened.
    pub unread: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_types_by_name_and_mime() {
        assert_eq!(FileType::from_name("скан.PDF"), Some(FileType::Pdf));
        assert_eq!(FileType::from_name("invoice.pdf.exe"), None);
        assert_eq!(FileType::from_name("photo.jpeg"), Some(FileType::Jpeg));
        assert_eq!(FileType::from_name("noext"), None);
        assert_eq!(FileType::from_mime("image/png; charset=binary"), Some(FileType::Png));
        assert_eq!(FileType::from_mime("image/svg+xml"), None);
        assert_eq!(serde_json::to_string(&FileType::Pdf).unwrap(), "\"application/pdf\"");
    }
}
