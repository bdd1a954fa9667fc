//! Administrators' pages for resources: the form to make or change one (with its opening
//! hours, rules and prices), its photo, and removing it after a confirmation.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::model::{Kind, Resource, WEEKDAYS, WEEKDAY_LABELS};
use super::rules::{split_list, Draft};
use super::{service, store};
use crate::accounts::session::Admin;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::validate::FieldErrors;
use crate::web::page::{redirect_with_notice, render, render_status, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/new", get(new_form).post(create))
        .route("/resources/{id}/edit", get(edit_form).post(edit))
        .route("/resources/{id}/photo", post(photo))
        .route("/resources/{id}/delete", post(delete))
}

/// The form as typed: every field text, so a refused form comes back as it was.
#[derive(Deserialize, Default, Clone)]
pub struct ResourceForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    seats: String,
    #[serde(default)]
    amenities: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    any_hour: Option<String>,
    #[serde(default)]
    hours_mon: String,
    #[serde(default)]
    hours_tue: String,
    #[serde(default)]
    hours_wed: String,
    #[serde(default)]
    hours_thu: String,
    #[serde(default)]
    hours_fri: String,
    #[serde(default)]
    hours_sat: String,
    #[serde(default)]
    hours_sun: String,
    #[serde(default)]
    slot_minutes: String,
    #[serde(default)]
    min_minutes: String,
    #[serde(default)]
    max_minutes: String,
    #[serde(default)]
    max_days_ahead: String,
    #[serde(default)]
    members: Option<String>,
    #[serde(default)]
    companies: Option<String>,
    #[serde(default)]
    visitors: Option<String>,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    price_member_hour: String,
    #[serde(default)]
    price_member_day: String,
    #[serde(default)]
    price_visitor_hour: String,
    #[serde(default)]
    price_visitor_day: String,
}

impl ResourceForm {
    fn days(&self) -> [&String; 7] {
        [
            &self.hours_mon,
            &self.hours_tue,
            &self.hours_wed,
            &self.hours_thu,
            &self.hours_fri,
            &self.hours_sat,
            &self.hours_sun,
        ]
    }

    /// The typed draft, or the fields that are not numbers.
    fn draft(&self) -> Result<Draft, FieldErrors> {
        let mut e = FieldErrors::new();
        let mut number = |field: &str, raw: &str| -> Option<i64> {
            let raw = raw.trim();
            if raw.is_empty() {
                return None;
            }
            e.check(
                field,
                raw.parse::<i64>()
                    .map_err(|_| "must be a whole number".to_string()),
            )
        };
        let capacity = number("capacity", &self.capacity);
        let slot = number("slot_minutes", &self.slot_minutes);
        let min = number("min_minutes", &self.min_minutes);
        let max = number("max_minutes", &self.max_minutes);
        let ahead = number("max_days_ahead", &self.max_days_ahead);
        e.into_result()?;
        Ok(Draft {
            kind: self.kind.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            capacity,
            seats: split_list(&self.seats),
            amenities: split_list(&self.amenities),
            location: self.location.clone(),
            hours: if self.any_hour.is_some() {
                None
            } else {
                Some(
                    self.days()
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (WEEKDAYS[i].to_string(), v.to_string()))
                        .collect(),
                )
            },
            slot_minutes: slot,
            min_minutes: min,
            max_minutes: max,
            max_days_ahead: ahead,
            members: self.members.is_some(),
            companies: self.companies.is_some(),
            visitors: self.visitors.is_some(),
            currency: self.currency.clone(),
            price_member_hour: self.price_member_hour.clone(),
            price_member_day: self.price_member_day.clone(),
            price_visitor_hour: self.price_visitor_hour.clone(),
            price_visitor_day: self.price_visitor_day.clone(),
        })
    }

    fn of(d: &Draft) -> ResourceForm {
        let day = |i: usize| -> String {
            d.hours
                .as_ref()
                .and_then(|h| {
                    h.iter()
                        .find(|(k, _)| k == WEEKDAYS[i])
                        .map(|(_, v)| v.clone())
                })
                .unwrap_or_default()
        };
        let n = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        ResourceForm {
            kind: d.kind.clone(),
            name: d.name.clone(),
            description: d.description.clone(),
            capacity: n(d.capacity),
            seats: d.seats.join(", "),
            amenities: d.amenities.join(", "),
            location: d.location.clone(),
            any_hour: d.hours.is_none().then(|| "on".into()),
            hours_mon: day(0),
            hours_tue: day(1),
            hours_wed: day(2),
            hours_thu: day(3),
            hours_fri: day(4),
            hours_sat: day(5),
            hours_sun: day(6),
            slot_minutes: n(d.slot_minutes),
            min_minutes: n(d.min_minutes),
            max_minutes: n(d.max_minutes),
            max_days_ahead: n(d.max_days_ahead),
            members: d.members.then(|| "on".into()),
            companies: d.companies.then(|| "on".into()),
            visitors: d.visitors.then(|| "on".into()),
            currency: d.currency.clone(),
            price_member_hour: d.price_member_hour.clone(),
            price_member_day: d.price_member_day.clone(),
            price_visitor_hour: d.price_visitor_hour.clone(),
            price_visitor_day: d.price_visitor_day.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "bookings/form.html")]
