//! Pictures in posts: a member uploads a picture with its alt text (`POST /api/v1/media`, or
//! the composer's file fields), a post takes up to [`MAX_PER_POST`] of the writer's own
//! untaken uploads, and goes out with them as `Image` attachments; received posts keep their
//! `Document`/`Image` pictures as links to their origin.

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;

use super::store::media::{self as store, Media, NewMedia};
use crate::accounts::session::User;
use crate::accounts::Account;
use crate::error::{Error, Result};
use crate::federation::link::{Href, RemoteUrl};
use crate::federation::urls::Urls;
use crate::federation::wire::{Attachment, Link, Note};
use crate::state::AppState;
use crate::storage::Tx;

/// Most pictures a member's post may carry.
pub const MAX_PER_POST: usize = 4;
/// Most pictures kept of a received post.
pub const MAX_RECEIVED: usize = 8;
/// Longest alt text, in characters.
pub const MAX_DESCRIPTION: usize = 1500;
/// Longest side of a stored picture, in pixels.
pub const MAX_SIDE: u32 = 1600;

pub fn router() -> Router<AppState> {
    Router::new().route("/media", post(upload_api))
}

/// An upload as the API shows it.
#[derive(Debug, Serialize)]
pub struct MediaJson {
    pub id: String,
    pub url: String,
    pub description: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
}

impl MediaJson {
    pub fn of(urls: &Urls, m: &Media) -> Self {
        MediaJson {
            id: m.token.clone(),
            url: url_of(urls, m),
            description: m.description.clone(),
            width: m.width,
            height: m.height,
        }
    }
}

fn url_of(urls: &Urls, m: &Media) -> String {
    match (&m.storage_key, &m.remote_url) {
        (Some(key), _) => urls.media(key),
        (None, Some(url)) => url.clone(),
        (None, None) => String::new(),
    }
}

/// A picture as a page shows it: where it is, its alt text and size.
#[derive(Debug, Clone)]
pub struct MediaView {
    pub src: Href,
    pub alt: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub remote: bool,
}

impl MediaView {
    fn of(m: &Media) -> Option<Self> {
        let src = match (&m.storage_key, &m.remote_url) {
            (Some(key), _) => Href::local(format!("/media/{key}"))?,
            (None, Some(url)) => Href::Remote(RemoteUrl::stored(url)?),
            (None, None) => return None,
        };
        Some(MediaView {
            src,
            alt: m.description.clone(),
            width: m.width,
            height: m.height,
            remote: m.storage_key.is_none(),
        })
    }
}

/// The pictures of the posts `ids`, by post id.
pub async fn views_of(
    state: &AppState,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<MediaView>>> {
    let mut out: std::collections::HashMap<i64, Vec<MediaView>> = Default::default();
    for m in store::of_posts(&state.db, ids).await? {
        if let (Some(post), Some(view)) = (m.post_id, MediaView::of(&m)) {
            out.entry(post).or_default().push(view);
        }
    }
    Ok(out)
}

/// The alt text as given: one paragraph of plain text, at most [`MAX_DESCRIPTION`] characters.
fn description(raw: &str, field: &str) -> Result<String> {
    let d: String = raw
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if d.chars().count() > MAX_DESCRIPTION {
        return Err(Error::invalid(
            field,
            format!("is longer than {MAX_DESCRIPTION} characters"),
        ));
    }
    Ok(d)
}

/// Checks, resizes and stores a picture for `account`, not yet in any post.
pub async fn upload(
    state: &AppState,
    account: &Account,
    data: Vec<u8>,
    alt: &str,
    field: &str,
) -> Result<Media> {
    let alt = description(alt, &format!("{field}_description"))?;
    let image = crate::media::fitted_image(data, MAX_SIDE)
        .await
        .map_err(|e| match e {
            Error::Invalid(mut errors) if field != "file" => {
                for e in errors.0.iter_mut() {
                    e.field = field.to_string();
                }
                Error::Invalid(errors)
            }
            other => other,
        })?;
    let key = crate::media::new_key("posts", &image);
    let (width, height, media_type) = (image.width, image.height, image.media_type());
    state.media.put(&key, image.bytes).await?;
    let token = crate::federation::ids::random_token();
    let new = NewMedia {
        token: &token,
        owner: Some(account.id),
        storage_key: Some(&key),
        remote_url: None,
        media_type,
        description: &alt,
        width: Some(i64::from(width)),
        height: Some(i64::from(height)),
    };
    let id = store::insert_upload(&state.db, &new).await?;
    let (media_type, width, height) = (new.media_type.to_string(), new.width, new.height);
    Ok(Media {
        id,
        token,
        owner: Some(account.id),
        post_id: None,
        storage_key: Some(key),
        remote_url: None,
        media_type,
        description: alt,
        width,
        height,
    })
}

/// Checks the list of uploads a post names: at most [`MAX_PER_POST`], no repeats.
pub fn check_ids(ids: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for id in ids.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        if id.len() > 64 {
            return Err(Error::invalid(
                "media_ids",
                "names a picture that is not yours",
            ));
        }
        if !out.iter().any(|o| o == id) {
            out.push(id.to_string());
        }
    }
    if out.len() > MAX_PER_POST {
        return Err(Error::invalid(
            "media_ids",
            format!("may name at most {MAX_PER_POST} pictures"),
        ));
    }
    Ok(out)
}

