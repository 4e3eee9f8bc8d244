//! The case page's Mail section: every copy psirt wrote, and the drafts
//! to edit, approve or discard.

use super::*;

/// A kind of mail in the process's words.
pub(super) fn kind_title(kind: MailKind) -> &'static str {
    match kind {
        MailKind::Acknowledgement => "Acknowledgement to the reporter",
        MailKind::FixLeadAssigned => "Fix Lead assignment",
        MailKind::Reminder => "Reminder to the Fix Lead",
        MailKind::ForthcomingFixNotice => "Forthcoming-fix notice to users",
        MailKind::PreNotification => "Pre-notification to distributors",
        MailKind::ReleaseAnnouncement => "Release announcement",
        MailKind::MessageToReporter => "Message to the reporter",
        MailKind::EmbargoBreak => "Embargo break alarm to the PST and the Fix Lead",
        MailKind::EmbargoUpdate => "Embargo update to the notified distributors",
        MailKind::AuditCheckpoint => "Audit checkpoint to the PST",
        MailKind::Invitation => "Invitation to set a password and sign in",
        MailKind::FinalDistributorNotice => "Final notice to the notified distributors",
    }
}

pub(super) fn protection_text(m: &MailRecord) -> &'static str {
    match (m.encrypted, m.encrypt_only) {
        (Some(true), _) => "encrypted and signed",
        (Some(false), _) => "signed",
        (None, true) => "to be encrypted; never sent in clear",
        (None, false) => "to be encrypted if a key is on file, else signed",
    }
}

/// The form of a case's drafts of one kind: `mail-<kind>`.
pub(super) fn mail_form(kind: MailKind) -> String {
    format!("mail-{}", kind.as_str())
}

/// The case's mail: every copy with its delivery state, and for those who
/// may review drafts, each kind of draft in a form to edit, approve or
/// discard (every copy of a kind at once, as the store decides them).
pub(super) fn mail_section(
    who: &SignedIn,
    case: &Case,
    mail: &[MailRecord],
    may_review: bool,
    outcome: &Outcome,
) -> Markup {
    let mut drafts: Vec<(MailKind, Vec<&MailRecord>)> = Vec::new();
    for m in mail.iter().filter(|m| m.state == MailState::Draft) {
        match drafts.iter_mut().find(|(k, _)| *k == m.kind) {
            Some((_, copies)) => copies.push(m),
            None => drafts.push((m.kind, vec![m])),
        }
    }
    let failed = outcome.form.as_deref();
    let no_errors = Errors::default();
    // An error of a draft's form that is no longer shown (someone else
    // approved it meanwhile) goes at the top of the section.
    let orphan = failed
        .is_some_and(|f| f.starts_with("mail-") && !drafts.iter().any(|(k, _)| mail_form(*k) == f));
    html! {
        h2 #mail { "Mail" }
        @if orphan { (error_summary(&outcome.errors)) }
        @if mail.is_empty() {
            p { "No mail about this case yet." }
        } @else {
            div.scroll {
            table #mail-copies {
                caption { "Every copy psirt wrote about this case, oldest first (UTC)" }
                (crate::web::column_heads(&["Kind", "To", "Subject", "State", "Attempts", "Last error", "Protection", "Sent"]))
                tbody {
                    @for m in mail {
                        tr id=(format!("mail-copy-{}", m.id)) {
                            td { (kind_title(m.kind)) }
                            td { (m.recipient) }
                            td { (m.subject) }
                            td {
                                @match m.state {
                                    MailState::Sent => span.badge.good { "sent" },
                                    MailState::Failed => span.badge.bad { "failed" },
                                    other => (other.as_str()),
                                }
                            }
                            td { (m.attempts) }
                            td { (m.last_error.as_deref().unwrap_or("—")) }
                            td { (protection_text(m)) }
                            td { @if let Some(t) = m.sent_at { (time(t)) } @else { "—" } }
                        }
                    }
                }
            }
            }
        }
        @if may_review {
            @for (kind, copies) in &drafts {
                @let form = mail_form(*kind);
                @let this = failed == Some(form.as_str());
                @let errors = if this { &outcome.errors } else { &no_errors };
                @let mut fresh = Fields::default();
                @let values = if this {
                    &outcome.values
                } else {
                    fresh.set("subject", &copies[0].subject);
                    fresh.set("body", copies[0].body.expose());
                    &fresh
                };
                @let title_id = format!("{form}-title");
                section.action id=(form) aria-labelledby=(title_id) {
                    h3 id=(title_id) { "Draft: " (kind_title(*kind)) }
                    p {
                        "To " (copies.iter().map(|c| c.recipient.as_str()).collect::<Vec<_>>().join(", ")) ". "
                        "Nothing is sent until someone approves it; approving sends the text below, as edited."
                    }
                    form method="post" action=(format!("/cases/{}/mail/{}", case.reference, kind.as_str())) {
                        (csrf_field(&who.csrf))
                        (error_summary(errors))
                        (Input { form: &form, name: "subject", label: "Subject", kind: Kind::Text, required: true, hint: None }.render(values, errors))
                        (Input { form: &form, name: "body", label: "Message", kind: Kind::Area, required: true, hint: None }.render(values, errors))
                        div.buttons {
                            button type="submit" name="action" value="save" { "Save draft" }
                            " " button type="submit" name="action" value="approve" { "Approve and send" }
                            " " button type="submit" name="action" value="discard" { "Discard" }
                        }
                    }
                }
            }
        }
    }
}

