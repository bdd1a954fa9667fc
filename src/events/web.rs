//! Pages: upcoming events, the create/edit form, an event with its participants, RSVP
//! buttons and comments (also its ActivityStreams document and its `.ics` by the same
//! address), remote events, and the organiser's approve / reject / cancel / delete.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::cards::{cards, EventCard};
use super::model::{Event, EventVisibility, JoinMode, Participant, RsvpState, CATEGORIES};
use super::service::{self, Draft};
use super::{access, inbound, lists, store, times};
use crate::accounts::session::{MaybeUser, User};
use crate::accounts::Account;
use crate::error::{Error, Result};
use crate::federation::object::{self, ObjectRequest, ObjectRoute};
use crate::federation::remote::RemoteActor;
use crate::federation::urls::{urlencode, Urls};
use crate::federation::Context;
use crate::posts::access::{can_read, Viewer};
use crate::posts::people::{self, Person};
use crate::posts::web::{present, PostView};
use crate::state::AppState;
use crate::validate::FieldErrors;
use crate::web::page::{redirect_with_notice, render, render_status, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events", get(list).post(create))
        .route("/events/new", get(new_form))
        .route("/events/remote", get(remote_page))
        .route("/events/remote.ics", get(remote_ics))
        .route("/events/lookup", post(lookup))
        .route("/events/join", post(join))
        .route("/events/leave", post(leave))
        .route("/events/{token}", get(show))
        .route("/events/{token}/edit", get(edit_form).post(edit))
        .route("/events/{token}/cancel", post(cancel))
        .route("/events/{token}/delete", post(delete))
        .route("/events/{token}/participants/{id}/{decision}", post(decide))
        .route("/events/{token}/invite", post(invite))
        .merge(super::upcoming::router())
}

#[derive(Template)]
#[template(path = "events/list.html")]
struct ListPage {
    ctx: PageCtx,
    events: Vec<EventCard>,
    errors: FieldErrors,
    url: String,
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    MaybeUser(user): MaybeUser,
) -> Result<Response> {
    let events = lists::upcoming(&state, user.is_some(), 100).await?;
    render(&ListPage {
        events: cards(&state, events).await?,
        errors: FieldErrors::new(),
        url: String::new(),
        ctx,
    })
}

#[derive(Template)]
#[template(path = "events/form.html")]
struct FormPage {
    ctx: PageCtx,
    /// `None` for a new event, else its token.
    token: Option<String>,
    draft: Draft,
    errors: FieldErrors,
    voices: Vec<(String, String)>,
}

impl FormPage {
    fn categories(&self) -> &'static [(&'static str, &'static str)] {
        CATEGORIES
    }
    fn join_modes(&self) -> [JoinMode; 4] {
        [
            JoinMode::Free,
            JoinMode::Approval,
            JoinMode::Invite,
            JoinMode::External,
        ]
    }
    fn visibilities(&self) -> [EventVisibility; 3] {
        [
            EventVisibility::Public,
            EventVisibility::Followers,
            EventVisibility::Members,
        ]
    }
    /// The IANA zone names, for the time zone field's suggestions.
    fn zones(&self) -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
    }
    fn is(&self, field: &str, value: &str) -> bool {
        let current = match field {
            "join_mode" => &self.draft.join_mode,
            "visibility" => &self.draft.visibility,
            "category" => &self.draft.category,
            "as" => &self.draft.as_actor,
            _ => return false,
        };
        current.eq_ignore_ascii_case(value)
            || (current.is_empty()
                && matches!(
                    (field, value),
                    ("join_mode", "free") | ("visibility", "public") | ("category", "MEETING")
                ))
    }
}

async fn new_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
) -> Result<Response> {
    render(&FormPage {
        token: None,
        draft: Draft {
            timezone: "UTC".into(),
            ..Draft::default()
        },
        errors: FieldErrors::new(),
        voices: crate::posts::web::voices(&state, &user.account).await?,
        ctx,
    })
}