/// Gives the new post `post_id` the uploads `ids` of `owner`, in order, in the post's
/// transaction; refuses (and so rolls the post back) when one is not the owner's or another
/// post has it.
pub async fn attach(tx: &mut Tx, owner: i64, post_id: i64, ids: &[String]) -> Result<Vec<Media>> {
    for (i, id) in ids.iter().enumerate() {
        if !store::attach(tx, id, owner, post_id, i as i64).await? {
            return Err(Error::invalid(
                "media_ids",
                format!("{id} is not a picture of yours that no post has yet"),
            ));
        }
    }
    store::of_post_tx(tx, post_id).await
}

/// A post's pictures as `attachment`s of its object.
pub fn attachments(urls: &Urls, media: &[Media]) -> Option<Vec<Attachment<String>>> {
    (!media.is_empty()).then(|| {
        media
            .iter()
            .map(|m| Attachment {
                kind: "Image".into(),
                name: Some(m.description.clone()),
                media_type: Some(m.media_type.clone()),
                href: None,
                url: Some(Link(url_of(urls, m))),
                value: None,
                width: m.width.and_then(|w| u32::try_from(w).ok()),
                height: m.height.and_then(|h| u32::try_from(h).ok()),
            })
            .collect()
    })
}

/// A received picture, checked: an `Image`, or a `Document` whose `mediaType` is an image,
/// with an http(s) `url` (the typed layer refused any other scheme).
pub struct Received {
    pub url: String,
    pub media_type: String,
    pub alt: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
}

/// The pictures of a received post, at most [`MAX_RECEIVED`].
pub fn received(note: &Note) -> Vec<Received> {
    let mut out = Vec::new();
    for a in note.attachment.iter().flatten() {
        if out.len() == MAX_RECEIVED {
            break;
        }
        let media_type = a
            .media_type
            .as_deref()
            .map(|m| m.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let is_image = match a.kind.as_str() {
            "Image" => media_type.is_empty() || media_type.starts_with("image/"),
            "Document" => media_type.starts_with("image/"),
            _ => false,
        };
        // SVG can carry scripts; it is shown only as a link, never as a picture.
        if !is_image || media_type.contains("svg") || media_type.len() > 100 {
            continue;
        }
        let Some(url) = a.url.as_ref().or(a.href.as_ref()) else {
            continue;
        };
        let url = url.as_str();
        if url.len() > 2000 {
            continue;
        }
        let alt: String = a
            .name
            .as_deref()
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_DESCRIPTION)
            .collect();
        let size = |v: Option<u32>| v.filter(|n| (1..=100_000).contains(n)).map(i64::from);
        out.push(Received {
            url: url.to_string(),
            media_type: if media_type.is_empty() {
                "image/*".into()
            } else {
                media_type
            },
            alt: alt.trim().to_string(),
            width: size(a.width),
            height: size(a.height),
        });
    }
    out
}

/// Stores the pictures of a received post in its transaction, replacing earlier ones.
pub async fn keep_received(tx: &mut Tx, post_id: i64, pictures: &[Received]) -> Result<()> {
    let tokens: Vec<String> = pictures
        .iter()
        .map(|_| crate::federation::ids::random_token())
        .collect();
    let items: Vec<NewMedia<'_>> = pictures
        .iter()
        .zip(&tokens)
        .map(|(p, token)| NewMedia {
            token,
            owner: None,
            storage_key: None,
            remote_url: Some(&p.url),
            media_type: &p.media_type,
            description: &p.alt,
            width: p.width,
            height: p.height,
        })
        .collect();
    store::replace_remote(tx, post_id, &items).await
}

/// Removes a deleted post's pictures, and the stored files of its uploads.
pub async fn forget(state: &AppState, tx: &mut Tx, post_id: i64) -> Result<()> {
    for key in store::detach_all(tx, post_id).await? {
        state.media.delete(&key).await;
    }
    Ok(())
}

/// How long an upload waits for a post before it is removed: a day, time enough to write one.
pub const UNATTACHED_FOR_MS: i64 = 86_400_000;

/// Removes uploads no post took within [`UNATTACHED_FOR_MS`] (older than `now_ms - age_ms`),
/// rows and stored files; returns how many.
pub async fn prune_unattached(state: &AppState, age_ms: i64) -> Result<usize> {
    let keys = store::delete_unattached(&state.db, crate::storage::now_ms() - age_ms).await?;
    for key in &keys {
        state.media.delete(key).await;
    }
    Ok(keys.len())
}

/// `POST /api/v1/media`: multipart with `file` and `description` (the alt text).
async fn upload_api(
    State(state): State<AppState>,
    User(user): User,
    crate::web::client::ClientIp(from): crate::web::client::ClientIp,
    mut multipart: Multipart,
) -> Result<Response> {
    state
        .limits
        .check(crate::web::rate::Bucket::Uploads, from)?;
    let mut file = None;
    let mut alt = String::new();
    while let Some(part) = multipart.next_field().await.map_err(upload_error)? {
        match part.name() {
            Some("file") => file = Some(part.bytes().await.map_err(upload_error)?.to_vec()),
            Some("description") => alt = part.text().await.map_err(upload_error)?,
            _ => {}
        }
    }
    let data = file.ok_or_else(|| Error::invalid("file", "is missing: choose a file to upload"))?;
    let media = upload(&state, &user.account, data, &alt, "file").await?;
    let urls = Urls::new(&state.config);
    Ok((StatusCode::CREATED, Json(MediaJson::of(&urls, &media))).into_response())
}

pub fn upload_error(e: axum::extract::multipart::MultipartError) -> Error {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Error::TooLarge("The upload is too large.".into())
    } else {
        Error::BadRequest(format!("The upload could not be read: {}", e.body_text()))
    }
}
