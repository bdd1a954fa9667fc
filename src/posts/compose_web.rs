//! The composer's `POST /posts`: a form (replies, comments) or a multipart form with up to
//! four pictures, each with its alt text (`file1`…`file4`, `alt1`…`alt4`), uploaded as the API's
//! `POST /api/v1/media` does and attached to the new post.

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, StatusCode};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use super::links::link_of;
use super::media::{self, upload_error, MAX_PER_POST};
use super::service::{self, Draft};
use super::web::home_page;
use crate::accounts::session::User;
use crate::accounts::Account;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::validate::FieldErrors;
use crate::web::page::{redirect_with_notice, safe_next, PageCtx};

#[derive(Deserialize, Default)]
pub(super) struct CreateForm {
    #[serde(flatten)]
    draft: Draft,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    to_list: String,
}

/// A picture chosen in the composer: its place (1 to 4), bytes and alt text.
struct Chosen {
    place: usize,
    data: Vec<u8>,
    alt: String,
}

/// Reads the composer's multipart form: its text fields and chosen pictures.
async fn read_multipart(mut multipart: Multipart) -> Result<(CreateForm, Vec<Chosen>)> {
    let mut form = CreateForm::default();
    let mut files: Vec<(usize, Vec<u8>)> = Vec::new();
    let mut alts: Vec<(usize, String)> = Vec::new();
    while let Some(part) = multipart.next_field().await.map_err(upload_error)? {
        let name = part.name().unwrap_or_default().to_string();
        let place = |prefix: &str| {
            name.strip_prefix(prefix)
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| (1..=MAX_PER_POST).contains(n))
        };
        if let Some(n) = place("file") {
            let data = part.bytes().await.map_err(upload_error)?;
            // A file input left empty still sends an empty part.
            if !data.is_empty() {
                files.push((n, data.to_vec()));
            }
            continue;
        }
        let value = part.text().await.map_err(upload_error)?;
        if let Some(n) = place("alt") {
            alts.push((n, value));
            continue;
        }
        let d = &mut form.draft;
        match name.as_str() {
            "text" | "content" => d.text = value,
            "name" => d.name = value,
            "summary" => d.summary = value,
            "visibility" => d.visibility = value,
            "in_reply_to" => d.in_reply_to = Some(value),
            "as" => d.as_actor = value,
            "next" => form.next = Some(value),
            "to_list" => form.to_list = value,
            _ => {}
        }
    }
    files.sort_by_key(|(n, _)| *n);
    let chosen = files
        .into_iter()
        .map(|(place, data)| Chosen {
            place,
            alt: alts
                .iter()
                .find(|(n, _)| *n == place)
                .map(|(_, a)| a.clone())
                .unwrap_or_default(),
            data,
        })
        .collect();
    Ok((form, chosen))
}

/// Uploads the chosen pictures in order; errors name the field of the picture at fault.
async fn upload_all(
    state: &AppState,
    account: &Account,
    chosen: Vec<Chosen>,
) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    let mut errors = FieldErrors::new();
    for c in chosen {
        let field = format!("file{}", c.place);
        match media::upload(state, account, c.data, &c.alt, &field).await {
            Ok(m) => ids.push(m.token),
            Err(Error::Invalid(e)) => errors.0.extend(e.0),
            Err(e) => return Err(e),
        }
    }
    errors.into_result().map_err(Error::Invalid)?;
    Ok(ids)
}

pub(super) async fn create(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    crate::web::client::ClientIp(from): crate::web::client::ClientIp,
    request: Request,
) -> Result<Response> {
    state.limits.check(crate::web::rate::Bucket::Posts, from)?;
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (mut form, chosen) = if multipart {
        let m = Multipart::from_request(request, &state)
            .await
            .map_err(|e| Error::BadRequest(e.body_text()))?;
        read_multipart(m).await?
    } else {
        let Form(f) = Form::<CreateForm>::from_request(request, &state)
            .await
            .map_err(|e| Error::BadRequest(e.body_text()))?;
        (f, Vec::new())
    };
    if !form.to_list.trim().is_empty() {
        form.draft.to = form
            .to_list
            .split([',', ' ', '\n'])
            .map(str::to_string)
            .collect();
    }
    let pictures = chosen.len();
    let result = async {
        let author = service::author_for(&state, &user.account, &form.draft.as_actor).await?;
        if !chosen.is_empty() {
            state
                .limits
                .check(crate::web::rate::Bucket::Uploads, from)?;
            form.draft.media_ids = upload_all(&state, &user.account, chosen).await?;
        }
        service::create(&state, &user.account, &author, &form.draft).await
    }
    .await;
    match result {
        Ok(post) => {
            let to = match form.next.as_deref() {
                Some(n) if !n.is_empty() => safe_next(Some(n)),
                _ => link_of(&post),
            };
            let notice = match pictures {
                0 => "Posted.".to_string(),
                1 => "Posted with 1 picture.".to_string(),
                n => format!("Posted with {n} pictures."),
            };
            Ok(redirect_with_notice(&to, &notice))
        }
        Err(Error::Invalid(errors)) => {
            home_page(
                &state,
                ctx,
                &user.account,
                0,
                form.draft,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e),
    }
}