async fn create(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Form(draft): Form<Draft>,
) -> Result<Response> {
    let result =
        match crate::posts::service::author_for(&state, &user.account, &draft.as_actor).await {
            Ok(organizer) => service::create(&state, &user.account, &organizer, &draft).await,
            Err(e) => Err(e),
        };
    match result {
        Ok(event) => Ok(redirect_with_notice(&event.link(), "Event published.")),
        Err(Error::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &FormPage {
                token: None,
                voices: crate::posts::web::voices(&state, &user.account).await?,
                draft,
                errors,
                ctx,
            },
        ),
        Err(e) => Err(e),
    }
}

fn local_uri(state: &AppState, token: &str) -> String {
    format!("{}/events/{token}", Urls::new(&state.config).base())
}

#[derive(Template)]
#[template(path = "events/show.html")]
struct ShowPage {
    ctx: PageCtx,
    event: Event,
    organizer: Person,
    when: String,
    can_edit: bool,
    /// The signed-in member's RSVP, if any.
    mine: Option<RsvpState>,
    can_join: bool,
    seated: Vec<Person>,
    waiting: Vec<(Participant, Person)>,
    replies: Vec<PostView>,
    reply_to: String,
    next: String,
    errors: FieldErrors,
    ics: Option<String>,
}

impl ShowPage {
    fn mine_is(&self, s: &str) -> bool {
        self.mine.is_some_and(|m| m.as_str() == s)
    }
}

/// An event's page, its document for servers, or its `.ics`.
async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    MaybeUser(user): MaybeUser,
    Path(token): Path<String>,
    request: ObjectRequest,
) -> Result<Response> {
    let (token, ics) = match token.strip_suffix(".ics") {
        Some(t) => (t.to_string(), true),
        None => (token, false),
    };
    if token.len() > 64 {
        return Err(Error::NotFound);
    }
    let account = user.map(|u| u.account);
    let event = match store::by_uri(&state.db, &local_uri(&state, &token)).await? {
        // A suspended member's event is not there for anyone but the moderators (as the
        // member's profile is not), pages, documents and `.ics` alike.
        Some(e) if e.local => {
            let hidden = crate::moderation::blocks::hidden_by_suspension(
                &state,
                &e.organizer,
                account.as_ref(),
            )
            .await?;
            (!hidden).then_some(e)
        }
        _ => None,
    };
    let request = if ics { request.fixed() } else { request };
    let route = EventRoute {
        state: &state,
        ctx,
        account,
        ics,
    };
    object::serve(&request, event.into(), route).await
}

/// Serving a local event at its address (`ics`: its `.ics` form).
struct EventRoute<'a> {
    state: &'a AppState,
    ctx: PageCtx,
    account: Option<Account>,
    ics: bool,
}

impl ObjectRoute for EventRoute<'_> {
    type Object = Event;
    type Viewer = Viewer;
    type Document = serde_json::Value;

    fn browser(&self) -> Viewer {
        Viewer::from(self.account.clone())
    }
    fn server(&self, signer: Option<RemoteActor>) -> Viewer {
        Viewer::from(signer)
    }
    fn context(&self) -> Option<&Context> {
        Some(self.state)
    }
    async fn may_see(&self, event: &Event, viewer: &Viewer) -> Result<bool> {
        service::can_see(self.state, event, viewer).await
    }
    async fn document(&self, event: &Event) -> Result<serde_json::Value> {
        service::document(self.state, event).await
    }
    async fn page(self, event: Event, viewer: Viewer) -> Result<Response> {
        if self.ics {
            let title = event.title.clone();
            return Ok(crate::calendar::web::ics_response(
                self.state,
                &title,
                vec![event],
            ));
        }
        event_page(self.state, self.ctx, self.account.as_ref(), &viewer, event).await
    }
}

