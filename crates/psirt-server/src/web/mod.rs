//! The HTML pages: the public security policy and advisories, the
//! reporter's form and status page, the team's sign-in, dashboard and
//! case pages, and the distributors list's (the application form, the
//! portal of distributor people, the PST's organisation pages).
//!
//! Pages are rendered on the server with `maud` (escaped by default) and
//! work without JavaScript; one stylesheet is compiled in. Every response
//! carries a strict Content-Security-Policy. Like the JSON API, these
//! handlers decide nothing: which forms a page offers is asked of
//! `psirt_core::authorize`, and every form goes through the same
//! `Store::execute` as the API, which decides again. Forms of signed-in
//! people carry the session's CSRF token in the `csrf` field ([`WebForm`]);
//! the sign-in form carries a pre-session token paired with a cookie.
//! These routes are not part of the OpenAPI description.

mod advisories;
mod distributors;
mod fix_repo;
mod invitations;
pub mod pages;
mod projects;
mod public;
mod reporter;
mod team;

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use psirt_core::CaseRef;
use psirt_store::{Caller, Principal, StoreError, User};

use crate::AppState;
use crate::auth::{SESSION_COOKIE, client_ip, cookie};
use crate::error::ApiError;

/// The stylesheet's stable path.
pub const STYLESHEET: &str = "/static/psirt.css";

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub(crate) use projects::Site;

/// The pages: the unprefixed ones (the default project's) and every
/// published project's under `/p/{project}/`.
pub fn router(state: &AppState) -> Router<AppState> {
    pages::router().merge(projects::router(state))
}

/// Headers every response gets, pages, JSON, problem documents and files
/// alike (`crate::app` puts it outermost): no scripts or inline styles, no
/// framing, no content sniffing, no referrer (a status link in a `Referer`
/// would hand it to another site), and no caching unless the handler
/// allowed it (pages and API answers carry embargoed content and status
/// links).
pub(crate) async fn security_headers(request: Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// A signed-in person, from the session cookie.
pub(crate) struct SignedIn {
    pub caller: Caller,
    pub user: User,
    pub csrf: String,
    pub cookie: String,
}

fn origin(parts: &Parts) -> String {
    client_ip(parts).map_or_else(|| "unknown".to_string(), |ip| ip.to_string())
}

/// The session behind the request's cookie, if there is a live one.
async fn session(parts: &Parts, state: &AppState) -> Result<Option<SignedIn>, WebError> {
    let Some(value) = cookie(parts, SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some(session) = state.store.session(value, crate::now()).await? else {
        return Ok(None);
    };
    Ok(Some(SignedIn {
        caller: Caller::new(Principal::User(session.user.clone()), origin(parts)),
        user: session.user,
        csrf: session.csrf,
        cookie: value.to_string(),
    }))
}

/// A page that needs someone signed in: without a live session the
/// browser is sent to the sign-in page.
pub(crate) struct WebSession(pub SignedIn);

impl FromRequestParts<AppState> for WebSession {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        session(parts, state)
            .await?
            .map(WebSession)
            .ok_or(WebError::SignIn)
    }
}

/// The client, signed in or not (for public pages and the reporter's).
pub(crate) struct Visitor {
    pub origin: String,
    pub signed_in: Option<SignedIn>,
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        Ok(Visitor {
            origin: origin(parts),
            signed_in: session(parts, state).await?,
        })
    }
}

/// The fields of a submitted form, in order. Unknown fields are ignored;
/// each page reads the ones it knows.
#[derive(Clone, Default)]
pub(crate) struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Whether the form sent the field at all (even empty).
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// The value, trimmed; `None` when empty.
    pub fn optional(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim())
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    pub fn set(&mut self, name: &str, value: &str) {
        self.0.retain(|(k, _)| k != name);
        self.0.push((name.to_string(), value.to_string()));
    }
}

/// A form body that is not the session's CSRF-checked kind (the reporter's
/// forms, whose secret is the link itself, and the sign-in form).
pub(crate) struct PlainForm(pub Fields);

