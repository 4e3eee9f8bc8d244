//! The private distributors list over the JSON API: applications, the
//! voucher's answer, each person's acceptance of the embargo policy, the
//! PST's decisions, an organisation's own people, and the portal (the cases
//! notified to one's organisation, their pre-notification, feedback, leaks
//! and help with drafts).
//!
//! Like the rest of the API, these handlers decide nothing: every call goes
//! to a `Store` method that asks `psirt_core::authorize` (or
//! `authorize_instance`) and writes the audit log. What this module owns is
//! the JSON shapes and their checks, which the application form of the web
//! pages shares ([`ApplicationInput::check`]), so both refuse the same
//! input with the same field names.

use axum::extract::State;
use axum::http::StatusCode;
use psirt_core::{EmailAddress, Operation};
use psirt_store::{
    Application, FeedbackKind, HelpTopic, NewLeak, NewPerson, OrgDecision, Outcome, PersonKey,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::{reference, require, signed_in};
use crate::auth::Auth;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, Problem};
use crate::views::{
    DistributorOrgView, FeedbackView, HelpRequestView, LeakCountView, NotificationStatusView,
    NotifiedCaseView, PreNotificationView,
};
use crate::{AppState, now};

use psirt_core::distributors::MAX_PEOPLE;

/// One person an application or an organisation names.
#[derive(Deserialize, ToSchema, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    pub name: String,
    /// Their own address: an individual, never a group alias.
    pub email: String,
    /// Their ASCII-armored OpenPGP public key: the pre-notification is
    /// only ever sent encrypted to it.
    pub key: String,
}

