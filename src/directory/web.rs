//! Pages: the directory (`/directory`, which serves the AS2 collection to servers that ask
//! for it), the local rendering of one entry (`/directory/entry?uri=`), and the
//! administrator's known spaces (`/admin/peers`).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::index::{FacetCount, Facets};
use super::model::{Entry, Kind};
use super::peers::{self, PeerForm};
use super::publish::{self, CollectionQuery};
use super::search::{self, SearchParams};
use super::store::{self, Peer};
use crate::accounts::session::Admin;
use crate::error::{Error, Result};
use crate::federation::negotiate::{vary_accept, wants_activity_json};
use crate::state::AppState;
use crate::validate::FieldErrors;
use crate::web::page::{redirect_with_notice, render, render_status, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/directory", get(directory))
        .route("/directory/entry", get(entry_page))
        .route("/admin/peers", get(peers_page).post(add_peer))
        .route("/admin/peers/remove", post(remove_peer))
        .route("/admin/peers/sync", post(sync_now))
        .route("/admin/directory", post(set_publishing))
}

/// One facet of the page: its name, its values with counts and links, and how to clear it.
pub struct FacetView {
    pub key: &'static str,
    pub title: &'static str,
    pub chosen: String,
    pub clear: String,
    pub values: Vec<FacetValue>,
}

pub struct FacetValue {
    pub label: String,
    pub count: i64,
    pub href: String,
    pub chosen: bool,
}

#[derive(Template)]
#[template(path = "directory/search.html")]
struct DirectoryPage {
    ctx: PageCtx,
    params: SearchParams,
    errors: FieldErrors,
    total: i64,
    page: i64,
    has_more: bool,
    entries: Vec<Entry>,
    facets: Vec<FacetView>,
    hiring: (i64, String, bool),
    collaborate: (i64, String, bool),
    resolved: Option<Entry>,
    resolve_error: Option<String>,
}

impl DirectoryPage {
    /// The filters in force, carried along when the query text changes.
    fn hidden_fields(&self) -> Vec<(&'static str, String)> {
        let p = &self.params;
        [
            ("kind", &p.kind),
            ("industry", &p.industry),
            ("skill", &p.skill),
            ("city", &p.city),
            ("country", &p.country),
            ("space", &p.space),
            ("hiring", &p.hiring),
            ("collaborate", &p.collaborate),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k, v.trim().to_string()))
        .collect()
    }

    fn prev(&self) -> String {
        format!(
            "/directory{}",
            self.params.with("page", &(self.page - 1).to_string())
        )
    }

    fn next(&self) -> String {
        format!(
            "/directory{}",
            self.params.with("page", &(self.page + 1).to_string())
        )
    }
}

fn facet_view(
    params: &SearchParams,
    key: &'static str,
    title: &'static str,
    chosen: &str,
    counts: &[FacetCount],
) -> FacetView {
    FacetView {
        key,
        title,
        chosen: chosen.to_string(),
        clear: format!("/directory{}", params.with(key, "")),
        values: counts
            .iter()
            .map(|c| (c, chosen.eq_ignore_ascii_case(&c.value)))
            .map(|(c, is_chosen)| FacetValue {
                label: if c.label.is_empty() {
                    c.value.clone()
                } else {
                    c.label.clone()
                },
                count: c.count,
                // A chosen value's link takes the filter off again.
                href: format!(
                    "/directory{}",
                    params.with(key, if is_chosen { "" } else { &c.value })
                ),
                chosen: is_chosen,
            })
            .collect(),
    }
}

fn facet_views(params: &SearchParams, f: &Facets) -> Vec<FacetView> {
    vec![
        facet_view(params, "kind", "Kind", &params.kind, &f.kind),
        facet_view(params, "skill", "Skills", &params.skill, &f.skill),
        facet_view(
            params,
            "industry",
            "Industry",
            &params.industry,
            &f.industry,
        ),
        facet_view(params, "city", "City", &params.city, &f.city),
        facet_view(params, "country", "Country", &params.country, &f.country),
        facet_view(params, "space", "Space", &params.space, &f.space),
    ]
}

