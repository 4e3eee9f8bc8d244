//! The team's pages: sign-in and sign-out, the dashboard of open cases,
//! and the case page with its checklist, timeline, mail (every copy psirt
//! wrote, and the drafts to edit, approve or discard) and the forms of the
//! actions the signed-in person may take.
//!
//! Which forms a case page shows is asked of `psirt_core::authorize`, one
//! `Operation` at a time; submitting one goes through `CaseCommand::resolve`
//! and `Store::execute`, which decide again. A refused or invalid form is
//! shown again with its input and the reason next to the field.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use psirt_core::{Actor, Case, CaseRef, MailKind, MilestoneStatus, Operation, UserId, authorize};
use psirt_store::{Caller, DraftDecision, MailRecord, MailState, Principal, Store};
use serde_json::{Map, Value};

use super::{
    Errors, Fields, Input, Kind, PlainForm, SignedIn, Visitor, WebError, WebForm, WebSession,
    csrf_field, error_summary, layout, ok, page_response, parse_instant, random_token, same, time,
};
use crate::auth::SESSION_COOKIE;
use crate::commands::CaseCommand;
use crate::error::ApiError;
use crate::views::EventView;
use crate::{AppState, now};

pub(super) fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/signin", get(sign_in_form).post(sign_in))
        .route("/signout", post(sign_out))
        .route("/signout/everywhere", post(sign_out_everywhere))
        .route("/cases", get(dashboard))
        .route("/cases/{reference}", get(case_page).post(case_action))
        .route("/cases/{reference}/attachments/{id}", get(attachment))
        .route("/cases/{reference}/mail/{kind}", post(mail_action))
}

/// Downloads one attachment of a case; `Store::attachment` decides and
/// audits. Always a download (`Content-Disposition: attachment`), never
/// rendered as a page of ours.
async fn attachment(
    State(state): State<AppState>,
    WebSession(who): WebSession,
    Path((r, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let reference = reference(&r)?;
    let id: i64 = id.parse().map_err(|_| {
        WebError::Page(
            StatusCode::NOT_FOUND,
            "Not found".into(),
            format!("Case {reference} has no attachment {id:?}."),
        )
    })?;
    let file = state.store.attachment(&who.caller, reference, id).await?;
    crate::attachments::download(file).map_err(WebError::Internal)
}

/// The pre-session cookie that pairs with the sign-in form's `csrf` field,
/// so another site cannot sign a browser in to an account of its choosing.
const SIGN_IN_COOKIE: &str = "psirt_signin";

fn cookie_header(
    state: &AppState,
    name: &str,
    value: &str,
    path: &str,
    max_age: i64,
) -> Result<HeaderValue, WebError> {
    let secure = if state.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; HttpOnly; SameSite=Strict; Path={path}; Max-Age={max_age}{secure}"
    ))
    .map_err(|e| WebError::Internal(e.to_string()))
}

fn sign_in_page(token: &str, email: &str, error: Option<&str>) -> Markup {
    let mut values = Fields::default();
    values.set("email", email);
    let mut errors = Errors::default();
    if let Some(e) = error {
        errors.form = Some(e.to_string());
    }
    layout(
        "Sign in",
        None,
        html! {
            h1 { "Sign in" }
            p { "For members of the Product Security Team and the Fix Teams. Reporters follow their report through their private status link." }
            form.narrow method="post" action="/signin" {
                input type="hidden" name="csrf" value=(token);
                (error_summary(&errors))
                (Input { form: "signin", name: "email", label: "E-mail address", kind: Kind::Email, required: true, hint: None }.render(&values, &errors))
                (Input { form: "signin", name: "password", label: "Password", kind: Kind::Password, required: true, hint: None }.render(&values, &errors))
                button type="submit" { "Sign in" }
            }
        },
    )
}

async fn sign_in_form(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, WebError> {
    if let Some(who) = &visitor.signed_in {
        return Ok(Redirect::to(landing(&state, &who.caller).await?).into_response());
    }
    let token = random_token()?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        cookie_header(&state, SIGN_IN_COOKIE, &token, "/signin", 3600)?,
    );
    Ok((headers, ok(sign_in_page(&token, "", None))).into_response())
}

