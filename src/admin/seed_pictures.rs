//! Pictures for the demo space, drawn here (no network, no files): a portrait silhouette on a
//! colour of its own for each member, a simple geometric mark for each company. Each goes
//! through the same checks and resizing as an upload.

use std::io::Cursor;

use image::{ImageFormat, Rgb, RgbImage};

use crate::admin::users::describe;
use crate::state::AppState;
use crate::{accounts, companies};

const SIDE: u32 = 256;

/// Backgrounds and marks, muted enough for white text elsewhere on the page.
const PALETTE: &[([u8; 3], [u8; 3])] = &[
    ([31, 95, 139], [214, 232, 245]),
    ([37, 107, 58], [220, 240, 226]),
    ([164, 38, 44], [250, 225, 226]),
    ([140, 90, 20], [250, 236, 210]),
    ([88, 60, 150], [232, 225, 248]),
    ([20, 120, 130], [214, 241, 243]),
];

fn colours(seed: &str) -> ([u8; 3], [u8; 3]) {
    let n = seed
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
    PALETTE[n as usize % PALETTE.len()]
}

fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)
        .expect("a PNG encodes into memory");
    out.into_inner()
}

/// A head and shoulders in a light tone on a strong one.
pub fn avatar_png(seed: &str) -> Vec<u8> {
    let (bg, fg) = colours(seed);
    let img = RgbImage::from_fn(SIDE, SIDE, |x, y| {
        let (x, y) = (x as f32, y as f32);
        let head = (x - 128.0).powi(2) + (y - 104.0).powi(2) <= 46.0f32.powi(2);
        let shoulders = ((x - 128.0) / 92.0).powi(2) + ((y - 256.0) / 86.0).powi(2) <= 1.0;
        Rgb(if head || shoulders { fg } else { bg })
    });
    png(&img)
}

/// A company's mark: one of four shapes, in its colours.
pub fn logo_png(seed: &str, style: usize) -> Vec<u8> {
    let (bg, fg) = colours(seed);
    let img = RgbImage::from_fn(SIDE, SIDE, |x, y| {
        let (fx, fy) = (x as f32 - 128.0, y as f32 - 128.0);
        let on = match style % 4 {
            // A diamond.
            0 => fx.abs() + fy.abs() <= 84.0,
            // Rings.
            1 => {
                let r = (fx * fx + fy * fy).sqrt();
                r <= 90.0 && (r / 18.0) as i32 % 2 == 0
            }
            // Diagonal stripes in a square.
            2 => fx.abs() <= 80.0 && fy.abs() <= 80.0 && ((x + y) / 24) % 2 == 0,
            // Four tiles.
            _ => {
                let (a, b) = (fx.abs(), fy.abs());
                (12.0..=80.0).contains(&a) && (12.0..=80.0).contains(&b)
            }
        };
        Rgb(if on { fg } else { bg })
    });
    png(&img)
}

/// Gives each demo member and company without a picture one; returns how many were added.
pub(super) async fn add_pictures(
    state: &AppState,
    members: &[&str],
    companies_: &[&str],
) -> anyhow::Result<usize> {
    let mut added = 0;
    for handle in members {
        let Some(account) = accounts::store::by_handle(&state.db, handle)
            .await
            .map_err(describe)?
        else {
            continue;
        };
        if account.avatar_url().is_some() {
            continue;
        }
        let image = crate::media::square_image(avatar_png(handle), SIDE)
            .await
            .map_err(describe)?;
        let key = crate::media::new_key("avatars", &image);
        state.media.put(&key, image.bytes).await.map_err(describe)?;
        accounts::store::set_avatar(&state.db, account.id, Some(&key))
            .await
            .map_err(describe)?;
        added += 1;
    }
    for (i, handle) in companies_.iter().enumerate() {
        let Some(company) = companies::store::by_handle(&state.db, handle)
            .await
            .map_err(describe)?
        else {
            continue;
        };
        if company.logo_url().is_some() {
            continue;
        }
        let image = crate::media::square_image(logo_png(handle, i), SIDE)
            .await
            .map_err(describe)?;
        let key = crate::media::new_key("logos", &image);
        state.media.put(&key, image.bytes).await.map_err(describe)?;
        companies::store::set_logo(&state.db, company.id, Some(&key))
            .await
            .map_err(describe)?;
        added += 1;
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_pictures_are_pngs_of_their_own() {
        let ada = avatar_png("ada");
        assert!(ada.starts_with(b"\x89PNG"));
        let decoded = image::load_from_memory(&ada).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (SIDE, SIDE));
        let logos: Vec<Vec<u8>> = (0..4).map(|i| logo_png("quay", i)).collect();
        for (i, a) in logos.iter().enumerate() {
            for b in &logos[i + 1..] {
                assert_ne!(a, b, "each style draws something else");
            }
        }
    }
}