async fn directory(
    State(state): State<AppState>,
    headers: HeaderMap,
    ctx: PageCtx,
    Query(raw): Query<Vec<(String, String)>>,
) -> Result<Response> {
    if wants_activity_json(&headers) {
        let q = CollectionQuery {
            after: value(&raw, "after"),
            limit: value(&raw, "limit"),
        };
        return publish::serve(&state, &q).await;
    }
    let params = SearchParams {
        q: value(&raw, "q").unwrap_or_default(),
        kind: value(&raw, "kind").unwrap_or_default(),
        industry: value(&raw, "industry").unwrap_or_default(),
        skill: value(&raw, "skill").unwrap_or_default(),
        city: value(&raw, "city").unwrap_or_default(),
        country: value(&raw, "country").unwrap_or_default(),
        space: value(&raw, "space").unwrap_or_default(),
        hiring: value(&raw, "hiring").unwrap_or_default(),
        collaborate: value(&raw, "collaborate").unwrap_or_default(),
        from: value(&raw, "from").unwrap_or_default(),
        to: value(&raw, "to").unwrap_or_default(),
        page: value(&raw, "page").unwrap_or_default(),
    };
    let page = match search::run(&state, &params, ctx.is_signed_in()).await {
        Ok(r) => DirectoryPage {
            facets: facet_views(&params, &r.facets),
            hiring: (
                r.facets.hiring,
                format!(
                    "/directory{}",
                    params.with("hiring", if params.hiring.is_empty() { "1" } else { "" })
                ),
                !params.hiring.is_empty(),
            ),
            collaborate: (
                r.facets.collaborate,
                format!(
                    "/directory{}",
                    params.with(
                        "collaborate",
                        if params.collaborate.is_empty() {
                            "1"
                        } else {
                            ""
                        }
                    )
                ),
                !params.collaborate.is_empty(),
            ),
            has_more: r.page * r.per_page < r.total,
            total: r.total,
            page: r.page,
            entries: r.entries,
            resolved: r.resolved,
            resolve_error: r.resolve_error,
            params,
            errors: FieldErrors::new(),
            ctx,
        },
        Err(Error::Invalid(errors)) => {
            let page = DirectoryPage {
                ctx,
                params,
                errors,
                total: 0,
                page: 1,
                has_more: false,
                entries: Vec::new(),
                facets: Vec::new(),
                hiring: (0, String::new(), false),
                collaborate: (0, String::new(), false),
                resolved: None,
                resolve_error: None,
            };
            return Ok(vary_accept(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page,
            )?));
        }
        Err(e) => return Err(e),
    };
    Ok(vary_accept(render(&page)?))
}

/// The first value of `key` in a query string.
fn value(raw: &[(String, String)], key: &str) -> Option<String> {
    raw.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

#[derive(Template)]
#[template(path = "directory/entry.html")]
struct EntryPage {
    ctx: PageCtx,
    entry: Entry,
    /// Where this space shows the same thing with its own features: a received event's page
    /// (with its RSVP) or a remote project's board.
    here: Option<String>,
}

impl EntryPage {
    fn kind_label(&self) -> &'static str {
        self.entry.kind.label()
    }

    fn is_event(&self) -> bool {
        self.entry.kind == Kind::Event
    }

    /// A peer space's entry: where a member asks it for a desk or a room (visits across
    /// spaces).
    fn visit_link(&self) -> Option<String> {
        (self.entry.kind == Kind::Space && !self.entry.local && self.ctx.is_signed_in()).then(
            || {
                format!(
                    "/visits?space={}",
                    crate::federation::urls::urlencode(&self.entry.origin)
                )
            },
        )
    }

    /// A remote event this space has not received yet can be fetched by a member.
    fn can_fetch_event(&self) -> bool {
        self.is_event() && self.here.is_none() && self.ctx.is_signed_in()
    }

    fn here_label(&self) -> &'static str {
        match self.entry.kind {
            Kind::Event => "Open the event here",
            _ => "Open the project board here",
        }
    }
}

/// The local page for a remote event or project, when this space already knows it.
async fn local_page_of(state: &AppState, entry: &Entry) -> Result<Option<String>> {
    let uri: String = url::form_urlencoded::byte_serialize(entry.uri.as_bytes()).collect();
    Ok(match entry.kind {
        Kind::Event => crate::events::store::by_uri(&state.db, &entry.uri)
            .await?
            .filter(|e| {
                !e.local
                    && !e.is_deleted()
                    && e.visibility == crate::events::model::EventVisibility::Public
            })
            .map(|e| e.link()),
        Kind::Project => crate::federation::remote::by_uri(&state.db, &entry.uri)
            .await?
            .filter(|g| g.kind == "Group")
            .map(|_| format!("/projects/remote?uri={uri}")),
        _ => None,
    })
}

