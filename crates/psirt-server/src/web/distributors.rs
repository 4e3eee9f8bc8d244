//! The distributors list's pages: the public application form, the portal
//! of a signed-in distributor person (their organisation and its people,
//! the embargo policy to accept, vouching, the cases notified to them and
//! each case's notice with its forms for feedback, leaks and help), and the
//! PST's pages (organisations by state with their leaks, and each
//! organisation's answers, people with a form to remove each, timeline and
//! decision forms).
//!
//! These handlers decide nothing: each read and each form goes to the same
//! `Store` method as the JSON API (`crate::distributors`), which asks
//! `psirt_core::authorize` and writes the audit log; the application form
//! is checked by the API's own [`ApplicationInput::check`]. What a page
//! offers follows what the store returned (a person who has not accepted
//! the policy is shown the policy, and nothing embargoed).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use psirt_core::{CaseRef, EmailAddress};
use psirt_store::{Caller, DistributorOrg, NewLeak, OrgState, Principal, StoreError};

use super::{
    Errors, Fields, Input, Kind, PlainForm, SignedIn, Visitor, WebError, WebForm, WebSession,
    csrf_field, error_summary, layout, ok, page_response, parse_instant, time,
};
use crate::distributors::{ApplicationInput, DecisionKind, PersonInput, feedback_kind, person};
use crate::error::ApiError;
use crate::{AppState, now};

/// Rows of people on the application form; blank rows are ignored.
const PEOPLE_ROWS: usize = 3;

pub(super) fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/distributors/apply",
            get(application_form).post(application),
        )
        .route("/distributors", get(portal).post(portal_action))
        .route(
            "/distributors/cases/{reference}",
            get(case_notice).post(case_action),
        )
        .route(
            "/cases/{reference}/distributors",
            get(team_case).post(team_case_action),
        )
        .route("/distributors/admin", get(admin))
        .route(
            "/distributors/admin/{org}",
            get(admin_org).post(admin_decision),
        )
}

/// The seed's embargo policy, which each person accepts for themself.
pub(crate) fn embargo_policy() -> Markup {
    html! {
        p {
            "The information members receive must not be made public, shared, nor even hinted at "
            "anywhere beyond the need-to-know within your specific team except with the list's explicit "
            "approval. This holds true until the public disclosure date and time that was agreed upon. "
            "Members may not use the information for anything other than getting the issue fixed for "
            "their distribution's users."
        }
        p {
            "Before any information is shared with members of your team required to fix the issue, they "
            "must agree to the same terms and only find out information on a need-to-know basis."
        }
        p {
            "If you share the information beyond what this policy allows, you must urgently inform the "
            "security team of exactly what information leaked and to whom. If you continue to leak "
            "information and break this policy, you will be removed from the list."
        }
    }
}

fn field_input<'a>(form: &'a str, name: &'a str, label: &'a str, kind: Kind) -> Input<'a> {
    Input {
        form,
        name,
        label,
        kind,
        required: true,
        hint: None,
    }
}

// ---------------------------------------------------------------------------
// The application form.

fn application_page(values: &Fields, errors: &Errors) -> Markup {
    let criteria: Vec<(String, String)> = psirt_store::CRITERIA
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("criterion_{}", i + 1), format!("{}. {c}", i + 1)))
        .collect();
    html! {
        h1 { "Join the private distributors list" }
        p.lead {
            "Distributors on the list receive early, embargoed notice of security fixes. "
            "Answer each membership criterion, name the people who should receive the notices "
            "(individuals, each with their own OpenPGP key), and the member of the list who vouches for you."
        }
        (error_summary(errors))
        form method="post" action="/distributors/apply" {
            h2 { "Your organisation" }
            (field_input("apply", "organisation", "Organisation or distribution", Kind::Text).render(values, errors))
            (Input {
                form: "apply",
                name: "list_address",
                label: "List address",
                kind: Kind::Email,
                required: false,
                hint: Some("Kept as your contact; embargoed mail goes only to the people you name."),
            }.render(values, errors))
            h2 { "Membership criteria" }
            p { "Say how your organisation meets each criterion, one by one." }
            @for (name, label) in &criteria {
                (field_input("apply", name, label, Kind::Area).render(values, errors))
            }
            (embargo_policy_section())
            h2 { "People" }
            p {
                "Name each person who receives pre-notifications: an individual with their own address (not a list or role alias) "
                "and their ASCII-armored OpenPGP public key. Leave unused rows blank. Each person accepts the embargo policy "
                "themself: psirt sends each an invitation to set a password and sign in."
            }
            @if let Some(e) = errors.fields.get("people") {
                p.error id="apply-people-error" { strong { "Error: " } (e) }
            }
            @for row in 1..=PEOPLE_ROWS {
                section.action {
                    h3 { "Person " (row) }
                    @let name = format!("person{row}_name");
                    @let email = format!("person{row}_email");
                    @let key = format!("person{row}_key");
                    (Input { form: "apply", name: &name, label: "Name", kind: Kind::Text, required: row == 1, hint: None }.render(values, errors))
                    (Input { form: "apply", name: &email, label: "E-mail address", kind: Kind::Email, required: row == 1, hint: None }.render(values, errors))
                    (Input { form: "apply", name: &key, label: "OpenPGP public key (ASCII-armored)", kind: Kind::Area, required: row == 1, hint: None }.render(values, errors))
                }
            }
            h2 { "Voucher" }
            (Input {
                form: "apply",
                name: "voucher",
                label: "E-mail address of the member who vouches for you",
                kind: Kind::Email,
                required: true,
                hint: Some("They confirm or decline in psirt before the security team decides."),
            }.render(values, errors))
            button type="submit" { "Apply" }
        }
    }
}

