//! The case page: its checklist, timeline, mail and the forms of the
//! actions the signed-in person may take.

use super::*;

/// What the page shows after a form: the failed form with its input and
/// errors, a CVSS preview, or a note that the last action was saved.
#[derive(Default)]
pub(super) struct Outcome {
    pub(super) form: Option<String>,
    pub(super) values: Fields,
    pub(super) errors: Errors,
    pub(super) preview: Option<psirt_core::cvss::Vector>,
    pub(super) done: Option<String>,
}

#[derive(serde::Deserialize)]
pub(crate) struct CaseQuery {
    done: Option<String>,
}

pub(crate) async fn case_page(
    State(state): State<AppState>,
    WebSession(who): WebSession,
    Path(r): Path<String>,
    Query(q): Query<CaseQuery>,
) -> Result<Response, WebError> {
    let reference = case_reference(&r)?;
    let outcome = Outcome {
        done: q.done.and_then(|d| done_text(&d)),
        ..Outcome::default()
    };
    render_case(&state, &who, reference, outcome, StatusCode::OK).await
}

pub(super) async fn render_case(
    state: &AppState,
    who: &SignedIn,
    reference: CaseRef,
    outcome: Outcome,
    status: StatusCode,
) -> Result<Response, WebError> {
    let record = state.store.case(&who.caller, reference).await?;
    let actor = state.store.case_actor(&who.caller, &record.case).await?;
    let files = state.store.attachments(&record).await?;
    // The mail is read (and the read audited) only by those who may see it.
    let mail = if authorize(&actor, Operation::ViewMail, &record.case).is_ok() {
        state.store.case_mail(&who.caller, reference).await?
    } else {
        Vec::new()
    };
    let markup = case_markup(state, who, &record, &files, &mail, &actor, &outcome).await;
    Ok(page_response(status, markup))
}