async fn sign_in(
    State(state): State<AppState>,
    visitor: Visitor,
    request_headers: HeaderMap,
    PlainForm(f): PlainForm,
) -> Result<Response, WebError> {
    let caller = Caller::new(Principal::Anonymous, visitor.origin.clone());
    let paired = request_headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SIGN_IN_COOKIE)
        .map(|(_, v)| v.to_string());
    let email_text = f.get("email").trim().to_string();
    let retry = |error: &str, status: StatusCode| -> Result<Response, WebError> {
        let token = random_token()?;
        let mut headers = HeaderMap::new();
        headers.insert(
            header::SET_COOKIE,
            cookie_header(&state, SIGN_IN_COOKIE, &token, "/signin", 3600)?,
        );
        Ok((
            headers,
            page_response(status, sign_in_page(&token, &email_text, Some(error))),
        )
            .into_response())
    };
    match paired {
        Some(c) if !c.is_empty() && same(&c, f.get("csrf")) => {}
        _ => {
            return retry(
                "the sign-in form had expired (or came from another site); please sign in again",
                StatusCode::FORBIDDEN,
            );
        }
    }
    if let Err(e) = state.limit_sign_in(&caller) {
        return Err(e.into());
    }
    let wrong = "wrong e-mail address or password";
    let Ok(email) = email_text.parse() else {
        return retry(wrong, StatusCode::UNAUTHORIZED);
    };
    let Some(user) = state
        .store
        .check_password(&email, f.get("password"))
        .await?
    else {
        return retry(wrong, StatusCode::UNAUTHORIZED);
    };
    let (mut headers, landing) = start_session(&state, &user, visitor.origin).await?;
    headers.append(
        header::SET_COOKIE,
        cookie_header(&state, SIGN_IN_COOKIE, "", "/signin", 0)?,
    );
    Ok((headers, Redirect::to(landing)).into_response())
}

/// Opens a browser session for `user`: its cookie, and where they land.
pub(super) async fn start_session(
    state: &AppState,
    user: &psirt_store::User,
    origin: String,
) -> Result<(HeaderMap, &'static str), WebError> {
    let signing_in = Caller::new(Principal::User(user.clone()), origin);
    let session = state
        .store
        .by(&signing_in)
        .create_session(user, now(), state.settings.session_ttl)
        .await?;
    let mut headers = HeaderMap::new();
    headers.append(
        header::SET_COOKIE,
        cookie_header(
            state,
            SESSION_COOKIE,
            session.cookie.reveal(),
            "/",
            state.settings.session_ttl.as_secs(),
        )?,
    );
    Ok((headers, landing(state, &signing_in).await?))
}

/// Where a person lands once signed in: a person of a distributor
/// organisation (or its voucher) who is on no PST has nothing on the case
/// dashboard, so they land on their portal; everyone else on the cases.
async fn landing(state: &AppState, caller: &Caller) -> Result<&'static str, WebError> {
    if matches!(
        state.store.instance_actor(caller).await?,
        Actor::Person { pst: true, .. }
    ) {
        return Ok("/cases");
    }
    if state.store.distributor_orgs_of(caller).await?.is_empty() {
        return Ok("/cases");
    }
    Ok("/distributors")
}

async fn sign_out(State(state): State<AppState>, form: WebForm) -> Result<Response, WebError> {
    state
        .store
        .by(&form.who.caller)
        .end_session(&form.who.cookie)
        .await?;
    signed_out(&state)
}

/// Clears the session cookie and goes back to the sign-in page.
fn signed_out(state: &AppState) -> Result<Response, WebError> {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        cookie_header(state, SESSION_COOKIE, "", "/", 0)?,
    );
    Ok((headers, Redirect::to("/signin")).into_response())
}

/// Ends every session of the signed-in account, this one among them.
async fn sign_out_everywhere(
    State(state): State<AppState>,
    form: WebForm,
) -> Result<Response, WebError> {
    if let psirt_store::Principal::User(user) = &form.who.caller.principal {
        state
            .store
            .by(&form.who.caller)
            .end_sessions(user.id)
            .await?;
    }
    signed_out(&state)
}

/// People's names, looked up once per page.
struct Names<'a> {
    store: &'a Store,
    known: BTreeMap<UserId, String>,
}