#[derive(Deserialize)]
struct EntryQuery {
    #[serde(default)]
    uri: String,
}

async fn entry_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<EntryQuery>,
) -> Result<Response> {
    let entry = store::by_uri(&state.db, q.uri.trim())
        .await?
        .ok_or(Error::NotFound)?;
    if entry.local {
        return Ok(Redirect::to(&entry.url).into_response());
    }
    // What the domain rules hide from public views stays hidden here too.
    let host = crate::federation::policy::normalize_host(&entry.origin);
    if crate::federation::policy::decide(&state.db, &host).await?
        != crate::federation::policy::Decision::Allow
    {
        return Err(Error::NotFound);
    }
    let here = local_page_of(&state, &entry).await?;
    render(&EntryPage { ctx, entry, here })
}

#[derive(Template)]
#[template(path = "directory/peers.html")]
struct PeersPage {
    ctx: PageCtx,
    peers: Vec<Peer>,
    publishing: bool,
    form: PeerForm,
    errors: FieldErrors,
    /// Why the space just added could not be reached (shown in red).
    problem: Option<String>,
}

impl PeersPage {
    async fn build(
        state: &AppState,
        ctx: PageCtx,
        form: PeerForm,
        errors: FieldErrors,
    ) -> Result<Self> {
        Ok(PeersPage {
            ctx,
            peers: store::peers(&state.db).await?,
            publishing: store::publishing(&state.db).await?,
            form,
            errors,
            problem: None,
        })
    }

    fn when(&self, ms: &Option<i64>) -> String {
        ms.and_then(chrono::DateTime::from_timestamp_millis)
            .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_else(|| "never".into())
    }
}

async fn peers_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Admin(_): Admin,
) -> Result<Response> {
    render(&PeersPage::build(&state, ctx, PeerForm::default(), FieldErrors::new()).await?)
}

async fn add_peer(
    State(state): State<AppState>,
    ctx: PageCtx,
    Admin(_): Admin,
    Form(form): Form<PeerForm>,
) -> Result<Response> {
    match peers::add(&state, &form.domain).await {
        Ok((peer, created)) => {
            // Checked at once: a space that cannot be reached is reported, not praised.
            let checked = peers::check(&state, &peer.domain).await?;
            if checked.state == "error" {
                let mut page = PeersPage::build(&state, ctx, form, FieldErrors::new()).await?;
                page.problem = Some(format!(
                    "{} is {}, but it could not be reached: {}. It is tried again every {} seconds; \
                     remove it if the domain is wrong.",
                    checked.domain,
                    if created { "added" } else { "known" },
                    checked.last_error.as_deref().unwrap_or("no answer"),
                    state.config.directory_sync_secs
                ));
                return render_status(StatusCode::BAD_GATEWAY, &page);
            }
            Ok(redirect_with_notice(
                "/admin/peers",
                &format!(
                    "{} is {} and answered: {} entries pulled.",
                    checked.domain,
                    if created { "added" } else { "known" },
                    checked.entries
                ),
            ))
        }
        Err(Error::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PeersPage::build(&state, ctx, form, errors).await?,
        ),
        Err(e) => Err(e),
    }
}

async fn remove_peer(
    State(state): State<AppState>,
    Admin(_): Admin,
    Form(form): Form<PeerForm>,
) -> Result<Response> {
    peers::remove(&state.db, &form.domain).await?;
    Ok(redirect_with_notice(
        "/admin/peers",
        "The space and its entries are removed.",
    ))
}

async fn sync_now(State(state): State<AppState>, Admin(_): Admin) -> Result<Response> {
    store::make_all_peers_due(&state.db).await?;
    state.directory.sync_wakeup.notify_one();
    Ok(redirect_with_notice(
        "/admin/peers",
        "Every known space is pulled now.",
    ))
}

#[derive(Deserialize)]
struct PublishForm {
    #[serde(default)]
    publish: Option<String>,
}

async fn set_publishing(
    State(state): State<AppState>,
    Admin(_): Admin,
    Form(form): Form<PublishForm>,
) -> Result<Response> {
    let on = form.publish.is_some();
    store::set_publishing(&state.db, on).await?;
    Ok(redirect_with_notice(
        "/admin/peers",
        if on {
            "This space's directory is published to other spaces."
        } else {
            "This space's directory is no longer published; peers learn of the removal."
        },
    ))
}