pub(super) async fn case_markup(
    state: &AppState,
    who: &SignedIn,
    record: &psirt_store::CaseRecord,
    files: &[psirt_store::AttachmentInfo],
    mail: &[MailRecord],
    actor: &Actor,
    outcome: &Outcome,
) -> Markup {
    let case = &record.case;
    let at = now();
    let may = |op: Operation| authorize(actor, op, case).is_ok();
    let mut names = Names::new(&state.store);
    let lead = match case.fix_lead() {
        Some(l) => names.of(l).await,
        None => "not assigned".into(),
    };
    let mut team = Vec::new();
    for m in &case.fix_team {
        team.push(names.of(*m).await);
    }
    let mut proposals = Vec::new();
    for (by, v, t) in &case.cvss_proposals {
        proposals.push((names.of(*by).await, v, *t));
    }
    let mut commit_names = BTreeMap::new();
    for c in &case.fix_commits {
        for u in c.author_user.iter().chain(&c.approvals) {
            if !commit_names.contains_key(u) {
                commit_names.insert(*u, names.of(*u).await);
            }
        }
    }
    // The steps are a side panel: the case page shows without them rather
    // than fail when they cannot be read.
    let steps = state.store.steps(case.reference).await.unwrap_or_default();
    let suggestions = triage::suggestions(state, who, case).await;
    let triage_defaults = triage::defaults(state, case, &suggestions).await;
    let mut timeline = Vec::new();
    for e in &record.events {
        let view = EventView::new(e);
        let actor = match e.actor {
            psirt_core::ActorRef::User(u) => names.of(u).await,
            psirt_core::ActorRef::Reporter => "the reporter".into(),
            psirt_core::ActorRef::System => "psirt".into(),
        };
        timeline.push((view, actor));
    }
    let path = format!("/cases/{}", case.reference);
    let offered: Vec<&Action> = ACTIONS
        .iter()
        .filter(|a| case.is_open() && may(a.op))
        .filter(|a| !matches!(a.command, "propose_cvss" | "finalize_cvss"))
        // The assessment form only while a break awaits one.
        .filter(|a| a.command != "assess_embargo_break" || case.break_unassessed())
        .collect();
    let cvss_open = case.is_open() && (may(Operation::ProposeCvss) || may(Operation::FinalizeCvss));
    let no_errors = Errors::default();
    let blank = Fields::default();
    let cvss_failed = matches!(
        outcome.form.as_deref(),
        Some("propose_cvss" | "finalize_cvss" | "preview_cvss")
    );
    let body = html! {
        p.crumbs { a href="/cases" { "Cases" } " › " (case.reference.to_string()) }
        h1 { (case.reference.to_string()) ": " (case.summary) }
        (saved_notice(outcome.done.as_deref()))
        @if may(Operation::ReviewMail) && mail.iter().any(|m| m.state == MailState::Draft) {
            p.notice #drafts-waiting { a href="#mail" { "Mail drafts wait for review" } ": nothing of them is sent until someone approves it." }
        }
        @if case.distributors.is_some() && may(Operation::ViewDistributorFeedback) {
            p #distributors-link { a href=(format!("{path}/distributors")) { "Distributors: who was notified, their feedback and requests for help" } }
        }
        div.badges {
            @if case.urgent() { span.badge.bad { "Urgent" } " " }
            @if !case.is_open() { span.badge { "Closed" } " " }
            @if case.public().is_some() { span.badge.bad { "Publicly disclosed" } " " }
        }
        dl.facts {
            dt { "Project" } dd { (case.project) }
            dt { "Reported" } dd { (time(case.reported_at)) }
            dt { "Fix Lead" } dd #fix-lead { (lead) }
            dt { "Fix Team" } dd { @if team.is_empty() { "nobody yet" } @else { (team.join(", ")) } }
            dt { "CVSS" }
            dd #cvss-final {
                @match &case.cvss_final {
                    Some(v) => { (format!("{:.1}", v.base_score().as_f64())) " " (v.severity().as_str()) " (final) " code { (v.to_string()) } }
                    None => "not final yet",
                }
            }
            @for cve in &case.cves {
                dt { "CVE" }
                dd.cve-record {
                    (cve.to_string()) " — at CVE Services: "
                    @match case.cve_record_states.get(cve) {
                        Some(state) => { (state.to_lowercase()) }
                        None => "reserved or recorded, not published by psirt yet",
                    }
                }
            }
            @if let Some(i) = &case.github_issue {
                dt { "GitHub issue" }
                dd #github-issue { a href=(i.url) { "#" (i.number) } " (the forthcoming-fix notice)" }
            }
            @if let Some(a) = &case.github_advisory {
                dt { "GitHub advisory" }
                dd #github-advisory {
                    a href=(a.url) { (a.ghsa_id) }
                    @if a.published_at.is_some() { " — published" } @else { " — draft" }
                    @if a.collaborators.is_empty() {
                        @if a.revoked_at.is_some() { "; the Fix Team's access revoked" } @else { "; no collaborators" }
                    } @else {
                        "; collaborators: " (a.collaborators.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))
                    }
                }
            }
            @if let Some(r) = &case.reporter {
                dt { "Reporter" }
                dd { (r.name.as_deref().unwrap_or("")) " " (r.email.as_ref().map(ToString::to_string).unwrap_or_default()) }
            }
        }
        h2 { "Report" }
        div.details { (case.details.expose()) }
        @if !files.is_empty() {
            h3 #attachments-title { "Attachments" }
            ul #attachments aria-labelledby="attachments-title" {
                @for file in files {
                    li {
                        a href=(format!("{path}/attachments/{}", file.id)) download { (file.name) }
                        " (" (size_text(file.size)) ", " (file.content_type) ") "
                        span.hint { "SHA-256 " code { (file.sha256) } }
                    }
                }
            }
        }
        (triage::section(&suggestions))
        @if let Some(t) = case.suggested_announcement(at) {
            p #suggested-announcement { "Suggested announcement (the policy's time): " strong { (time(t)) } }
        }
        h2 #checklist { "Checklist" }
        div.scroll {
        table {
            caption { "Milestones, with their due and done times (UTC)" }
            (crate::web::column_heads(&["Milestone", "Status", "Due", "Done"]))
            tbody {
                @for m in case.milestones() {
                    @let id = format!("m-{}", m.milestone.as_str());
                    @match m.status {
                        MilestoneStatus::NotApplicable => {}
                        MilestoneStatus::Done { at: done } => {
                            tr id=(id) { td { (m.milestone.title()) } td { span.badge.good { "Done" } } td { "—" } td { (time(done)) } }
                        }
                        MilestoneStatus::Skipped { at: done } => {
                            tr id=(id) { td { (m.milestone.title()) } td { span.badge { "Skipped" } } td { "—" } td { (time(done)) } }
                        }
                        MilestoneStatus::Pending { due } => {
                            @let overdue = due.is_some_and(|d| d.at < at);
                            tr id=(id) class=(if overdue { "overdue" } else { "" }) {
                                td { (m.milestone.title()) }
                                td { @if overdue { span.badge.bad { "Overdue" } } @else { "Pending" } }
                                td.due {
                                    @if let Some(d) = due { (due_text(d)) } @else { "—" }
                                    @if let Some(s) = due.and_then(|d| d.target) {
                                        " " span.hint { "(" (s.as_str()) " response target)" }
                                    }
                                }
                                td { "—" }
                            }
                        }
                    }
                }
            }
        }
        }
        @if cvss_open {
            section.action #cvss aria-labelledby="cvss-title" {
                h2 #cvss-title { "CVSS" }
                @if !proposals.is_empty() {
                    ul.proposals {
                        @for (by, v, t) in &proposals {
                            li { code { (v.to_string()) } " — " (format!("{:.1}", v.base_score().as_f64())) " " (v.severity().as_str()) ", proposed by " (by) ", " (time(*t)) }
                        }
                    }
                }
                @let errors = if cvss_failed { &outcome.errors } else { &no_errors };
                @let values = if cvss_failed { &outcome.values } else { &blank };
                form method="post" action=(path) {
                    (csrf_field(&who.csrf))
                    (error_summary(errors))
                    @for field in CVSS_FIELDS {
                        (Input { form: "cvss", name: field.name, label: field.label, kind: field.kind, required: field.required, hint: field.hint }.render(values, errors))
                    }
                    @if let Some(v) = &outcome.preview {
                        p.preview #cvss-preview role="status" {
                            "Score: " strong { (format!("{:.1}", v.base_score().as_f64())) " " (v.severity().as_str()) }
                            " (CVSS " (v.version().as_str()) ", not saved yet)"
                        }
                    }
                    div.buttons {
                        button type="submit" name="action" value="preview_cvss" { "Preview score" }
                        @if may(Operation::ProposeCvss) {
                            " " button type="submit" name="action" value="propose_cvss" { "Propose" }
                        }
                        @if may(Operation::FinalizeCvss) {
                            " " button type="submit" name="action" value="finalize_cvss" { "Make final" }
                        }
                    }
                }
            }
        }
        (record::section(&case.record))
        @if !offered.is_empty() {
            h2 #actions { "Actions" }
            p.hint { "Only the actions your role allows on this case are shown." }
            @for a in &offered {
                @let failed = outcome.form.as_deref() == Some(a.command);
                @let errors = if failed { &outcome.errors } else { &no_errors };
                @let fresh = if a.command == "triage" { triage_defaults.clone() } else { defaults(a) };
                @let values = if failed { &outcome.values } else { &fresh };
                details.action id=(format!("action-{}", a.command)) open[failed] {
                    summary { (a.title) }
                    form method="post" action=(path) {
                        (csrf_field(&who.csrf))
                        input type="hidden" name="action" value=(a.command);
                        (error_summary(errors))
                        @for field in a.fields {
                            (Input { form: a.command, name: field.name, label: field.label, kind: field.kind, required: field.required, hint: field.hint }.render(values, errors))
                        }
                        button type="submit" { (a.button) }
                    }
                }
            }
        }
        (crate::web::fix_repo::section(case, |u| commit_names.get(&u).cloned().unwrap_or_else(|| u.to_string())))
        (crate::web::fix_repo::steps(&steps))
        (mail_section(who, case, mail, may(Operation::ReviewMail), outcome))
        h2 #timeline { "Timeline" }
        ol.timeline {
            @for (e, actor) in &timeline {
                li {
                    p.meta { (time(e.at)) " · " (actor) }
                    p { strong { (e.kind.replace('_', " ")) } }
                    @if let Some(obj) = e.data.as_object() {
                        @if !obj.is_empty() {
                            dl.data {
                                @for (k, v) in obj {
                                    dt { (k.replace('_', " ")) }
                                    dd { (match v { Value::String(s) => s.clone(), other => other.to_string() }) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(&case.reference.to_string(), Some(who), body)
}

/// Turns a form into the API's `CaseCommand` JSON, checking what the form
/// itself can: required fields, dates, yes/no. The rest is the engine's.
pub(super) fn command_json(a: &Action, f: &Fields) -> Result<Value, Errors> {
    let mut errors = Errors::default();
    let mut obj = Map::new();
    obj.insert("type".into(), Value::String(a.command.into()));
    for field in a.fields {
        let raw = f.get(field.name).trim();
        if raw.is_empty() {
            if field.required {
                errors.field(field.name, "is required");
            }
            if matches!(field.kind, Kind::Lines) {
                obj.insert(field.name.into(), Value::Array(Vec::new()));
            }
            continue;
        }
        let value = match field.kind {
            Kind::DateTime => match parse_instant(raw) {
                Ok(t) => Value::String(t.to_string()),
                Err(e) => {
                    errors.field(field.name, e);
                    continue;
                }
            },
            Kind::Lines => Value::Array(
                raw.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(|l| Value::String(l.into()))
                    .collect(),
            ),
            Kind::YesNo | Kind::Checkbox => match raw {
                "yes" | "on" => Value::Bool(true),
                "no" => Value::Bool(false),
                _ => {
                    errors.field(field.name, "choose yes or no");
                    continue;
                }
            },
            _ => Value::String(raw.into()),
        };
        obj.insert(field.name.into(), value);
    }
    if a.command == "set_affected_product" {
        ranges_from_lines(&mut obj, &mut errors);
    }
    if errors.is_empty() {
        Ok(Value::Object(obj))
    } else {
        Err(errors)
    }
}

/// The product form writes its ranges one a line (`semver:1.9.0..1.11.2`)
/// with one repository for the git ones; the command takes objects.
fn ranges_from_lines(obj: &mut Map<String, Value>, errors: &mut Errors) {
    let repo = obj
        .remove("repo")
        .and_then(|r| r.as_str().map(str::to_string));
    let Some(Value::Array(lines)) = obj.get("ranges").cloned() else {
        return;
    };
    let mut ranges = Vec::new();
    for line in lines.iter().filter_map(Value::as_str) {
        let parsed = line
            .split_once(':')
            .ok_or_else(|| format!("{line:?}: write KIND:RANGE, e.g. semver:1.9.0..1.11.2"))
            .and_then(|(kind, rest)| {
                let kind = psirt_core::RangeKind::parse(kind)
                    .ok_or_else(|| format!("{kind:?} is not one of semver, ecosystem, git"))?;
                let repo = (kind == psirt_core::RangeKind::Git)
                    .then(|| repo.clone())
                    .flatten();
                psirt_core::VersionRange::parse(kind, repo, rest)
            });
        match parsed {
            Ok(r) => ranges.push(serde_json::json!({
                "kind": r.kind.as_str(),
                "repo": r.repo,
                "introduced": r.introduced,
                "fixed": r.fixed,
                "last_affected": r.last_affected,
            })),
            Err(e) => errors.field("ranges", e),
        }
    }
    obj.insert("ranges".into(), Value::Array(ranges));
}
