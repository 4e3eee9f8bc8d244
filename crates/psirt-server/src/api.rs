//! The JSON API under `/api/v1/`, and the routes' place in the access
//! matrix ([`ROUTES`]).
//!
//! Handlers authenticate (see `auth`), convert the request into a store
//! call, and convert the answer into a view. They decide nothing: access
//! and rules are asked of `psirt-core`, through the store or, for
//! instance operations, through `authorize_instance`.

use axum::extract::{FromRequest, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use psirt_core::{CaseRef, Command, Credit, CreditKind, NewReport, Operation, Reporter, Secret};
use psirt_store::{Caller, Principal, User};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Auth, SESSION_COOKIE};
use crate::commands::CommandRequest;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, Problem};
use crate::limits::IntakeQuota;
use crate::views::{AgendaView, CaseView, InboundView, MailView, MilestoneView};
use crate::{AppState, now};

/// Every route, with the operation of the access matrix it performs. A test
/// checks this against the OpenAPI description, so a new route cannot be
/// added without a row here (and every operation has a row in the core's
/// matrix). The commands route performs the operation of its command.
pub const ROUTES: &[(&str, &str, Option<Operation>)] = &[
    ("get", "/healthz", Some(Operation::ReadPublic)),
    ("get", "/openapi.json", Some(Operation::ReadPublic)),
    ("get", "/openpgp-key.asc", Some(Operation::ReadPublic)),
    ("post", "/api/v1/reports", Some(Operation::SubmitReport)),
    (
        "get",
        "/api/v1/status/{token}",
        Some(Operation::ViewReporterStatus),
    ),
    (
        "post",
        "/api/v1/status/{token}/replies",
        Some(Operation::ReplyAsReporter),
    ),
    (
        "post",
        "/api/v1/status/{token}/credit",
        Some(Operation::RecordCredit),
    ),
    ("post", "/api/v1/session", Some(Operation::SignIn)),
    ("delete", "/api/v1/session", Some(Operation::OwnAccount)),
    ("delete", "/api/v1/me/sessions", Some(Operation::OwnAccount)),
    // Anyone holding the link; the store decides by the link itself.
    (
        "post",
        "/api/v1/invitations/{token}",
        Some(Operation::SignIn),
    ),
    (
        "get",
        "/api/v1/invitations",
        Some(Operation::ManageDistributors),
    ),
    ("get", "/api/v1/me", Some(Operation::OwnAccount)),
    ("get", "/api/v1/cases", Some(Operation::ListCases)),
    ("get", "/api/v1/agenda", Some(Operation::ViewAgenda)),
    (
        "get",
        "/api/v1/cases/{reference}",
        Some(Operation::ViewCase),
    ),
    ("post", "/api/v1/cases/{reference}/commands", None),
    (
        "get",
        "/api/v1/cases/{reference}/attachments",
        Some(Operation::ViewCase),
    ),
    (
        "get",
        "/api/v1/cases/{reference}/attachments/{id}",
        Some(Operation::ViewCase),
    ),
    (
        "get",
        "/api/v1/cases/{reference}/audit",
        Some(Operation::ViewCaseAudit),
    ),
    (
        "get",
        "/api/v1/cases/{reference}/mail",
        Some(Operation::ViewMail),
    ),
    (
        "put",
        "/api/v1/cases/{reference}/mail/{kind}",
        Some(Operation::ReviewMail),
    ),
    (
        "post",
        "/api/v1/cases/{reference}/mail/{kind}/approve",
        Some(Operation::ReviewMail),
    ),
    (
        "post",
        "/api/v1/cases/{reference}/mail/{kind}/discard",
        Some(Operation::ReviewMail),
    ),
    ("get", "/api/v1/inbound", Some(Operation::ReviewInbound)),
    ("put", "/api/v1/me/openpgp-key", Some(Operation::OwnAccount)),
    (
        "put",
        "/api/v1/users/{email}/openpgp-key",
        Some(Operation::ManageAccounts),
    ),
    ("get", "/api/v1/audit/verify", Some(Operation::VerifyAudit)),
    ("post", "/api/v1/users", Some(Operation::ManageAccounts)),
    (
        "post",
        "/api/v1/users/{email}/revoke",
        Some(Operation::ManageAccounts),
    ),
    ("post", "/api/v1/projects", Some(Operation::ManageProjects)),
    (
        "post",
        "/api/v1/projects/{slug}/pst",
        Some(Operation::ManageProjects),
    ),
    ("get", "/api/v1/projects", Some(Operation::ManageProjects)),
    (
        "get",
        "/api/v1/projects/{slug}",
        Some(Operation::ManageProjects),
    ),
    (
        "get",
        "/api/v1/projects/{slug}/policy",
        Some(Operation::ManageProjects),
    ),
    (
        "put",
        "/api/v1/projects/{slug}/policy",
        Some(Operation::ManageProjects),
    ),
    (
        "put",
        "/api/v1/projects/{slug}/announce",
        Some(Operation::ManageProjects),
    ),
    (
        "get",
        "/api/v1/projects/{slug}/pst",
        Some(Operation::ManageProjects),
    ),
    (
        "put",
        "/api/v1/projects/{slug}/pst/{email}",
        Some(Operation::ManageProjects),
    ),
    (
        "post",
        "/api/v1/projects/{slug}/founding-distributors",
        Some(Operation::ManageProjects),
    ),
    (
        "post",
        "/api/v1/distributors/applications",
        Some(Operation::ApplyAsDistributor),
    ),
    (
        "get",
        "/api/v1/distributors",
        Some(Operation::ManageDistributors),
    ),
    (
        "get",
        "/api/v1/distributors/leaks",
        Some(Operation::ManageDistributors),
    ),
    // Its PST, and also its own people (`AcceptEmbargoPolicy`) and its
    // voucher (`VouchForDistributor`): the store asks the one that fits.
    (
        "get",
        "/api/v1/distributors/{org}",
        Some(Operation::ManageDistributors),
    ),
    (
        "post",
        "/api/v1/distributors/{org}/vouch",
        Some(Operation::VouchForDistributor),
    ),
    (
        "post",
        "/api/v1/distributors/{org}/accept",
        Some(Operation::AcceptEmbargoPolicy),
    ),
    (
        "post",
        "/api/v1/distributors/{org}/decision",
        Some(Operation::ManageDistributors),
    ),
    (
        "post",
        "/api/v1/distributors/{org}/people",
        Some(Operation::ManageDistributorTeam),
    ),
    // A current member of the organisation, or its PST (`ManageDistributors`).
    (
        "delete",
        "/api/v1/distributors/{org}/people/{email}",
        Some(Operation::ManageDistributorTeam),
    ),
    (
        "get",
        "/api/v1/me/distributors",
        Some(Operation::OwnAccount),
    ),
    (
        "get",
        "/api/v1/me/notified-cases",
        Some(Operation::ListNotifiedCases),
    ),
    (
        "get",
        "/api/v1/cases/{reference}/pre-notification",
        Some(Operation::ViewPreNotification),
    ),
    (
        "post",
        "/api/v1/cases/{reference}/distributor-feedback",
        Some(Operation::RecordDistributorFeedback),
    ),
    (
        "get",
        "/api/v1/cases/{reference}/distributor-feedback",
        Some(Operation::ViewDistributorFeedback),
    ),
    (
        "post",
        "/api/v1/cases/{reference}/leaks",
        Some(Operation::ReportEmbargoBreak),
    ),
    (
        "post",
        "/api/v1/cases/{reference}/help-requests",
        Some(Operation::AskDistributorsForHelp),
    ),
    (
        "get",
        "/api/v1/cases/{reference}/help-requests",
        Some(Operation::ViewPreNotification),
    ),
    (
        "post",
        "/api/v1/cases/{reference}/help-requests/{id}/answers",
        Some(Operation::AnswerHelpRequest),
    ),
    (
        "get",
        "/api/v1/cases/{reference}/distributor-notifications",
        Some(Operation::ViewMail),
    ),
    (
        "get",
        "/api/v1/cases/{reference}/export/{format}",
        Some(Operation::ViewCase),
    ),
    ("post", "/api/v1/me/calendar", Some(Operation::OwnAccount)),
];

