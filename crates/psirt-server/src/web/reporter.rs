//! The reporter's pages: the report form, the confirmation with the
//! private status link, and the status page behind that link, with its
//! forms to answer the team and to say how to be credited.
//!
//! The status link is the reporter's only credential; it is shown once,
//! on the confirmation page, and never logged (`redact_path`). Its forms
//! need no CSRF token: another site cannot post to a link it does not know.
//!
//! The report form is `multipart/form-data` so it can carry files
//! ([`ReportForm`]); its route alone accepts bodies large enough for
//! `MAX_ATTACHMENTS` files of `MAX_ATTACHMENT_BYTES`. File names and bytes
//! are report content and are never logged.
//!
//! A field holding an ASCII-armored OpenPGP message is decrypted with the
//! instance key before the report is stored (`crate::intake`); one that
//! cannot be decrypted brings the form back with the reason next to it.

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use psirt_core::{Command, Credit, CreditKind, NewReport, Operation, Reporter, Secret};
use psirt_store::{
    Caller, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, NewAttachment, Principal, StoreError,
};

use super::{
    Errors, Fields, Input, Kind, PlainForm, Site, Visitor, WebError, error_summary, layout, ok,
    page_response, time,
};
use crate::api::ReporterStatus;
use crate::attachments::read_file;
use crate::error::ApiError;
use crate::{AppState, now};

const FORM: &str = "report";

const FILES_HINT: &str = "Up to 5 files (screenshots, packet captures, logs), each at most 10 MiB. Only the security team can open them.";

/// The report form's fields and files. The form is `multipart/form-data`;
/// a URL-encoded body (a client without files) is read too.
pub(super) struct ReportForm {
    fields: Fields,
    files: Vec<NewAttachment>,
}

fn unreadable(status: StatusCode, detail: String) -> WebError {
    let detail = if status == StatusCode::PAYLOAD_TOO_LARGE {
        format!(
            "The report is larger than this form accepts ({MAX_ATTACHMENTS} files of at most {} MiB each, plus the text). Go back and attach fewer or smaller files.",
            MAX_ATTACHMENT_BYTES / (1024 * 1024)
        )
    } else {
        detail
    };
    WebError::Page(status, "The form could not be read".into(), detail)
}

impl FromRequest<AppState> for ReportForm {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, WebError> {
        let multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let PlainForm(fields) = PlainForm::from_request(request, state).await?;
            return Ok(ReportForm {
                fields,
                files: Vec::new(),
            });
        }
        let mut body = Multipart::from_request(request, state)
            .await
            .map_err(|r| unreadable(r.status(), r.body_text()))?;
        let mut fields = Fields::default();
        let mut files = Vec::new();
        while let Some(field) = body
            .next_field()
            .await
            .map_err(|e| unreadable(e.status(), e.body_text()))?
        {
            let name = field.name().unwrap_or("").to_string();
            if name != "attachments" {
                let value = field
                    .text()
                    .await
                    .map_err(|e| unreadable(e.status(), e.body_text()))?;
                fields.0.push((name, value));
                continue;
            }
            if let Some(file) = read_file(field)
                .await
                .map_err(|e| unreadable(e.status(), e.body_text()))?
            {
                files.push(file);
            }
        }
        Ok(ReportForm { fields, files })
    }
}

/// Browsers cannot fill a file input again, so a form that comes back
/// says so next to it.
fn files_not_kept(errors: &mut Errors, files: usize) {
    const AGAIN: &str = "Files are not kept when the form comes back: choose them again.";
    match errors.fields.get_mut("attachments") {
        Some(reason) => reason.push_str(&format!(". {AGAIN}")),
        None if files > 0 => errors.field(
            "attachments",
            format!("{files} file(s) were not kept because of the errors above. {AGAIN}"),
        ),
        None => {}
    }
}

