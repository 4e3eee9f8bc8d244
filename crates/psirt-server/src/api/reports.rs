//! Intake and the reporter's private status link: the report (JSON or
//! multipart with files), the status a reporter sees, their replies and
//! their credit choice. Writes through a link are rate-limited first.

use super::*;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// The project (default: the instance's default project): one that
    /// publishes its policy; a private project is a 404 like an unknown one.
    pub project: Option<String>,
    /// One line: what is vulnerable, and how badly.
    pub summary: String,
    /// Location, the steps to reproduce, proof of concept.
    pub details: String,
    pub impact: Option<String>,
    pub affected_versions: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_email: Option<String>,
    #[serde(default)]
    pub already_public: bool,
    pub public_link: Option<String>,
    /// "I used AI tools to find or write this report": the team sees it
    /// on the case.
    #[serde(default)]
    pub ai_assisted: bool,
}

/// The longest each field of a report may be, in characters: a flood of
/// large reports is refused naming the field (422) before anything is
/// stored. The body as a whole has its own limit (413).
pub const FIELD_LIMITS: [(&str, usize); 7] = [
    ("summary", 300),
    ("details", 200_000),
    ("impact", 20_000),
    ("affected_versions", 2_000),
    ("reporter_name", 300),
    ("reporter_email", 320),
    ("public_link", 2_048),
];

/// Refuses a field longer than [`FIELD_LIMITS`] allows, naming it.
pub(crate) fn check_field(field: &str, value: Option<&str>) -> Result<(), ApiError> {
    let Some(value) = value else {
        return Ok(());
    };
    let max = FIELD_LIMITS
        .iter()
        .find(|(f, _)| *f == field)
        .map_or(usize::MAX, |(_, max)| *max);
    if value.chars().count() > max {
        return Err(ApiError::Invalid {
            field: field.into(),
            reason: format!("must be at most {max} characters"),
        });
    }
    Ok(())
}

impl ReportRequest {
    /// Every field within its limit.
    pub(crate) fn check_sizes(&self) -> Result<(), ApiError> {
        check_field("summary", Some(&self.summary))?;
        check_field("details", Some(&self.details))?;
        check_field("impact", self.impact.as_deref())?;
        check_field("affected_versions", self.affected_versions.as_deref())?;
        check_field("reporter_name", self.reporter_name.as_deref())?;
        check_field("reporter_email", self.reporter_email.as_deref())?;
        check_field("public_link", self.public_link.as_deref())
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportReceipt {
    pub reference: String,
    /// The reporter's private status link; keep it secret.
    pub status_url: String,
    pub acknowledged: bool,
}

/// Takes in a vulnerability report, as JSON or as `multipart/form-data`
/// with the same fields and up to 5 files in `attachments` parts (each at
/// most 10 MiB; the same limits as the web form). Answers only after it
/// is committed, attachments included.
#[utoipa::path(post, path = "/api/v1/reports", tag = "reports",
    request_body(content(
        (ReportRequest = "application/json"),
        (crate::attachments::ReportUpload = "multipart/form-data"),
    )),
    responses(
        (status = 201, body = ReportReceipt, description = "Recorded and acknowledged"),
        (status = 400, body = Problem), (status = 404, body = Problem), (status = 413, body = Problem),
        (status = 422, body = Problem), (status = 429, body = Problem),
    ))]