impl FromRequest<AppState> for PlainForm {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, WebError> {
        let axum::Form(fields) = axum::Form::<Vec<(String, String)>>::from_request(request, state)
            .await
            .map_err(|r| {
                WebError::Page(
                    r.status(),
                    "The form could not be read".into(),
                    r.body_text(),
                )
            })?;
        Ok(PlainForm(Fields(fields)))
    }
}

/// A form posted by a signed-in person: the session cookie, and the
/// session's CSRF token in the form's `csrf` field (compared in constant
/// time). The JSON API's `Auth` wants the token in a header, which an
/// HTML form cannot send.
pub(crate) struct WebForm {
    pub who: SignedIn,
    pub fields: Fields,
}

impl FromRequest<AppState> for WebForm {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, WebError> {
        let (mut parts, body) = request.into_parts();
        let who = WebSession::from_request_parts(&mut parts, state).await?.0;
        let request = Request::from_parts(parts, body);
        let PlainForm(fields) = PlainForm::from_request(request, state).await?;
        if !same(fields.get("csrf"), &who.csrf) {
            return Err(WebError::Page(
                StatusCode::FORBIDDEN,
                "This form has expired".into(),
                "The form did not carry this session's security token (it may come from another site, or from before you last signed in). Go back, reload the page and send it again.".into(),
            ));
        }
        Ok(WebForm { who, fields })
    }
}

pub(crate) use crate::auth::same;

/// 256 random bits as hex, for the pre-session sign-in token.
pub(crate) fn random_token() -> Result<String, WebError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Why a page could not be shown.
#[derive(Debug)]
pub(crate) enum WebError {
    /// Nobody is signed in: go to the sign-in page.
    SignIn,
    Page(StatusCode, String, String),
    /// A refusal that passes (429, 503): the page, and the seconds to wait
    /// in `Retry-After`.
    Later(StatusCode, u64, String, String),
    Internal(String),
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> WebError {
        ApiError::from(e).into()
    }
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> WebError {
        match e {
            ApiError::Internal(cause) => WebError::Internal(cause),
            ApiError::Unauthenticated(_) => WebError::SignIn,
            ApiError::NotFound(d) => WebError::Page(StatusCode::NOT_FOUND, "Not found".into(), d),
            ApiError::Gone(d) => {
                WebError::Page(StatusCode::GONE, "This link no longer works".into(), d)
            }
            ApiError::Forbidden(d) => {
                WebError::Page(StatusCode::FORBIDDEN, "Not allowed".into(), d)
            }
            ApiError::TooManyRequests { retry_after_secs } => WebError::Later(
                StatusCode::TOO_MANY_REQUESTS,
                retry_after_secs,
                "Slow down".into(),
                format!("Too many requests from your address; try again in {retry_after_secs} s."),
            ),
            ApiError::Busy { retry_after_secs } => WebError::Later(
                StatusCode::SERVICE_UNAVAILABLE,
                retry_after_secs,
                "Busy".into(),
                format!(
                    "The server is receiving as many uploads as it can hold. Nothing was sent or stored: go back and send the form again in {retry_after_secs} s."
                ),
            ),
            other => WebError::Page(
                StatusCode::BAD_REQUEST,
                "That did not work".into(),
                form_error_text(&other),
            ),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let mut retry_after = None;
        let (status, title, detail) = match self {
            WebError::SignIn => return Redirect::to("/signin").into_response(),
            WebError::Page(status, title, detail) => (status, title, detail),
            WebError::Later(status, secs, title, detail) => {
                retry_after = Some(secs);
                (status, title, detail)
            }
            WebError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong".into(),
                    "An internal error; the administrators can find the details in the server log."
                        .into(),
                )
            }
        };
        let mut response = page_response(
            status,
            layout(
                &title,
                None,
                html! {
                    h1 { (title) }
                    p { (detail) }
                    p { a href="/" { "Back to the security policy" } }
                },
            ),
        );
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// A case's reference from a page's path; one that is not a reference at
/// all is a 404 page naming it.
pub(crate) fn case_reference(text: &str) -> Result<CaseRef, WebError> {
    text.parse().map_err(|_| {
        WebError::Page(
            StatusCode::NOT_FOUND,
            "Not found".into(),
            format!("There is no case {text:?}."),
        )
    })
}

/// What went wrong with a submitted form: an error next to each field it
/// concerns, or one for the whole form.
#[derive(Default, Debug)]
pub(crate) struct Errors {
    pub fields: BTreeMap<String, String>,
    pub form: Option<String>,
}

impl Errors {
    pub fn field(&mut self, name: &str, reason: impl Into<String>) {
        self.fields
            .entry(name.to_string())
            .or_insert_with(|| reason.into());
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.form.is_none()
    }