impl<'a> Names<'a> {
    fn new(store: &'a Store) -> Names<'a> {
        Names {
            store,
            known: BTreeMap::new(),
        }
    }

    async fn of(&mut self, id: UserId) -> String {
        if let Some(n) = self.known.get(&id) {
            return n.clone();
        }
        let name = match self.store.user(id).await {
            Ok(u) => format!("{} <{}>", u.name, u.email),
            Err(_) => format!("user {}", id.get()),
        };
        self.known.insert(id, name.clone());
        name
    }
}

fn due_text(due: psirt_core::Due) -> Markup {
    html! {
        @if due.asap { "as soon as possible (" (time(due.at)) ")" } @else { (time(due.at)) }
    }
}

async fn dashboard(
    State(state): State<AppState>,
    WebSession(who): WebSession,
) -> Result<Response, WebError> {
    let at = now();
    let cases = state.store.cases(&who.caller, false).await?;
    let agenda = psirt_core::agenda(&cases, at);
    let by_ref: BTreeMap<CaseRef, &Case> = cases.iter().map(|c| (c.reference, c)).collect();
    let mut names = Names::new(&state.store);
    let mut leads = BTreeMap::new();
    for c in &cases {
        if let Some(lead) = c.fix_lead {
            leads.insert(c.reference, names.of(lead).await);
        }
    }
    let body = html! {
        h1 { "Open cases" }
        p { "Sorted by what is due next; overdue steps first. Times are UTC." }
        @if agenda.cases.is_empty() {
            p { "No open cases you can see." }
        } @else {
            div.scroll {
            table #cases {
                caption { "Open cases, most pressing first" }
                thead { tr {
                    th scope="col" { "Case" }
                    th scope="col" { "Summary" }
                    th scope="col" { "Due next" }
                    th scope="col" { "Fix Lead" }
                    th scope="col" { "Severity" }
                    th scope="col" { "Urgency" }
                } }
                tbody {
                    @for e in &agenda.cases {
                        @let case = by_ref.get(&e.reference);
                        @let overdue = e.overdue.first();
                        tr class=(if overdue.is_some() { "overdue" } else { "" }) {
                            th scope="row" { a href=(format!("/cases/{}", e.reference)) { (e.reference.to_string()) } }
                            td { (e.summary) }
                            td {
                                @if let Some((m, due)) = overdue {
                                    span.badge.bad { "Overdue" } " " (m.title()) ", was due " (due_text(*due))
                                } @else if let Some((m, due)) = e.next {
                                    (m.title()) ", " (due_text(due))
                                } @else { "nothing pending" }
                            }
                            td { (leads.get(&e.reference).map_or("not assigned", String::as_str)) }
                            td {
                                @match case.and_then(|c| c.cvss_final.as_ref()) {
                                    Some(v) => { (format!("{:.1}", v.base_score().as_f64())) " " (v.severity().as_str()) }
                                    None => "not scored",
                                }
                            }
                            td { @if e.urgent { span.badge.bad { "Urgent" } } @else { "normal" } }
                        }
                    }
                }
            }
            }
        }
    };
    Ok(ok(layout("Cases", Some(&who), body)))
}

fn reference(text: &str) -> Result<CaseRef, WebError> {
    text.parse().map_err(|_| {
        WebError::Page(
            StatusCode::NOT_FOUND,
            "Not found".into(),
            format!("There is no case {text:?}."),
        )
    })
}

/// An action of the case page: its form, the operation that decides
/// whether the form is offered, and the `CaseCommand` tag it becomes.
struct Action {
    command: &'static str,
    title: &'static str,
    op: Operation,
    button: &'static str,
    fields: &'static [Field],
}

struct Field {
    name: &'static str,
    label: &'static str,
    kind: Kind,
    required: bool,
    hint: Option<&'static str>,
    /// The value a fresh form starts with (the process's suggestion).
    default: Option<&'static str>,
}

const fn f(name: &'static str, label: &'static str, kind: Kind, required: bool) -> Field {
    Field {
        name,
        label,
        kind,
        required,
        hint: None,
        default: None,
    }
}