struct FormPage {
    ctx: PageCtx,
    /// The resource being changed, `None` for a new one.
    r: Option<Resource>,
    f: ResourceForm,
    errors: FieldErrors,
}

impl FormPage {
    fn kinds(&self) -> [Kind; 4] {
        Kind::ALL
    }
    fn weekdays(&self) -> Vec<(String, &'static str, String)> {
        self.f
            .days()
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (
                    format!("hours_{}", WEEKDAYS[i]),
                    WEEKDAY_LABELS[i],
                    v.to_string(),
                )
            })
            .collect()
    }
    fn action(&self) -> String {
        match &self.r {
            Some(r) => format!("/resources/{}/edit", r.id),
            None => "/resources/new".into(),
        }
    }
}

async fn new_form(ctx: PageCtx, Admin(_): Admin) -> Result<Response> {
    let week: Vec<(String, String)> = WEEKDAYS
        .iter()
        .enumerate()
        .map(|(i, d)| {
            (
                d.to_string(),
                if i < 5 {
                    "08:00-19:00".into()
                } else {
                    String::new()
                },
            )
        })
        .collect();
    let f = ResourceForm::of(&Draft {
        kind: "room".into(),
        capacity: Some(1),
        hours: Some(week),
        slot_minutes: Some(30),
        min_minutes: Some(30),
        max_minutes: Some(480),
        max_days_ahead: Some(60),
        members: true,
        companies: true,
        currency: "EUR".into(),
        ..Draft::default()
    });
    render(&FormPage {
        r: None,
        f,
        errors: FieldErrors::new(),
        ctx,
    })
}

fn refused(
    ctx: PageCtx,
    r: Option<Resource>,
    f: ResourceForm,
    errors: FieldErrors,
) -> Result<Response> {
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &FormPage { r, f, errors, ctx },
    )
}

async fn create(
    State(state): State<AppState>,
    ctx: PageCtx,
    Admin(_): Admin,
    Form(f): Form<ResourceForm>,
) -> Result<Response> {
    let result = match f.draft() {
        Ok(d) => service::create_resource(&state, &d).await,
        Err(e) => Err(Error::Invalid(e)),
    };
    match result {
        Ok(r) => Ok(redirect_with_notice(
            &format!("/resources/{}/edit", r.id),
            &format!("{} is bookable now. Add a photo if you like.", r.name),
        )),
        Err(Error::Invalid(errors)) => refused(ctx, None, f, errors),
        Err(e) => Err(e),
    }
}

async fn edit_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    Admin(_): Admin,
    Path(id): Path<i64>,
) -> Result<Response> {
    let r = store::resource(&state.db, id)
        .await?
        .ok_or(Error::NotFound)?;
    render(&FormPage {
        f: ResourceForm::of(&Draft::of(&r)),
        r: Some(r),
        errors: FieldErrors::new(),
        ctx,
    })
}

async fn edit(
    State(state): State<AppState>,
    ctx: PageCtx,
    Admin(_): Admin,
    Path(id): Path<i64>,
    Form(f): Form<ResourceForm>,
) -> Result<Response> {
    let current = store::resource(&state.db, id)
        .await?
        .ok_or(Error::NotFound)?;
    let result = match f.draft() {
        Ok(d) => service::update_resource(&state, id, &d).await,
        Err(e) => Err(Error::Invalid(e)),
    };
    match result {
        Ok(r) => Ok(redirect_with_notice(
            &r.link(),
            &format!("{} is saved.", r.name),
        )),
        Err(Error::Invalid(errors)) => refused(ctx, Some(current), f, errors),
        Err(e) => Err(e),
    }
}

async fn photo(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Response> {
    let result = match crate::media::read_upload(multipart, "file").await {
        Ok(data) => service::replace_photo(&state, id, data).await,
        Err(e) => Err(e),
    };
    let back = format!("/resources/{id}/edit");
    match result {
        Ok(()) => Ok(redirect_with_notice(&back, "The new photo is saved.")),
        Err(Error::Invalid(fields)) => Ok(redirect_with_notice(
            &back,
            &format!("The photo was not saved: {fields}."),
        )),
        Err(e) => Err(e),
    }
}

async fn delete(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<i64>,
) -> Result<Response> {
    service::delete_resource(&state, id).await?;
    Ok(redirect_with_notice(
        "/resources",
        "The resource and its bookings are removed.",
    ))
}
