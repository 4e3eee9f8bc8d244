//! The portal of a signed-in distributor person: their organisation
//! and its people, the embargo policy to accept, vouching, the cases
//! notified to them and each case's notice with its forms.

use super::*;

pub(super) async fn render_portal(
    state: &AppState,
    site: &Site,
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
            .project_actor(&who.caller, &site.project)
            .await?,
        psirt_core::Operation::ListNotifiedCases,
    )
    .is_ok();
    let cases = if member_of_approved {
        match state.store.notified_cases(&who.caller, &site.project).await {
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
        (saved_notice(done))
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
                    (crate::web::column_heads(&["Case", "Summary", "Embargo ends", "Notified"]))
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

pub(crate) async fn portal(
    State(state): State<AppState>,
    site: Site,
    WebSession(who): WebSession,
    Query(q): Query<Done>,
) -> Result<Response, WebError> {
    let done = q.done.as_deref().and_then(done_text);
    render_portal(&state, &site, &who, None, done, StatusCode::OK).await
}

pub(super) fn org_field(f: &Fields) -> Result<i64, WebError> {
    f.get("org").parse().map_err(|_| {
        WebError::Page(
            StatusCode::BAD_REQUEST,
            "Unknown form".into(),
            "The form did not name an organisation.".into(),
        )
    })
}

pub(crate) async fn portal_action(
    State(state): State<AppState>,
    site: Site,
    WebForm { who, fields }: WebForm,
) -> Result<Response, WebError> {
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
                            &site,
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
    let errors = Errors::from_refusal(e, &["name", "email", "key", "reason"])?;
    let status = errors.status();
    let refused = Refused {
        org,
        form,
        values: fields,
        errors,
    };
    render_portal(&state, &site, &who, Some(refused), None, status).await
}

// ---------------------------------------------------------------------------
// A notified case: the notice and the forms.

pub(super) async fn render_case_notice(
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
        (saved_notice(done))
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

pub(crate) async fn case_notice(
    State(state): State<AppState>,
    WebSession(who): WebSession,
    Path(r): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, WebError> {
    let reference = case_reference(&r)?;
    let done = q.done.as_deref().and_then(done_text);
    render_case_notice(&state, &who, reference, None, done, StatusCode::OK).await
}

pub(crate) async fn case_action(
    State(state): State<AppState>,
    Path(r): Path<String>,
    WebForm { who, fields }: WebForm,
) -> Result<Response, WebError> {
    let reference = case_reference(&r)?;
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
    let known = [
        "kind",
        "outcome",
        "text",
        "what",
        "to_whom",
        "when",
        "responsible",
    ];
    let errors = Errors::from_refusal(e, &known)?;
    let status = errors.status();
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
