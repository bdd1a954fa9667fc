//! A member's pages: `/settings/blocks` (blocks, mutes and hidden domains: lists, add with a
//! confirmation, undo) and `/report` (report an actor and what it posted).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::blocks::{self, Listed};
use super::model::{BlockKind, Category};
use super::reports::ReportForm;
use crate::accounts::session::User;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::validate::FieldErrors;
use crate::web::client::ClientIp;
use crate::web::page::{redirect_with_notice, render, render_status, PageCtx};
use crate::web::rate::Bucket;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings/blocks", get(blocks_page).post(add))
        .route("/settings/blocks/remove", post(remove))
        .route("/report", get(report_page).post(file_report))
}

#[derive(Template)]
#[template(path = "moderation/blocks.html")]
struct BlocksPage {
    ctx: PageCtx,
    blocks: Vec<Listed>,
    mutes: Vec<Listed>,
    domains: Vec<Listed>,
    form: AddForm,
    errors: FieldErrors,
    /// Set when the form asks to be confirmed before it is carried out.
    confirming: bool,
}

impl BlocksPage {
    async fn build(
        state: &AppState,
        ctx: PageCtx,
        user: &User,
        form: AddForm,
        errors: FieldErrors,
        confirming: bool,
    ) -> Result<Self> {
        let a = &user.0.account;
        Ok(BlocksPage {
            blocks: blocks::list(state, a, BlockKind::Block).await?,
            mutes: blocks::list(state, a, BlockKind::Mute).await?,
            domains: blocks::list(state, a, BlockKind::Domain).await?,
            ctx,
            form,
            errors,
            confirming,
        })
    }

    fn kind_selected(&self, value: &str) -> bool {
        let k = self.form.kind.as_str();
        k == value || (k.is_empty() && value == "block")
    }

    /// What the confirmation asks, in words.
    fn question(&self) -> String {
        match self.form.kind.as_str() {
            "mute" => format!("Mute {}? Their posts and notifications will be hidden from you.", self.form.target.trim()),
            "domain" => format!("Hide every account of {} from your timelines and notifications?", self.form.target.trim()),
            _ => format!(
                "Block {}? Follows between you end, and they can no longer follow you, comment on your posts, message you, RSVP to your events or join your projects.",
                self.form.target.trim()
            ),
        }
    }
}

#[derive(Deserialize, Default, Clone)]
struct AddForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    confirm: String,
}

#[derive(Deserialize, Default)]
struct Prefill {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    target: String,
}

async fn blocks_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    user: User,
    Query(q): Query<Prefill>,
) -> Result<Response> {
    let form = AddForm {
        kind: q.kind.chars().take(10).collect(),
        target: q.target.chars().take(500).collect(),
        confirm: String::new(),
    };
    // A link from a profile ("Block", "Mute") opens the confirmation at once.
    let confirming = !form.target.trim().is_empty();
    render(&BlocksPage::build(&state, ctx, &user, form, FieldErrors::new(), confirming).await?)
}

async fn add(
    State(state): State<AppState>,
    ctx: PageCtx,
    user: User,
    Form(form): Form<AddForm>,
) -> Result<Response> {
    let kind = match form.kind.as_str() {
        "mute" => BlockKind::Mute,
        "domain" => BlockKind::Domain,
        "" | "block" => BlockKind::Block,
        _ => {
            let errors = FieldErrors::single("kind", "must be block, mute or domain");
            let page = BlocksPage::build(&state, ctx, &user, form, errors, false).await?;
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    if form.confirm != "yes" {
        let page = BlocksPage::build(&state, ctx, &user, form, FieldErrors::new(), true).await?;
        return render(&page);
    }
    let account = &user.0.account;
    let result = match kind {
        BlockKind::Block => crate::hub::member_blocks::block(&state, account, &form.target)
            .await
            .map(|(t, _)| format!("You blocked {}.", t.handle)),
        BlockKind::Mute => blocks::mute(&state, account, &form.target)
            .await
            .map(|(t, _)| format!("You muted {}.", t.handle)),
        BlockKind::Domain => blocks::hide_domain(&state, account, &form.target)
            .await
            .map(|(d, _)| format!("Accounts of {d} are hidden from you.")),
    };
    match result {
        Ok(notice) => Ok(redirect_with_notice("/settings/blocks", &notice)),
        Err(Error::Invalid(errors)) => {
            let mut errors = errors;
            for e in &mut errors.0 {
                if e.field == "domain" {
                    e.field = "target".into();
                }
            }
            let page = BlocksPage::build(&state, ctx, &user, form, errors, false).await?;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct RemoveForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    target: String,
}

async fn remove(
    State(state): State<AppState>,
    User(user): User,
    Form(form): Form<RemoveForm>,
) -> Result<Response> {
    let (kind, done) = match form.kind.as_str() {
        "mute" => (BlockKind::Mute, "unmuted"),
        "domain" => (BlockKind::Domain, "shown again"),
        _ => (BlockKind::Block, "unblocked"),
    };
    let undone = if kind == BlockKind::Block {
        crate::hub::member_blocks::unblock(&state, &user.account, &form.target).await
    } else {
        blocks::undo(&state, &user.account, kind, &form.target).await
    };
    let notice = match undone {
        Ok(()) => format!("{} is {done}.", form.target.trim()),
        Err(Error::NotFound) => format!("{} was not on your list.", form.target.trim()),
        Err(e) => return Err(e),
    };
    Ok(redirect_with_notice("/settings/blocks", &notice))
}

// --- reporting -------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "moderation/report.html")]
struct ReportPage {
    ctx: PageCtx,
    form: WebReport,
    errors: FieldErrors,
}

impl ReportPage {
    fn categories(&self) -> Vec<(&'static str, &'static str)> {
        Category::ALL
            .iter()
            .map(|c| {
                let label = match c {
                    Category::Spam => "Spam: advertising, repeated unwanted messages",
                    Category::Abuse => "Abuse: harassment, hate, threats",
                    Category::Illegal => "Illegal content",
                    Category::Other => "Something else",
                };
                (c.as_str(), label)
            })
            .collect()
    }

    fn category_checked(&self, value: &str) -> bool {
        self.form.category == value
    }
}

#[derive(Deserialize, Default, Clone)]
struct WebReport {
    #[serde(default)]
    target: String,
    #[serde(default)]
    objects: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    forward: String,
}

async fn report_page(ctx: PageCtx, _user: User, Query(q): Query<WebReport>) -> Result<Response> {
    let form = WebReport {
        target: q.target.chars().take(500).collect(),
        objects: q.objects.chars().take(2000).collect(),
        ..Default::default()
    };
    render(&ReportPage {
        ctx,
        form,
        errors: FieldErrors::new(),
    })
}

async fn file_report(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    ClientIp(from): ClientIp,
    Form(form): Form<WebReport>,
) -> Result<Response> {
    state.limits.check(Bucket::Reports, from)?;
    let api_form = ReportForm {
        target: form.target.clone(),
        objects: form
            .objects
            .split_whitespace()
            .map(str::to_string)
            .collect(),
        category: form.category.clone(),
        comment: form.comment.clone(),
        forward: form.forward == "on",
    };
    match crate::hub::flags::report(&state, &user.account, &api_form).await {
        Ok(_) => Ok(redirect_with_notice(
            "/",
            "Thank you. Your report went to the moderators of this space.",
        )),
        Err(Error::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ReportPage { ctx, form, errors },
        ),
        Err(e) => Err(e),
    }
}
