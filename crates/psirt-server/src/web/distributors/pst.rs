//! The PST's pages: organisations by state with their leaks, each
//! organisation's answers, people, timeline and decision forms, and a
//! case's distributors.

use super::*;

pub(super) const STATES: [OrgState; 7] = [
    OrgState::Vouched,
    OrgState::Applied,
    OrgState::Approved,
    OrgState::Suspended,
    OrgState::Declined,
    OrgState::Rejected,
    OrgState::Removed,
];

pub(crate) async fn admin(
    State(state): State<AppState>,
    site: Site,
    WebSession(who): WebSession,
) -> Result<Response, WebError> {
    let project = &site.project;
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
                    (crate::web::column_heads(&["Organisation", "People", "Accepted the policy", "Leaks", "Updated"]))
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

pub(super) fn org_id(text: &str) -> Result<i64, WebError> {
    text.parse().map_err(|_| {
        WebError::Page(
            StatusCode::NOT_FOUND,
            "Not found".into(),
            format!("There is no organisation {text:?}."),
        )
    })
}

pub(super) async fn render_admin_org(
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
        (saved_notice(done))
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

pub(crate) async fn admin_org(
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
pub(super) enum AdminForm {
    Decide,
    RemovePerson,
}

pub(crate) async fn admin_decision(
    State(state): State<AppState>,
    Path(org): Path<String>,
    WebForm { who, fields }: WebForm,
) -> Result<Response, WebError> {
    let org = org_id(&org)?;
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
    let errors = Errors::from_refusal(e, &["reason"])?;
    let status = errors.status();
    let refused = Some((AdminForm::Decide, fields, errors));
    render_admin_org(&state, &who, org, refused, None, status).await
}

/// The PST removes one person of the organisation.
pub(super) async fn admin_remove_person(
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
    let errors = Errors::from_refusal(e, &[])?;
    let refused = Some((AdminForm::RemovePerson, fields, errors));
    render_admin_org(state, &who, org, refused, None, StatusCode::CONFLICT).await
}

// ---------------------------------------------------------------------------
// The team's view of a case's distributors.

pub(super) async fn render_team_case(
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
        (saved_notice(done))
        h2 { "Pre-notification" }
        @if rows.is_empty() {
            p { "Nobody has a copy of the pre-notification yet." }
        } @else {
            table {
                caption { "Each distributor's copy of the pre-notification" }
                (crate::web::column_heads(&["Organisation", "Person", "State"]))
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

pub(crate) async fn team_case(
    State(state): State<AppState>,
    WebSession(who): WebSession,
    Path(r): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, WebError> {
    let reference = case_reference(&r)?;
    let done = q.done.as_deref().and_then(|d| match d {
        "asked" => Some("the notified distributors are asked for help"),
        _ => None,
    });
    render_team_case(&state, &who, reference, None, done, StatusCode::OK).await
}

pub(crate) async fn team_case_action(
    State(state): State<AppState>,
    Path(r): Path<String>,
    WebForm { who, fields }: WebForm,
) -> Result<Response, WebError> {
    let reference = case_reference(&r)?;
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
    let errors = Errors::from_refusal(e, &["topic", "text"])?;
    let status = errors.status();
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