fn embargo_policy_section() -> Markup {
    html! {
        h2 { "The embargo policy" }
        div.details { (embargo_policy()) }
    }
}

async fn application_form(visitor: Visitor) -> Response {
    ok(layout(
        "Join the distributors list",
        visitor.signed_in.as_ref(),
        application_page(&Fields::default(), &Errors::default()),
    ))
}

/// The form's fields as the API's application, with the form row each
/// `people[i]` came from (blank rows are left out).
fn application_input(f: &Fields) -> (ApplicationInput, Vec<usize>) {
    let mut rows = Vec::new();
    let mut people = Vec::new();
    for row in 1..=PEOPLE_ROWS {
        let p = PersonInput {
            name: f.get(&format!("person{row}_name")).to_string(),
            email: f.get(&format!("person{row}_email")).to_string(),
            key: f.get(&format!("person{row}_key")).to_string(),
        };
        if p.name.trim().is_empty() && p.email.trim().is_empty() && p.key.trim().is_empty() {
            continue;
        }
        rows.push(row);
        people.push(p);
    }
    let answer = |i: usize| Some(f.get(&format!("criterion_{i}")).to_string());
    let input = ApplicationInput {
        project: None,
        organisation: f.get("organisation").to_string(),
        answers: None,
        criterion_1: answer(1),
        criterion_2: answer(2),
        criterion_3: answer(3),
        criterion_4: answer(4),
        criterion_5: answer(5),
        criterion_6: answer(6),
        criterion_7: answer(7),
        list_address: f.optional("list_address"),
        people,
        voucher: f.get("voucher").to_string(),
    };
    (input, rows)
}

/// `people[1].key` as the form's field of that row (`person3_key`).
fn form_field(field: &str, rows: &[usize]) -> String {
    let Some(rest) = field.strip_prefix("people[") else {
        return field.to_string();
    };
    let Some((i, part)) = rest.split_once("].") else {
        return field.to_string();
    };
    match i.parse::<usize>().ok().and_then(|i| rows.get(i)) {
        Some(row) => format!("person{row}_{part}"),
        None => field.to_string(),
    }
}

async fn application(
    State(state): State<AppState>,
    _quota: crate::limits::IntakeQuota<WebError>,
    visitor: Visitor,
    PlainForm(f): PlainForm,
) -> Result<Response, WebError> {
    let caller = Caller::new(Principal::Anonymous, visitor.origin.clone());
    let (input, rows) = application_input(&f);
    let (errors, status) = match input.check(&state.settings.default_project, now()) {
        Err(list) => (
            application_errors(list, &rows),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Ok(application) => match state
            .store
            .apply_distributor(&caller, application, now())
            .await
            .map_err(ApiError::from)
        {
            Ok(org) => return Ok(application_received(&visitor, &org)),
            // The store's checks name a person's field without its row.
            Err(ApiError::Invalid { field, reason }) => {
                let field = match field.as_str() {
                    "person_email" | "person_name" | "person_key" => "people".to_string(),
                    _ => field,
                };
                (
                    application_errors(vec![(field, reason)], &rows),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
            }
            Err(other) => (Errors::from_api(other, &[])?, StatusCode::CONFLICT),
        },
    };
    Ok(page_response(
        status,
        layout(
            "Join the distributors list",
            visitor.signed_in.as_ref(),
            application_page(&f, &errors),
        ),
    ))
}

/// Each error next to the form's field (`people[1].key` is the key of the
/// row it came from); one the form does not show goes on the form.
fn application_errors(list: Vec<(String, String)>, rows: &[usize]) -> Errors {
    let shown = |name: &str| {
        matches!(name, "people" | "organisation" | "list_address" | "voucher")
            || name.starts_with("criterion_")
            || name.starts_with("person")
    };
    let mut errors = Errors::default();
    for (field, reason) in list {
        let name = form_field(&field, rows);
        if shown(&name) {
            errors.field(&name, reason);
        } else {
            errors.form.get_or_insert(format!("{field}: {reason}"));
        }
    }
    errors
}

fn application_received(visitor: &Visitor, org: &DistributorOrg) -> Response {
    let body = html! {
        h1 { "Application received" }
        div.notice role="status" {
            p { "The application of " strong { (org.name) } " is recorded; it waits for " (org.voucher.as_ref().map(|v| v.email.to_string()).unwrap_or_default()) " to vouch for it." }
        }
        h2 { "What happens next" }
        ol {
            li { "The member you named confirms or declines vouching for you in psirt." }
            li { "Each person you named gets an invitation by mail (encrypted to the key you gave) to set a password and sign in, and accepts the embargo policy for themself." }
            li { "The security team approves or rejects the application; you see the outcome and its reason on your portal." }
        }
    };
    page_response(
        StatusCode::CREATED,
        layout("Application received", visitor.signed_in.as_ref(), body),
    )
}

// ---------------------------------------------------------------------------
// The portal.

#[derive(serde::Deserialize)]
struct Done {
    done: Option<String>,
}

fn done_text(done: &str) -> Option<&'static str> {
    Some(match done {
        "accepted" => "you accepted the embargo policy",
        "vouched" => "your answer to the application is recorded",
        "added" => "the person was added; they see nothing until they accept the embargo policy",
        "removed" => "the person was removed",
        "feedback" => "your result is recorded",
        "leak" => "the leak is reported; the security team assesses the embargo break",
        "answered" => "your answer is recorded",
        "decided" => "the decision is recorded",
        _ => return None,
    })
}

/// A form of the portal that was refused, shown again.
struct Refused {
    org: i64,
    form: &'static str,
    values: Fields,
    errors: Errors,
}

fn state_text(state: OrgState) -> &'static str {
    match state {
        OrgState::Applied => "Applied: waits for the voucher",
        OrgState::Vouched => "Vouched for: waits for the security team",
        OrgState::Declined => "The voucher declined",
        OrgState::Approved => "Approved",
        OrgState::Rejected => "Rejected",
        OrgState::Suspended => "Suspended",
        OrgState::Removed => "Removed",
    }
}

