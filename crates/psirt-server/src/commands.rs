//! The case commands as the API accepts them, and their conversion into
//! `psirt_core::Command`.
//!
//! The JSON shape is this module's promise; people are named by e-mail
//! address (resolved to accounts here), instants are RFC 3339 strings.

use jiff::Timestamp;
use psirt_core::{
    AffectedProduct, Command, Credit, CreditKind, DistributorDecision, RecordEdit, Reference,
    UserId, Weakness,
};
use psirt_store::Store;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;

/// A command on a case, with the version the client last saw.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandRequest {
    /// Refuse with 409 unless the case is still at this version.
    pub expected_version: Option<u64>,
    pub command: CaseCommand,
}

/// A [`CommandRequest`] as the route reads it: `command` is parsed apart
/// by [`parse_command`], so that its errors name the field inside it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCommandRequest {
    pub expected_version: Option<u64>,
    pub command: serde_json::Value,
}

/// Defines [`CaseCommand`] (internally tagged: `{"type": "publish_notice",
/// …}`, the wire format) and, from the same text, `ByTag`, the same
/// commands externally tagged (`{"publish_notice": {…}}`). serde buffers an
/// internally tagged enum before it reads the variant, so an error inside
/// one can only name the enum; it follows the path into an externally
/// tagged one. [`parse_command`] reads with the first and, when that
/// fails, asks the second which field is at fault.
macro_rules! case_commands {
    ($(#[$attr:meta])* pub enum CaseCommand $variants:tt) => {
        $(#[$attr])*
        #[derive(Debug, Deserialize, ToSchema)]
        // A misspelt field is an error, never silently a default.
        #[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
        pub enum CaseCommand $variants

        #[derive(Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case", deny_unknown_fields)]
        #[allow(dead_code)]
        enum ByTag $variants
    };
}

case_commands! {
/// Every operation of the process engine on one case.
pub enum CaseCommand {
    /// The next PST member in the round-robin, or `lead` (an e-mail) with a reason.
    AssignFixLead {
        lead: Option<String>,
        reason: Option<String>,
    },
    /// The Fix Lead names the Fix Team (e-mail addresses).
    FormFixTeam {
        members: Vec<String>,
    },
    AddFixTeamMember {
        member: String,
    },
    RemoveFixTeamMember {
        member: String,
        reason: String,
    },
    ProposeCvss {
        vector: String,
    },
    FinalizeCvss {
        vector: String,
    },
    /// `author` is the git identity (`Name <email>` or an e-mail).
    AddFixCommit {
        commit: String,
        author: String,
        url: Option<String>,
    },
    /// An LGTM from the caller.
    ApproveCommit {
        commit: String,
    },
    MarkFixReady {},
    ReopenFix {
        reason: String,
    },
    RecordMitigation {
        steps: String,
    },
    PublishNotice {
        #[schema(value_type = String, format = DateTime)]
        estimated_release: Timestamp,
        mitigation: String,
        link: Option<String>,
    },
    DecideDistributors {
        notify: bool,
        rationale: String,
        #[schema(value_type = Option<String>, format = DateTime)]
        embargo_end: Option<Timestamp>,
        long_embargo_reason: Option<String>,
        /// Why the embargo ends off the policy's announcement time.
        #[serde(default)]
        off_slot_reason: Option<String>,
    },
    NotifyDistributors {
        patches: Vec<String>,
        #[serde(default)]
        affected_versions: Option<String>,
        #[serde(default)]
        fixed_versions: Option<String>,
    },
    SetUpstreamEmbargo {
        upstream: String,
        #[schema(value_type = String, format = DateTime)]
        until: Timestamp,
    },
    MarkPubliclyDisclosed {
        link: Option<String>,
    },
    RequestPrivateHandling {},
    RecordPrivateHandlingAnswer {
        agreed: bool,
    },
    /// The low-severity slow-down for the holidays of the project's
    /// calendar before the release is due (one day per holiday).
    SlowDownForHolidays {
        reason: String,
        discussion: String,
    },
    /// `extension` like `14d`; default: the policy's.
    SlowDown {
        reason: String,
        discussion: String,
        extension: Option<String>,
    },
    ReportEmbargoBreak {
        what: String,
        to_whom: String,
        #[schema(value_type = String, format = DateTime)]
        when: Timestamp,
    },
    /// The PST's assessment of the oldest unassessed break: `release_early`
    /// must be given either way; with `true`, `release_at` is the new
    /// public date (default: now), which every notified distributor is told.
    AssessEmbargoBreak {
        release_early: bool,
        reason: String,
        #[serde(default)]
        #[schema(value_type = Option<String>, format = DateTime)]
        release_at: Option<Timestamp>,
    },
    RecordCve {
        cve: String,
    },
    WaiveCve {
        reason: String,
    },
    DraftAnnouncement {
        text: String,
    },
    /// With a fix repository linked, `cherry_picks` may be left out: the
    /// release takes the commits the plan applied. `public_at` is the
    /// agreed public instant, which may lie ahead (default: now, or the
    /// embargo's end if that is later); the case, its advisories and the
    /// approved announcement are published then.
    Release {
        version: String,
        base_release: String,
        #[serde(default)]
        cherry_picks: Vec<String>,
        #[serde(default)]
        #[schema(value_type = Option<String>, format = DateTime)]
        public_at: Option<Timestamp>,
    },
    /// `credit_type`: finder, reporter, analyst, coordinator, remediation_developer,
    /// remediation_reviewer, remediation_verifier, tool, sponsor, other.
    RecordCredit {
        name: Option<String>,
        credit_type: String,
    },
    RecordAdvisory {
        format: String,
        location: String,
    },
    MessageReporter {
        text: String,
    },
    /// Adds an affected product to the advisory record, or replaces the one
    /// with the same package and ecosystem. `ecosystem` is an OSV ecosystem
    /// (`Go`, `npm`, `PyPI`, …); `purl` a package URL without a version.
    SetAffectedProduct {
        package: String,
        ecosystem: String,
        #[serde(default)]
        purl: Option<String>,
        ranges: Vec<crate::record::RangeInput>,
        #[serde(default)]
        branches: Vec<String>,
    },
    RemoveAffectedProduct {
        package: String,
        ecosystem: String,
    },
    /// A weakness: `cwe` like `CWE-400`, `name` as MITRE's list gives it.
    AddWeakness {
        cwe: String,
        name: String,
    },
    RemoveWeakness {
        cwe: String,
    },
    /// The advisory's public title, description (Markdown) and impact;
    /// the fields given are set, the others kept.
    DescribeAdvisory {
        #[serde(default)]
        title: Option<String>,
        #[serde(default)]
        description: Option<String>,
        #[serde(default)]
        impact: Option<String>,
    },
    /// `kind`: fix_commit, pull_request, issue, report, advisory,
    /// announcement, web.
    AddReference {
        kind: String,
        url: String,
    },
    RemoveReference {
        url: String,
    },
    /// An id given elsewhere (GHSA, a distribution's tracker).
    AddAlias {
        alias: String,
    },
    RemoveAlias {
        alias: String,
    },
    HoldRetrospective {
        notes: String,
    },
    Close {},
    /// The private repository the fix is developed in (a path or a URL
    /// psirt can fetch, without credentials), the fix branch, the branch
    /// it forks from, and the release branches that need the fix; release
    /// tags match `tag_pattern` (default `v*`).
    LinkFixRepository {
        location: String,
        branch: String,
        base: String,
        release_branches: Vec<String>,
        tag_pattern: Option<String>,
    },
    /// The Fix Lead's resolution of a release branch's conflict: the
    /// commits that carry the fix there.
    ResolveCherryPick {
        branch: String,
        commits: Vec<String>,
    },
    /// The Fix Lead asks psirt to reserve the case's CVE id from CVE
    /// Services (psirt's job does it, and records the id on the case).
    RequestCveReservation {},
    /// The triage decision (the PST or the Fix Lead). `outcome`: accepted,
    /// not_a_vulnerability, duplicate (with `duplicate_of`: a case
    /// reference, a CVE or a GHSA id, and optionally `duplicate_url`),
    /// moved_to_public_issue (with `issue_url` when the team filed it, the
    /// reporter's consent recorded; without, the reporter is offered the
    /// text). `reason`: confirmed (with accepted, and only with it),
    /// out_of_scope, expected_behaviour, not_reproducible, hardening,
    /// known_issue, unsubstantiated. `message`: the reporter's message as
    /// edited for this case (default: the project's canned reply).
    Triage {
        outcome: String,
        reason: String,
        text: String,
        #[serde(default)]
        duplicate_of: Option<String>,
        #[serde(default)]
        duplicate_url: Option<String>,
        #[serde(default)]
        issue_url: Option<String>,
        #[serde(default)]
        message: Option<String>,
    },
    /// The reporter agreed that the team files the report as a public
    /// issue: where and how they said so.
    RecordPublicFilingConsent {
        how: String,
    },
    /// The canned reply "need more information": the case's clock stops
    /// until the reporter answers; without an answer within the policy's
    /// `information_window` (default 14 days), psirt closes the case.
    RequestInformation {
        questions: String,
        #[serde(default)]
        message: Option<String>,
    },
}
}

/// A command from its JSON (`{"type": …, …}`): a bad value is a 422
/// whose field is its path under `command` (`command.estimated_release`).
pub fn parse_command(value: serde_json::Value) -> Result<CaseCommand, ApiError> {
    let first = match CaseCommand::deserialize(&value) {
        Ok(command) => return Ok(command),
        Err(e) => e,
    };
    let serde_json::Value::Object(mut fields) = value else {
        return Err(invalid("command", "must be an object with a `type`"));
    };
    let tag = match fields.remove("type") {
        Some(serde_json::Value::String(tag)) => tag,
        Some(_) => return Err(invalid("command.type", "must be a string")),
        None => return Err(invalid("command.type", "missing: say which command")),
    };
    let lifted = serde_json::Value::Object(serde_json::Map::from_iter([(
        tag,
        serde_json::Value::Object(fields),
    )]));
    match serde_path_to_error::deserialize::<_, ByTag>(lifted) {
        // The variant's name is the first segment of the path: the field
        // is what follows it, or the tag itself.
        Err(e) => Err(match crate::error::json_error("command", e) {
            ApiError::Invalid { field, reason } => ApiError::Invalid {
                field: match field.splitn(3, '.').collect::<Vec<_>>().as_slice() {
                    [_, _, rest] => format!("command.{rest}"),
                    _ => "command.type".into(),
                },
                reason,
            },
            other => other,
        }),
        // Never expected: both read the same fields.
        Ok(_) => Err(invalid("command", first)),
    }
}

fn record(edit: RecordEdit) -> Command {
    Command::EditRecord(edit)
}

pub(crate) fn invalid(field: &str, reason: impl ToString) -> ApiError {
    ApiError::Invalid {
        field: field.to_string(),
        reason: reason.to_string(),
    }
}

/// Who a command is for: the store, the caller and the case, so that an
/// unknown address is reported only to someone who may run the command
/// (anyone else gets the 403 they would get anyway, and learns nothing
/// about which addresses have accounts).
pub struct For<'a> {
    pub store: &'a Store,
    pub caller: &'a psirt_store::Caller,
    pub reference: psirt_core::CaseRef,
}

async fn person(
    to: &For<'_>,
    operation: psirt_core::Operation,
    field: &str,
    email: &str,
) -> Result<UserId, ApiError> {
    let email = email.parse().map_err(|e| invalid(field, e))?;
    match to.store.user_by_email(&email).await {
        Ok(user) => Ok(user.id),
        Err(psirt_store::StoreError::NotFound(_)) => {
            to.store.may(to.caller, to.reference, operation).await?;
            Err(invalid(field, format!("no account has the e-mail {email}")))
        }
        Err(e) => Err(e.into()),
    }
}

fn parse<T: std::str::FromStr>(field: &str, value: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|e| invalid(field, e))
}

