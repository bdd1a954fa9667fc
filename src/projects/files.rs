//! Project files: what may be uploaded (an allow-list checked by content, not by the name or
//! type the browser claims), how large, and reading the upload without holding more than the
//! limit.

use crate::error::{Error, Result};

/// Largest project file.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
const MAX_NAME: usize = 200;

/// A type the allow-list knows: its media type and the file name extensions that may carry it.
struct Kind {
    media_type: &'static str,
    label: &'static str,
    extensions: &'static [&'static str],
}

const PNG: Kind = Kind {
    media_type: "image/png",
    label: "a PNG image",
    extensions: &["png"],
};
const JPEG: Kind = Kind {
    media_type: "image/jpeg",
    label: "a JPEG image",
    extensions: &["jpg", "jpeg"],
};
const GIF: Kind = Kind {
    media_type: "image/gif",
    label: "a GIF image",
    extensions: &["gif"],
};
const WEBP: Kind = Kind {
    media_type: "image/webp",
    label: "a WebP image",
    extensions: &["webp"],
};
const PDF: Kind = Kind {
    media_type: "application/pdf",
    label: "a PDF document",
    extensions: &["pdf"],
};
const TEXT: Kind = Kind {
    media_type: "text/plain",
    label: "plain text",
    extensions: &["txt", "md", "csv"],
};

/// What the content is, by its first bytes (and, for text, by being clean UTF-8).
fn sniff(data: &[u8]) -> Option<&'static Kind> {
    if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(&PNG)
    } else if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(&JPEG)
    } else if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        Some(&GIF)
    } else if data.len() > 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP" {
        Some(&WEBP)
    } else if data.starts_with(b"%PDF-") {
        Some(&PDF)
    } else if std::str::from_utf8(data).is_ok_and(|t| {
        !t.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    }) {
        Some(&TEXT)
    } else {
        None
    }
}

/// An accepted upload: a clean name, its media type (from the content) and extension.
#[derive(Debug, Clone)]
pub struct Checked {
    pub name: String,
    pub media_type: &'static str,
    pub extension: String,
}

/// Checks an upload: not empty, within the limit, of an allowed type, and named for what it
/// is (`report.pdf` holding a PNG is refused).
pub fn check(name: &str, data: &[u8]) -> Result<Checked> {
    if data.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    if data.is_empty() {
        return Err(Error::invalid("file", "is empty"));
    }
    let name = clean_name(name);
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(Error::invalid(
            "file",
            format!("needs a name of at most {MAX_NAME} characters"),
        ));
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let Some(kind) = sniff(data) else {
        return Err(Error::invalid(
            "file",
            "must be a PNG, JPEG, GIF or WebP image, a PDF or plain text",
        ));
    };
    if !kind.extensions.contains(&extension.as_str()) {
        return Err(Error::invalid(
            "file",
            format!(
                "is named .{extension} but its content is {}; name it .{}",
                kind.label, kind.extensions[0]
            ),
        ));
    }
    let media_type = match (kind.media_type, extension.as_str()) {
        ("text/plain", "md") => "text/markdown",
        ("text/plain", "csv") => "text/csv",
        (m, _) => m,
    };
    Ok(Checked {
        name,
        media_type,
        extension,
    })
}

/// A file name as shown and offered for download: the last path segment only, without control
/// characters or the invisible direction marks and overrides (U+202A-U+202E, U+2066-U+2069,
/// U+200E, U+200F, U+061C) that make `invoice\u{202E}fdp.exe` read as `invoiceexe.pdf`.
pub fn clean_name(raw: &str) -> String {
    raw.rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control() && !is_direction_mark(*c))
        .collect::<String>()
        .trim()
        .to_string()
}

fn is_direction_mark(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Whether a type the browser declared fits what the content is.
pub fn declared_fits(declared: &str, media_type: &str) -> bool {
    let declared = declared
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    declared.is_empty()
        || declared == "application/octet-stream"
        || declared == media_type
        || (media_type.starts_with("text/") && declared.starts_with("text/"))
}

fn too_large() -> Error {
    Error::TooLarge(format!(
        "Files may be at most {} MB.",
        MAX_FILE_BYTES / 1024 / 1024
    ))
}

/// An upload as read from a form: the file's name, the type the browser declared, its bytes.
pub struct Upload {
    pub name: String,
    pub declared: String,
    pub data: Vec<u8>,
}

/// Reads the `file` field of a multipart form, stopping as soon as it passes the limit.
pub async fn read(mut multipart: axum::extract::Multipart) -> Result<Upload> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            Error::BadRequest(format!("The upload could not be read: {}", e.body_text()))
        }
    };
    while let Some(mut part) = multipart.next_field().await.map_err(bad)? {
        if part.name() != Some("file") {
            continue;
        }
        let name = part.file_name().unwrap_or_default().to_string();
        let declared = part.content_type().unwrap_or_default().to_string();
        let mut data = Vec::new();
        while let Some(chunk) = part.chunk().await.map_err(bad)? {
            if data.len() + chunk.len() > MAX_FILE_BYTES {
                return Err(too_large());
            }
            data.extend_from_slice(&chunk);
        }
        let checked = check(&name, &data)?;
        if !declared_fits(&declared, checked.media_type) {
            return Err(Error::invalid(
                "file",
                format!(
                    "was sent as {declared} but its content is {}",
                    checked.media_type
                ),
            ));
        }
        return Ok(Upload {
            name,
            declared,
            data,
        });
    }
    Err(Error::invalid(
        "file",
        "is missing: choose a file to upload",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_content_not_by_name() {
        assert_eq!(
            check("a.png", b"\x89PNG\r\n\x1a\n0000").unwrap().media_type,
            "image/png"
        );
        assert_eq!(
            check("notes.md", b"# hi\n").unwrap().media_type,
            "text/markdown"
        );
        assert_eq!(
            check("r.pdf", b"%PDF-1.7 ...").unwrap().media_type,
            "application/pdf"
        );
        // A PNG named .pdf, an executable named .txt.
        assert!(matches!(
            check("r.pdf", b"\x89PNG\r\n\x1a\n0000"),
            Err(Error::Invalid(_))
        ));
        assert!(matches!(
            check("x.txt", b"MZ\x90\x00\x03"),
            Err(Error::Invalid(_))
        ));
        assert!(matches!(check("x.txt", b""), Err(Error::Invalid(_))));
        assert!(matches!(
            check("big.txt", &vec![b'a'; MAX_FILE_BYTES + 1]),
            Err(Error::TooLarge(_))
        ));
        assert_eq!(check("../../etc/x.txt", b"hi").unwrap().name, "x.txt");
        assert_eq!(check("..\\x.txt", b"hi").unwrap().name, "x.txt");
        assert_eq!(
            check("invoice\u{202E}txt.exe\u{2066}.txt", b"hi")
                .unwrap()
                .name,
            "invoicetxt.exe.txt"
        );
        assert_eq!(
            check("a\u{0}b\u{7f}\u{85}.txt", b"hi").unwrap().name,
            "ab.txt"
        );
        assert!(matches!(
            check("\u{202E}\u{200F}", b"hi"),
            Err(Error::Invalid(_))
        ));
    }

    #[test]
    fn declared_types() {
        assert!(declared_fits("image/png", "image/png"));
        assert!(declared_fits("", "image/png"));
        assert!(declared_fits("text/x-markdown", "text/markdown"));
        assert!(!declared_fits("application/pdf", "image/png"));
    }
}