const fn h(
    name: &'static str,
    label: &'static str,
    kind: Kind,
    required: bool,
    hint: &'static str,
) -> Field {
    Field {
        name,
        label,
        kind,
        required,
        hint: Some(hint),
        default: None,
    }
}

const CVSS_FIELDS: &[Field] = &[h(
    "vector",
    "CVSS vector",
    Kind::Text,
    true,
    "v3.1 or v4.0, for example CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
)];

/// The forms of the case page, in the order of the process. The CVSS
/// form is drawn separately (it previews), but submits like the others.
const ACTIONS: &[Action] = &[
    Action {
        command: "assign_fix_lead",
        title: "Assign the Fix Lead",
        op: Operation::AssignFixLead,
        button: "Assign Fix Lead",
        fields: &[
            h(
                "lead",
                "Fix Lead's e-mail",
                Kind::Email,
                false,
                "Leave empty for the next PST member in the round-robin.",
            ),
            h(
                "reason",
                "Reason for choosing someone else",
                Kind::Text,
                false,
                "Needed when you name the Fix Lead.",
            ),
        ],
    },
    Action {
        command: "add_fix_team_member",
        title: "Add to the Fix Team",
        op: Operation::ManageFixTeam,
        button: "Add member",
        fields: &[f("member", "Member's e-mail", Kind::Email, true)],
    },
    Action {
        command: "propose_cvss",
        title: "Propose a CVSS vector",
        op: Operation::ProposeCvss,
        button: "Propose",
        fields: CVSS_FIELDS,
    },
    Action {
        command: "finalize_cvss",
        title: "Make the CVSS vector final",
        op: Operation::FinalizeCvss,
        button: "Make final",
        fields: CVSS_FIELDS,
    },
    Action {
        command: "remove_fix_team_member",
        title: "Remove from the Fix Team",
        op: Operation::ManageFixTeam,
        button: "Remove member",
        fields: &[
            f("member", "Member's e-mail", Kind::Email, true),
            h(
                "reason",
                "Reason",
                Kind::Text,
                true,
                "Recorded on the timeline.",
            ),
        ],
    },
    Action {
        command: "add_fix_commit",
        title: "Record a fix commit",
        op: Operation::RecordFixWork,
        button: "Record commit",
        fields: &[
            f("commit", "Commit id", Kind::Text, true),
            h(
                "author",
                "Author",
                Kind::Text,
                true,
                "The git identity, Name <email>.",
            ),
            f("url", "Link", Kind::Url, false),
        ],
    },
    Action {
        command: "approve_commit",
        title: "Give a commit your LGTM",
        op: Operation::RecordFixWork,
        button: "LGTM",
        fields: &[f("commit", "Commit id", Kind::Text, true)],
    },
    Action {
        command: "mark_fix_ready",
        title: "Mark the fix ready",
        op: Operation::MarkFixReady,
        button: "Fix is ready",
        fields: &[],
    },
    Action {
        command: "record_mitigation",
        title: "Record a mitigation",
        op: Operation::RecordFixWork,
        button: "Record mitigation",
        fields: &[f("steps", "Mitigation steps", Kind::Area, true)],
    },
    Action {
        command: "publish_notice",
        title: "Publish the forthcoming-fix notice",
        op: Operation::PublishNotice,
        button: "Record notice",
        fields: &[
            h(
                "estimated_release",
                "Estimated release (UTC)",
                Kind::DateTime,
                true,
                "Date and time, UTC.",
            ),
            f("mitigation", "Mitigation steps for users", Kind::Area, true),
            f("link", "Link to the published notice", Kind::Url, false),
        ],
    },
    Action {
        command: "decide_distributors",
        title: "Decide on the distributor pre-notification",
        op: Operation::NotifyDistributors,
        button: "Record decision",
        fields: &[
            f(
                "notify",
                "Pre-notify the private distributors list?",
                Kind::YesNo,
                true,
            ),
            h(
                "rationale",
                "Rationale",
                Kind::Area,
                true,
                "Generally reserved for remotely exploitable or privilege-escalation issues.",
            ),
            h(
                "embargo_end",
                "Embargo ends (UTC)",
                Kind::DateTime,
                false,
                "Needed when notifying.",
            ),
            f(
                "long_embargo_reason",
                "Reason for an embargo longer than the policy's",
                Kind::Text,
                false,
            ),
        ],
    },
    Action {
        command: "notify_distributors",
        title: "Send the distributor pre-notification",
        op: Operation::NotifyDistributors,
        button: "Record pre-notification",
        fields: &[h(
            "patches",
            "Patches",
            Kind::Lines,
            true,
            "One per line (links or file names).",
        )],
    },
    Action {
        command: "set_upstream_embargo",
        title: "Follow an upstream embargo",
        op: Operation::SetUpstreamEmbargo,
        button: "Record upstream embargo",
        fields: &[
            h(
                "upstream",
                "Upstream project",
                Kind::Text,
                true,
                "The project whose embargo this case follows.",
            ),
            h(
                "until",
                "Upstream embargo ends (UTC)",
                Kind::DateTime,
                true,
                "It replaces the release due time.",
            ),
        ],
    },
    Action {
        command: "slow_down",
        title: "Slow the case down",
        op: Operation::SlowDown,
        button: "Record slow-down",
        fields: &[
            h(
                "reason",
                "Reason",
                Kind::Text,
                true,
                "Only for low severity (CVSS below 4.0); holidays and bandwidth are valid reasons.",
            ),
            h(
                "discussion",
                "Link to the discussion",
                Kind::Url,
                true,
                "Where the team agreed to slow down.",
            ),
            h(
                "extension",
                "Extension",
                Kind::Text,
                false,
                "Like 14d; leave empty for the policy's.",
            ),
        ],
    },
    Action {
        command: "mark_publicly_disclosed",
        title: "Mark as publicly disclosed",
        op: Operation::MarkPubliclyDisclosed,
        button: "Mark public",
        fields: &[h(
            "link",
            "Where it was disclosed",
            Kind::Url,
            false,
            "Every due time becomes as soon as possible.",
        )],
    },
    Action {
        command: "request_private_handling",
        title: "Ask the reporter to handle it privately",
        op: Operation::NegotiatePrivateHandling,
        button: "Record the request",
        fields: &[],
    },
    Action {
        command: "record_private_handling_answer",
        title: "Record the reporter's answer on private handling",
        op: Operation::NegotiatePrivateHandling,
        button: "Record answer",
        fields: &[h(
            "agreed",
            "Did the reporter agree to handle it privately?",
            Kind::YesNo,
            true,
            "A no keeps every due time at as soon as possible.",
        )],
    },
    Action {
        command: "report_embargo_break",
        title: "Report an embargo break",
        op: Operation::ReportEmbargoBreak,
        button: "Report the leak",
        fields: &[
            f("what", "What leaked", Kind::Area, true),
            f("to_whom", "To whom", Kind::Text, true),
            h(
                "when",
                "When (UTC)",
                Kind::DateTime,
                true,
                "Date and time of the leak, UTC.",
            ),
        ],
    },
    Action {
        command: "assess_embargo_break",
        title: "Assess the embargo break",
        op: Operation::AssessEmbargoBreak,
        button: "Record assessment",
        fields: &[
            h(
                "release_early",
                "Release early?",
                Kind::YesNo,
                true,
                "Yes pulls every due time to now and moves the public date; no keeps the plan.",
            ),
            h(
                "release_at",
                "New public date (UTC)",
                Kind::DateTime,
                false,
                "With yes: when the fix goes public (default now). Every notified distributor is told.",
            ),
            f("reason", "Reason", Kind::Text, true),
        ],
    },
    Action {
        command: "record_cve",
        title: "Record the CVE",
        op: Operation::RecordCve,
        button: "Record CVE",
        fields: &[h(
            "cve",
            "CVE id",
            Kind::Text,
            true,
            "For example CVE-2026-12345.",
        )],
    },
    Action {
        command: "waive_cve",
        title: "Release without a CVE",
        op: Operation::RecordCve,
        button: "Waive CVE",
        fields: &[f("reason", "Reason", Kind::Text, true)],
    },
    Action {
        command: "draft_announcement",
        title: "Draft the announcement",
        op: Operation::DraftAnnouncement,
        button: "Save draft",
        fields: &[f("text", "Announcement", Kind::Area, true)],
    },
    Action {
        command: "release",
        title: "Release the fix",
        op: Operation::Release,
        button: "Record release",
        fields: &[
            f("version", "Released version", Kind::Text, true),
            h(
                "base_release",
                "Base release",
                Kind::Text,
                true,
                "The last release the fix was cherry-picked onto.",
            ),
            h(
                "cherry_picks",
                "Cherry-picked commits",
                Kind::Lines,
                true,
                "One commit id per line.",
            ),
        ],
    },
    Action {
        command: "record_advisory",
        title: "Record an advisory",
        op: Operation::RecordAdvisory,
        button: "Record advisory",
        fields: &[
            h(
                "format",
                "Format",
                Kind::Text,
                true,
                "For example OSV, CVE JSON 5, CSAF or Markdown.",
            ),
            h(
                "location",
                "Location",
                Kind::Text,
                true,
                "Where it is published: a link or a path.",
            ),
        ],
    },
    // The advisory record (psirt-core's record.rs): what every exported
    // advisory is rendered from.
    Action {
        command: "describe_advisory",
        title: "Describe the advisory",
        op: Operation::RecordAdvisory,
        button: "Save description",
        fields: &[
            h(
                "title",
                "Public title",
                Kind::Text,
                false,
                "One line; the report's summary until set.",
            ),
            h(
                "description",
                "Description",
                Kind::Area,
                false,
                "Public, in Markdown. The report itself stays embargoed.",
            ),
            f("impact", "Impact", Kind::Area, false),
        ],
    },
    Action {
        command: "set_affected_product",
        title: "Add an affected product",
        op: Operation::RecordAdvisory,
        button: "Save product",
        fields: &[
            h(
                "package",
                "Package",
                Kind::Text,
                true,
                "Its name in its ecosystem, e.g. github.com/coredns/coredns.",
            ),
            h(
                "ecosystem",
                "Ecosystem",
                Kind::Text,
                true,
                "An OSV ecosystem: Go, npm, PyPI, crates.io, Maven, …",
            ),
            h(
                "purl",
                "Package URL",
                Kind::Text,
                false,
                "Without a version, e.g. pkg:golang/github.com/coredns/coredns.",
            ),
            h(
                "ranges",
                "Affected versions",
                Kind::Lines,
                true,
                "One range a line: semver:1.9.0..1.11.2 (fixed in 1.11.2), semver:0..=1.11.1 (last affected), ecosystem:… or git:COMMIT..COMMIT.",
            ),
            h(
                "repo",
                "Repository",
                Kind::Url,
                false,
                "For git ranges: the repository's URL.",
            ),
            h(
                "branches",
                "Release branches that need the fix",
                Kind::Lines,
                false,
                "One a line.",
            ),
        ],
    },
    Action {
        command: "add_weakness",
        title: "Add a weakness (CWE)",
        op: Operation::RecordAdvisory,
        button: "Add weakness",
        fields: &[
            h("cwe", "CWE id", Kind::Text, true, "For example CWE-400."),
            h(
                "name",
                "Name",
                Kind::Text,
                true,
                "As MITRE's CWE list names it.",
            ),
        ],
    },
    Action {
        command: "add_reference",
        title: "Add a reference",
        op: Operation::RecordAdvisory,
        button: "Add reference",
        fields: &[
            h(
                "kind",
                "Type",
                Kind::Text,
                true,
                "fix_commit, pull_request, issue, report, advisory, announcement or web.",
            ),
            f("url", "URL", Kind::Url, true),
        ],
    },
    Action {
        command: "add_alias",
        title: "Add an alias",
        op: Operation::RecordAdvisory,
        button: "Add alias",
        fields: &[h(
            "alias",
            "Id given elsewhere",
            Kind::Text,
            true,
            "A GHSA id or a distribution's tracker id.",
        )],
    },
    Action {
        command: "hold_retrospective",
        title: "Hold the retrospective",
        op: Operation::Close,
        button: "Record retrospective",
        fields: &[f("notes", "Notes", Kind::Area, true)],
    },
    Action {
        command: "message_reporter",
        title: "Write to the reporter",
        op: Operation::MessageReporter,
        button: "Send to reporter",
        fields: &[h(
            "text",
            "Message",
            Kind::Area,
            true,
            "Shown on the reporter's status page.",
        )],
    },
    Action {
        command: "close",
        title: "Close the case",
        op: Operation::Close,
        button: "Close case",
        fields: &[],
    },
];