fn inputs() -> [Input<'static>; 11] {
    let i = |name, label, kind, required, hint| Input {
        form: FORM,
        name,
        label,
        kind,
        required,
        hint,
    };
    [
        i(
            "summary",
            "Summary",
            Kind::Text,
            true,
            Some("One line: what is vulnerable, and how badly."),
        ),
        i(
            "location",
            "Location and impact",
            Kind::Area,
            true,
            Some(
                "Where the vulnerability is (component, file, endpoint) and what an attacker can do with it.",
            ),
        ),
        i("steps", "Steps to reproduce", Kind::Area, false, None),
        i(
            "poc",
            "Proof of concept",
            Kind::Area,
            false,
            Some("A script, request or packet capture as text; or attach files below."),
        ),
        i(
            "attachments",
            "Attachments",
            Kind::Files,
            false,
            Some(FILES_HINT),
        ),
        i(
            "affected_versions",
            "Affected versions",
            Kind::Text,
            false,
            Some("For example \u{201c}1.10.0 to 1.11.1\u{201d}."),
        ),
        i(
            "already_public",
            "The vulnerability is already public",
            Kind::Checkbox,
            false,
            None,
        ),
        i(
            "public_link",
            "Where it was made public",
            Kind::Url,
            false,
            Some("A link, if you ticked \u{201c}already public\u{201d}."),
        ),
        i(
            "reporter_name",
            "Your name or handle",
            Kind::Text,
            false,
            Some("Optional; you can also choose how to be credited later."),
        ),
        i(
            "reporter_email",
            "Your e-mail address",
            Kind::Email,
            false,
            Some("Optional; the status link works without it."),
        ),
        i(
            "ai_assisted",
            "I used AI tools to find or write this report",
            Kind::Checkbox,
            false,
            Some("Optional; the security team sees it with your report."),
        ),
    ]
}

/// The parts of the report that may be encrypted: each is decrypted on
/// its own, so an error stands next to the field that held the block.
const ENCRYPTABLE: [&str; 4] = ["location", "steps", "poc", "affected_versions"];

fn report_page(values: &Fields, errors: &Errors, visitor: &Visitor, state: &AppState) -> Markup {
    let fields = inputs();
    let key = state
        .settings
        .instance_key
        .as_deref()
        .map(psirt_mail::InstanceKey::fingerprint);
    layout(
        "Report a vulnerability",
        visitor.signed_in.as_ref(),
        html! {
            h1 { "Report a vulnerability" }
            p {
                "Your report goes only to the project's Product Security Team. Please do not file a public issue. "
                "After sending you get a private link to follow your report."
            }
            @if let Some(fingerprint) = &key {
                p #encryption {
                    "You may encrypt the text of your report to our OpenPGP key "
                    code.fingerprint { (fingerprint.to_string()) } " ("
                    a href="/openpgp-key.asc" { "/openpgp-key.asc" }
                    ") and paste the ASCII-armored message into the fields below; it is decrypted when it arrives. "
                    "Keep the summary in plain text."
                }
            }
            form method="post" action="/report" enctype="multipart/form-data" novalidate {
                (error_summary(errors))
                @for input in &fields { (input.render(values, errors)) }
                button type="submit" { "Send report privately" }
            }
        },
    )
}

pub(super) async fn report_form(State(state): State<AppState>, visitor: Visitor) -> Response {
    ok(report_page(
        &Fields::default(),
        &Errors::default(),
        &visitor,
        &state,
    ))
}

/// The report's details as one text, with the parts the form asked for
/// under headings.
fn details(f: &Fields) -> String {
    let mut text = f.get("location").trim().to_string();
    for (heading, name) in [
        ("Steps to reproduce", "steps"),
        ("Proof of concept", "poc"),
        ("Affected versions", "affected_versions"),
    ] {
        if let Some(part) = f.optional(name) {
            text.push_str(&format!("\n\n## {heading}\n\n{part}"));
        }
    }
    text
}

