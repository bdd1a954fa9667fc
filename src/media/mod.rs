//! Uploaded images (avatars and logos): checked, decoded, cropped square, resized and stored
//! behind `object_store` (a local folder by default).

use std::io::Cursor;
use std::sync::Arc;

use bytes::Bytes;
use image::{imageops::FilterType, DynamicImage, ImageFormat};
use object_store::{local::LocalFileSystem, path::Path as StorePath, ObjectStore};

use crate::error::{Error, Result};

/// Largest upload accepted for an image, before processing.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
/// Largest width or height a source image may have (guards against decompression bombs).
const MAX_SOURCE_SIDE: u32 = 8000;

#[derive(Clone)]
pub struct MediaStore {
    store: Arc<dyn ObjectStore>,
}

/// A stored file, ready to serve.
pub struct MediaFile {
    pub bytes: Bytes,
    pub content_type: &'static str,
}

impl MediaStore {
    /// A store in a local folder, created if missing.
    pub fn local(dir: &std::path::Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let store = LocalFileSystem::new_with_prefix(dir)?;
        Ok(Self {
            store: Arc::new(store),
        })
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<()> {
        self.store
            .put(&StorePath::from(key), bytes.into())
            .await
            .map_err(|e| Error::Internal(e.into()))?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<MediaFile> {
        if !valid_key(key) {
            return Err(Error::NotFound);
        }
        let result = match self.store.get(&StorePath::from(key)).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return Err(Error::NotFound),
            Err(e) => return Err(Error::Internal(e.into())),
        };
        let bytes = result
            .bytes()
            .await
            .map_err(|e| Error::Internal(e.into()))?;
        let content_type = if key.ends_with(".png") {
            "image/png"
        } else {
            "image/jpeg"
        };
        Ok(MediaFile {
            bytes,
            content_type,
        })
    }

    /// The bytes of a project file (`files/TOKEN.EXT`); the caller knows its type.
    pub async fn get_file(&self, key: &str) -> Result<Bytes> {
        if !valid_file_key(key) {
            return Err(Error::NotFound);
        }
        match self.store.get(&StorePath::from(key)).await {
            Ok(r) => r.bytes().await.map_err(|e| Error::Internal(e.into())),
            Err(object_store::Error::NotFound { .. }) => Err(Error::NotFound),
            Err(e) => Err(Error::Internal(e.into())),
        }
    }

    /// Removes a file; a missing file is not an error.
    pub async fn delete(&self, key: &str) {
        if let Err(e) = self.store.delete(&StorePath::from(key)).await {
            if !matches!(e, object_store::Error::NotFound { .. }) {
                tracing::warn!(error = %e, key, "could not delete media file");
            }
        }
    }
}

/// Keys look like `avatars/ab12….png`: one folder, a random name, a known extension.
fn valid_key(key: &str) -> bool {
    let mut parts = key.split('/');
    let (Some(folder), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    matches!(folder, "avatars" | "logos")
        && (name.ends_with(".png") || name.ends_with(".jpg"))
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// Project files look like `files/ab12….pdf`.
fn valid_file_key(key: &str) -> bool {
    let mut parts = key.split('/');
    let (Some("files"), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// A processed image, ready to store.
pub struct ProcessedImage {
    pub bytes: Vec<u8>,
    pub extension: &'static str,
}

/// Checks that `data` is a PNG, JPEG, GIF or WebP image (by its content, not its name), crops it
/// square and scales it to `side` pixels. Images with transparency stay PNG, others become JPEG.
pub fn square_image(data: &[u8], side: u32) -> Result<ProcessedImage> {
    if data.is_empty() {
        return Err(Error::invalid("file", "is empty"));
    }
    if data.len() > MAX_IMAGE_BYTES {
        return Err(Error::TooLarge(format!(
            "Images may be at most {} MB.",
            MAX_IMAGE_BYTES / 1024 / 1024
        )));
    }
    let format = image::guess_format(data)
        .ok()
        .filter(|f| {
            matches!(
                f,
                ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Gif | ImageFormat::WebP
            )
        })
        .ok_or_else(|| Error::invalid("file", "must be a PNG, JPEG, GIF or WebP image"))?;
    let mut reader = image::ImageReader::with_format(Cursor::new(data), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SOURCE_SIDE);
    limits.max_image_height = Some(MAX_SOURCE_SIDE);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|_| Error::invalid("file", "could not be read as an image"))?;
    let (w, h) = (img.width(), img.height());
    let s = w.min(h);
    let cropped = img.crop_imm((w - s) / 2, (h - s) / 2, s, s);
    let resized = if s > side {
        cropped.resize_exact(side, side, FilterType::Lanczos3)
    } else {
        cropped
    };
    let mut out = Cursor::new(Vec::new());
    let extension = if resized.color().has_alpha() {
        resized
            .write_to(&mut out, ImageFormat::Png)
            .map_err(|e| Error::Internal(e.into()))?;
        "png"
    } else {
        DynamicImage::ImageRgb8(resized.to_rgb8())
            .write_to(&mut out, ImageFormat::Jpeg)
            .map_err(|e| Error::Internal(e.into()))?;
        "jpg"
    };
    Ok(ProcessedImage {
        bytes: out.into_inner(),
        extension,
    })
}

/// Reads the named file field of a multipart upload, refusing anything over the image limit.
pub async fn read_upload(mut multipart: axum::extract::Multipart, field: &str) -> Result<Vec<u8>> {
    while let Some(part) = multipart
        .next_field()
        .await
        .map_err(|e| upload_error(e.status(), e.body_text()))?
    {
        if part.name() != Some(field) {
            continue;
        }
        let data = part
            .bytes()
            .await
            .map_err(|e| upload_error(e.status(), e.body_text()))?;
        return Ok(data.to_vec());
    }
    Err(Error::invalid(field, "is missing: choose a file to upload"))
}

fn upload_error(status: axum::http::StatusCode, text: String) -> Error {
    if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        Error::TooLarge("The upload is too large.".into())
    } else {
        Error::BadRequest(format!("The upload could not be read: {text}"))
    }
}

/// A fresh random storage key in `folder` with the image's extension.
pub fn new_key(folder: &str, image: &ProcessedImage) -> String {
    format!(
        "{folder}/{}.{}",
        crate::accounts::session::random_token(),
        image.extension
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = DynamicImage::new_rgba8(w, h);
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn crops_and_resizes() {
        let p = square_image(&png(600, 300), 256).unwrap();
        assert_eq!(p.extension, "png");
        let back = image::load_from_memory(&p.bytes).unwrap();
        assert_eq!((back.width(), back.height()), (256, 256));
    }

    #[test]
    fn refuses_non_images() {
        assert!(matches!(
            square_image(b"<svg></svg>", 256),
            Err(Error::Invalid(_))
        ));
        assert!(matches!(square_image(b"", 256), Err(Error::Invalid(_))));
        let mut fake = png(10, 10);
        fake.truncate(30);
        assert!(matches!(square_image(&fake, 256), Err(Error::Invalid(_))));
    }

    #[test]
    fn keys() {
        assert!(valid_key("avatars/abc-1.png"));
        assert!(!valid_key("../etc/passwd"));
        assert!(!valid_key("avatars/../../x.png"));
        assert!(!valid_key("other/x.png"));
    }
}