pub(crate) fn reference(text: &str) -> Result<CaseRef, ApiError> {
    text.parse()
        .map_err(|_| ApiError::NotFound(format!("case {text:?} not found")))
}

/// An e-mail address from a request field; a bad one is a 422 naming it.
pub(crate) fn email_field(field: &str, text: &str) -> Result<psirt_core::EmailAddress, ApiError> {
    text.parse()
        .map_err(|e: psirt_core::IdError| ApiError::Invalid {
            field: field.into(),
            reason: e.reason,
        })
}

/// Refuses anonymous callers with 401 (sign in), others per the matrix.
pub(crate) async fn require(
    state: &AppState,
    caller: &Caller,
    op: Operation,
) -> Result<(), ApiError> {
    if matches!(caller.principal, Principal::Anonymous)
        && !op.allowed().contains(&psirt_core::Standing::Anyone)
    {
        return Err(ApiError::Unauthenticated(
            "sign in or send an API token".into(),
        ));
    }
    let actor = state.store.instance_actor(caller).await?;
    psirt_core::authorize_instance(&actor, op)?;
    Ok(())
}

pub(crate) fn signed_in(caller: &Caller) -> Result<(), ApiError> {
    match caller.principal {
        Principal::Anonymous => Err(ApiError::Unauthenticated(
            "sign in or send an API token".into(),
        )),
        _ => Ok(()),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// The project (default: the instance's default project).
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
async fn submit_report(
    State(state): State<AppState>,
    _quota: IntakeQuota,
    auth: Auth,
    body: crate::attachments::ReportBody,
) -> Result<impl IntoResponse, ApiError> {
    let (req, files) = (body.request, body.files);
    require(&state, &auth.caller, Operation::SubmitReport).await?;
    let email = match req
        .reporter_email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(e) => Some(email_field("reporter_email", e)?),
        None => None,
    };
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
    };
    let intake = state
        .store
        .report_with_attachments(report, files, &auth.caller.origin, now())
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
        } else if case.release.is_some() {
            "released"
        } else if case.fix_ready_at.is_some() {
            "fix ready, release being prepared"
        } else if case.fix_lead.is_some() {
            "being fixed"
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
        let released = case.release.is_some();
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
            released_version: case.release.as_ref().map(|r| r.version.clone()),
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

/// The reporter's view of their case.
#[utoipa::path(get, path = "/api/v1/status/{token}", tag = "reports",
    params(("token" = String, Path, description = "The token of the private status link")),
    responses((status = 200, body = ReporterStatus), (status = 404, body = Problem)))]