pub(crate) async fn submit_report(
    State(state): State<AppState>,
    _quota: IntakeQuota,
    // On its way to the group commit: a batch about to start waits for it
    // (briefly) instead of leaving it to the next one.
    crate::limits::Arriving(arrival): crate::limits::Arriving,
    auth: Auth,
    body: crate::attachments::ReportBody,
) -> Result<impl IntoResponse, ApiError> {
    let (req, files) = (body.request, body.files);
    req.check_sizes()?;
    // A report names a project that publishes its policy: a private one
    // is the same 404 as one that does not exist, before anything counts.
    if let Some(project) = &req.project {
        state.store.published_project(project).await?;
    }
    let email = match req
        .reporter_email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(e) => Some(email_field("reporter_email", e)?),
        None => None,
    };
    let per_day = state.settings.reports_per_email_per_day.get();
    if let Some(email) = &email {
        // A flood from one address stops here, before it is decrypted;
        // the count that holds is taken with the report.
        state
            .store
            .check_reporter_quota(email, state.settings.clock.now(), per_day)
            .await?;
    }
    let reporter = match (req.reporter_name, email) {
        (None, None) => None,
        (name, email) => Some(Reporter { name, email }),
    };
    if crate::intake::is_encrypted(&req.summary) {
        return Err(ApiError::Invalid {
            field: "summary".into(),
            reason: "must be plain text: encrypt the details only".into(),
        });
    }
    // Encrypted parts are decrypted before anything is stored; one that
    // cannot be is refused, naming its field.
    let key = state.settings.instance_key.clone();
    let decrypt = |field: &'static str, text: String| {
        let key = key.clone();
        async move {
            crate::intake::decrypt_off_thread(text, key)
                .await
                .map_err(|reason| ApiError::Invalid {
                    field: field.into(),
                    reason,
                })
        }
    };
    let mut details = decrypt("details", req.details).await?;
    let impact = match req.impact {
        Some(text) => Some(decrypt("impact", text).await?),
        None => None,
    };
    for (heading, part) in [
        ("Impact", impact),
        ("Affected versions", req.affected_versions),
    ] {
        if let Some(part) = part.filter(|p| !p.trim().is_empty()) {
            details.push_str(&format!("\n\n## {heading}\n\n{}", part.trim()));
        }
    }
    let report = NewReport {
        project: req
            .project
            .unwrap_or_else(|| state.settings.default_project.clone()),
        summary: req.summary,
        details: Secret::new(details),
        reporter,
        public_link: req.public_link.filter(|l| !l.trim().is_empty()),
        already_public: req.already_public,
        ai_assisted: req.ai_assisted,
    };
    let intake = arrival
        .report_within_quota(
            report,
            files,
            &auth.caller.origin,
            state.settings.clock.now(),
            per_day,
        )
        .await?;
    let receipt = ReportReceipt {
        reference: intake.record.case.reference.to_string(),
        status_url: format!("/api/v1/status/{}", intake.status_token.reveal()),
        acknowledged: intake.record.case.acknowledged_at.is_some(),
    };
    tracing::info!(reference = %receipt.reference, "report received");
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&receipt.status_url) {
        headers.insert(header::LOCATION, v);
    }
    Ok((StatusCode::CREATED, headers, axum::Json(receipt)))
}

/// What a reporter sees behind their link: where the case stands and the
/// messages meant for them, nothing else.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReporterStatus {
    pub reference: String,
    pub summary: String,
    #[schema(value_type = String, format = DateTime)]
    pub received_at: jiff::Timestamp,
    pub stage: &'static str,
    pub open: bool,
    pub milestones: Vec<MilestoneView>,
    pub released_version: Option<String>,
    pub cves: Vec<String>,
    pub credits: Vec<crate::views::CreditView>,
    /// The credits as the release announcement will word them ("Reported
    /// by Rita"), shown before the release so they can be corrected.
    pub announcement_credits: Vec<String>,
    pub messages: Vec<MessageView>,
    /// What triage decided and why, once it did.
    pub triage: Option<ReporterTriageView>,
    /// Set while the team waits for the reporter's answer: the case is
    /// closed at this instant without one.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub answer_needed_by: Option<jiff::Timestamp>,
}

/// The triage decision as the reporter reads it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReporterTriageView {
    /// accepted, not_a_vulnerability, duplicate, moved_to_public_issue,
    /// unanswered.
    pub outcome: &'static str,
    /// What happened, in a sentence ("Closed: a duplicate of CVE-…").
    pub headline: String,
    /// Why, from the short list, in words.
    pub reason: &'static str,
    /// The team's own words.
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    /// `team` or `reporter`.
    pub from: &'static str,
    #[schema(value_type = String, format = DateTime)]
    pub at: jiff::Timestamp,
    pub text: String,
}

impl ReporterStatus {
    pub(crate) fn new(case: &psirt_core::Case) -> ReporterStatus {
        let stage = if !case.is_open() {
            "closed"
        } else if case.release().is_some() {
            "released"
        } else if case.fix_ready_at.is_some() {
            "fix ready, release being prepared"
        } else if case.fix_lead().is_some() {
            "being fixed"
        } else if case.awaiting_information() {
            "waiting for your answer"
        } else if case.triage.is_some() {
            "accepted, awaiting a Fix Lead"
        } else {
            "received, awaiting triage"
        };
        let mut messages = vec![MessageView {
            from: "team",
            at: case.acknowledged_at.unwrap_or(case.reported_at),
            text: format!(
                "Thank you for your report. It is recorded as {} and the security team has been notified.",
                case.reference
            ),
        }];
        messages.extend(
            case.reporter_messages
                .iter()
                .map(|(from_reporter, text, at)| MessageView {
                    from: if *from_reporter { "reporter" } else { "team" },
                    at: *at,
                    text: text.clone(),
                }),
        );
        let released = case.release().is_some();
        ReporterStatus {
            reference: case.reference.to_string(),
            summary: case.summary.clone(),
            received_at: case.reported_at,
            stage,
            open: case.is_open(),
            milestones: case
                .milestones()
                .iter()
                .filter(|m| m.milestone != psirt_core::Milestone::EmbargoBreakAssessed)
                .map(MilestoneView::new)
                .filter(|m| m.status != "not_applicable")
                .collect(),
            released_version: case.release().map(|r| r.version.clone()),
            cves: if released {
                case.cves.iter().map(ToString::to_string).collect()
            } else {
                Vec::new()
            },
            credits: case
                .credits
                .iter()
                .map(|c| crate::views::CreditView {
                    name: c.name.clone(),
                    kind: c.kind.as_str(),
                })
                .collect(),
            announcement_credits: psirt_core::credit_lines(case),
            messages,
            triage: case.triage.as_ref().map(|t| ReporterTriageView {
                outcome: t.outcome.as_str(),
                headline: t.outcome.headline(),
                reason: t.reason.title(),
                text: t.text.clone(),
            }),
            answer_needed_by: psirt_core::information_closes_at(case),
        }
    }
}