pub(super) async fn submit_report(
    State(state): State<AppState>,
    _quota: crate::limits::IntakeQuota<WebError>,
    // On its way to the group commit (see the API's intake).
    crate::limits::Arriving(arrival): crate::limits::Arriving,
    visitor: Visitor,
    site: Site,
    ReportForm { fields: f, files }: ReportForm,
) -> Result<Response, WebError> {
    let caller = Caller::new(Principal::Anonymous, visitor.origin.clone());
    let mut errors = Errors::default();
    let summary = f.get("summary").trim();
    if summary.is_empty() {
        errors.field("summary", "is required: one line saying what is vulnerable");
    }
    if f.get("location").trim().is_empty() {
        errors.field(
            "location",
            "is required: where the vulnerability is and its impact",
        );
    }
    let already_public = f.get("already_public") == "on";
    let public_link = f.optional("public_link");
    if public_link.is_some() && !already_public {
        errors.field(
            "public_link",
            "is only for a vulnerability that is already public: tick \u{201c}already public\u{201d} or leave it empty",
        );
    }
    let email = match f.optional("reporter_email").map(|e| e.parse()) {
        Some(Err(e)) => {
            let e: psirt_core::IdError = e;
            errors.field("reporter_email", e.reason);
            None
        }
        Some(Ok(e)) => Some(e),
        None => None,
    };
    if let Err(e) = psirt_store::check_attachments(&files) {
        errors = merge(errors, Errors::from_api(e.into(), &["attachments"])?);
    }
    if crate::intake::is_encrypted(summary) {
        errors.field(
            "summary",
            "must be plain text: encrypt the other fields only",
        );
    }
    // Encrypted parts are decrypted before anything is stored; the form
    // shows the person's input again, never the plaintext.
    let mut plain = f.clone();
    for name in ENCRYPTABLE {
        let key = state.settings.instance_key.clone();
        match crate::intake::decrypt_off_thread(f.get(name).to_string(), key).await {
            Ok(text) => plain.set(name, &text),
            Err(reason) => errors.field(name, reason),
        }
    }
    if !errors.is_empty() {
        files_not_kept(&mut errors, files.len());
        return Ok(page_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            report_page(&f, &errors, &visitor, &state),
        ));
    }
    let reporter = match (f.optional("reporter_name"), email) {
        (None, None) => None,
        (name, email) => Some(Reporter { name, email }),
    };
    let report = NewReport {
        project: site.project,
        summary: summary.to_string(),
        details: Secret::new(details(&plain)),
        reporter,
        public_link,
        already_public,
        ai_assisted: f.get("ai_assisted") == "on",
    };
    let count = files.len();
    // Counted against the address's daily quota with the report, in its
    // transaction.
    let intake = match arrival
        .report_within_quota(
            report,
            files,
            &caller.origin,
            now(),
            state.settings.reports_per_email_per_day.get(),
        )
        .await
    {
        Ok(intake) => intake,
        // Over the address's daily quota: the same refusal as the API's
        // (429 with Retry-After), not a mistake in the form.
        Err(e @ StoreError::QuotaExceeded { .. }) => return Err(ApiError::from(e).into()),
        Err(e) => {
            let known: Vec<&str> = inputs().iter().map(|i| i.name).collect();
            // The engine names the combined text `details`; it is the
            // "location and impact" field the person typed into.
            let e = match ApiError::from(e) {
                ApiError::Invalid { field, reason } if field == "details" => ApiError::Invalid {
                    field: "location".into(),
                    reason,
                },
                e => e,
            };
            let mut errors = Errors::from_api(e, &known)?;
            files_not_kept(&mut errors, count);
            return Ok(page_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                report_page(&f, &errors, &visitor, &state),
            ));
        }
    };
    let reference = intake.record.case.reference.to_string();
    let link = format!("/status/{}", intake.status_token.reveal());
    tracing::info!(%reference, "report received (web form)");
    let body = html! {
        h1 { "Thank you: your report is recorded" }
        p.lead { "It is recorded as " strong { (reference) } " and the security team has been notified." }
        div.secret {
            h2 { "Your private status link" }
            p { a href=(link) id="status-link" { "Follow your report" } }
            p { "The link's address is:" }
            p { code { (link) } }
            p {
                "Bookmark it or copy it somewhere safe: it is shown only now, and anyone who has it can read your report's status. "
                "Through it you can read the team's messages, answer them, and say how you want to be credited."
            }
        }
    };
    Ok(page_response(
        StatusCode::CREATED,
        layout("Report received", visitor.signed_in.as_ref(), body),
    ))
}