    /// Places an error from the store or the command conversion: a field
    /// the form shows gets it next to that field (`command.vector` is the
    /// `vector` field), anything else goes on the form. Internal errors
    /// are not a form's business.
    pub fn from_api(e: ApiError, known: &[&str]) -> Result<Errors, WebError> {
        let mut errors = Errors::default();
        match e {
            ApiError::Invalid { field, reason } => {
                let name = field.strip_prefix("command.").unwrap_or(&field);
                if known.contains(&name) {
                    errors.field(name, reason);
                } else {
                    errors.form = Some(format!("{field}: {reason}"));
                }
            }
            ApiError::Internal(cause) => return Err(WebError::Internal(cause)),
            ApiError::Unauthenticated(_) => return Err(WebError::SignIn),
            other => errors.form = Some(form_error_text(&other)),
        }
        Ok(errors)
    }

    /// A refused form's errors, as [`Errors::from_api`] places them, except
    /// that a refusal for want of permission is not the form's to show:
    /// the caller gets the forbidden page instead.
    pub fn from_refusal(e: ApiError, known: &[&str]) -> Result<Errors, WebError> {
        if matches!(e, ApiError::Forbidden(_)) {
            return Err(e.into());
        }
        Errors::from_api(e, known)
    }

    /// The status of a form shown again with these errors: 422 when a
    /// field is wrong, 409 when the form as a whole was refused.
    pub fn status(&self) -> StatusCode {
        if self.fields.is_empty() {
            StatusCode::CONFLICT
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    }
}

fn form_error_text(e: &ApiError) -> String {
    match e {
        ApiError::BadRequest(d)
        | ApiError::Forbidden(d)
        | ApiError::NotFound(d)
        | ApiError::Gone(d)
        | ApiError::Conflict(d)
        | ApiError::TooLarge(d)
        | ApiError::Unauthenticated(d) => d.clone(),
        ApiError::Invalid { field, reason } => format!("{field}: {reason}"),
        ApiError::TooManyRequests { retry_after_secs } => {
            format!("too many requests; try again in {retry_after_secs} s")
        }
        ApiError::Busy { retry_after_secs } => {
            format!("the server is busy; try again in {retry_after_secs} s")
        }
        ApiError::TimedOut => "the form did not arrive in time; send it again".into(),
        ApiError::MethodNotAllowed => "this route does not take that method".into(),
        ApiError::Internal(_) => "internal error".into(),
    }
}

/// How an input is shown.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Text,
    Email,
    Password,
    Url,
    Area,
    /// A date and time in UTC (`datetime-local`, read as UTC).
    DateTime,
    /// Many values, one per line.
    Lines,
    Checkbox,
    /// A yes/no choice.
    YesNo,
    /// Files to upload (several); a form with one is `multipart/form-data`.
    Files,
    /// One of a short list: `(value, label)`.
    Choice(fn() -> Vec<(&'static str, &'static str)>),
}

/// One labelled input, its value kept and its error next to it.
pub(crate) struct Input<'a> {
    pub form: &'a str,
    pub name: &'a str,
    pub label: &'a str,
    pub kind: Kind,
    pub required: bool,
    pub hint: Option<&'a str>,
}

