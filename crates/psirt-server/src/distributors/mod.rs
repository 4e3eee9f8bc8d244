//! The private distributors list over the JSON API: applications, the
//! voucher's answer, each person's acceptance of the embargo policy, the
//! PST's decisions, an organisation's own people, and the portal (the cases
//! notified to one's organisation, their pre-notification, feedback, leaks
//! and help with drafts).
//!
//! Like the rest of the API, these handlers decide nothing: each runs
//! behind its row's door (`api::routes`), and every call goes to a `Store`
//! method that asks `psirt_core::authorize` (or `authorize_instance`) and
//! writes the audit log. What this module owns is
//! the JSON shapes and their checks, which the application form of the web
//! pages shares ([`ApplicationInput::check`]), so both refuse the same
//! input with the same field names.

use axum::extract::State;
use axum::http::StatusCode;
use psirt_core::EmailAddress;
use psirt_store::{
    Application, CheckedKey, FeedbackKind, HelpTopic, NewLeak, NewPerson, OrgDecision, Outcome,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::reference;
use crate::auth::Auth;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, Problem};
use crate::views::{
    DistributorOrgView, FeedbackView, HelpRequestView, LeakCountView, NotificationStatusView,
    NotifiedCaseView, PreNotificationView,
};
use crate::{AppState, now};

mod organisations;
mod portal;

pub use organisations::*;
pub use portal::*;

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
pub(crate) fn person_key(armored: &str, at: jiff::Timestamp) -> Result<CheckedKey, String> {
    if armored.trim().is_empty() {
        return Err(
            "an OpenPGP public key is required: the pre-notification is never sent in clear".into(),
        );
    }
    let key = psirt_mail::PublicKey::from_armored(armored, at).map_err(|e| e.to_string())?;
    CheckedKey::new(key.fingerprint().as_str(), armored).map_err(|e| e.to_string())
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

/// A route's `{org}` path parameter with the `project` query that names
/// its list, read before the body and resolved by [`OrgParam::id`] after
/// it (so a bad body is refused before an unknown name).
pub(crate) struct OrgParam {
    org: String,
    query: ProjectQuery,
}

impl axum::extract::FromRequestParts<AppState> for OrgParam {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<OrgParam, ApiError> {
        #[derive(Deserialize)]
        struct Named {
            org: String,
        }
        let ApiPath(Named { org }) = ApiPath::from_request_parts(parts, state).await?;
        let ApiQuery(query) = ApiQuery::from_request_parts(parts, state).await?;
        Ok(OrgParam { org, query })
    }
}

impl OrgParam {
    /// The organisation it names: digits are its id, anything else its
    /// name on the project's list (`project`, or the default project). An
    /// unknown name is a 404.
    pub(crate) async fn id(self, state: &AppState) -> Result<i64, ApiError> {
        if let Ok(id) = self.org.parse::<i64>() {
            return Ok(id);
        }
        let project = self.query.or_default(state);
        Ok(state.store.distributor_org_id(&project, &self.org).await?)
    }
}