/// Where a people table's "Remove" forms go: the portal's (a person of an
/// approved organisation managing their team) or the PST's organisation
/// page. Both end at `Store::remove_distributor_person`, which decides.
struct Removal<'a> {
    who: &'a SignedIn,
    action: String,
}

fn people_table(org: &DistributorOrg, removal: Option<&Removal>) -> Markup {
    html! {
        table {
            caption { "People of " (org.name) }
            thead { tr {
                th scope="col" { "Name" }
                th scope="col" { "E-mail" }
                th scope="col" { "Embargo policy" }
                th scope="col" { "OpenPGP key" }
                @if removal.is_some() { th scope="col" { "Remove" } }
            } }
            tbody {
                @for p in org.people.iter().filter(|p| p.removed_at.is_none()) {
                    tr {
                        td { (p.name) }
                        td { (p.user.email.to_string()) }
                        td {
                            @match p.accepted_at {
                                Some(at) => { "Accepted " (time(at)) @if p.accepted_via.as_deref() == Some("founding") { " (before psirt)" } }
                                None => { span.badge { "Not yet accepted" } }
                            }
                        }
                        td {
                            @if p.has_key { "On file" }
                            @else if let Some(fpr) = &p.key_pending { span.badge { "Named, awaiting their acceptance: " code { (fpr) } } }
                            @else { span.badge.bad { "None: sent nothing" } }
                        }
                        @if let Some(removal) = removal {
                            td {
                                form method="post" action=(removal.action) {
                                    (csrf_field(&removal.who.csrf))
                                    input type="hidden" name="action" value="remove_person";
                                    input type="hidden" name="org" value=(org.id);
                                    input type="hidden" name="email" value=(p.user.email.to_string());
                                    button type="submit" aria-label=(format!("Remove {}", p.user.email)) { "Remove" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn render_portal(
    state: &AppState,
    who: &SignedIn,
    refused: Option<Refused>,
    done: Option<&'static str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let orgs = state.store.distributor_orgs_of(&who.caller).await?;
    let me = who.user.id;
    let pst = matches!(
        state.store.instance_actor(&who.caller).await?,
        psirt_core::Actor::Person { pst: true, .. }
    );
    // A current member of an organisation on the project's list: the
    // store's standing, `authorize_instance`'s decision.
    let member_of_approved = psirt_core::authorize_instance(
        &state
            .store
            .project_actor(&who.caller, &state.settings.default_project)
            .await?,
        psirt_core::Operation::ListNotifiedCases,
    )
    .is_ok();
    let cases = if member_of_approved {
        match state
            .store
            .notified_cases(&who.caller, &state.settings.default_project)
            .await
        {
            Ok(c) => c,
            Err(StoreError::Refused(_)) => Vec::new(),
            Err(e) => return Err(e.into()),
        }
    } else {
        Vec::new()
    };
    let empty = Errors::default();
    let blank = Fields::default();
    let form_state = |org: i64, form: &str| -> (&Fields, &Errors) {
        match &refused {
            Some(r) if r.org == org && r.form == form => (&r.values, &r.errors),
            _ => (&blank, &empty),
        }
    };
    let body = html! {
        h1 { "Distributors list" }
        @if let Some(done) = done {
            div.notice role="status" { p { "Saved: " (done) "." } }
        }
        @if pst {
            p { a href="/distributors/admin" { "Organisations on the list and applications (security team)" } }
        }
        @if orgs.is_empty() {
            p { "You are not a person of any organisation on the distributors list, nor a voucher for one. "
                a href="/distributors/apply" { "Apply to join" } "." }
        }
        @for org in &orgs {
            @let mine = org.people.iter().find(|p| p.user.id == me && p.removed_at.is_none());
            @let voucher = org.voucher.as_ref().is_some_and(|v| v.id == me);
            section.action id=(format!("org-{}", org.id)) {
                h2 { (org.name) }
                dl.facts {
                    dt { "State" } dd { (state_text(org.state)) }
                    @if let Some(reason) = &org.reason { dt { "Reason" } dd { (reason) } }
                    @if let Some(v) = &org.voucher { dt { "Voucher" } dd { (v.email.to_string()) } }
                    @if let Some(a) = &org.list_address { dt { "List address" } dd { (a) } }
                }
                // A person of an approved organisation who accepted the
                // policy manages their team: the table has a "Remove" form.
                @let manages = org.state == OrgState::Approved && mine.is_some_and(|p| p.accepted_at.is_some());
                @if manages {
                    (people_table(org, Some(&Removal { who, action: "/distributors".into() })))
                } @else if mine.is_some() {
                    (people_table(org, None))
                }
                @let to_accept = mine.is_some_and(|p| p.accepted_at.is_none())
                    && !matches!(org.state, OrgState::Declined | OrgState::Rejected | OrgState::Removed);
                @if to_accept {
                    h3 { "Accept the embargo policy" }
                    div.details { (embargo_policy()) }
                    @let (_, errors) = form_state(org.id, "accept");
                    (error_summary(errors))
                    @if let Some(fpr) = mine.and_then(|p| p.key_pending.as_ref()) {
                        p {
                            "Your organisation named this OpenPGP key for you: " code { (fpr) } ". "
                            @if mine.is_some_and(|p| p.has_key) {
                                "You already have a key on file, which stays; change it yourself if this one should replace it."
                            } @else {
                                "Accepting confirms it: pre-notifications are encrypted to it."
                            }
                        }
                    }
                    form method="post" action="/distributors" {
                        (csrf_field(&who.csrf))
                        input type="hidden" name="action" value="accept";
                        input type="hidden" name="org" value=(org.id);
                        button type="submit" { "I accept the embargo policy" }
                    }
                }
                @if voucher && org.state == OrgState::Applied {
                    h3 { "Vouch for " (org.name) }
                    p { "They named you as the member of the list who vouches for them. Their answers:" }
                    ol {
                        @for (c, a) in psirt_store::CRITERIA.iter().zip(&org.answers) {
                            li { strong { (c) } " " span.text { (a) } }
                        }
                    }
                    @let (values, errors) = form_state(org.id, "vouch");
                    (error_summary(errors))
                    form method="post" action="/distributors" {
                        (csrf_field(&who.csrf))
                        input type="hidden" name="org" value=(org.id);
                        (Input { form: &format!("vouch{}", org.id), name: "reason", label: "Reason (required to decline; they see it)", kind: Kind::Area, required: false, hint: None }.render(values, errors))
                        div.buttons {
                            button type="submit" name="action" value="vouch" { "Vouch for them" }
                            button type="submit" name="action" value="decline" { "Decline" }
                        }
                    }
                }
                @if manages {
                    h3 { "Add a person of your team" }
                    p { "They see nothing until they accept the embargo policy themself." }
                    @let (values, errors) = form_state(org.id, "add_person");
                    (error_summary(errors))
                    @let form = format!("add{}", org.id);
                    form method="post" action="/distributors" {
                        (csrf_field(&who.csrf))
                        input type="hidden" name="action" value="add_person";
                        input type="hidden" name="org" value=(org.id);
                        (field_input(&form, "name", "Name", Kind::Text).render(values, errors))
                        (field_input(&form, "email", "E-mail address", Kind::Email).render(values, errors))
                        (field_input(&form, "key", "OpenPGP public key (ASCII-armored)", Kind::Area).render(values, errors))
                        button type="submit" { "Add person" }
                    }
                }
            }
        }
        @if member_of_approved {
            h2 { "Cases notified to you" }
            @if cases.is_empty() {
                p { "No case under embargo has been notified to your organisation." }
            } @else {
                table {
                    caption { "Cases under embargo, notified to your organisation" }
                    thead { tr { th scope="col" { "Case" } th scope="col" { "Summary" } th scope="col" { "Embargo ends" } th scope="col" { "Notified" } } }
                    tbody {
                        @for c in &cases {
                            tr {
                                td { a href=(format!("/distributors/cases/{}", c.reference)) { (c.reference.to_string()) } }
                                td { (c.summary) }
                                td {
                                    @if let Some(was) = c.embargo_was { del { (time(was)) } " " strong { "moved earlier: " } }
                                    @if let Some(e) = c.embargo_end { (time(e)) } @else { "—" }
                                }
                                td { (time(c.notified_at)) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page_response(
        status,
        layout("Distributors list", Some(who), body),
    ))
}

async fn portal(
    State(state): State<AppState>,
    WebSession(who): WebSession,
    Query(q): Query<Done>,
) -> Result<Response, WebError> {
    let done = q.done.as_deref().and_then(done_text);
    render_portal(&state, &who, None, done, StatusCode::OK).await
}

fn org_field(f: &Fields) -> Result<i64, WebError> {
    f.get("org").parse().map_err(|_| {
        WebError::Page(
            StatusCode::BAD_REQUEST,
            "Unknown form".into(),
            "The form did not name an organisation.".into(),
        )
    })
}

async fn portal_action(State(state): State<AppState>, form: WebForm) -> Result<Response, WebError> {
    let WebForm { who, fields } = form;
    let org = org_field(&fields)?;
    let at = now();
    let (form, result, done): (&'static str, Result<(), ApiError>, &str) =
        match fields.get("action") {
            "accept" => (
                "accept",
                state
                    .store
                    .accept_embargo_policy(&who.caller, org, at)
                    .await
                    .map(|_| ())
                    .map_err(ApiError::from),
                "accepted",
            ),
            "vouch" => (
                "vouch",
                state
                    .store
                    .vouch_distributor(&who.caller, org, fields.optional("reason").as_deref(), at)
                    .await
                    .map(|_| ())
                    .map_err(ApiError::from),
                "vouched",
            ),
            "decline" => (
                "vouch",
                state
                    .store
                    .decline_distributor(
                        &who.caller,
                        org,
                        fields.optional("reason").as_deref().unwrap_or(""),
                        at,
                    )
                    .await
                    .map(|_| ())
                    .map_err(ApiError::from),
                "vouched",
            ),
            "add_person" => {
                let input = PersonInput {
                    name: fields.get("name").to_string(),
                    email: fields.get("email").to_string(),
                    key: fields.get("key").to_string(),
                };
                let mut errors = Vec::new();
                let result = match person("", &input, at, &mut errors) {
                    Some(p) => state
                        .store
                        .add_distributor_person(&who.caller, org, p, at)
                        .await
                        .map(|_| ())
                        .map_err(ApiError::from),
                    None => {
                        let mut refused = Errors::default();
                        for (field, reason) in errors {
                            refused.field(&field, reason);
                        }
                        let refused = Refused {
                            org,
                            form: "add_person",
                            values: fields,
                            errors: refused,
                        };
                        return render_portal(
                            &state,
                            &who,
                            Some(refused),
                            None,
                            StatusCode::UNPROCESSABLE_ENTITY,
                        )
                        .await;
                    }
                };
                ("add_person", result, "added")
            }
            "remove_person" => {
                let email: Result<EmailAddress, _> = fields.get("email").parse();
                let result = match email {
                    Ok(email) => state
                        .store
                        .remove_distributor_person(&who.caller, org, &email, at)
                        .await
                        .map(|_| ())
                        .map_err(ApiError::from),
                    Err(_) => Err(ApiError::NotFound("no such person".into())),
                };
                ("add_person", result, "removed")
            }
            other => {
                return Err(WebError::Page(
                    StatusCode::BAD_REQUEST,
                    "Unknown form".into(),
                    format!("{other:?} is not a form of the portal."),
                ));
            }
        };
    let e = match result {
        Ok(()) => {
            return Ok(Redirect::to(&format!("/distributors?done={done}")).into_response());
        }
        Err(e) => e,
    };
    if matches!(e, ApiError::Forbidden(_)) {
        return Err(e.into());
    }
    let errors = Errors::from_api(e, &["name", "email", "key", "reason"])?;
    let status = if errors.fields.is_empty() {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let refused = Refused {
        org,
        form,
        values: fields,
        errors,
    };
    render_portal(&state, &who, Some(refused), None, status).await
}

// ---------------------------------------------------------------------------
// A notified case: the notice and the forms.

fn case_ref(text: &str) -> Result<CaseRef, WebError> {
    text.parse().map_err(|_| {
        WebError::Page(
            StatusCode::NOT_FOUND,
            "Not found".into(),
            format!("There is no case {text:?}."),
        )
    })
}

async fn render_case_notice(
    state: &AppState,
    who: &SignedIn,
    reference: CaseRef,
    refused: Option<(&'static str, Fields, Errors)>,
    done: Option<&'static str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let notice = state.store.pre_notification(&who.caller, reference).await?;
    let requests = state.store.help_requests(&who.caller, reference).await?;
    let empty = Errors::default();
    let blank = Fields::default();
    let form_state = |form: &str| -> (&Fields, &Errors) {
        match &refused {
            Some((f, values, errors)) if *f == form => (values, errors),
            _ => (&blank, &empty),
        }
    };
    // Which request's answer was refused, if one was.
    let answer_state = |id: i64| -> (&Fields, &Errors) {
        match &refused {
            Some(("answer", values, errors)) if values.get("request") == id.to_string() => {
                (values, errors)
            }
            _ => (&blank, &empty),
        }
    };
    let action = format!("/distributors/cases/{reference}");
    let body = html! {
        p.crumbs { a href="/distributors" { "Distributors list" } }
        h1 { "Pre-notification " (reference.to_string()) }
        @if let Some(done) = done {
            div.notice role="status" { p { "Saved: " (done) "." } }
        }
        dl.facts {
            dt { "Subject" } dd { (notice.subject.expose()) }
            dt { "Embargo ends" } dd {
                @if let Some(was) = notice.embargo_was { del { (time(was)) } " " strong { "moved earlier: " } }
                @if let Some(e) = notice.embargo_end { (time(e)) } @else { "—" }
            }
        }
        h2 { "The notice" }
        div.details { (notice.body.expose()) }
        h2 { "Review and test results" }
        p { "Tell the security team what you reviewed or tested, even if you found no issues." }
        @let (values, errors) = form_state("feedback");
        (error_summary(errors))
        form method="post" action=(action) {
            (csrf_field(&who.csrf))
            input type="hidden" name="action" value="feedback";
            div.field {
                label for="feedback-kind" { "What you did" }
                select id="feedback-kind" name="kind" {
                    option value="test" selected[values.get("kind") != "review"] { "Tested" }
                    option value="review" selected[values.get("kind") == "review"] { "Reviewed" }
                }
            }
            div.field {
                label for="feedback-outcome" { "Outcome" }
                select id="feedback-outcome" name="outcome" {
                    option value="no_issues_found" selected[values.get("outcome") != "issues_found"] { "No issues found" }
                    option value="issues_found" selected[values.get("outcome") == "issues_found"] { "Issues found" }
                }
            }
            (field_input("feedback", "text", "Details", Kind::Area).render(values, errors))
            button type="submit" { "Record the result" }
        }
        h2 { "Report a leak" }
        p { "If the information leaked beyond what the embargo policy allows, say exactly what leaked, to whom and when." }
        @let (values, errors) = form_state("leak");
        (error_summary(errors))
        form method="post" action=(action) {
            (csrf_field(&who.csrf))
            input type="hidden" name="action" value="leak";
            (field_input("leak", "what", "What leaked", Kind::Area).render(values, errors))
            (field_input("leak", "to_whom", "To whom", Kind::Text).render(values, errors))
            (field_input("leak", "when", "When (UTC)", Kind::DateTime).render(values, errors))
            (Input { form: "leak", name: "responsible", label: "The organisation responsible, if known", kind: Kind::Text, required: false, hint: None }.render(values, errors))
            button type="submit" { "Report the leak" }
        }
        h2 { "Requests for help" }
        @if requests.is_empty() {
            p { "The security team has not asked for help on this case." }
        }
        @for r in &requests {
            section.action {
                h3 { (match r.topic { psirt_store::HelpTopic::AnnouncementDraft => "Help with the announcement draft", psirt_store::HelpTopic::ReleaseNotes => "Help with the release notes" }) }
                p.meta { "Asked " (time(r.asked_at)) }
                div.details { (r.text.expose()) }
                @let name = format!("answer{}", r.id);
                @let (values, errors) = answer_state(r.id);
                (error_summary(errors))
                form method="post" action=(action) {
                    (csrf_field(&who.csrf))
                    input type="hidden" name="action" value="answer";
                    input type="hidden" name="request" value=(r.id);
                    (field_input(&name, "text", "Your answer", Kind::Area).render(values, errors))
                    button type="submit" { "Send the answer" }
                }
            }
        }
    };
    Ok(page_response(
        status,
        layout(&format!("Pre-notification {reference}"), Some(who), body),
    ))
}

async fn case_notice(
    State(state): State<AppState>,
    WebSession(who): WebSession,
    Path(r): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, WebError> {
    let reference = case_ref(&r)?;
    let done = q.done.as_deref().and_then(done_text);
    render_case_notice(&state, &who, reference, None, done, StatusCode::OK).await
}

async fn case_action(
    State(state): State<AppState>,
    Path(r): Path<String>,
    form: WebForm,
) -> Result<Response, WebError> {
    let reference = case_ref(&r)?;
    let WebForm { who, fields } = form;
    let at = now();
    let (form, result, done): (&'static str, Result<(), ApiError>, &str) = match fields
        .get("action")
    {
        "feedback" => {
            let result = match feedback_kind(fields.get("kind"), fields.get("outcome")) {
                Ok((kind, outcome)) => state
                    .store
                    .record_distributor_feedback(
                        &who.caller,
                        reference,
                        kind,
                        outcome,
                        fields.get("text"),
                        at,
                    )
                    .await
                    .map(|_| ())
                    .map_err(ApiError::from),
                Err(e) => Err(e),
            };
            ("feedback", result, "feedback")
        }
        "leak" => {
            let result = match parse_instant(fields.get("when")) {
                Ok(when) => state
                    .store
                    .report_leak(
                        &who.caller,
                        reference,
                        NewLeak {
                            what: fields.get("what").to_string(),
                            to_whom: fields.get("to_whom").to_string(),
                            when,
                            responsible: fields.optional("responsible"),
                        },
                        at,
                    )
                    .await
                    .map(|_| ())
                    .map_err(ApiError::from),
                Err(reason) => Err(ApiError::Invalid {
                    field: "when".into(),
                    reason,
                }),
            };
            ("leak", result, "leak")
        }
        "answer" => {
            let result = match fields.get("request").parse::<i64>() {
                Ok(request) => state
                    .store
                    .answer_help_request(&who.caller, reference, request, fields.get("text"), at)
                    .await
                    .map(|_| ())
                    .map_err(ApiError::from),
                Err(_) => Err(ApiError::NotFound("no such request for help".into())),
            };
            ("answer", result, "answered")
        }
        other => {
            return Err(WebError::Page(
                StatusCode::BAD_REQUEST,
                "Unknown form".into(),
                format!("{other:?} is not a form of the notice page."),
            ));
        }
    };
    let e = match result {
        Ok(()) => {
            return Ok(
                Redirect::to(&format!("/distributors/cases/{reference}?done={done}"))
                    .into_response(),
            );
        }
        Err(e) => e,
    };
    if matches!(e, ApiError::Forbidden(_)) {
        return Err(e.into());
    }
    let known = [
        "kind",
        "outcome",
        "text",
        "what",
        "to_whom",
        "when",
        "responsible",
    ];
    let errors = Errors::from_api(e, &known)?;
    let status = if errors.fields.is_empty() {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_case_notice(
        &state,
        &who,
        reference,
        Some((form, fields, errors)),
        None,
        status,
    )
    .await
}

// ---------------------------------------------------------------------------
// The PST's pages.

const STATES: [OrgState; 7] = [
    OrgState::Vouched,
    OrgState::Applied,
    OrgState::Approved,
    OrgState::Suspended,
    OrgState::Declined,
    OrgState::Rejected,
    OrgState::Removed,
];

async fn admin(
    State(state): State<AppState>,
    WebSession(who): WebSession,
) -> Result<Response, WebError> {
    let project = &state.settings.default_project;
    let orgs = state.store.distributor_orgs(&who.caller, project).await?;
    let leaks = state.store.leak_counts(&who.caller, project).await?;
    let leaks_of = |id: i64| leaks.iter().find(|l| l.org_id == id).map_or(0, |l| l.leaks);
    let body = html! {
        h1 { "Distributors list" }
        p { "Organisations on the list and their applications, by state, with the leaks reported against each." }
        @for s in STATES {
            @let these: Vec<&DistributorOrg> = orgs.iter().filter(|o| o.state == s).collect();
            @if !these.is_empty() {
                h2 { (state_text(s)) }
                table {
                    caption { (state_text(s)) " (" (these.len()) ")" }
                    thead { tr {
                        th scope="col" { "Organisation" }
                        th scope="col" { "People" }
                        th scope="col" { "Accepted the policy" }
                        th scope="col" { "Leaks" }
                        th scope="col" { "Updated" }
                    } }
                    tbody {
                        @for o in these {
                            @let current: Vec<_> = o.people.iter().filter(|p| p.removed_at.is_none()).collect();
                            tr {
                                td { a href=(format!("/distributors/admin/{}", o.id)) { (o.name) } }
                                td { (current.len()) }
                                td { (current.iter().filter(|p| p.accepted_at.is_some()).count()) }
                                td { @let n = leaks_of(o.id); @if n > 0 { span.badge.bad { (n) } } @else { "0" } }
                                td { (time(o.updated_at)) }
                            }
                        }
                    }
                }
            }
        }
        @if orgs.is_empty() {
            p { "No organisation has applied yet." }
        }
    };
    Ok(ok(layout("Distributors list", Some(&who), body)))
}

fn org_id(text: &str) -> Result<i64, WebError> {
    text.parse().map_err(|_| {
        WebError::Page(
            StatusCode::NOT_FOUND,
            "Not found".into(),
            format!("There is no organisation {text:?}."),
        )
    })
}

async fn render_admin_org(
    state: &AppState,
    who: &SignedIn,
    org: i64,
    refused: Option<(AdminForm, Fields, Errors)>,
    done: Option<&'static str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let org = state.store.distributor_org(&who.caller, org).await?;
    let leaks = state
        .store
        .leak_counts(&who.caller, &org.project)
        .await?
        .iter()
        .find(|l| l.org_id == org.id)
        .map_or(0, |l| l.leaks);
    let empty = Errors::default();
    let (form, values, errors) =
        refused.unwrap_or((AdminForm::Decide, Fields::default(), Errors::default()));
    let errors_of = |f: AdminForm| if f == form { &errors } else { &empty };
    let removal = Removal {
        who,
        action: format!("/distributors/admin/{}", org.id),
    };
    let body = html! {
        p.crumbs { a href="/distributors/admin" { "Distributors list" } }
        h1 { (org.name) }
        @if let Some(done) = done {
            div.notice role="status" { p { "Saved: " (done) "." } }
        }
        dl.facts {
            dt { "State" } dd { (state_text(org.state)) }
            @if let Some(reason) = &org.reason { dt { "Reason" } dd { (reason) } }
            dt { "Voucher" } dd { (org.voucher.as_ref().map(|v| v.email.to_string()).unwrap_or_else(|| "—".into())) }
            dt { "List address" } dd { (org.list_address.clone().unwrap_or_else(|| "—".into())) }
            dt { "Applied" } dd { (time(org.applied_at)) }
            dt { "Leaks reported" } dd { (leaks) }
        }
        h2 { "Decision" }
        (error_summary(errors_of(AdminForm::Decide)))
        form method="post" action=(format!("/distributors/admin/{}", org.id)) {
            (csrf_field(&who.csrf))
            (Input { form: "decide", name: "reason", label: "Reason (required for all but approval; the organisation sees it)", kind: Kind::Area, required: false, hint: None }.render(&values, errors_of(AdminForm::Decide)))
            div.buttons {
                @for d in DecisionKind::ALL {
                    button type="submit" name="decision" value=(d.as_str()) { (match d {
                        DecisionKind::Approve => "Approve",
                        DecisionKind::Reject => "Reject",
                        DecisionKind::Suspend => "Suspend",
                        DecisionKind::Reinstate => "Reinstate",
                        DecisionKind::Remove => "Remove",
                    }) }
                }
            }
        }
        h2 { "Answers to the membership criteria" }
        ol {
            @for (c, a) in psirt_store::CRITERIA.iter().zip(&org.answers) {
                li { p { strong { (c) } } p.text { (a) } }
            }
        }
        h2 { "People" }
        p { "Removing a person takes effect at once: they receive nothing more and see nothing embargoed." }
        (error_summary(errors_of(AdminForm::RemovePerson)))
        (people_table(&org, Some(&removal)))
        h2 { "Timeline" }
        ol.timeline {
            @for e in &org.timeline {
                li {
                    p.meta { (time(e.at)) " · " (e.actor) }
                    p { strong { (e.kind) } @if !e.detail.is_empty() { ": " (e.detail) } }
                }
            }
        }
    };
    Ok(page_response(status, layout(&org.name, Some(who), body)))
}

async fn admin_org(
    State(state): State<AppState>,
    WebSession(who): WebSession,
    Path(org): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, WebError> {
    let org = org_id(&org)?;
    let done = q.done.as_deref().and_then(done_text);
    render_admin_org(&state, &who, org, None, done, StatusCode::OK).await
}

/// The forms of the PST's organisation page.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AdminForm {
    Decide,
    RemovePerson,
}

async fn admin_decision(
    State(state): State<AppState>,
    Path(org): Path<String>,
    form: WebForm,
) -> Result<Response, WebError> {
    let org = org_id(&org)?;
    let WebForm { who, fields } = form;
    if fields.get("action") == "remove_person" {
        return admin_remove_person(&state, who, org, fields).await;
    }
    let Some(kind) = DecisionKind::parse(fields.get("decision")) else {
        return Err(WebError::Page(
            StatusCode::BAD_REQUEST,
            "Unknown form".into(),
            format!("{:?} is not a decision.", fields.get("decision")),
        ));
    };
    let result = match kind.with(fields.optional("reason")) {
        Ok(decision) => state
            .store
            .decide_distributor(&who.caller, org, decision, now())
            .await
            .map(|_| ())
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    let e = match result {
        Ok(()) => {
            return Ok(
                Redirect::to(&format!("/distributors/admin/{org}?done=decided")).into_response(),
            );
        }
        Err(e) => e,
    };
    if matches!(e, ApiError::Forbidden(_)) {
        return Err(e.into());
    }
    let errors = Errors::from_api(e, &["reason"])?;
    let status = if errors.fields.is_empty() {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let refused = Some((AdminForm::Decide, fields, errors));
    render_admin_org(&state, &who, org, refused, None, status).await
}

/// The PST removes one person of the organisation.
async fn admin_remove_person(
    state: &AppState,
    who: SignedIn,
    org: i64,
    fields: Fields,
) -> Result<Response, WebError> {
    let result = match fields.get("email").parse::<EmailAddress>() {
        Ok(email) => state
            .store
            .remove_distributor_person(&who.caller, org, &email, now())
            .await
            .map(|_| ())
            .map_err(ApiError::from),
        Err(_) => Err(ApiError::NotFound("no such person".into())),
    };
    let e = match result {
        Ok(()) => {
            return Ok(
                Redirect::to(&format!("/distributors/admin/{org}?done=removed")).into_response(),
            );
        }
        Err(e) => e,
    };
    if matches!(e, ApiError::Forbidden(_)) {
        return Err(e.into());
    }
    let errors = Errors::from_api(e, &[])?;
    let refused = Some((AdminForm::RemovePerson, fields, errors));
    render_admin_org(state, &who, org, refused, None, StatusCode::CONFLICT).await
}

// ---------------------------------------------------------------------------
// The team's view of a case's distributors.

async fn render_team_case(
    state: &AppState,
    who: &SignedIn,
    reference: CaseRef,
    refused: Option<(Fields, Errors)>,
    done: Option<&'static str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let rows = state
        .store
        .distributor_notifications(&who.caller, reference)
        .await?;
    let feedback = state
        .store
        .distributor_feedback(&who.caller, reference)
        .await?;
    let requests = state.store.help_requests(&who.caller, reference).await?;
    let (values, errors) = refused.unwrap_or_default();
    let body = html! {
        p.crumbs { a href=(format!("/cases/{reference}")) { (reference.to_string()) } }
        h1 { "Distributors on " (reference.to_string()) }
        @if let Some(done) = done {
            div.notice role="status" { p { "Saved: " (done) "." } }
        }
        h2 { "Pre-notification" }
        @if rows.is_empty() {
            p { "Nobody has a copy of the pre-notification yet." }
        } @else {
            table {
                caption { "Each distributor's copy of the pre-notification" }
                thead { tr { th scope="col" { "Organisation" } th scope="col" { "Person" } th scope="col" { "State" } } }
                tbody {
                    @for r in &rows {
                        tr {
                            td { (r.organisation) }
                            td { (r.email) }
                            td {
                                @match &r.delivery {
                                    psirt_store::Delivery::Notified => { span.badge.good { "Notified" } }
                                    psirt_store::Delivery::Pending => { span.badge { "Pending" } }
                                    psirt_store::Delivery::NotNotified(why) => { span.badge.bad { "Not notified" } " " (why) }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Feedback" }
        @if feedback.is_empty() {
            p { "No distributor has sent a review or test result yet." }
        } @else {
            ol.timeline {
                @for f in &feedback {
                    li {
                        p.meta { (time(f.at)) " · " (f.organisation) " · " (f.by.to_string()) }
                        p {
                            strong { (f.kind) }
                            @if let Some(o) = f.outcome { ": " (match o { psirt_store::Outcome::NoIssuesFound => "no issues found", psirt_store::Outcome::IssuesFound => "issues found" }) }
                            @if let Some(r) = f.request { " (answer to request " (r) ")" }
                        }
                        p.text { (f.text.expose()) }
                    }
                }
            }
        }
        h2 { "Requests for help" }
        @for r in &requests {
            section.action {
                h3 { (r.topic.as_str()) }
                p.meta { "Asked " (time(r.asked_at)) }
                div.details { (r.text.expose()) }
            }
        }
        h3 { "Ask the notified distributors for help" }
        (error_summary(&errors))
        form method="post" action=(format!("/cases/{reference}/distributors")) {
            (csrf_field(&who.csrf))
            div.field {
                label for="help-topic" { "With" }
                select id="help-topic" name="topic" {
                    option value="announcement_draft" selected[values.get("topic") != "release_notes"] { "The announcement draft" }
                    option value="release_notes" selected[values.get("topic") == "release_notes"] { "The release notes" }
                }
            }
            (field_input("help", "text", "What you ask", Kind::Area).render(&values, &errors))
            button type="submit" { "Ask for help" }
        }
    };
    Ok(page_response(
        status,
        layout(&format!("Distributors on {reference}"), Some(who), body),
    ))
}

async fn team_case(
    State(state): State<AppState>,
    WebSession(who): WebSession,
    Path(r): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, WebError> {
    let reference = case_ref(&r)?;
    let done = q.done.as_deref().and_then(|d| match d {
        "asked" => Some("the notified distributors are asked for help"),
        _ => None,
    });
    render_team_case(&state, &who, reference, None, done, StatusCode::OK).await
}

async fn team_case_action(
    State(state): State<AppState>,
    Path(r): Path<String>,
    form: WebForm,
) -> Result<Response, WebError> {
    let reference = case_ref(&r)?;
    let WebForm { who, fields } = form;
    let result = match psirt_store::HelpTopic::parse(fields.get("topic")) {
        Some(topic) => state
            .store
            .ask_distributors_for_help(&who.caller, reference, topic, fields.get("text"), now())
            .await
            .map(|_| ())
            .map_err(ApiError::from),
        None => Err(ApiError::Invalid {
            field: "topic".into(),
            reason: "must be announcement_draft or release_notes".into(),
        }),
    };
    let e = match result {
        Ok(()) => {
            return Ok(
                Redirect::to(&format!("/cases/{reference}/distributors?done=asked"))
                    .into_response(),
            );
        }
        Err(e) => e,
    };
    if matches!(e, ApiError::Forbidden(_)) {
        return Err(e.into());
    }
    let errors = Errors::from_api(e, &["topic", "text"])?;
    let status = if errors.fields.is_empty() {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_team_case(
        &state,
        &who,
        reference,
        Some((fields, errors)),
        None,
        status,
    )
    .await
}