impl Input<'_> {
    pub fn render(&self, values: &Fields, errors: &Errors) -> Markup {
        let id = format!("{}-{}", self.form, self.name);
        let error = errors.fields.get(self.name);
        let error_id = format!("{id}-error");
        let hint_id = format!("{id}-hint");
        let described = match (self.hint.is_some(), error.is_some()) {
            (true, true) => Some(format!("{hint_id} {error_id}")),
            (true, false) => Some(hint_id.clone()),
            (false, true) => Some(error_id.clone()),
            (false, false) => None,
        };
        let value = values.get(self.name);
        let invalid = error.map(|_| "true");
        let class = if error.is_some() {
            "field invalid"
        } else {
            "field"
        };
        html! {
            div class=(class) {
                @match self.kind {
                    Kind::Checkbox => {
                        input type="checkbox" id=(id) name=(self.name) value="on"
                            checked[value == "on"] aria-describedby=[described.as_deref()];
                        " "
                        label for=(id) { (self.label) }
                    }
                    _ => {
                        label for=(id) {
                            (self.label)
                            @if self.required { " " span.required { "(required)" } }
                        }
                    }
                }
                @if let Some(hint) = self.hint {
                    p.hint id=(hint_id) { (hint) }
                }
                @if let Some(error) = error {
                    p.error id=(error_id) { strong { "Error: " } (error) }
                }
                @match self.kind {
                    Kind::Checkbox => {}
                    Kind::Area | Kind::Lines => {
                        textarea id=(id) name=(self.name) rows=(if matches!(self.kind, Kind::Lines) { 3 } else { 6 })
                            required[self.required] aria-invalid=[invalid]
                            aria-describedby=[described.as_deref()] { (value) }
                    }
                    Kind::YesNo => {
                        select id=(id) name=(self.name) required[self.required] aria-invalid=[invalid]
                            aria-describedby=[described.as_deref()] {
                            option value="" selected[value.is_empty()] { "Choose…" }
                            option value="yes" selected[value == "yes"] { "Yes" }
                            option value="no" selected[value == "no"] { "No" }
                        }
                    }
                    Kind::Choice(choices) => {
                        select id=(id) name=(self.name) required[self.required] aria-invalid=[invalid]
                            aria-describedby=[described.as_deref()] {
                            option value="" selected[value.is_empty()] { "Choose…" }
                            @for (choice, label) in choices() {
                                option value=(choice) selected[value == choice] { (label) }
                            }
                        }
                    }
                    Kind::Files => {
                        input type="file" id=(id) name=(self.name) multiple
                            aria-invalid=[invalid] aria-describedby=[described.as_deref()];
                    }
                    _ => {
                        @let (kind, autocomplete) = match self.kind {
                            Kind::Email => ("email", Some("email")),
                            Kind::Password => ("password", Some("current-password")),
                            Kind::Url => ("url", None),
                            Kind::DateTime => ("datetime-local", None),
                            _ => ("text", None),
                        };
                        input type=(kind) id=(id) name=(self.name)
                            value=[(!matches!(self.kind, Kind::Password)).then_some(value)]
                            autocomplete=[autocomplete]
                            required[self.required] aria-invalid=[invalid]
                            aria-describedby=[described.as_deref()];
                    }
                }
            }
        }
    }
}

/// What a form saved, said at the top of the page it went back to (its
/// `done` query), when it saved something.
pub(crate) fn saved_notice(done: Option<&str>) -> Markup {
    html! {
        @if let Some(done) = done {
            div.notice role="status" { p { "Saved: " (done) "." } }
        }
    }
}

/// The error summary at the top of a form, when there are errors.
pub(crate) fn error_summary(errors: &Errors) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.alert role="alert" {
                @if let Some(form) = &errors.form {
                    p { strong { "Not saved: " } (form) }
                } @else {
                    p { strong { "Not saved." } " Please correct the fields marked below." }
                }
            }
        }
    }
}

/// A hidden CSRF field.
/// A table's head: one row of column headers, each scoped to its column
/// for screen readers.
pub(crate) fn column_heads(names: &[&str]) -> Markup {
    html! {
        thead { tr {
            @for name in names {
                th scope="col" { (name) }
            }
        } }
    }
}