/// A decision on a case's drafts of one kind, from the case page: save
/// the edited text, approve (the text as submitted, then the approval) or
/// discard. Back to the case page on success; the form again with the
/// errors next to the fields otherwise.
pub(crate) async fn mail_action(
    State(state): State<AppState>,
    Path((r, kind)): Path<(String, String)>,
    WebForm { who, fields }: WebForm,
) -> Result<Response, WebError> {
    let reference = case_reference(&r)?;
    let Some(kind) = MailKind::parse(&kind) else {
        return Err(WebError::Page(
            StatusCode::NOT_FOUND,
            "Not found".into(),
            format!("{kind:?} is not a kind of mail."),
        ));
    };
    let edit = || DraftDecision::Edit {
        subject: fields.get("subject").trim().to_string(),
        body: fields.get("body").to_string(),
    };
    let (decisions, done) = match fields.get("action") {
        "save" => (vec![edit()], "mail_saved"),
        // The text as the person last saw it goes out: an edit made just
        // before approving is saved first.
        "approve" if fields.has("body") => (vec![edit(), DraftDecision::Approve], "mail_approved"),
        "approve" => (vec![DraftDecision::Approve], "mail_approved"),
        "discard" => (vec![DraftDecision::Discard], "mail_discarded"),
        other => {
            return Err(WebError::Page(
                StatusCode::BAD_REQUEST,
                "Unknown form".into(),
                format!("{other:?} is not a decision on a mail draft."),
            ));
        }
    };
    let mut result = Ok(());
    for decision in decisions {
        result = state
            .store
            .review_drafts(&who.caller, reference, kind, decision, now())
            .await
            .map(|_| ());
        if result.is_err() {
            break;
        }
    }
    let e = match result {
        Ok(()) => {
            return Ok(
                Redirect::to(&format!("/cases/{reference}?done={done}#mail")).into_response(),
            );
        }
        Err(e) => ApiError::from(e),
    };
    let errors = Errors::from_refusal(e, &["subject", "body"])?;
    let status = errors.status();
    let outcome = Outcome {
        form: Some(mail_form(kind)),
        values: fields,
        errors,
        preview: None,
        done: None,
    };
    render_case(&state, &who, reference, outcome, status).await
}