impl std::fmt::Debug for PersonInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonInput")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// An application to the distributors list: the answer to each of the
/// seven membership criteria, one by one (`answers` in order, or
/// `criterion_1` … `criterion_7`), the people, the voucher.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ApplicationInput {
    /// The project (default: the instance's default project).
    pub project: Option<String>,
    pub organisation: String,
    /// The seven answers, in the order of the criteria.
    pub answers: Option<Vec<String>>,
    pub criterion_1: Option<String>,
    pub criterion_2: Option<String>,
    pub criterion_3: Option<String>,
    pub criterion_4: Option<String>,
    pub criterion_5: Option<String>,
    pub criterion_6: Option<String>,
    pub criterion_7: Option<String>,
    /// The organisation's list address, kept as its contact only:
    /// embargoed mail goes to the named people alone.
    pub list_address: Option<String>,
    /// The people of the organisation who receive pre-notifications.
    #[serde(default)]
    pub people: Vec<PersonInput>,
    /// The e-mail address of the existing member who vouches.
    pub voucher: String,
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ApiError {
    ApiError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Checks an armored key (usable at `at`: not revoked or expired, able to
/// encrypt) and returns it as the store keeps it, or why not.
pub(crate) fn person_key(armored: &str, at: jiff::Timestamp) -> Result<PersonKey, String> {
    if armored.trim().is_empty() {
        return Err(
            "an OpenPGP public key is required: the pre-notification is never sent in clear".into(),
        );
    }
    let key = psirt_mail::PublicKey::from_armored(armored, at).map_err(|e| e.to_string())?;
    Ok(PersonKey {
        fingerprint: key.fingerprint().to_string(),
        armored: armored.trim().to_string(),
    })
}

/// A person from a request, checked: a name, an individual's address, a
/// usable key. `prefix` names the fields (`people[0]`, or `` for one).
pub(crate) fn person(
    prefix: &str,
    p: &PersonInput,
    at: jiff::Timestamp,
    errors: &mut Vec<(String, String)>,
) -> Option<NewPerson> {
    let field = |name: &str| {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        }
    };
    let name = p.name.trim();
    if name.is_empty() {
        errors.push((field("name"), "must not be empty".into()));
    }
    let email = match p.email.trim().parse::<EmailAddress>() {
        Ok(e) => match psirt_core::distributors::check_individual("email", &e) {
            Ok(()) => Some(e),
            Err(psirt_core::Refusal::Invalid { reason, .. }) => {
                errors.push((field("email"), reason));
                None
            }
            Err(e) => {
                errors.push((field("email"), e.to_string()));
                None
            }
        },
        Err(e) => {
            errors.push((field("email"), e.reason));
            None
        }
    };
    let key = match person_key(&p.key, at) {
        Ok(k) => Some(k),
        Err(reason) => {
            errors.push((field("key"), reason));
            None
        }
    };
    if name.is_empty() {
        return None;
    }
    Some(NewPerson {
        name: name.to_string(),
        email: email?,
        key: Some(key?),
    })
}

impl ApplicationInput {
    /// Every field checked, each error under its field name (`organisation`,
    /// `criterion_3`, `people[1].key`, `voucher`, …), in form order.
    pub fn check(
        &self,
        default_project: &str,
        at: jiff::Timestamp,
    ) -> Result<Application, Vec<(String, String)>> {
        let mut errors = Vec::new();
        if self.organisation.trim().is_empty() {
            errors.push(("organisation".into(), "must not be empty".into()));
        }
        if let Some(reason) = unaddressable_name(&self.organisation) {
            errors.push(("organisation".into(), reason));
        }
        let fields = [
            &self.criterion_1,
            &self.criterion_2,
            &self.criterion_3,
            &self.criterion_4,
            &self.criterion_5,
            &self.criterion_6,
            &self.criterion_7,
        ];
        let answers: Vec<String> = match &self.answers {
            Some(list) => {
                if list.len() != psirt_store::CRITERIA.len() {
                    errors.push((
                        "answers".into(),
                        format!(
                            "answer each of the {} membership criteria, one by one ({} given)",
                            psirt_store::CRITERIA.len(),
                            list.len()
                        ),
                    ));
                }
                list.clone()
            }
            None => fields
                .iter()
                .map(|a| (*a).clone().unwrap_or_default())
                .collect(),
        };
        for (i, a) in answers.iter().enumerate().take(7) {
            if a.trim().is_empty() {
                errors.push((
                    format!("criterion_{}", i + 1),
                    "answer how your organisation meets this criterion".into(),
                ));
            }
        }
        if self.people.is_empty() {
            errors.push((
                "people".into(),
                "name at least one person: individuals, each with their own address".into(),
            ));
        }
        if self.people.len() > MAX_PEOPLE {
            errors.push(("people".into(), format!("at most {MAX_PEOPLE} people")));
        }
        let people: Vec<Option<NewPerson>> = self
            .people
            .iter()
            .enumerate()
            .map(|(i, p)| person(&format!("people[{i}]"), p, at, &mut errors))
            .collect();
        let list_address = match self.list_address.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(a) => match a.parse::<EmailAddress>() {
                Ok(a) => Some(a),
                Err(e) => {
                    errors.push(("list_address".into(), e.reason));
                    None
                }
            },
        };
        let voucher = match self.voucher.trim().parse::<EmailAddress>() {
            Ok(v) => Some(v),
            Err(e) => {
                errors.push(("voucher".into(), e.reason));
                None
            }
        };
        let (Some(voucher), true) = (voucher, errors.is_empty()) else {
            return Err(errors);
        };
        Ok(Application {
            project: self
                .project
                .clone()
                .filter(|p| !p.trim().is_empty())
                .unwrap_or_else(|| default_project.to_string()),
            organisation: self.organisation.trim().to_string(),
            answers,
            list_address,
            people: people.into_iter().flatten().collect(),
            voucher,
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectQuery {
    /// The project (default: the instance's default project).
    pub project: Option<String>,
}

impl ProjectQuery {
    pub(crate) fn or_default(self, state: &AppState) -> String {
        self.project
            .filter(|p| !p.trim().is_empty())
            .unwrap_or_else(|| state.settings.default_project.clone())
    }
}

/// How the `{org}` path parameter is described in the OpenAPI document.
const ORG_PARAM: &str = "The organisation: its name (unique on the project's list; `project` \
    names a project other than the default), or its numeric id";

/// Names that the routes under `/api/v1/distributors/` take for
/// themselves, so an organisation called so could not be named in a path.
const RESERVED_NAMES: &[&str] = &["applications", "leaks"];

/// Why an organisation may not be called `name`, if it may not: the
/// `{org}` path parameter reads digits as an id, and some names are routes.
pub(crate) fn unaddressable_name(name: &str) -> Option<String> {
    let name = name.trim();
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
        return Some(
            "must not be only digits: the API reads a number as an organisation's id".into(),
        );
    }
    RESERVED_NAMES
        .iter()
        .any(|r| r.eq_ignore_ascii_case(name))
        .then(|| format!("{name:?} names a route of the API; choose another name"))
}

/// The organisation a `{org}` path parameter names: digits are its id,
/// anything else its name on the project's list (`project`, or the
/// default project). An unknown name is a 404.
pub(crate) async fn org_id(state: &AppState, q: ProjectQuery, org: &str) -> Result<i64, ApiError> {
    if let Ok(id) = org.parse::<i64>() {
        return Ok(id);
    }
    let project = q.or_default(state);
    Ok(state.store.distributor_org_id(&project, org).await?)
}

/// Applies for the distributors list (no account needed). Nothing is
/// stored unless every field is right; the people named get accounts
/// and an invitation to set a password and sign in. Naming an
/// existing account never changes its name or key: a key given waits, as
/// `key_pending`, until the person accepts the embargo policy signed in.
#[utoipa::path(post, path = "/api/v1/distributors/applications", tag = "distributors",
    request_body = ApplicationInput,
    responses((status = 201, body = DistributorOrgView, description = "Applied; waits for the voucher"),
        (status = 409, body = Problem, description = "An organisation of that name already applied"),
        (status = 422, body = Problem, description = "A field is wrong; `field` names it, e.g. `people[0].key`"),
        (status = 429, body = Problem)))]
async fn apply(
    State(state): State<AppState>,
    _quota: crate::limits::IntakeQuota,
    auth: Auth,
    ApiJson(req): ApiJson<ApplicationInput>,
) -> Result<(StatusCode, axum::Json<DistributorOrgView>), ApiError> {
    require(&state, &auth.caller, Operation::ApplyAsDistributor).await?;
    let application = req
        .check(&state.settings.default_project, now())
        .map_err(|mut errors| {
            let (field, reason) = errors.remove(0);
            invalid(field, reason)
        })?;
    let org = state
        .store
        .apply_distributor(&auth.caller, application, now())
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(DistributorOrgView::receipt(&org)),
    ))
}