async fn event_page(
    state: &AppState,
    ctx: PageCtx,
    account: Option<&Account>,
    viewer: &Viewer,
    mut event: Event,
) -> Result<Response> {
    let urls = Urls::new(&state.config);
    let can_edit = match account {
        Some(a) => service::organises(state, a, &event).await?,
        None => false,
    };
    let mine = match account {
        Some(a) => store::participant(&state.db, event.id, &urls.member(&a.handle))
            .await?
            .map(|p| p.state),
        None => None,
    };
    let participants = store::participants(&state.db, event.id).await?;
    // The count as it is after those reads, so the seats shown never lag the answer shown
    // (an organiser's `Accept` may land between reading the event and reading its people).
    if let Some(taken) = store::seats_taken(&state.db, event.id).await? {
        event.participant_count = taken;
    }
    let people = people::people(
        state,
        participants.iter().map(|p| p.actor.clone()).collect(),
    )
    .await?;
    let person = |uri: &str| {
        people
            .get(uri)
            .cloned()
            .unwrap_or_else(|| Person::unknown(uri))
    };
    let seated = participants
        .iter()
        .filter(|p| p.state == RsvpState::Accepted)
        .map(|p| person(&p.actor))
        .collect();
    let waiting = if can_edit {
        participants
            .iter()
            .filter(|p| p.state == RsvpState::Pending)
            .map(|p| (p.clone(), person(&p.actor)))
            .collect()
    } else {
        Vec::new()
    };
    let mut replies = Vec::new();
    for r in crate::posts::store::replies(&state.db, &event.uri, 200).await? {
        if can_read(state, &r, viewer).await? {
            replies.push(r);
        }
    }
    let organizer = people::people(state, vec![event.organizer.clone()])
        .await?
        .remove(&event.organizer)
        .unwrap_or_else(|| Person::unknown(&event.organizer));
    let can_join = account.is_some()
        && !can_edit
        && !event.is_cancelled()
        && event.ends_at >= crate::storage::now_ms()
        && matches!(event.join_mode, JoinMode::Free | JoinMode::Approval)
        && account.is_some_and(|a| urls.member(&a.handle) != event.organizer);
    render(&ShowPage {
        when: times::span(event.starts_at, event.ends_at, &event.timezone),
        replies: present(state, replies, account).await?,
        reply_to: event.uri.clone(),
        next: event.link(),
        errors: FieldErrors::new(),
        ics: Some(if event.local {
            format!("/events/{}.ics", event.token())
        } else {
            format!("/events/remote.ics?uri={}", urlencode(&event.uri))
        }),
        organizer,
        can_edit,
        mine,
        can_join,
        seated,
        waiting,
        event,
        ctx,
    })
}

#[derive(Deserialize)]
struct UriQuery {
    #[serde(default)]
    uri: String,
}

/// A received event, as far as this space knows it.
async fn remote_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    MaybeUser(user): MaybeUser,
    Query(q): Query<UriQuery>,
) -> Result<Response> {
    let uri = q.uri.trim();
    let event = match store::by_uri(&state.db, uri).await? {
        Some(event) => event,
        // A shared link to an event nobody here has looked up yet: a member's visit fetches it
        // (as the lookup form does); a stranger's does not make this server fetch anything.
        None if user.is_some() => match inbound::lookup(&state, uri).await {
            Ok(event) => event,
            Err(Error::Invalid(_)) => return Err(Error::NotFound),
            Err(e) => return Err(e),
        },
        None => return Err(Error::NotFound),
    };
    if event.local {
        return Ok(Redirect::to(&event.link()).into_response());
    }
    let account = user.map(|u| u.account);
    let viewer = Viewer::from(account.clone());
    let event = access::shown(&state, event, &viewer).await?;
    event_page(&state, ctx, account.as_ref(), &viewer, event).await
}

/// A received event as iCalendar, for "add to calendar" on its page here.
async fn remote_ics(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(q): Query<UriQuery>,
) -> Result<Response> {
    let event = store::by_uri(&state.db, q.uri.trim())
        .await?
        .filter(|e| !e.local && !e.is_deleted())
        .ok_or(Error::NotFound)?;
    let viewer = Viewer::from(user.map(|u| u.account));
    if !service::can_see(&state, &event, &viewer).await? {
        return Err(Error::NotFound);
    }
    let title = event.title.clone();
    Ok(crate::calendar::web::ics_response(
        &state,
        &title,
        vec![event],
    ))
}

#[derive(Deserialize)]
struct LookupForm {
    #[serde(default)]
    url: String,
}

