//! RSVPs of local members to local and remote events: joining, leaving, the organiser's
//! decision and invitations.

use serde_json::Value;

use super::{can_see, editable, notify_organiser};
use crate::accounts::Account;
use crate::error::{Error, Result};
use crate::events::model::{JoinMode, Participant, RsvpState};
use crate::events::{object, store};
use crate::federation::actors;
use crate::federation::local::LocalActor;
use crate::federation::urls::Urls;
use crate::federation::{activities, delivery, remote};
use crate::notifications::{store as notes, Kind, NewNotification};
use crate::posts::access::Viewer;
use crate::state::AppState;
use crate::storage::{now_ms, Tx};

/// A member asks for a seat at the event at `uri` (local or remote). Returns where the
/// request stands: accepted at once, or pending (the organiser approves, or a remote organiser
/// has yet to answer). Asking again changes nothing.
///
/// What the member has now is read inside the write transaction, under the event's lock
/// ([`store::lock`]): the same member asking many times at once gets one participation and at
/// most one seat.
pub async fn join(state: &AppState, account: &Account, uri: &str) -> Result<RsvpState> {
    let urls = Urls::new(&state.config);
    let me = urls.member(&account.handle);
    let event = store::by_uri(&state.db, uri.trim())
        .await?
        .filter(|e| !e.is_deleted())
        .ok_or(Error::NotFound)?;
    if !can_see(state, &event, &Viewer::Member(account.clone())).await? {
        return Err(Error::NotFound);
    }
    crate::moderation::blocks::ensure_not_blocked(state, &[event.organizer.as_str()], &me).await?;
    // A remote organiser is looked up before the transaction (it may take a request); whether
    // it is needed is decided inside.
    let organizer = if event.local {
        None
    } else {
        Some(remote::resolve(state, &event.organizer, false).await)
    };
    let mut tx = state.db.begin_write().await?;
    let event = store::lock(&mut tx, event.id)
        .await?
        .filter(|e| !e.is_deleted())
        .ok_or(Error::NotFound)?;
    if let Some(p) = store::participant_tx(&mut tx, event.id, &me).await? {
        if p.state != RsvpState::Rejected {
            return Ok(p.state);
        }
    }
    if event.organizer == me {
        return Err(Error::Conflict("You organise this event.".into()));
    }
    if event.is_cancelled() {
        return Err(Error::Conflict("This event is cancelled.".into()));
    }
    if event.ends_at < now_ms() {
        return Err(Error::Conflict("This event is over.".into()));
    }
    match event.join_mode {
        JoinMode::Invite => {
            return Err(Error::forbidden("This event is by invitation only."));
        }
        JoinMode::External => {
            return Err(Error::Conflict(format!(
                "Registration for this event happens at {}.",
                event.external_url
            )));
        }
        _ => {}
    }
    let join_id = activities::new_id(&urls);
    if let Some(organizer) = organizer {
        // A remote event: the request waits for its organiser's answer.
        let organizer = organizer?;
        let activity = object::rsvp(&join_id, "Join", &me, &event);
        store::put_participant(&mut tx, event.id, &me, RsvpState::Pending, &join_id).await?;
        send_rsvp(&mut tx, account, &organizer, &activity).await?;
        tx.commit().await?;
        delivery::wake(state);
        return Ok(RsvpState::Pending);
    }
    let outcome = if event.join_mode == JoinMode::Approval {
        RsvpState::Pending
    } else if store::take_seat(&mut tx, event.id).await? {
        RsvpState::Accepted
    } else {
        return Err(Error::Conflict("This event is full.".into()));
    };
    store::put_participant(&mut tx, event.id, &me, outcome, &join_id).await?;
    let who = format!("@{}@{}", account.handle, urls.domain());
    notify_organiser(state, &mut tx, &event, &me, &who, outcome).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// A member gives up their seat (or request). For a remote event the organiser gets `Leave`.
/// The removed row decides whether a seat is freed ([`store::withdraw`]), so leaves racing
/// each other free it once.
pub async fn leave(state: &AppState, account: &Account, uri: &str) -> Result<()> {
    let urls = Urls::new(&state.config);
    let me = urls.member(&account.handle);
    let event = store::by_uri(&state.db, uri.trim())
        .await?
        .ok_or(Error::NotFound)?;
    // Nothing to leave: no need to look up a remote organiser.
    if store::participant(&state.db, event.id, &me)
        .await?
        .is_none()
    {
        return Ok(());
    }
    let organizer = if event.local {
        None
    } else {
        remote::resolve(state, &event.organizer, false).await.ok()
    };
    let mut tx = state.db.begin_write().await?;
    store::lock(&mut tx, event.id).await?;
    if store::withdraw(&mut tx, event.id, &me).await?.is_none() {
        // Another leave of the same member came first.
        return Ok(());
    }
    if let Some(organizer) = organizer {
        let activity = object::rsvp(&activities::new_id(&urls), "Leave", &me, &event);
        send_rsvp(&mut tx, account, &organizer, &activity).await?;
    }
    tx.commit().await?;
    delivery::wake(state);
    Ok(())
}

/// Queues a member's `Join` or `Leave` for a remote event's organiser, in the caller's
/// transaction.
async fn send_rsvp(
    tx: &mut Tx,
    account: &Account,
    organizer: &remote::RemoteActor,
    activity: &Value,
) -> Result<()> {
    delivery::publish(
        tx,
        activity,
        account.local_actor().key_ref(),
        false,
        std::slice::from_ref(&organizer.inbox),
    )
    .await?;
    Ok(())
}

/// The organiser accepts or rejects a waiting participant (local, or remote: they get
/// `Accept` / `Reject`). Accepting needs a free seat.
pub async fn decide(
    state: &AppState,
    by: &Account,
    uri: &str,
    participant_id: i64,
    accept: bool,
) -> Result<Participant> {
    let urls = Urls::new(&state.config);
    let (event, organizer) = editable(state, by, uri).await?;
    let target = if accept {
        RsvpState::Accepted
    } else {
        RsvpState::Rejected
    };
    let mut tx = state.db.begin_write().await?;
    let event = store::lock(&mut tx, event.id)
        .await?
        .ok_or(Error::NotFound)?;
    let p = store::participant_by_id_tx(&mut tx, participant_id)
        .await?
        .filter(|p| p.event_id == event.id)
        .ok_or(Error::NotFound)?;
    if p.state == target {
        return Ok(p);
    }
    if accept {
        if !store::take_seat(&mut tx, event.id).await? {
            return Err(Error::Conflict("This event is full.".into()));
        }
    } else if p.state == RsvpState::Accepted {
        store::release_seat(&mut tx, event.id).await?;
    }
    store::set_participant_state(&mut tx, p.id, target).await?;
    if let Some(r) = remote::by_uri(&state.db, &p.actor).await? {
        let answer = object::answer(&urls, accept, &event, &p.actor, &p.join_uri);
        delivery::publish(
            &mut tx,
            &answer,
            organizer.key_ref(),
            false,
            std::slice::from_ref(&r.inbox),
        )
        .await?;
    } else if let Some(actor) = actors::by_uri(state, &p.actor).await? {
        let summary = if accept {
            format!("accepted you at {}", event.title)
        } else {
            format!("declined your request for {}", event.title)
        };
        let who = organizer.label();
        notes::notify_stewards(
            &mut tx,
            &state.db,
            &actor,
            &NewNotification {
                account_id: 0,
                kind: Kind::Rsvp,
                actor: &event.organizer,
                actor_name: &who,
                object: &event.uri,
                link: &event.link(),
                summary: &summary,
            },
        )
        .await?;
    }
    tx.commit().await?;
    delivery::wake(state);
    store::participant_by_id(&state.db, p.id)
        .await?
        .ok_or(Error::NotFound)
}

/// An organiser invites someone (`@name`, `@name@host` or an actor's address). A local member
/// gets a seat at once; a remote actor is sent `Invite` and gets the seat when it answers
/// with `Accept` (or `Join`). Works in every join mode; in `invite` mode it is the only way in.
pub async fn invite(state: &AppState, by: &Account, uri: &str, who: &str) -> Result<Participant> {
    let urls = Urls::new(&state.config);
    let (event, organizer) = editable(state, by, uri).await?;
    if event.is_cancelled() || event.ends_at < now_ms() {
        return Err(Error::Conflict("This event is cancelled or over.".into()));
    }
    let who = who.trim();
    let not_found = || Error::invalid("who", "names no one we can find");
    let target = if who.starts_with("https://") || who.starts_with("http://") {
        match actors::by_uri(state, who).await? {
            Some(a) => a.uri(&urls),
            None => remote::resolve(state, who, false).await?.uri,
        }
    } else {
        let acct = who.trim_start_matches('@').to_ascii_lowercase();
        let m = match acct.split_once('@') {
            Some((n, h)) => crate::posts::compose::MentionText {
                name: n.into(),
                host: Some(h.into()),
            },
            None => crate::posts::compose::MentionText {
                name: acct.clone(),
                host: None,
            },
        };
        crate::posts::people::resolve_mention(state, &m)
            .await
            .ok_or_else(not_found)?
            .uri
    };
    if target == event.organizer {
        return Err(Error::invalid("who", "organises this event"));
    }
    let mut tx = state.db.begin_write().await?;
    let event = store::lock(&mut tx, event.id)
        .await?
        .ok_or(Error::NotFound)?;
    if let Some(p) = store::participant_tx(&mut tx, event.id, &target).await? {
        if p.state != RsvpState::Rejected {
            return Ok(p);
        }
    }
    let mut invited_member = None;
    if let Some(member) = actors::by_uri(state, &target).await? {
        if !matches!(member, LocalActor::Member(_)) {
            return Err(Error::invalid("who", "is not a person"));
        }
        if !store::take_seat(&mut tx, event.id).await? {
            return Err(Error::Conflict("This event is full.".into()));
        }
        let id = activities::new_id(&urls);
        store::put_participant(&mut tx, event.id, &target, RsvpState::Accepted, &id).await?;
        let summary = format!("invited you to {}", event.title);
        let who = organizer.label();
        if let LocalActor::Member(m) = &member {
            invited_member = Some(m.id);
        }
        notes::notify_stewards(
            &mut tx,
            &state.db,
            &member,
            &NewNotification {
                account_id: 0,
                kind: Kind::Rsvp,
                actor: &event.organizer,
                actor_name: &who,
                object: &event.uri,
                link: &event.link(),
                summary: &summary,
            },
        )
        .await?;
    } else {
        let actor = remote::by_uri(&state.db, &target)
            .await?
            .ok_or_else(not_found)?;
        let id = activities::new_id(&urls);
        let activity = object::invite(&id, &event, &target);
        store::put_participant(&mut tx, event.id, &target, RsvpState::Pending, &id).await?;
        delivery::publish(
            &mut tx,
            &activity,
            organizer.key_ref(),
            false,
            std::slice::from_ref(&actor.inbox),
        )
        .await?;
    }
    tx.commit().await?;
    delivery::wake(state);
    if let Some(account_id) = invited_member {
        let letter = crate::mail::Letter::new(format!("You are invited to {}", event.title))
            .paragraph(format!(
                "{} invites you to {}; a seat is kept for you.",
                organizer.label(),
                event.title
            ))
            .action("See the event", crate::mail::absolute(state, &event.link()));
        crate::notifications::mailer::to_member_about(
            state,
            account_id,
            crate::notifications::topics::Topic::Invitations,
            "invitation",
            letter,
        )
        .await?;
    }
    store::participant(&state.db, event.id, &target)
        .await?
        .ok_or(Error::NotFound)
}
