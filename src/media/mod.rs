//! Uploaded images (avatars and logos, pictures in posts): checked, decoded, cropped square or
//! fitted in a box, resized, re-encoded (which drops EXIF and every other metadata block) and
//! stored behind `object_store` (a local folder by default).

use std::io::Cursor;
use std::sync::{Arc, LazyLock};

use bytes::Bytes;
use image::imageops::{self, FilterType};
use image::{DynamicImage, ImageFormat};
use object_store::{local::LocalFileSystem, path::Path as StorePath, ObjectStore};

use tokio::sync::Semaphore;

use crate::error::{Error, Result};

/// Largest upload accepted for an image, before processing.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
/// Most pixels a source image may have. A few hundred kilobytes of PNG can declare a picture
/// that takes gigabytes to decode, so the size is read from the header and checked before any
/// decoding: 40 megapixels decode to at most 160 MB (8-bit RGBA).
pub const MAX_SOURCE_PIXELS: u64 = 40_000_000;
/// Longest side a source image may have, whatever its area.
pub const MAX_SOURCE_SIDE: u32 = 12_000;
/// Most memory the decoder may allocate for one image (the largest allowed picture with room
/// for the decoder's own buffers).
const MAX_DECODE_ALLOC: u64 = 200 * 1024 * 1024;

/// Images decoded at once in this process: one per core, so a burst of uploads waits its turn
/// instead of holding many decoded pictures in memory together.
static DECODERS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Arc::new(Semaphore::new(cores))
});

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
    matches!(folder, "avatars" | "logos" | "photos" | "posts")
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
    pub width: u32,
    pub height: u32,
}

impl ProcessedImage {
    pub fn media_type(&self) -> &'static str {
        if self.extension == "png" {
            "image/png"
        } else {
            "image/jpeg"
        }
    }
}

/// Checks `data` as [`square_image`] does and scales it, keeping its proportions, to fit in a
/// square of `max_side` pixels (never enlarged). Re-encoding keeps the pixels only: EXIF
/// (positions, camera serials) and other metadata are gone.
pub async fn fitted_image(data: Vec<u8>, max_side: u32) -> Result<ProcessedImage> {
    let format = check_header(&data)?;
    let permit = DECODERS
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| Error::Internal(e.into()))?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        decode_fitted(&data, format, max_side)
    })
    .await?
}

fn decode_limited(data: &[u8], format: ImageFormat) -> Result<DynamicImage> {
    let mut reader = image::ImageReader::with_format(Cursor::new(data), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SOURCE_SIDE);
    limits.max_image_height = Some(MAX_SOURCE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    reader
        .decode()
        .map_err(|_| Error::invalid("file", "could not be read as an image"))
}

/// Decodes (within [`image::Limits`]) and scales to fit; blocking and CPU-bound.
fn decode_fitted(data: &[u8], format: ImageFormat, max_side: u32) -> Result<ProcessedImage> {
    let img = decode_limited(data, format)?;
    let has_alpha = img.color().has_alpha();
    let (w, h) = (img.width(), img.height());
    let scale = f64::from(max_side) / f64::from(w.max(h));
    let resized = if scale < 1.0 {
        let nw = ((f64::from(w) * scale).round() as u32).max(1);
        let nh = ((f64::from(h) * scale).round() as u32).max(1);
        if w.max(h) > 4 * max_side {
            let halfway = imageops::thumbnail(&img, 2 * nw, 2 * nh);
            imageops::resize(&halfway, nw, nh, FilterType::Lanczos3)
        } else {
            imageops::resize(&img, nw, nh, FilterType::Lanczos3)
        }
    } else {
        img.to_rgba8()
    };
    drop(img);
    encode(resized, has_alpha)
}

fn encode(resized: image::RgbaImage, has_alpha: bool) -> Result<ProcessedImage> {
    let (width, height) = resized.dimensions();
    let mut out = Cursor::new(Vec::new());
    let extension = if has_alpha {
        resized
            .write_to(&mut out, ImageFormat::Png)
            .map_err(|e| Error::Internal(e.into()))?;
        "png"
    } else {
        DynamicImage::ImageRgba8(resized)
            .to_rgb8()
            .write_to(&mut out, ImageFormat::Jpeg)
            .map_err(|e| Error::Internal(e.into()))?;
        "jpg"
    };
    Ok(ProcessedImage {
        bytes: out.into_inner(),
        extension,
        width,
        height,
    })
}

/// Checks that `data` is a PNG, JPEG, GIF or WebP image (by its content, not its name) of a
/// sane size, crops it square and scales it to `side` pixels. Images with transparency stay
/// PNG, others become JPEG. The header is checked first; decoding then waits for a free core
/// and runs off the async workers.
pub async fn square_image(data: Vec<u8>, side: u32) -> Result<ProcessedImage> {
    let format = check_header(&data)?;
    let permit = DECODERS
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| Error::Internal(e.into()))?;
    // The permit goes with the work: a request that is abandoned midway still holds its core
    // until the decoding it started has finished.
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        decode_square(&data, format, side)
    })
    .await?
}