async fn reporter_status(
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
async fn reporter_reply(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(token): ApiPath<String>,
    request: axum::extract::Request,
) -> Result<(StatusCode, axum::Json<ReporterStatus>), ApiError> {
    let (caller, case) = reporter_writer(&state, &token, auth.caller.origin).await?;
    let ApiJson(req) = ApiJson::<ReplyRequest>::from_request(request, &state).await?;
    let record = state
        .store
        .execute(
            &caller,
            case,
            Command::ReporterReply { text: req.text },
            None,
            now(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(ReporterStatus::new(&record.case)),
    ))
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
async fn reporter_credit(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(token): ApiPath<String>,
    request: axum::extract::Request,
) -> Result<axum::Json<ReporterStatus>, ApiError> {
    let (caller, case) = reporter_writer(&state, &token, auth.caller.origin).await?;
    let ApiJson(req) = ApiJson::<CreditRequest>::from_request(request, &state).await?;
    let credit = Credit {
        name: req.name,
        kind: CreditKind::Reporter,
    };
    let record = state
        .store
        .execute(&caller, case, Command::RecordCredit(credit), None, now())
        .await?;
    Ok(axum::Json(ReporterStatus::new(&record.case)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionInfo {
    pub user: Me,
    /// Send it back in the `X-CSRF-Token` header on every request that changes something.
    pub csrf_token: String,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: jiff::Timestamp,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub admin: bool,
}

impl Me {
    pub(crate) fn new(u: &User) -> Me {
        Me {
            id: u.id.get(),
            email: u.email.to_string(),
            name: u.name.clone(),
            admin: u.is_admin,
        }
    }
}

/// Signs in with e-mail and password; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "session",
    request_body = LoginRequest,
    responses((status = 200, body = SessionInfo), (status = 401, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn sign_in(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<impl IntoResponse, ApiError> {
    state.limit_sign_in(&auth.caller)?;
    let wrong = || ApiError::Unauthenticated("wrong e-mail address or password".into());
    let email = req.email.trim().parse().map_err(|_| wrong())?;
    let user = state
        .store
        .check_password(&email, &req.password)
        .await?
        .ok_or_else(wrong)?;
    start_session(&state, &user, &auth.caller.origin).await
}

/// The `Set-Cookie` header for the session cookie: `value` for `max_age`
/// seconds (an empty value and 0 clear it).
fn session_cookie(state: &AppState, value: &str, max_age: i64) -> Result<HeaderMap, ApiError> {
    let secure = if state.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"
    );
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    Ok(headers)
}

/// Opens a browser session for `user`: the cookie and its CSRF token.
async fn start_session(
    state: &AppState,
    user: &User,
    origin: &str,
) -> Result<(HeaderMap, axum::Json<SessionInfo>), ApiError> {
    let user = user.clone();
    let signing_in = Caller::new(Principal::User(user.clone()), origin.to_string());
    let session = state
        .store
        .by(&signing_in)
        .create_session(&user, now(), state.settings.session_ttl)
        .await?;
    let mut headers = session_cookie(
        state,
        session.cookie.reveal(),
        state.settings.session_ttl.as_secs(),
    )?;
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let info = SessionInfo {
        user: Me::new(&user),
        csrf_token: session.csrf,
        expires_at: session.expires_at,
    };
    Ok((headers, axum::Json(info)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    /// The password to sign in with from now on (at least 12 characters).
    pub password: String,
}

/// Uses an invitation's one-time link: sets the password of the account
/// it was sent to and signs in (the session cookie, as `POST
/// /api/v1/session`). A used or expired link is a 410 saying so.
#[utoipa::path(post, path = "/api/v1/invitations/{token}", tag = "session",
    params(("token" = String, Path, description = "The token of the invitation's link")),
    request_body = AcceptInvitation,
    responses((status = 200, body = SessionInfo), (status = 401, body = Problem), (status = 404, body = Problem), (status = 410, body = Problem),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn accept_invitation(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(token): ApiPath<String>,
    ApiJson(req): ApiJson<AcceptInvitation>,
) -> Result<impl IntoResponse, ApiError> {
    // Guessing links is slowed like guessing passwords.
    state.limit_sign_in(&auth.caller)?;
    let invited = state
        .store
        .accept_invitation(&token, &req.password, &auth.caller.origin, now())
        .await?;
    start_session(&state, &invited.user, &auth.caller.origin).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationView {
    pub email: String,
    pub name: String,
    /// `distributor` or `pst`.
    pub purpose: String,
    pub organisation: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: jiff::Timestamp,
    /// Never used and past `expires_at`: the person needs a new one.
    pub expired: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvitationsQuery {
    /// The project (default: the instance's default project).
    pub project: Option<String>,
}

/// The project's invitations not used yet (its PST): who was invited, to
/// what, until when. Never the links.
#[utoipa::path(get, path = "/api/v1/invitations", tag = "session", params(InvitationsQuery),
    responses((status = 200, body = Vec<InvitationView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_invitations(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<InvitationsQuery>,
) -> Result<axum::Json<Vec<InvitationView>>, ApiError> {
    signed_in(&auth.caller)?;
    let project = q
        .project
        .unwrap_or_else(|| state.settings.default_project.clone());
    let list = state
        .store
        .pending_invitations(&auth.caller, &project, now())
        .await?;
    Ok(axum::Json(
        list.into_iter()
            .map(|i| InvitationView {
                email: i.email,
                name: i.name,
                purpose: i.purpose,
                organisation: i.organisation,
                created_at: i.created_at,
                expires_at: i.expires_at,
                expired: i.expired,
            })
            .collect(),
    ))
}

/// Signs out: ends the session and clears the cookie.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204, description = "Signed out"), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn sign_out(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<impl IntoResponse, ApiError> {
    signed_in(&auth.caller)?;
    if let Some(cookie) = &auth.session_cookie {
        state.store.by(&auth.caller).end_session(cookie).await?;
    }
    let headers = session_cookie(&state, "", 0)?;
    Ok((StatusCode::NO_CONTENT, headers))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignedOut {
    /// Browser sessions ended, this one among them.
    pub sessions_ended: u64,
}

/// Signs out everywhere: ends every browser session of the caller's
/// account (API tokens stay; an administrator revokes those) and clears
/// this cookie.
#[utoipa::path(delete, path = "/api/v1/me/sessions", tag = "session",
    responses((status = 200, body = SignedOut), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn sign_out_everywhere(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<impl IntoResponse, ApiError> {
    let Principal::User(user) = &auth.caller.principal else {
        return Err(ApiError::Unauthenticated(
            "sign in or send an API token".into(),
        ));
    };
    let ended = state.store.by(&auth.caller).end_sessions(user.id).await?;
    let headers = session_cookie(&state, "", 0)?;
    Ok((
        headers,
        axum::Json(SignedOut {
            sessions_ended: ended,
        }),
    ))
}

/// Who the caller is.
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
async fn me(auth: Auth) -> Result<axum::Json<Me>, ApiError> {
    match &auth.caller.principal {
        Principal::User(u) => Ok(axum::Json(Me::new(u))),
        _ => Err(ApiError::Unauthenticated(
            "sign in or send an API token".into(),
        )),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Include closed cases.
    #[serde(default)]
    pub all: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseSummary {
    pub reference: String,
    pub project: String,
    pub summary: String,
    pub open: bool,
    pub urgent: bool,
    pub fix_lead: Option<i64>,
    pub severity: Option<&'static str>,
    pub next_due: Option<MilestoneView>,
}

/// The cases the caller may see.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(ListQuery),
    responses((status = 200, body = Vec<CaseSummary>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list_cases(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<axum::Json<Vec<CaseSummary>>, ApiError> {
    require(&state, &auth.caller, Operation::ListCases).await?;
    let cases = state.store.cases(&auth.caller, q.all).await?;
    Ok(axum::Json(
        cases
            .iter()
            .map(|c| CaseSummary {
                reference: c.reference.to_string(),
                project: c.project.clone(),
                summary: c.summary.clone(),
                open: c.is_open(),
                urgent: c.urgent(),
                fix_lead: c.fix_lead.map(|u| u.get()),
                severity: c.cvss_final.as_ref().map(|v| v.severity().as_str()),
                next_due: c
                    .next_due()
                    .map(|(m, _)| MilestoneView::new(&c.milestone(m))),
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgendaQuery {
    /// The instant to evaluate at (RFC 3339); default now.
    pub at: Option<String>,
}

/// What is overdue, due soon and next on every open case the caller may see.
#[utoipa::path(get, path = "/api/v1/agenda", tag = "cases", params(AgendaQuery),
    responses((status = 200, body = AgendaView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn agenda(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<AgendaQuery>,
) -> Result<axum::Json<AgendaView>, ApiError> {
    require(&state, &auth.caller, Operation::ViewAgenda).await?;
    let at = match q.at {
        Some(t) => t.parse().map_err(|e: jiff::Error| ApiError::Invalid {
            field: "at".into(),
            reason: e.to_string(),
        })?,
        None => now(),
    };
    let agenda = state.store.agenda(&auth.caller, at).await?;
    Ok(axum::Json(AgendaView::new(&agenda)))
}

/// A case with its milestones and timeline (embargoed; every read is audited).
#[utoipa::path(get, path = "/api/v1/cases/{reference}", tag = "cases",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    responses((status = 200, body = CaseView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_case(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(r): ApiPath<String>,
) -> Result<axum::Json<CaseView>, ApiError> {
    signed_in(&auth.caller)?;
    let record = state.store.case(&auth.caller, reference(&r)?).await?;
    Ok(axum::Json(CaseView::of(&record)))
}

/// Runs one command of the process on a case.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/commands", tag = "cases",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    request_body = CommandRequest,
    responses((status = 200, body = CaseView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn run_command(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(r): ApiPath<String>,
    ApiJson(req): ApiJson<crate::commands::RawCommandRequest>,
) -> Result<axum::Json<CaseView>, ApiError> {
    signed_in(&auth.caller)?;
    let reference = reference(&r)?;
    let command = crate::commands::parse_command(req.command)?
        .resolve(&crate::commands::For {
            store: &state.store,
            caller: &auth.caller,
            reference,
        })
        .await?;
    let record = state
        .store
        .execute(
            &auth.caller,
            reference,
            command,
            req.expected_version,
            state.settings.clock.now(),
        )
        .await?;
    Ok(axum::Json(CaseView::of(&record)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    pub seq: u64,
    #[schema(value_type = String, format = DateTime)]
    pub at: jiff::Timestamp,
    pub actor: String,
    pub action: String,
    pub origin: String,
    pub detail: String,
}

/// Who saw or changed the case, and when (the PST of its project).
#[utoipa::path(get, path = "/api/v1/cases/{reference}/audit", tag = "cases",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    responses((status = 200, body = Vec<AuditEntryView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn case_audit(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(r): ApiPath<String>,
) -> Result<axum::Json<Vec<AuditEntryView>>, ApiError> {
    signed_in(&auth.caller)?;
    let entries = state.store.case_audit(&auth.caller, reference(&r)?).await?;
    Ok(axum::Json(
        entries
            .into_iter()
            .map(|e| AuditEntryView {
                seq: e.seq,
                at: e.at,
                actor: e.actor,
                action: e.action,
                origin: e.origin,
                detail: e.detail,
            })
            .collect(),
    ))
}

/// A mail kind from the path; an unknown one is a 422 naming `kind`.
fn mail_kind(text: &str) -> Result<psirt_core::MailKind, ApiError> {
    psirt_core::MailKind::parse(text).ok_or_else(|| ApiError::Invalid {
        field: "kind".into(),
        reason: format!(
            "{text:?} is not a kind of mail; one of {}",
            psirt_core::MailKind::ALL.map(|k| k.as_str()).join(", ")
        ),
    })
}

/// The case's mail, oldest first: every copy with its delivery state and
/// body (embargoed; every read is audited).
#[utoipa::path(get, path = "/api/v1/cases/{reference}/mail", tag = "mail",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    responses((status = 200, body = Vec<MailView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn case_mail(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(r): ApiPath<String>,
) -> Result<axum::Json<Vec<MailView>>, ApiError> {
    signed_in(&auth.caller)?;
    let mail = state.store.case_mail(&auth.caller, reference(&r)?).await?;
    Ok(axum::Json(mail.iter().map(MailView::new).collect()))
}

/// What a review of a case's drafts changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct DraftReviewed {
    pub kind: &'static str,
    /// The copies changed (one per recipient).
    pub copies: u64,
    /// Their state now: `draft` (edited), `queued` (approved) or `discarded`.
    pub state: &'static str,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftEdit {
    /// One line.
    pub subject: String,
    pub body: String,
}

async fn review(
    state: &AppState,
    auth: &Auth,
    r: &str,
    kind: &str,
    decision: psirt_store::DraftDecision,
) -> Result<axum::Json<DraftReviewed>, ApiError> {
    signed_in(&auth.caller)?;
    let reference = reference(r)?;
    let kind = mail_kind(kind)?;
    let after = match decision {
        psirt_store::DraftDecision::Approve => psirt_store::MailState::Queued,
        psirt_store::DraftDecision::Discard => psirt_store::MailState::Discarded,
        psirt_store::DraftDecision::Edit { .. } => psirt_store::MailState::Draft,
    };
    let copies = state
        .store
        .review_drafts(&auth.caller, reference, kind, decision, now())
        .await?;
    Ok(axum::Json(DraftReviewed {
        kind: kind.as_str(),
        copies,
        state: after.as_str(),
    }))
}

/// Replaces the subject and body of the case's drafts of one kind (every
/// copy); they stay drafts.
#[utoipa::path(put, path = "/api/v1/cases/{reference}/mail/{kind}", tag = "mail",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN"),
        ("kind" = String, Path, description = "The kind of mail, e.g. forthcoming_fix_notice")),
    request_body = DraftEdit,
    responses((status = 200, body = DraftReviewed), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No such case, or no draft of that kind"), (status = 422, body = Problem)))]
async fn edit_draft(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((r, kind)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<DraftEdit>,
) -> Result<axum::Json<DraftReviewed>, ApiError> {
    let decision = psirt_store::DraftDecision::Edit {
        subject: req.subject,
        body: req.body,
    };
    review(&state, &auth, &r, &kind, decision).await
}

/// Approves the case's drafts of one kind: every copy is queued to be sent.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/mail/{kind}/approve", tag = "mail",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN"),
        ("kind" = String, Path, description = "The kind of mail, e.g. forthcoming_fix_notice")),
    responses((status = 200, body = DraftReviewed), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No such case, or no draft of that kind"), (status = 422, body = Problem)))]
async fn approve_draft(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((r, kind)): ApiPath<(String, String)>,
) -> Result<axum::Json<DraftReviewed>, ApiError> {
    review(
        &state,
        &auth,
        &r,
        &kind,
        psirt_store::DraftDecision::Approve,
    )
    .await
}

/// Discards the case's drafts of one kind: nothing of them is sent.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/mail/{kind}/discard", tag = "mail",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN"),
        ("kind" = String, Path, description = "The kind of mail, e.g. forthcoming_fix_notice")),
    responses((status = 200, body = DraftReviewed), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No such case, or no draft of that kind"), (status = 422, body = Problem)))]
async fn discard_draft(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((r, kind)): ApiPath<(String, String)>,
) -> Result<axum::Json<DraftReviewed>, ApiError> {
    review(
        &state,
        &auth,
        &r,
        &kind,
        psirt_store::DraftDecision::Discard,
    )
    .await
}

/// Inbound mail that opened no case, newest first: quarantined messages
/// and automatic ones (auto-replies, bounces). The PST's to look at.
#[utoipa::path(get, path = "/api/v1/inbound", tag = "mail",
    responses((status = 200, body = Vec<InboundView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn inbound_review(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<axum::Json<Vec<InboundView>>, ApiError> {
    require(&state, &auth.caller, Operation::ReviewInbound).await?;
    let records = state.store.inbound_review(&auth.caller).await?;
    Ok(axum::Json(records.iter().map(InboundView::new).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyUpload {
    /// The ASCII-armored public key (`-----BEGIN PGP PUBLIC KEY BLOCK-----`).
    pub armored: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyOnFile {
    pub email: String,
    /// 40 upper-case hexadecimal digits.
    pub fingerprint: String,
}

/// Checks a public key (not revoked, not expired, able to encrypt) and
/// puts it on file for `email`: psirt then encrypts mail to that address.
async fn put_key(
    state: &AppState,
    caller: &Caller,
    email: &psirt_core::EmailAddress,
    armored: &str,
) -> Result<KeyOnFile, ApiError> {
    let at = now();
    let key = psirt_mail::PublicKey::from_armored(armored, at).map_err(|e| ApiError::Invalid {
        field: "armored".into(),
        reason: e.to_string(),
    })?;
    let fingerprint = key.fingerprint().to_string();
    state
        .store
        .put_key(caller, email, &fingerprint, armored.trim(), at)
        .await?;
    Ok(KeyOnFile {
        email: email.to_string(),
        fingerprint,
    })
}

/// Puts the caller's own OpenPGP public key on file: mail to their
/// address is then encrypted.
#[utoipa::path(put, path = "/api/v1/me/openpgp-key", tag = "mail", request_body = KeyUpload,
    responses((status = 200, body = KeyOnFile), (status = 401, body = Problem), (status = 422, body = Problem, description = "Not a usable public key; the reason names it")))]
async fn put_own_key(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(req): ApiJson<KeyUpload>,
) -> Result<axum::Json<KeyOnFile>, ApiError> {
    require(&state, &auth.caller, Operation::OwnAccount).await?;
    let Principal::User(user) = &auth.caller.principal else {
        return Err(ApiError::Unauthenticated(
            "sign in or send an API token".into(),
        ));
    };
    let email = user.email.clone();
    Ok(axum::Json(
        put_key(&state, &auth.caller, &email, &req.armored).await?,
    ))
}

/// Puts an OpenPGP public key on file for an account (administrators).
#[utoipa::path(put, path = "/api/v1/users/{email}/openpgp-key", tag = "admin", request_body = KeyUpload,
    params(("email" = String, Path, description = "The account's e-mail address")),
    responses((status = 200, body = KeyOnFile), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem, description = "Not a usable public key; the reason names it")))]
async fn put_user_key(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(email): ApiPath<String>,
    ApiJson(req): ApiJson<KeyUpload>,
) -> Result<axum::Json<KeyOnFile>, ApiError> {
    require(&state, &auth.caller, Operation::ManageAccounts).await?;
    let email = email
        .parse()
        .map_err(|_| ApiError::NotFound(format!("user {email:?} not found")))?;
    let user = state.store.user_by_email(&email).await?;
    Ok(axum::Json(
        put_key(&state, &auth.caller, &user.email, &req.armored).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditVerification {
    pub intact: bool,
    pub entries: u64,
    /// The head hash, to keep elsewhere and compare later.
    pub head: Option<String>,
    /// The first broken entry, when the chain is broken.
    pub problem: Option<String>,
}

/// Walks the audit log's hash chain (administrators).
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "admin",
    responses((status = 200, body = AuditVerification), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn verify_audit(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<axum::Json<AuditVerification>, ApiError> {
    require(&state, &auth.caller, Operation::VerifyAudit).await?;
    Ok(axum::Json(match state.store.audit_verify().await? {
        psirt_store::AuditReport::Intact { entries, head } => AuditVerification {
            intact: true,
            entries,
            head: Some(head),
            problem: None,
        },
        psirt_store::AuditReport::Broken(b) => AuditVerification {
            intact: false,
            entries: 0,
            head: None,
            problem: Some(b.to_string()),
        },
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Pst,
    Member,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// The project whose PST a `pst` user joins (default: the default project).
    pub project: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NewUserCreated {
    pub user: Me,
    /// Shown once.
    pub token: String,
}

impl std::fmt::Debug for NewUserCreated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUserCreated")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// Creates an account (administrators).
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", request_body = NewUser,
    responses((status = 201, body = NewUserCreated), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_user(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(req): ApiJson<NewUser>,
) -> Result<(StatusCode, axum::Json<NewUserCreated>), ApiError> {
    require(&state, &auth.caller, Operation::ManageAccounts).await?;
    let email = email_field("email", &req.email)?;
    let project = req
        .project
        .unwrap_or_else(|| state.settings.default_project.clone());
    if matches!(req.role, Role::Pst) {
        state.store.project_policy(&project).await?;
    }
    let store = state.store.by(&auth.caller);
    let (user, token) = store
        .add_user(&email, &req.name, matches!(req.role, Role::Admin), now())
        .await?;
    if matches!(req.role, Role::Pst) {
        store.add_pst_member(&project, user.id, now()).await?;
    }
    Ok((
        StatusCode::CREATED,
        axum::Json(NewUserCreated {
            user: Me::new(&user),
            token: token.reveal().to_string(),
        }),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Revoked {
    /// API tokens that were live.
    pub revoked: u64,
    /// Browser sessions that were open.
    pub sessions_ended: u64,
}

/// Revokes an account's access (administrators): every API token and
/// every browser session of it end at once.
#[utoipa::path(post, path = "/api/v1/users/{email}/revoke", tag = "admin",
    params(("email" = String, Path, description = "The account's e-mail address")),
    responses((status = 200, body = Revoked), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn revoke_tokens(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(email): ApiPath<String>,
) -> Result<axum::Json<Revoked>, ApiError> {
    require(&state, &auth.caller, Operation::ManageAccounts).await?;
    let email = email
        .parse()
        .map_err(|_| ApiError::NotFound(format!("user {email:?} not found")))?;
    let user = state.store.user_by_email(&email).await?;
    let ended = state
        .store
        .by(&auth.caller)
        .revoke_tokens(user.id, now())
        .await?;
    Ok(axum::Json(Revoked {
        revoked: ended.tokens,
        sessions_ended: ended.sessions,
    }))
}

/// The instance's public OpenPGP key, ASCII-armored.
#[utoipa::path(get, path = "/openpgp-key.asc", tag = "meta",
    responses((status = 200, description = "The key", body = String, content_type = "application/pgp-keys"), (status = 404, body = Problem)))]
async fn openpgp_key(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let key = state
        .settings
        .openpgp
        .as_ref()
        .ok_or_else(|| ApiError::NotFound("this instance has no OpenPGP key yet".into()))?;
    Ok((
        [(header::CONTENT_TYPE, "application/pgp-keys")],
        key.armored_public.clone(),
    ))
}

/// 200 once the database answers and is migrated, 503 otherwise.
#[utoipa::path(get, path = "/healthz", tag = "meta",
    responses((status = 200, description = "ok", body = String, content_type = "text/plain"), (status = 503, description = "database unavailable", body = String, content_type = "text/plain")))]
async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n"),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
    }
}

/// The documented routes.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(openpgp_key))
        // The report route alone takes bodies as large as its attachments
        // (as multipart; its JSON keeps the global limit).
        .merge(
            utoipa_axum::router::OpenApiRouter::new()
                .routes(routes!(submit_report))
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::attachments::REPORT_BODY_LIMIT,
                )),
        )
        .routes(routes!(reporter_status))
        .routes(routes!(reporter_reply))
        .routes(routes!(reporter_credit))
        .routes(routes!(sign_in, sign_out))
        .routes(routes!(sign_out_everywhere))
        .routes(routes!(accept_invitation))
        .routes(routes!(list_invitations))
        .routes(routes!(me))
        .routes(routes!(list_cases))
        .routes(routes!(agenda))
        .routes(routes!(get_case))
        .routes(routes!(run_command))
        .routes(routes!(case_audit))
        .routes(routes!(case_mail))
        .routes(routes!(edit_draft))
        .routes(routes!(approve_draft))
        .routes(routes!(discard_draft))
        .routes(routes!(inbound_review))
        .routes(routes!(put_own_key))
        .routes(routes!(put_user_key))
        .routes(routes!(verify_audit))
        .routes(routes!(create_user))
        .routes(routes!(revoke_tokens))
}