async fn reporter_case(
    state: &AppState,
    token: &str,
    origin: &str,
) -> Result<(Caller, psirt_core::CaseRef), WebError> {
    let case = state.store.status_case(token).await?.ok_or_else(|| {
        WebError::Page(
            StatusCode::NOT_FOUND,
            "No such status link".into(),
            "No report has this status link. Check that you copied the whole address.".into(),
        )
    })?;
    Ok((Caller::new(Principal::Reporter(case), origin), case))
}

pub(super) async fn status(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let (caller, case) = reporter_case(&state, &token, &visitor.origin).await?;
    let record = state.store.case(&caller, case).await?;
    Ok(ok(status_page(
        &record.case,
        &token,
        &visitor,
        &Fields::default(),
        &Errors::default(),
        None,
    )))
}

fn status_page(
    case: &psirt_core::Case,
    token: &str,
    visitor: &Visitor,
    values: &Fields,
    errors: &Errors,
    failed: Option<&str>,
) -> Markup {
    let s = ReporterStatus::new(case);
    let action = format!("/status/{token}");
    let no_errors = Errors::default();
    let errors_for = |form: &str| {
        if failed == Some(form) {
            errors
        } else {
            &no_errors
        }
    };
    let reply = Input {
        form: "reply",
        name: "text",
        label: "Your message to the team",
        kind: Kind::Area,
        required: true,
        hint: None,
    };
    let credit_name = Input {
        form: "credit",
        name: "name",
        label: "Name or handle to credit",
        kind: Kind::Text,
        required: false,
        hint: Some("As it should appear in the advisory."),
    };
    let anonymous = Input {
        form: "credit",
        name: "anonymous",
        label: "Credit me anonymously",
        kind: Kind::Checkbox,
        required: false,
        hint: None,
    };
    let blank = Fields::default();
    let values_for = |form: &str| {
        if failed == Some(form) { values } else { &blank }
    };
    layout(
        &format!("Status of {}", s.reference),
        visitor.signed_in.as_ref(),
        html! {
            h1 { "Your report " (s.reference) }
            p.lead { (s.summary) }
            dl.facts {
                dt { "Received" } dd { (time(s.received_at)) }
                dt { "Where it stands" } dd #stage { (s.stage) }
                @if let Some(t) = &s.triage {
                    dt { "Decision" } dd #triage { (t.headline) }
                    dt { "Why" } dd #triage-reason { (t.reason) ": " (t.text) }
                }
                @if let Some(by) = s.answer_needed_by {
                    dt { "Answer needed by" } dd #answer-needed-by { (time(by)) " (without an answer, the case is closed)" }
                }
                @if let Some(v) = &s.released_version { dt { "Fixed in" } dd { (v) } }
                @if !s.cves.is_empty() { dt { "CVE" } dd { (s.cves.join(", ")) } }
                dt { "Credit" }
                dd {
                    @if s.announcement_credits.is_empty() { "not chosen yet" }
                    @else {
                        "The release announcement will say: "
                        ul { @for line in &s.announcement_credits { li { (line) } } }
                        @if s.released_version.is_none() { "Not right? Change how you are credited below, or tell the team." }
                    }
                }
            }
            h2 { "Progress" }
            table {
                caption { "The steps of the process" }
                (crate::web::column_heads(&["Step", "Status", "When"]))
                tbody {
                    @for m in &s.milestones {
                        tr {
                            td { (m.title) }
                            td { (m.status) }
                            td {
                                @if let Some(t) = m.done_at { (time(t)) }
                                @else if m.asap { "as soon as possible" }
                                @else if let Some(t) = m.due_at { "due " (time(t)) }
                            }
                        }
                    }
                }
            }
            h2 { "Messages" }
            ol.messages {
                @for m in &s.messages {
                    li class=(if m.from == "reporter" { "from-reporter" } else { "from-team" }) {
                        p.meta { strong { (if m.from == "reporter" { "You" } else { "Security team" }) } ", " (time(m.at)) }
                        p.text { (m.text) }
                    }
                }
            }
            @if s.open {
                h2 #answer { "Answer the team" }
                form method="post" action=(action) {
                    input type="hidden" name="action" value="reply";
                    (error_summary(errors_for("reply")))
                    (reply.render(values_for("reply"), errors_for("reply")))
                    button type="submit" { "Send message" }
                }
                h2 #credit { "How to credit you" }
                form method="post" action=(action) {
                    input type="hidden" name="action" value="credit";
                    (error_summary(errors_for("credit")))
                    (credit_name.render(values_for("credit"), errors_for("credit")))
                    (anonymous.render(values_for("credit"), errors_for("credit")))
                    button type="submit" { "Save credit" }
                }
            }
        },
    )
}