impl CaseCommand {
    /// Resolves names and parses values into the engine's command.
    pub async fn resolve(self, to: &For<'_>) -> Result<Command, ApiError> {
        use CaseCommand as C;
        use psirt_core::Operation as Op;
        let store = to.store;
        Ok(match self {
            C::AssignFixLead { lead, reason } => {
                let lead = match lead {
                    Some(email) => {
                        Some(person(to, Op::AssignFixLead, "command.lead", &email).await?)
                    }
                    None => None,
                };
                Command::AssignFixLead {
                    lead,
                    override_reason: reason,
                }
            }
            C::FormFixTeam { members } => {
                let mut ids = Vec::with_capacity(members.len());
                for m in &members {
                    ids.push(person(to, Op::ManageFixTeam, "command.members", m).await?);
                }
                Command::FormFixTeam { members: ids }
            }
            C::AddFixTeamMember { member } => Command::AddFixTeamMember {
                member: person(to, Op::ManageFixTeam, "command.member", &member).await?,
            },
            C::RemoveFixTeamMember { member, reason } => Command::RemoveFixTeamMember {
                member: person(to, Op::ManageFixTeam, "command.member", &member).await?,
                reason,
            },
            C::ProposeCvss { vector } => Command::ProposeCvss {
                vector: parse("command.vector", &vector)?,
            },
            C::FinalizeCvss { vector } => Command::FinalizeCvss {
                vector: parse("command.vector", &vector)?,
            },
            C::AddFixCommit {
                commit,
                author,
                url,
            } => Command::AddFixCommit {
                commit: parse("command.commit", &commit)?,
                author_user: store.identify(&author).await?,
                author,
                url,
            },
            C::ApproveCommit { commit } => Command::ApproveCommit {
                commit: parse("command.commit", &commit)?,
            },
            C::MarkFixReady {} => Command::MarkFixReady,
            C::ReopenFix { reason } => Command::ReopenFix { reason },
            C::RecordMitigation { steps } => Command::RecordMitigation { steps },
            C::PublishNotice {
                estimated_release,
                mitigation,
                link,
            } => Command::PublishNotice {
                estimated_release,
                mitigation,
                link,
            },
            C::DecideDistributors {
                notify,
                rationale,
                embargo_end,
                long_embargo_reason,
                off_slot_reason,
            } => Command::DecideDistributors(DistributorDecision {
                notify,
                rationale,
                embargo_end,
                long_embargo_reason,
                off_slot_reason,
            }),
            C::NotifyDistributors {
                patches,
                affected_versions,
                fixed_versions,
            } => Command::NotifyDistributors {
                patches,
                affected_versions,
                fixed_versions,
            },
            C::SetUpstreamEmbargo { upstream, until } => {
                Command::SetUpstreamEmbargo { upstream, until }
            }
            C::MarkPubliclyDisclosed { link } => Command::MarkPubliclyDisclosed { link },
            C::RequestPrivateHandling {} => Command::RequestPrivateHandling,
            C::RecordPrivateHandlingAnswer { agreed } => {
                Command::RecordPrivateHandlingAnswer { agreed }
            }
            C::SlowDownForHolidays { reason, discussion } => {
                Command::SlowDownForHolidays { reason, discussion }
            }
            C::SlowDown {
                reason,
                discussion,
                extension,
            } => Command::SlowDown {
                reason,
                discussion,
                extension: extension
                    .map(|e| parse("command.extension", &e))
                    .transpose()?,
            },
            C::ReportEmbargoBreak {
                what,
                to_whom,
                when,
            } => Command::ReportEmbargoBreak {
                what,
                to_whom,
                when,
            },
            C::AssessEmbargoBreak {
                release_early,
                reason,
                release_at,
            } => Command::AssessEmbargoBreak {
                release_early,
                reason,
                release_at,
            },
            C::RecordCve { cve } => Command::RecordCve {
                cve: parse("command.cve", &cve)?,
            },
            C::WaiveCve { reason } => Command::WaiveCve { reason },
            C::DraftAnnouncement { text } => Command::DraftAnnouncement { text },
            C::Release {
                version,
                base_release,
                cherry_picks,
                public_at,
            } => Command::Release {
                version,
                base_release,
                cherry_picks: cherry_picks
                    .iter()
                    .map(|c| parse("command.cherry_picks", c))
                    .collect::<Result<_, _>>()?,
                public_at,
            },
            C::RecordCredit { name, credit_type } => {
                let kind = CreditKind::parse(&credit_type).ok_or_else(|| {
                    let all: Vec<&str> = CreditKind::ALL.iter().map(|k| k.as_str()).collect();
                    invalid(
                        "command.credit_type",
                        format!("{credit_type:?} is not one of {}", all.join(", ")),
                    )
                })?;
                Command::RecordCredit(Credit { name, kind })
            }
            C::RecordAdvisory { format, location } => Command::RecordAdvisory { format, location },
            C::MessageReporter { text } => Command::MessageReporter { text },
            C::HoldRetrospective { notes } => Command::HoldRetrospective { notes },
            C::SetAffectedProduct {
                package,
                ecosystem,
                purl,
                ranges,
                branches,
            } => record(RecordEdit::SetProduct(AffectedProduct {
                package,
                ecosystem,
                purl: purl
                    .filter(|p| !p.trim().is_empty())
                    .map(|p| parse("command.purl", &p))
                    .transpose()?,
                ranges: ranges
                    .into_iter()
                    .map(crate::record::RangeInput::resolve)
                    .collect::<Result<_, _>>()?,
                branches,
            })),
            C::RemoveAffectedProduct { package, ecosystem } => {
                record(RecordEdit::RemoveProduct { package, ecosystem })
            }
            C::AddWeakness { cwe, name } => record(RecordEdit::AddWeakness(Weakness {
                cwe: parse("command.cwe", &cwe)?,
                name,
            })),
            C::RemoveWeakness { cwe } => record(RecordEdit::RemoveWeakness {
                cwe: parse("command.cwe", &cwe)?,
            }),
            C::DescribeAdvisory {
                title,
                description,
                impact,
            } => record(RecordEdit::Describe {
                title,
                description,
                impact,
            }),
            C::AddReference { kind, url } => record(RecordEdit::AddReference(Reference {
                kind: crate::record::reference_kind("command.kind", &kind)?,
                url,
            })),
            C::RemoveReference { url } => record(RecordEdit::RemoveReference { url }),
            C::AddAlias { alias } => record(RecordEdit::AddAlias { alias }),
            C::RemoveAlias { alias } => record(RecordEdit::RemoveAlias { alias }),
            C::Close {} => Command::Close,
            C::LinkFixRepository {
                location,
                branch,
                base,
                release_branches,
                tag_pattern,
            } => Command::LinkFixRepository(psirt_core::FixRepository {
                location,
                branch,
                base,
                release_branches,
                tag_pattern: tag_pattern.unwrap_or_else(|| "v*".into()),
            }),
            C::RequestCveReservation {} => Command::RequestCveReservation,
            C::Triage {
                outcome,
                reason,
                text,
                duplicate_of,
                duplicate_url,
                issue_url,
                message,
            } => {
                let outcome =
                    crate::triage::outcome(&outcome, duplicate_of, duplicate_url, issue_url)?;
                let reason = crate::triage::reason(&reason)?;
                let reply = psirt_core::CannedReply::for_decision(&outcome, reason);
                Command::Triage(psirt_core::TriageDecision {
                    outcome,
                    reason,
                    text,
                    template: crate::triage::template(to, reply, message).await?,
                })
            }
            C::RecordPublicFilingConsent { how } => Command::RecordPublicFilingConsent { how },
            C::RequestInformation { questions, message } => Command::RequestInformation {
                questions,
                template: crate::triage::template(
                    to,
                    psirt_core::CannedReply::NeedMoreInformation,
                    message,
                )
                .await?,
            },
            C::ResolveCherryPick { branch, commits } => Command::ResolveCherryPick {
                branch,
                commits: commits
                    .iter()
                    .map(|c| parse("command.commits", c))
                    .collect::<Result<_, _>>()?,
            },
        })
    }
}