/// A fresh form's values: the fields' suggested defaults.
fn defaults(a: &Action) -> Fields {
    let mut values = Fields::default();
    for field in a.fields {
        if let Some(d) = field.default {
            values.set(field.name, d);
        }
    }
    values
}

fn action(command: &str) -> Option<&'static Action> {
    ACTIONS.iter().find(|a| a.command == command)
}

/// What the page shows after a form: the failed form with its input and
/// errors, a CVSS preview, or a note that the last action was saved.
#[derive(Default)]
struct Outcome {
    form: Option<String>,
    values: Fields,
    errors: Errors,
    preview: Option<psirt_core::cvss::Vector>,
    done: Option<String>,
}

#[derive(serde::Deserialize)]
struct CaseQuery {
    done: Option<String>,
}

async fn case_page(
    State(state): State<AppState>,
    WebSession(who): WebSession,
    Path(r): Path<String>,
    Query(q): Query<CaseQuery>,
) -> Result<Response, WebError> {
    let reference = reference(&r)?;
    let outcome = Outcome {
        done: q.done.and_then(|d| done_text(&d)),
        ..Outcome::default()
    };
    render_case(&state, &who, reference, outcome, StatusCode::OK).await
}

async fn render_case(
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

async fn case_markup(
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
    let lead = match case.fix_lead {
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
        @if let Some(done) = &outcome.done {
            div.notice role="status" { p { "Saved: " (done) "." } }
        }
        @if may(Operation::ReviewMail) && mail.iter().any(|m| m.state == MailState::Draft) {
            p.notice #drafts-waiting { a href="#mail" { "Mail drafts wait for review" } ": nothing of them is sent until someone approves it." }
        }
        @if case.distributors.is_some() && may(Operation::ViewDistributorFeedback) {
            p #distributors-link { a href=(format!("{path}/distributors")) { "Distributors: who was notified, their feedback and requests for help" } }
        }
        div.badges {
            @if case.urgent() { span.badge.bad { "Urgent" } " " }
            @if !case.is_open() { span.badge { "Closed" } " " }
            @if case.public.is_some() { span.badge.bad { "Publicly disclosed" } " " }
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
        h2 #checklist { "Checklist" }
        div.scroll {
        table {
            caption { "Milestones, with their due and done times (UTC)" }
            thead { tr { th scope="col" { "Milestone" } th scope="col" { "Status" } th scope="col" { "Due" } th scope="col" { "Done" } } }
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
                                td.due { @if let Some(d) = due { (due_text(d)) } @else { "—" } }
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
        @if !offered.is_empty() {
            h2 #actions { "Actions" }
            p.hint { "Only the actions your role allows on this case are shown." }
            @for a in &offered {
                @let failed = outcome.form.as_deref() == Some(a.command);
                @let errors = if failed { &outcome.errors } else { &no_errors };
                @let fresh = defaults(a);
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
fn command_json(a: &Action, f: &Fields) -> Result<Value, Errors> {
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

async fn case_action(
    State(state): State<AppState>,
    Path(r): Path<String>,
    form: WebForm,
) -> Result<Response, WebError> {
    let reference = reference(&r)?;
    let WebForm { who, fields } = form;
    let name = fields.get("action").to_string();
    if name == "preview_cvss" {
        let mut outcome = Outcome {
            form: Some(name),
            ..Outcome::default()
        };
        let status = match fields
            .get("vector")
            .trim()
            .parse::<psirt_core::cvss::Vector>()
        {
            Ok(v) => {
                outcome.preview = Some(v);
                StatusCode::OK
            }
            Err(e) => {
                if fields.get("vector").trim().is_empty() {
                    outcome.errors.field("vector", "is required");
                } else {
                    outcome.errors.field("vector", e.to_string());
                }
                StatusCode::UNPROCESSABLE_ENTITY
            }
        };
        outcome.values = fields;
        return render_case(&state, &who, reference, outcome, status).await;
    }
    let Some(a) = action(&name) else {
        return Err(WebError::Page(
            StatusCode::BAD_REQUEST,
            "Unknown form".into(),
            format!("{name:?} is not an action of the case page."),
        ));
    };
    let known: Vec<&str> = a.fields.iter().map(|f| f.name).collect();
    let result: Result<(), Errors> = match command_json(a, &fields) {
        Err(errors) => Err(errors),
        Ok(json) => match serde_json::from_value::<CaseCommand>(json) {
            Err(e) => Err(Errors {
                form: Some(e.to_string()),
                ..Errors::default()
            }),
            Ok(command) => {
                let to = crate::commands::For {
                    store: &state.store,
                    caller: &who.caller,
                    reference,
                };
                let executed = match command.resolve(&to).await {
                    Ok(command) => state
                        .store
                        .execute(&who.caller, reference, command, None, now())
                        .await
                        .map_err(ApiError::from),
                    Err(e) => Err(e),
                };
                match executed {
                    Ok(_) => {
                        return Ok(Redirect::to(&format!(
                            "/cases/{reference}?done={}#checklist",
                            a.command
                        ))
                        .into_response());
                    }
                    Err(e) => Err(Errors::from_api(e, &known)?),
                }
            }
        },
    };
    let errors = result.err().unwrap_or_default();
    let status = if errors.fields.is_empty() {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let outcome = Outcome {
        form: Some(name),
        values: fields,
        errors,
        preview: None,
        done: None,
    };
    render_case(&state, &who, reference, outcome, status).await
}

/// What the page says after a form: an action's title, or what a mail
/// review did.
fn done_text(done: &str) -> Option<String> {
    match done {
        "mail_saved" => Some("the mail draft".into()),
        "mail_approved" => Some("the mail draft is approved and queued to be sent".into()),
        "mail_discarded" => Some("the mail draft is discarded; nothing of it is sent".into()),
        other => action(other).map(|a| a.title.to_string()),
    }
}

/// A kind of mail in the process's words.
fn kind_title(kind: MailKind) -> &'static str {
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
    }
}

fn protection_text(m: &MailRecord) -> &'static str {
    match (m.encrypted, m.encrypt_only) {
        (Some(true), _) => "encrypted and signed",
        (Some(false), _) => "signed",
        (None, true) => "to be encrypted; never sent in clear",
        (None, false) => "to be encrypted if a key is on file, else signed",
    }
}

/// The form of a case's drafts of one kind: `mail-<kind>`.
fn mail_form(kind: MailKind) -> String {
    format!("mail-{}", kind.as_str())
}

/// The case's mail: every copy with its delivery state, and for those who
/// may review drafts, each kind of draft in a form to edit, approve or
/// discard (every copy of a kind at once, as the store decides them).
fn mail_section(
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
                thead { tr {
                    th scope="col" { "Kind" }
                    th scope="col" { "To" }
                    th scope="col" { "Subject" }
                    th scope="col" { "State" }
                    th scope="col" { "Attempts" }
                    th scope="col" { "Last error" }
                    th scope="col" { "Protection" }
                    th scope="col" { "Sent" }
                } }
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
async fn mail_action(
    State(state): State<AppState>,
    Path((r, kind)): Path<(String, String)>,
    form: WebForm,
) -> Result<Response, WebError> {
    let reference = reference(&r)?;
    let Some(kind) = MailKind::parse(&kind) else {
        return Err(WebError::Page(
            StatusCode::NOT_FOUND,
            "Not found".into(),
            format!("{kind:?} is not a kind of mail."),
        ));
    };
    let WebForm { who, fields } = form;
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
    if matches!(e, ApiError::Forbidden(_)) {
        return Err(e.into());
    }
    let errors = Errors::from_api(e, &["subject", "body"])?;
    let status = if errors.fields.is_empty() {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let outcome = Outcome {
        form: Some(mail_form(kind)),
        values: fields,
        errors,
        preview: None,
        done: None,
    };
    render_case(&state, &who, reference, outcome, status).await
}

/// A size for people: bytes, KiB or MiB.
fn size_text(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} bytes"),
        1024..1_048_576 => format!("{:.1} KiB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MiB", bytes as f64 / 1_048_576.0),
    }
}