/// A project's organisations (its PST).
#[utoipa::path(get, path = "/api/v1/distributors", tag = "distributors", params(ProjectQuery),
    responses((status = 200, body = Vec<DistributorOrgView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_orgs(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ProjectQuery>,
) -> Result<axum::Json<Vec<DistributorOrgView>>, ApiError> {
    signed_in(&auth.caller)?;
    let project = q.or_default(&state);
    let orgs = state.store.distributor_orgs(&auth.caller, &project).await?;
    Ok(axum::Json(
        orgs.iter().map(DistributorOrgView::new).collect(),
    ))
}

/// The organisations the caller is a person of, or vouches for.
#[utoipa::path(get, path = "/api/v1/me/distributors", tag = "distributors",
    responses((status = 200, body = Vec<DistributorOrgView>), (status = 401, body = Problem)))]
async fn my_orgs(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<axum::Json<Vec<DistributorOrgView>>, ApiError> {
    signed_in(&auth.caller)?;
    let orgs = state.store.distributor_orgs_of(&auth.caller).await?;
    Ok(axum::Json(
        orgs.iter().map(DistributorOrgView::new).collect(),
    ))
}

/// One organisation with its answers, people and timeline (its PST, its
/// own people, its voucher): the applicant sees the outcome and reason here.
#[utoipa::path(get, path = "/api/v1/distributors/{org}", tag = "distributors",
    params(("org" = String, Path, description = ORG_PARAM), ProjectQuery),
    responses((status = 200, body = DistributorOrgView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_org(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(org): ApiPath<String>,
    ApiQuery(q): ApiQuery<ProjectQuery>,
) -> Result<axum::Json<DistributorOrgView>, ApiError> {
    signed_in(&auth.caller)?;
    let org = org_id(&state, q, &org).await?;
    let org = state.store.distributor_org(&auth.caller, org).await?;
    Ok(axum::Json(DistributorOrgView::new(&org)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VouchRequest {
    /// `true` confirms, `false` declines (with a reason the applicant sees).
    pub confirm: bool,
    pub reason: Option<String>,
}

/// The member the application names confirms or declines vouching.
#[utoipa::path(post, path = "/api/v1/distributors/{org}/vouch", tag = "distributors",
    params(("org" = String, Path, description = ORG_PARAM), ProjectQuery),
    request_body = VouchRequest,
    responses((status = 200, body = DistributorOrgView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "Not waiting for a voucher"), (status = 422, body = Problem)))]
async fn vouch(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(org): ApiPath<String>,
    ApiQuery(q): ApiQuery<ProjectQuery>,
    ApiJson(req): ApiJson<VouchRequest>,
) -> Result<axum::Json<DistributorOrgView>, ApiError> {
    signed_in(&auth.caller)?;
    let org = org_id(&state, q, &org).await?;
    let org = if req.confirm {
        state
            .store
            .vouch_distributor(&auth.caller, org, req.reason.as_deref(), now())
            .await?
    } else {
        let reason = req.reason.as_deref().unwrap_or("");
        state
            .store
            .decline_distributor(&auth.caller, org, reason, now())
            .await?
    };
    Ok(axum::Json(DistributorOrgView::new(&org)))
}

/// The caller accepts the embargo policy for themself, as a person of the
/// organisation; the time is recorded. Until then they see nothing.
#[utoipa::path(post, path = "/api/v1/distributors/{org}/accept", tag = "distributors",
    params(("org" = String, Path, description = ORG_PARAM), ProjectQuery),
    responses((status = 200, body = DistributorOrgView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "The caller is not a person of it"), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn accept(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(org): ApiPath<String>,
    ApiQuery(q): ApiQuery<ProjectQuery>,
) -> Result<axum::Json<DistributorOrgView>, ApiError> {
    signed_in(&auth.caller)?;
    let org = org_id(&state, q, &org).await?;
    let org = state
        .store
        .accept_embargo_policy(&auth.caller, org, now())
        .await?;
    Ok(axum::Json(DistributorOrgView::new(&org)))
}

/// The PST's decisions on an organisation.
#[derive(Debug, Deserialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Approve,
    Reject,
    Suspend,
    Reinstate,
    Remove,
}

impl DecisionKind {
    pub const ALL: [DecisionKind; 5] = [
        DecisionKind::Approve,
        DecisionKind::Reject,
        DecisionKind::Suspend,
        DecisionKind::Reinstate,
        DecisionKind::Remove,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Approve => "approve",
            DecisionKind::Reject => "reject",
            DecisionKind::Suspend => "suspend",
            DecisionKind::Reinstate => "reinstate",
            DecisionKind::Remove => "remove",
        }
    }

    pub fn parse(s: &str) -> Option<DecisionKind> {
        DecisionKind::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// The store's decision; every one but approval needs a reason.
    pub fn with(self, reason: Option<String>) -> Result<OrgDecision, ApiError> {
        let reason = reason.map(|r| r.trim().to_string()).unwrap_or_default();
        if self != DecisionKind::Approve && reason.is_empty() {
            return Err(invalid(
                "reason",
                "give the reason: the organisation sees it",
            ));
        }
        Ok(match self {
            DecisionKind::Approve => OrgDecision::Approve,
            DecisionKind::Reject => OrgDecision::Reject { reason },
            DecisionKind::Suspend => OrgDecision::Suspend { reason },
            DecisionKind::Reinstate => OrgDecision::Reinstate { reason },
            DecisionKind::Remove => OrgDecision::Remove { reason },
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub decision: DecisionKind,
    /// Required for all but `approve`; the organisation sees it.
    pub reason: Option<String>,
}

/// The PST approves, rejects, suspends, reinstates or removes an
/// organisation. Suspension and removal take effect at once: every page,
/// API call and pending copy of a pre-notification.
#[utoipa::path(post, path = "/api/v1/distributors/{org}/decision", tag = "distributors",
    params(("org" = String, Path, description = ORG_PARAM), ProjectQuery),
    request_body = DecisionRequest,
    responses((status = 200, body = DistributorOrgView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "Not in a state that allows this decision"), (status = 422, body = Problem)))]
async fn decide(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(org): ApiPath<String>,
    ApiQuery(q): ApiQuery<ProjectQuery>,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> Result<axum::Json<DistributorOrgView>, ApiError> {
    signed_in(&auth.caller)?;
    let org = org_id(&state, q, &org).await?;
    let decision = req.decision.with(req.reason)?;
    let org = state
        .store
        .decide_distributor(&auth.caller, org, decision, now())
        .await?;
    Ok(axum::Json(DistributorOrgView::new(&org)))
}

fn first_error(errors: Vec<(String, String)>) -> ApiError {
    let (field, reason) = errors
        .into_iter()
        .next()
        .unwrap_or_else(|| ("body".into(), "invalid".into()));
    invalid(field, reason)
}

/// A current member adds a person of their own team (with their key); the
/// person sees nothing until they accept the embargo policy themself.
#[utoipa::path(post, path = "/api/v1/distributors/{org}/people", tag = "distributors",
    params(("org" = String, Path, description = ORG_PARAM), ProjectQuery),
    request_body = PersonInput,
    responses((status = 201, body = DistributorOrgView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn add_person(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(org): ApiPath<String>,
    ApiQuery(q): ApiQuery<ProjectQuery>,
    ApiJson(req): ApiJson<PersonInput>,
) -> Result<(StatusCode, axum::Json<DistributorOrgView>), ApiError> {
    signed_in(&auth.caller)?;
    let org = org_id(&state, q, &org).await?;
    let mut errors = Vec::new();
    let person = person("", &req, now(), &mut errors).ok_or_else(|| first_error(errors))?;
    let org = state
        .store
        .add_distributor_person(&auth.caller, org, person, now())
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(DistributorOrgView::receipt(&org)),
    ))
}

/// Removes a person (a current member of the organisation, or the PST);
/// their pending copies are discarded at once.
#[utoipa::path(delete, path = "/api/v1/distributors/{org}/people/{email}", tag = "distributors",
    params(("org" = String, Path, description = ORG_PARAM), ("email" = String, Path, description = "The person's address"), ProjectQuery),
    responses((status = 200, body = DistributorOrgView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn remove_person(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((org, email)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<ProjectQuery>,
) -> Result<axum::Json<DistributorOrgView>, ApiError> {
    signed_in(&auth.caller)?;
    let org = org_id(&state, q, &org).await?;
    let email: EmailAddress = email
        .parse()
        .map_err(|_| ApiError::NotFound(format!("person {email:?} not found")))?;
    let org = state
        .store
        .remove_distributor_person(&auth.caller, org, &email, now())
        .await?;
    Ok(axum::Json(DistributorOrgView::new(&org)))
}

/// Leaks reported per organisation, most first (the PST).
#[utoipa::path(get, path = "/api/v1/distributors/leaks", tag = "distributors", params(ProjectQuery),
    responses((status = 200, body = Vec<LeakCountView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn leak_counts(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ProjectQuery>,
) -> Result<axum::Json<Vec<LeakCountView>>, ApiError> {
    signed_in(&auth.caller)?;
    let project = q.or_default(&state);
    let counts = state.store.leak_counts(&auth.caller, &project).await?;
    Ok(axum::Json(counts.iter().map(LeakCountView::new).collect()))
}

/// The cases notified to the caller's organisation, while under embargo
/// (an audited read).
#[utoipa::path(get, path = "/api/v1/me/notified-cases", tag = "distributors", params(ProjectQuery),
    responses((status = 200, body = Vec<NotifiedCaseView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn notified_cases(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ProjectQuery>,
) -> Result<axum::Json<Vec<NotifiedCaseView>>, ApiError> {
    signed_in(&auth.caller)?;
    let project = q.or_default(&state);
    let cases = state.store.notified_cases(&auth.caller, &project).await?;
    Ok(axum::Json(
        cases.iter().map(NotifiedCaseView::new).collect(),
    ))
}

/// The case's pre-notification as sent: the notice only (an audited read).
#[utoipa::path(get, path = "/api/v1/cases/{reference}/pre-notification", tag = "distributors",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    responses((status = 200, body = PreNotificationView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn pre_notification(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(r): ApiPath<String>,
) -> Result<axum::Json<PreNotificationView>, ApiError> {
    signed_in(&auth.caller)?;
    let notice = state
        .store
        .pre_notification(&auth.caller, reference(&r)?)
        .await?;
    Ok(axum::Json(PreNotificationView::new(&notice)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    /// `review` or `test`.
    pub kind: String,
    /// `issues_found` or `no_issues_found` ("tested, no issues found").
    pub outcome: String,
    pub text: String,
}

/// Parses a feedback kind and outcome, naming the field at fault.
pub(crate) fn feedback_kind(
    kind: &str,
    outcome: &str,
) -> Result<(FeedbackKind, Outcome), ApiError> {
    let kind = FeedbackKind::parse(kind.trim())
        .ok_or_else(|| invalid("kind", "must be review or test"))?;
    let outcome = Outcome::parse(outcome.trim())
        .ok_or_else(|| invalid("outcome", "must be issues_found or no_issues_found"))?;
    Ok((kind, outcome))
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct Recorded {
    pub id: i64,
}

/// A notified distributor records a review or test result, including
/// "tested, no issues found".
#[utoipa::path(post, path = "/api/v1/cases/{reference}/distributor-feedback", tag = "distributors",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    request_body = FeedbackRequest,
    responses((status = 201, body = Recorded), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem), (status = 409, body = Problem)))]
async fn record_feedback(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(r): ApiPath<String>,
    ApiJson(req): ApiJson<FeedbackRequest>,
) -> Result<(StatusCode, axum::Json<Recorded>), ApiError> {
    signed_in(&auth.caller)?;
    let reference = reference(&r)?;
    let (kind, outcome) = feedback_kind(&req.kind, &req.outcome)?;
    let id = state
        .store
        .record_distributor_feedback(&auth.caller, reference, kind, outcome, &req.text, now())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(Recorded { id })))
}

/// What distributors sent back on the case (the team; an audited read).
#[utoipa::path(get, path = "/api/v1/cases/{reference}/distributor-feedback", tag = "distributors",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    responses((status = 200, body = Vec<FeedbackView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_feedback(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(r): ApiPath<String>,
) -> Result<axum::Json<Vec<FeedbackView>>, ApiError> {
    signed_in(&auth.caller)?;
    let feedback = state
        .store
        .distributor_feedback(&auth.caller, reference(&r)?)
        .await?;
    Ok(axum::Json(feedback.iter().map(FeedbackView::new).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeakRequest {
    /// What leaked.
    pub what: String,
    /// To whom.
    pub to_whom: String,
    /// When (RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    pub when: jiff::Timestamp,
    /// The organisation responsible, by name, where known.
    pub responsible: Option<String>,
}

/// What a leak report answers: never the case itself, which a
/// distributor may not see.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct LeakRecorded {
    pub reference: String,
    /// The embargo breaks now on the case, for the PST to assess.
    pub embargo_breaks: usize,
}

/// Reports a leak: opens the embargo-break assessment on the case and ties
/// the leak to the organisation responsible, where known.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/leaks", tag = "distributors",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    request_body = LeakRequest,
    responses((status = 201, body = LeakRecorded), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn report_leak(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(r): ApiPath<String>,
    ApiJson(req): ApiJson<LeakRequest>,
) -> Result<(StatusCode, axum::Json<LeakRecorded>), ApiError> {
    signed_in(&auth.caller)?;
    let leak = NewLeak {
        what: req.what,
        to_whom: req.to_whom,
        when: req.when,
        responsible: req.responsible.filter(|r| !r.trim().is_empty()),
    };
    let record = state
        .store
        .report_leak(&auth.caller, reference(&r)?, leak, now())
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(LeakRecorded {
            reference: record.case.reference.to_string(),
            embargo_breaks: record.case.embargo_breaks.len(),
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HelpRequestInput {
    /// `announcement_draft` or `release_notes`.
    pub topic: String,
    pub text: String,
}

/// The PST or the Fix Lead asks the notified distributors for help with
/// drafts or release notes.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/help-requests", tag = "distributors",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    request_body = HelpRequestInput,
    responses((status = 201, body = Recorded), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem), (status = 409, body = Problem)))]
async fn ask_for_help(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(r): ApiPath<String>,
    ApiJson(req): ApiJson<HelpRequestInput>,
) -> Result<(StatusCode, axum::Json<Recorded>), ApiError> {
    signed_in(&auth.caller)?;
    let reference = reference(&r)?;
    let topic = HelpTopic::parse(req.topic.trim())
        .ok_or_else(|| invalid("topic", "must be announcement_draft or release_notes"))?;
    let id = state
        .store
        .ask_distributors_for_help(&auth.caller, reference, topic, &req.text, now())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(Recorded { id })))
}

/// The case's requests for help (the team and notified distributors; an
/// audited read).
#[utoipa::path(get, path = "/api/v1/cases/{reference}/help-requests", tag = "distributors",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    responses((status = 200, body = Vec<HelpRequestView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn help_requests(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(r): ApiPath<String>,
) -> Result<axum::Json<Vec<HelpRequestView>>, ApiError> {
    signed_in(&auth.caller)?;
    let requests = state
        .store
        .help_requests(&auth.caller, reference(&r)?)
        .await?;
    Ok(axum::Json(
        requests.iter().map(HelpRequestView::new).collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HelpAnswer {
    pub text: String,
}

/// A notified distributor answers a request for help.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/help-requests/{id}/answers", tag = "distributors",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN"), ("id" = i64, Path, description = "The request")),
    request_body = HelpAnswer,
    responses((status = 201, body = Recorded), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem), (status = 409, body = Problem)))]
async fn answer_help(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((r, id)): ApiPath<(String, i64)>,
    ApiJson(req): ApiJson<HelpAnswer>,
) -> Result<(StatusCode, axum::Json<Recorded>), ApiError> {
    signed_in(&auth.caller)?;
    let reference = reference(&r)?;
    let id = state
        .store
        .answer_help_request(&auth.caller, reference, id, &req.text, now())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(Recorded { id })))
}

/// Per distributor with a copy of the case's pre-notification: notified,
/// pending, or not notified and why (those who may see the case's mail).
#[utoipa::path(get, path = "/api/v1/cases/{reference}/distributor-notifications", tag = "distributors",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    responses((status = 200, body = Vec<NotificationStatusView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn notifications(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(r): ApiPath<String>,
) -> Result<axum::Json<Vec<NotificationStatusView>>, ApiError> {
    signed_in(&auth.caller)?;
    let rows = state
        .store
        .distributor_notifications(&auth.caller, reference(&r)?)
        .await?;
    Ok(axum::Json(
        rows.iter().map(NotificationStatusView::new).collect(),
    ))
}

/// The documented distributor routes.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(apply))
        .routes(routes!(list_orgs))
        .routes(routes!(my_orgs))
        .routes(routes!(get_org))
        .routes(routes!(vouch))
        .routes(routes!(accept))
        .routes(routes!(decide))
        .routes(routes!(add_person))
        .routes(routes!(remove_person))
        .routes(routes!(leak_counts))
        .routes(routes!(notified_cases))
        .routes(routes!(pre_notification))
        .routes(routes!(record_feedback, list_feedback))
        .routes(routes!(report_leak))
        .routes(routes!(ask_for_help, help_requests))
        .routes(routes!(answer_help))
        .routes(routes!(notifications))
}