async fn reporter_caller(
    state: &AppState,
    token: &str,
    origin: String,
) -> Result<(Caller, CaseRef), ApiError> {
    let case = state
        .store
        .status_case(token)
        .await?
        .ok_or_else(|| ApiError::NotFound("no case has this status link".into()))?;
    Ok((Caller::new(Principal::Reporter(case), origin), case))
}

/// The reporter, for a write through their link: the writes are limited
/// per client address (asked first, so guessing links is slowed too) and
/// per case, before the body is read.
pub(crate) async fn reporter_writer(
    state: &AppState,
    token: &str,
    origin: String,
) -> Result<(Caller, CaseRef), ApiError> {
    state.limit_status_address(&origin)?;
    let (caller, case) = reporter_caller(state, token, origin).await?;
    state.limit_status_case(case)?;
    Ok((caller, case))
}

/// A write through the link: the limits first, then the body, then the
/// command it makes, executed as the reporter; the status after it.
async fn reporter_write<T: serde::de::DeserializeOwned>(
    state: &AppState,
    token: &str,
    origin: String,
    request: axum::extract::Request,
    command: impl FnOnce(T) -> Command,
) -> Result<ReporterStatus, ApiError> {
    let (caller, case) = reporter_writer(state, token, origin).await?;
    let ApiJson(req) = ApiJson::<T>::from_request(request, state).await?;
    let record = state
        .store
        .execute(&caller, case, command(req), None, now())
        .await?;
    Ok(ReporterStatus::new(&record.case))
}

/// The reporter's view of their case.
#[utoipa::path(get, path = "/api/v1/status/{token}", tag = "reports",
    params(("token" = String, Path, description = "The token of the private status link")),
    responses((status = 200, body = ReporterStatus), (status = 404, body = Problem)))]
pub(crate) async fn reporter_status(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(token): ApiPath<String>,
) -> Result<axum::Json<ReporterStatus>, ApiError> {
    let (caller, case) = reporter_caller(&state, &token, auth.caller.origin).await?;
    let record = state.store.case(&caller, case).await?;
    Ok(axum::Json(ReporterStatus::new(&record.case)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    pub text: String,
}

/// The reporter writes to the team. Writes through a link are limited
/// per case and per client address (`status_writes_per_hour`).
#[utoipa::path(post, path = "/api/v1/status/{token}/replies", tag = "reports",
    params(("token" = String, Path, description = "The token of the private status link")),
    request_body = ReplyRequest,
    responses((status = 201, body = ReporterStatus), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
        (status = 429, body = Problem, description = "Too many writes through this link or from this address")))]
pub(crate) async fn reporter_reply(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(token): ApiPath<String>,
    request: axum::extract::Request,
) -> Result<(StatusCode, axum::Json<ReporterStatus>), ApiError> {
    let status = reporter_write(
        &state,
        &token,
        auth.caller.origin,
        request,
        |req: ReplyRequest| Command::ReporterReply { text: req.text },
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(status)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditRequest {
    /// The name or handle to credit; leave out for an anonymous credit.
    pub name: Option<String>,
}

/// The reporter says how they want to be credited (a name, or anonymous).
/// Limited with the replies (`status_writes_per_hour`).
#[utoipa::path(post, path = "/api/v1/status/{token}/credit", tag = "reports",
    params(("token" = String, Path, description = "The token of the private status link")),
    request_body = CreditRequest,
    responses((status = 200, body = ReporterStatus), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
        (status = 429, body = Problem, description = "Too many writes through this link or from this address")))]
pub(crate) async fn reporter_credit(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(token): ApiPath<String>,
    request: axum::extract::Request,
) -> Result<axum::Json<ReporterStatus>, ApiError> {
    let status = reporter_write(
        &state,
        &token,
        auth.caller.origin,
        request,
        |req: CreditRequest| {
            Command::RecordCredit(Credit {
                name: req.name,
                kind: CreditKind::Reporter,
            })
        },
    )
    .await?;
    Ok(axum::Json(status))
}
