//! The administrator's page for domain rules and the federation mode: `/admin/domains`.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use crate::accounts::session::Admin;
use crate::error::Result;
use crate::federation::policy::{self, DomainRule, FederationMode, Policy, RuleForm};
use crate::hub;
use crate::moderation::model::Actor;
use crate::state::AppState;
use crate::validate::FieldErrors;
use crate::web::page::{redirect_with_notice, render, render_status, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/domains", get(domains_page).post(add_rule))
        .route("/admin/domains/{domain}/remove", post(remove_rule))
        .route("/admin/federation-mode", post(set_mode))
        .route("/admin/domains/export", get(export_csv))
        .route("/admin/domains/import", post(import_csv))
}

#[derive(Template)]
#[template(path = "spaces/domains.html")]
struct DomainsPage {
    ctx: PageCtx,
    rules: Vec<DomainRule>,
    mode: FederationMode,
    allowed: usize,
    form: RuleForm,
    errors: FieldErrors,
}

impl DomainsPage {
    async fn build(
        state: &AppState,
        ctx: PageCtx,
        form: RuleForm,
        errors: FieldErrors,
    ) -> Result<Self> {
        let rules = policy::list(&state.db).await?;
        let allowed = rules.iter().filter(|r| r.policy == Policy::Allow).count();
        Ok(DomainsPage {
            ctx,
            mode: policy::federation_mode(&state.db).await?,
            rules,
            allowed,
            form,
            errors,
        })
    }

    fn allowlist(&self) -> bool {
        self.mode == FederationMode::Allowlist
    }

    fn policy_selected(&self, value: &str) -> bool {
        let chosen = self.form.policy.trim();
        chosen == value || (chosen.is_empty() && value == "block")
    }

    fn added(&self, rule: &DomainRule) -> String {
        chrono::DateTime::from_timestamp_millis(rule.created_at)
            .map(|d| d.format("%-d %b %Y").to_string())
            .unwrap_or_default()
    }
}

async fn domains_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Admin(_): Admin,
) -> Result<Response> {
    render(&DomainsPage::build(&state, ctx, RuleForm::default(), FieldErrors::new()).await?)
}

async fn add_rule(
    State(state): State<AppState>,
    ctx: PageCtx,
    Admin(_): Admin,
    Form(form): Form<RuleForm>,
) -> Result<Response> {
    let rule = match form.validate(&state.config.domain) {
        Ok(rule) => rule,
        Err(errors) => {
            return render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &DomainsPage::build(&state, ctx, form, errors).await?,
            )
        }
    };
    let outcome = hub::blocks::set_rule(&state.db, &rule.domain, rule.policy, &rule.reason).await?;
    let mode = policy::federation_mode(&state.db).await?;
    Ok(redirect_with_notice(
        "/admin/domains",
        &outcome.summary(mode),
    ))
}

async fn remove_rule(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(domain): Path<String>,
) -> Result<Response> {
    let notice = if policy::remove(&state.db, &domain).await? {
        format!(
            "The rule for {} is removed.",
            policy::normalize_host(&domain)
        )
    } else {
        format!("There was no rule for {}.", policy::normalize_host(&domain))
    };
    Ok(redirect_with_notice("/admin/domains", &notice))
}

#[derive(Deserialize)]
struct ModeForm {
    #[serde(default)]
    mode: String,
}

async fn set_mode(
    State(state): State<AppState>,
    ctx: PageCtx,
    Admin(_): Admin,
    Form(form): Form<ModeForm>,
) -> Result<Response> {
    let mode = match FederationMode::parse(&form.mode) {
        Ok(m) => m,
        Err(message) => {
            return render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &DomainsPage::build(
                    &state,
                    ctx,
                    RuleForm::default(),
                    FieldErrors::single("mode", message),
                )
                .await?,
            )
        }
    };
    policy::set_federation_mode(&state.db, mode).await?;
    let notice = mode.explain(policy::allowed_count(&state.db).await?);
    Ok(redirect_with_notice("/admin/domains", &notice))
}

/// The rules as Mastodon's domain-block CSV, as a download.
async fn export_csv(State(state): State<AppState>, Admin(_): Admin) -> Result<Response> {
    let body = super::domains_csv::export(&state.db).await?;
    Ok(csv_download(body))
}

/// A CSV body offered as `domain_blocks.csv`.
pub fn csv_download(body: String) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"domain_blocks.csv\"",
            ),
        ],
        body,
    )
        .into_response()
}

async fn import_csv(
    State(state): State<AppState>,
    ctx: PageCtx,
    Admin(admin): Admin,
    multipart: Multipart,
) -> Result<Response> {
    let outcome = match crate::media::read_upload(multipart, "file").await {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => {
                super::domains_csv::import(
                    &state.db,
                    &state.config.domain,
                    &Actor::of(&admin.account),
                    &text,
                )
                .await
            }
            Err(_) => Err(crate::error::Error::invalid("file", "is not UTF-8 text")),
        },
        Err(e) => Err(e),
    };
    match outcome {
        Ok(done) => Ok(redirect_with_notice("/admin/domains", &done.summary())),
        Err(crate::error::Error::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &DomainsPage::build(&state, ctx, RuleForm::default(), errors).await?,
        ),
        Err(e) => Err(e),
    }
}