async fn lookup(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(_user): User,
    Form(form): Form<LookupForm>,
) -> Result<Response> {
    match inbound::lookup(&state, &form.url).await {
        Ok(event) => Ok(Redirect::to(&event.link()).into_response()),
        Err(Error::Invalid(errors)) => {
            let events = lists::upcoming(&state, true, 100).await?;
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ListPage {
                    events: cards(&state, events).await?,
                    errors,
                    url: form.url,
                    ctx,
                },
            )
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct RsvpForm {
    #[serde(default)]
    uri: String,
}

async fn join(
    State(state): State<AppState>,
    User(user): User,
    Form(form): Form<RsvpForm>,
) -> Result<Response> {
    let event = store::by_uri(&state.db, form.uri.trim())
        .await?
        .ok_or(Error::NotFound)?;
    let notice = match service::join(&state, &user.account, &event.uri).await? {
        RsvpState::Accepted => "You have a seat.",
        RsvpState::Pending if event.local => "Asked to join; the organiser will answer.",
        RsvpState::Pending => "Asked to join; waiting for the organiser's server to answer.",
        RsvpState::Rejected => "Your request was declined.",
    };
    Ok(redirect_with_notice(&event.link(), notice))
}

async fn leave(
    State(state): State<AppState>,
    User(user): User,
    Form(form): Form<RsvpForm>,
) -> Result<Response> {
    let event = store::by_uri(&state.db, form.uri.trim())
        .await?
        .ok_or(Error::NotFound)?;
    service::leave(&state, &user.account, &event.uri).await?;
    Ok(redirect_with_notice(&event.link(), "You left the event."))
}

async fn edit_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Path(token): Path<String>,
) -> Result<Response> {
    let (event, _) = service::editable(&state, &user.account, &local_uri(&state, &token)).await?;
    render(&FormPage {
        token: Some(token),
        draft: Draft::of(&event),
        errors: FieldErrors::new(),
        voices: Vec::new(),
        ctx,
    })
}

async fn edit(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Path(token): Path<String>,
    Form(draft): Form<Draft>,
) -> Result<Response> {
    match service::edit(&state, &user.account, &local_uri(&state, &token), &draft).await {
        Ok(event) => Ok(redirect_with_notice(&event.link(), "Saved.")),
        Err(Error::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &FormPage {
                token: Some(token),
                draft,
                errors,
                voices: Vec::new(),
                ctx,
            },
        ),
        Err(e) => Err(e),
    }
}

async fn cancel(
    State(state): State<AppState>,
    User(user): User,
    Path(token): Path<String>,
) -> Result<Response> {
    let event = service::cancel(&state, &user.account, &local_uri(&state, &token)).await?;
    Ok(redirect_with_notice(&event.link(), "Event cancelled."))
}

async fn delete(
    State(state): State<AppState>,
    User(user): User,
    Path(token): Path<String>,
) -> Result<Response> {
    service::delete(&state, &user.account, &local_uri(&state, &token)).await?;
    Ok(redirect_with_notice("/events", "Event deleted."))
}

#[derive(Deserialize)]
struct InviteForm {
    #[serde(default)]
    who: String,
}

async fn invite(
    State(state): State<AppState>,
    User(user): User,
    Path(token): Path<String>,
    Form(form): Form<InviteForm>,
) -> Result<Response> {
    let uri = local_uri(&state, &token);
    let notice = match service::invite(&state, &user.account, &uri, &form.who).await {
        Ok(p) if p.state == RsvpState::Accepted => "Invited: they have a seat.".to_string(),
        Ok(_) => "Invitation sent; they get a seat when they accept.".to_string(),
        Err(Error::Invalid(errors)) => format!("Could not invite: {errors}."),
        Err(Error::Conflict(message)) => message,
        Err(e) => return Err(e),
    };
    Ok(redirect_with_notice(
        &format!("/events/{}", urlencode(&token)),
        &notice,
    ))
}

async fn decide(
    State(state): State<AppState>,
    User(user): User,
    Path((token, id, decision)): Path<(String, i64, String)>,
) -> Result<Response> {
    let accept = match decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(Error::NotFound),
    };
    let uri = local_uri(&state, &token);
    service::decide(&state, &user.account, &uri, id, accept).await?;
    Ok(redirect_with_notice(
        &format!("/events/{}", urlencode(&token)),
        if accept { "Accepted." } else { "Declined." },
    ))
}