/// The format and size from the header alone: refuses what is not an allowed image, or is
/// larger than [`MAX_SOURCE_PIXELS`] or [`MAX_SOURCE_SIDE`], before anything is decoded.
fn check_header(data: &[u8]) -> Result<ImageFormat> {
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
    let (w, h) = image::ImageReader::with_format(Cursor::new(data), format)
        .into_dimensions()
        .map_err(|_| Error::invalid("file", "could not be read as an image"))?;
    if w == 0 || h == 0 {
        return Err(Error::invalid("file", "could not be read as an image"));
    }
    if w > MAX_SOURCE_SIDE || h > MAX_SOURCE_SIDE || u64::from(w) * u64::from(h) > MAX_SOURCE_PIXELS
    {
        return Err(Error::invalid(
            "file",
            format!(
                "is {w}×{h} pixels; images may have at most {} megapixels and {MAX_SOURCE_SIDE} pixels a side",
                MAX_SOURCE_PIXELS / 1_000_000
            ),
        ));
    }
    Ok(format)
}

/// Decodes (within [`image::Limits`]), crops and scales; blocking and CPU-bound.
fn decode_square(data: &[u8], format: ImageFormat, side: u32) -> Result<ProcessedImage> {
    let img = decode_limited(data, format)?;
    let (w, h) = (img.width(), img.height());
    let has_alpha = img.color().has_alpha();
    let s = w.min(h);
    // A view of the square, scaled straight into a small picture: no copy of the large one.
    // A large source is first averaged down to twice the size (fast, one pass over it), then
    // filtered to the final size.
    let square = imageops::crop_imm(&img, (w - s) / 2, (h - s) / 2, s, s);
    let resized = if s > 4 * side {
        let halfway = imageops::thumbnail(&*square, 2 * side, 2 * side);
        imageops::resize(&halfway, side, side, FilterType::Lanczos3)
    } else if s > side {
        imageops::resize(&*square, side, side, FilterType::Lanczos3)
    } else {
        square.to_image()
    };
    drop(img);
    encode(resized, has_alpha)
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
        crate::federation::ids::random_token(),
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

    fn process(data: &[u8]) -> Result<ProcessedImage> {
        check_header(data).and_then(|format| decode_square(data, format, 256))
    }

    #[test]
    fn crops_and_resizes() {
        let p = process(&png(600, 300)).unwrap();
        assert_eq!(p.extension, "png");
        let back = image::load_from_memory(&p.bytes).unwrap();
        assert_eq!((back.width(), back.height()), (256, 256));
        let mut jpeg = Cursor::new(Vec::new());
        DynamicImage::new_rgb8(300, 500)
            .write_to(&mut jpeg, ImageFormat::Jpeg)
            .unwrap();
        let p = process(&jpeg.into_inner()).unwrap();
        assert_eq!(p.extension, "jpg");
        let back = image::load_from_memory(&p.bytes).unwrap();
        assert_eq!((back.width(), back.height()), (256, 256));
        // Large ones are averaged down first.
        let p = process(&png(2400, 1100)).unwrap();
        let back = image::load_from_memory(&p.bytes).unwrap();
        assert_eq!((back.width(), back.height()), (256, 256));
        // Small pictures are cropped, not enlarged.
        let p = process(&png(40, 90)).unwrap();
        let back = image::load_from_memory(&p.bytes).unwrap();
        assert_eq!((back.width(), back.height()), (40, 40));
    }

    #[test]
    fn refuses_non_images() {
        assert!(matches!(process(b"<svg></svg>"), Err(Error::Invalid(_))));
        assert!(matches!(process(b""), Err(Error::Invalid(_))));
        let mut fake = png(10, 10);
        fake.truncate(30);
        assert!(matches!(process(&fake), Err(Error::Invalid(_))));
    }

    #[test]
    fn fits_without_cropping() {
        let p = check_header(&png(1200, 600))
            .and_then(|f| decode_fitted(&png(1200, 600), f, 400))
            .unwrap();
        assert_eq!((p.width, p.height), (400, 200));
        let back = image::load_from_memory(&p.bytes).unwrap();
        assert_eq!((back.width(), back.height()), (400, 200));
        // Small pictures stay as they are.
        let p = decode_fitted(&png(30, 70), ImageFormat::Png, 400).unwrap();
        assert_eq!((p.width, p.height), (30, 70));
    }

    #[test]
    fn keys() {
        assert!(valid_key("avatars/abc-1.png"));
        assert!(!valid_key("../etc/passwd"));
        assert!(!valid_key("avatars/../../x.png"));
        assert!(!valid_key("other/x.png"));
        assert!(valid_key("posts/abc.jpg"));
    }
}