/// The status page's forms; limited with the API's writes through the
/// link (per client address, then per case), before the form is read.
pub(super) async fn status_action(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
    request: Request,
) -> Result<Response, WebError> {
    state.limit_status_address(&visitor.origin)?;
    let (caller, case) = reporter_case(&state, &token, &visitor.origin).await?;
    state.limit_status_case(case)?;
    let PlainForm(f) = PlainForm::from_request(request, &state).await?;
    let form = f.get("action").to_string();
    let mut errors = Errors::default();
    let command = match form.as_str() {
        "reply" => {
            let text = f.get("text").trim();
            if text.is_empty() {
                errors.field("text", "is required: write your message");
            }
            Command::ReporterReply {
                text: text.to_string(),
            }
        }
        "credit" => {
            let anonymous = f.get("anonymous") == "on";
            let name = f.optional("name");
            match (anonymous, &name) {
                (true, Some(_)) => errors.field(
                    "name",
                    "leave it empty for an anonymous credit, or untick \u{201c}anonymously\u{201d}",
                ),
                (false, None) => errors.field(
                    "name",
                    "is required unless you tick \u{201c}Credit me anonymously\u{201d}",
                ),
                _ => {}
            }
            Command::RecordCredit(Credit {
                name,
                kind: CreditKind::Reporter,
            })
        }
        _ => {
            return Err(WebError::Page(
                StatusCode::BAD_REQUEST,
                "Unknown form".into(),
                "This form is not one the status page sends.".into(),
            ));
        }
    };
    debug_assert!(matches!(
        command.operation(),
        Operation::ReplyAsReporter | Operation::RecordCredit
    ));
    if errors.is_empty() {
        match state
            .store
            .execute(&caller, case, command, None, now())
            .await
        {
            Ok(_) => return Ok(Redirect::to(&format!("/status/{token}")).into_response()),
            Err(e) => errors = Errors::from_api(e.into(), &["text", "name"])?,
        }
    }
    let record = state.store.case(&caller, case).await?;
    Ok(page_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        status_page(&record.case, &token, &visitor, &f, &errors, Some(&form)),
    ))
}

/// The errors of both, the first's winning where both name a field.
fn merge(mut a: Errors, b: Errors) -> Errors {
    for (field, reason) in b.fields {
        a.field(&field, reason);
    }
    a.form = a.form.or(b.form);
    a
}