pub(crate) fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// The page frame: navigation, the main landmark, the stylesheet.
pub(crate) fn layout(title: &str, who: Option<&SignedIn>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · psirt" }
                link rel="stylesheet" href=(STYLESHEET);
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.site {
                    nav aria-label="Main" {
                        a.brand href="/" { "psirt" }
                        ul {
                            li { a href="/" { "Security policy" } }
                            li { a href="/advisories" { "Advisories" } }
                            li { a href="/report" { "Report a vulnerability" } }
                            @if who.is_some() {
                                li { a href="/cases" { "Cases" } }
                                li { a href="/distributors" { "Distributors" } }
                            } @else {
                                li { a href="/signin" { "Team sign-in" } }
                            }
                        }
                        @if let Some(who) = who {
                            form.signout method="post" action="/signout" {
                                (csrf_field(&who.csrf))
                                span { (who.user.name) }
                                " "
                                button type="submit" { "Sign out" }
                                " "
                                button type="submit" formaction="/signout/everywhere" { "Sign out everywhere" }
                            }
                        }
                    }
                }
                main id="main" { (body) }
                footer.site {
                    p { "Run with psirt. " (PreEscaped("&middot;")) " " a href="/report" { "Report a vulnerability privately" } }
                }
            }
        }
    }
}

pub(crate) fn page_response(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

pub(crate) fn ok(markup: Markup) -> Response {
    page_response(StatusCode::OK, markup)
}

/// An instant as the pages show it: UTC, to the minute.
pub(crate) fn when(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// An instant as a `<time>` element, which the stylesheet keeps on one
/// line (a date broken after its day reads wrong on a phone).
pub(crate) fn time(t: jiff::Timestamp) -> Markup {
    html! { time datetime=(t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()) { (when(t)) } }
}

/// A `datetime-local` value (read as UTC) or an RFC 3339 instant.
pub(crate) fn parse_instant(value: &str) -> Result<jiff::Timestamp, String> {
    let value = value.trim();
    if let Ok(t) = value.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    value
        .parse::<jiff::civil::DateTime>()
        .and_then(|dt| jiff::tz::TimeZone::UTC.to_timestamp(dt))
        .map_err(|_| "must be a date and time, like 2026-12-01T16:00 (UTC)".to_string())
}

#[cfg(test)]
mod tests {
    /// The palette of `psirt.css`, by custom property.
    fn palette() -> std::collections::BTreeMap<String, [u8; 3]> {
        let css = include_str!("psirt.css");
        let root = &css[css.find(":root {").unwrap()..];
        let root = &root[..root.find('}').unwrap()];
        root.lines()
            .filter_map(|l| l.trim().strip_prefix("--"))
            .map(|l| {
                let (name, value) = l.split_once(':').unwrap();
                (name.to_string(), rgb(value.trim().trim_end_matches(';')))
            })
            .collect()
    }

    fn rgb(hex: &str) -> [u8; 3] {
        let h = hex.trim_start_matches('#');
        let c = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).unwrap();
        [c(0), c(2), c(4)]
    }

    /// WCAG 2 relative luminance and contrast ratio.
    fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
        let lum = |c: [u8; 3]| {
            let lin = |v: u8| {
                let s = f64::from(v) / 255.0;
                if s <= 0.04045 {
                    s / 12.92
                } else {
                    ((s + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
        };
        let (x, y) = (lum(a), lum(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    /// Every text colour on every background the stylesheet puts it on
    /// reaches WCAG AA for normal text (4.5:1).
    #[test]
    fn text_colours_reach_wcag_aa_contrast() {
        let p = palette();
        let white = [255, 255, 255];
        let pairs = [
            ("ink", "paper"),
            ("muted", "paper"),
            ("accent", "paper"),
            ("bad", "paper"),
            ("ink", "soft"),
            ("muted", "soft"),
            ("accent", "soft"),
            ("ink", "bad-bg"),
            ("muted", "bad-bg"),
            ("accent", "bad-bg"),
            ("bad", "bad-bg"),
            ("good", "good-bg"),
            ("ink", "good-bg"),
        ];
        let mut report = String::new();
        for (fg, bg) in pairs {
            let ratio = contrast(p[fg], p[bg]);
            report.push_str(&format!("{fg} on {bg}: {ratio:.2}\n"));
            assert!(ratio >= 4.5, "{fg} on {bg}: {ratio:.2}");
        }
        // White text on the header, buttons and the "Overdue" badge.
        for bg in ["accent", "bad"] {
            let ratio = contrast(white, p[bg]);
            report.push_str(&format!("white on {bg}: {ratio:.2}\n"));
            assert!(ratio >= 4.5, "white on {bg}: {ratio:.2}");
        }
        // Printed with --nocapture; the report lists the figures.
        println!("{report}");
    }
}
