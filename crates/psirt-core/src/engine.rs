//! The rules: may this actor run this command on this case now?
//!
//! [`decide`] is the only function that turns a command into changes. It
//! first asks [`authorize`] (who), then checks the process rules (what and
//! when), and either refuses with the rule that said no or returns the
//! changes to record. It never changes the case itself: the caller stores
//! the changes and folds them, so a refusal leaves nothing behind.

use std::collections::BTreeSet;

use jiff::Timestamp;
use psirt_cvss::{Vector, Version};

use crate::access::{Actor, Denied, authorize};
use crate::case::{Case, CreditKind};
use crate::command::Command;
use crate::event::{Change, NewReport};
use crate::ids::{CaseRef, UserId};
use crate::policy::Policy;
use crate::rotation::{RosterEntry, next_fix_lead};

pub use crate::rule::Rule;

/// Why a command was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("{0}")]
    Rule(Rule),
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
}

impl From<Rule> for Refusal {
    fn from(rule: Rule) -> Refusal {
        Refusal::Rule(rule)
    }
}

pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Refusal {
    Refusal::Invalid {
        field,
        reason: reason.into(),
    }
}

/// A person's free text on a case (a reason, notes, steps, a message to
/// the reporter, …): a [`crate::Text`], so trimmed, not empty, bounded,
/// and without a control character other than a newline or a tab; a
/// refusal names the field. Kept as the `String` the changes carry.
pub(crate) fn text(field: &'static str, value: &str, max: usize) -> Result<String, Refusal> {
    crate::Text::new(field, value, max).map(crate::Text::into_string)
}

/// Verbatim material kept as it came (a report's body, a reporter's reply
/// by mail, a patch, what git or a service answered): trimmed, not empty,
/// without NUL, bounded, and otherwise as given, since refusing a stray
/// control character there would lose what someone sent. Fields with a
/// stricter form (a summary, a title) check it on top.
pub(crate) fn verbatim(field: &'static str, value: &str, max: usize) -> Result<String, Refusal> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if value.contains('\0') {
        return Err(invalid(field, "must not contain a NUL character"));
    }
    if value.chars().count() > max {
        return Err(invalid(field, format!("must be at most {max} characters")));
    }
    Ok(value.to_string())
}

/// A link: an absolute http(s) URL, or where `mail` is allowed, a mailto:
/// URL or a Message-ID in angle brackets (a mailing-list discussion).
pub(crate) fn link(field: &'static str, value: &str, mail: bool) -> Result<String, Refusal> {
    let value = text(field, value, 2048)?;
    let web = ["https://", "http://"]
        .iter()
        .any(|p| value.len() > p.len() && value.starts_with(p));
    let mail_ok = mail
        && (value.starts_with("mailto:")
            || (value.starts_with('<') && value.ends_with('>') && value.contains('@')));
    if value.chars().any(char::is_whitespace) || !(web || mail_ok) {
        let expected = if mail {
            "an http(s) URL, a mailto: URL or a <Message-ID>"
        } else {
            "an http(s) URL"
        };
        return Err(invalid(field, format!("{value:?} is not {expected}")));
    }
    Ok(value)
}

fn optional_link(field: &'static str, value: Option<&str>) -> Result<Option<String>, Refusal> {
    value
        .filter(|v| !v.trim().is_empty())
        .map(|v| link(field, v, false))
        .transpose()
}

const SHORT: usize = 300;
const LONG: usize = 100_000;

/// Validates a new report and returns the changes that open the case: the
/// report itself and its acknowledgement, recorded together so that an
/// acknowledged report is never lost.
pub fn open_case(
    report: NewReport,
    reference: CaseRef,
    policy: Policy,
) -> Result<Vec<Change>, Refusal> {
    let summary = verbatim("summary", &report.summary, SHORT)?;
    if summary.contains(['\n', '\r']) {
        return Err(invalid("summary", "must be a single line"));
    }
    if summary.chars().any(char::is_control) {
        return Err(invalid(
            "summary",
            "must not contain control characters (such as ESC or BEL)",
        ));
    }
    let details = verbatim("details", report.details.expose(), 1_000_000)?;
    let public_link = optional_link("public_link", report.public_link.as_deref())?;
    if public_link.is_some() && !report.already_public {
        return Err(invalid(
            "public_link",
            "is only given for a report of a vulnerability that is already public",
        ));
    }
    let reporter = report.reporter.map(|mut r| {
        r.name = r
            .name
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty());
        r
    });
    if let Some(name) = reporter.as_ref().and_then(|r| r.name.as_ref())
        && name.chars().count() > SHORT
    {
        return Err(invalid(
            "reporter_name",
            format!("must be at most {SHORT} characters"),
        ));
    }
    let project = text("project", &report.project, 64)?;
    policy
        .validate()
        .map_err(|e| invalid("policy", e.to_string()))?;
    Ok(vec![
        Change::Reported {
            reference,
            project,
            summary,
            details: crate::ids::Secret::new(details),
            reporter,
            public_link,
            already_public: report.already_public,
            ai_assisted: report.ai_assisted,
            policy: Box::new(policy),
        },
        Change::Acknowledged,
    ])
}

/// What `decide` needs to know beyond the case.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    pub now: Timestamp,
    /// The case's project PST in roster order, with the rotation's state.
    pub pst: &'a [RosterEntry],
}

/// Decides a command on a case: the changes to record, or the refusal.
pub fn decide(
    case: &Case,
    actor: &Actor,
    command: Command,
    ctx: Context<'_>,
) -> Result<Vec<Change>, Refusal> {
    authorize(actor, command.operation(), case)?;
    if !case.is_open() {
        return Err(Rule::CaseClosed.into());
    }
    let now = ctx.now;
    let change = match command {
        command @ (Command::LinkFixRepository(_)
        | Command::ReadFixBranch { .. }
        | Command::RecordCherryPickPlan(_)
        | Command::ResolveCherryPick { .. }) => return crate::fix_repo::decide(case, command),
        command @ (Command::RequestCveReservation
        | Command::RecordReservedCve { .. }
        | Command::RecordCveRecordState { .. }) => {
            return crate::cve_services::decide(case, command);
        }
        Command::SlowDownForHolidays { reason, discussion } => {
            slow_down_allowed(case)?;
            return crate::calendar::decide_holiday_slow_down(case, &reason, &discussion, now);
        }
        Command::RecordFinalDistributorNotice => return crate::ending::decide_final_notice(case),
        Command::Publish => return crate::ending::decide_publication(case, now),
        Command::Triage(decision) => return crate::triage::decide(case, decision),
        Command::RecordPublicFilingConsent { how } => {
            return crate::triage::decide_consent(case, &how);
        }
        Command::RequestInformation {
            questions,
            template,
        } => return crate::triage::decide_request(case, &questions, template, now),
        Command::CloseUnanswered { template } => {
            return crate::triage::decide_unanswered(case, template, now);
        }
        command @ (Command::RecordGitHubIssue { .. }
        | Command::RecordGitHubAdvisory { .. }
        | Command::RecordGitHubAdvisoryPublished { .. }
        | Command::RecordGitHubAccessRevoked { .. }) => {
            return crate::github::decide(case, command);
        }
        Command::AssignFixLead {
            lead,
            override_reason,
        } => {
            let override_reason = match override_reason {
                Some(r) => {
                    Some(text("reason", &r, LONG).map_err(|_| Rule::FixLeadOverrideNeedsReason)?)
                }
                None => None,
            };
            let next = next_fix_lead(ctx.pst);
            let Some(lead) = lead.or(next) else {
                return Err(Rule::NoFixLeadAvailable.into());
            };
            if !ctx.pst.iter().any(|m| m.user == lead) {
                return Err(Rule::FixLeadMustBePst.into());
            }
            if case.fix_lead == Some(lead) {
                return Err(Rule::FixLeadUnchanged.into());
            }
            // Anyone but the rotation's choice, or a change of lead, is an override.
            let is_override = Some(lead) != next || case.fix_lead.is_some();
            if is_override && override_reason.is_none() {
                return Err(Rule::FixLeadOverrideNeedsReason.into());
            }
            Change::FixLeadAssigned {
                lead,
                override_reason: override_reason.filter(|_| is_override),
            }
        }
        Command::FormFixTeam { members } => {
            if case.fix_team_formed_at.is_some() {
                return Err(Rule::FixTeamAlreadyFormed.into());
            }
            let lead = case
                .fix_lead
                .expect("authorize: only the Fix Lead forms the team");
            let mut team: BTreeSet<UserId> = members.into_iter().collect();
            team.insert(lead);
            Change::FixTeamFormed {
                members: team.into_iter().collect(),
            }
        }
        Command::AddFixTeamMember { member } => {
            if case.on_fix_team(member) {
                return Err(Rule::AlreadyOnFixTeam.into());
            }
            Change::FixTeamMemberAdded { member }
        }
        Command::RemoveFixTeamMember { member, reason } => {
            if case.fix_lead == Some(member) {
                return Err(Rule::FixLeadStaysOnTeam.into());
            }
            if !case.fix_team.contains(&member) {
                return Err(Rule::NotOnFixTeam.into());
            }
            Change::FixTeamMemberRemoved {
                member,
                reason: text("reason", &reason, LONG)?,
            }
        }
        Command::ProposeCvss { .. }
        | Command::FinalizeCvss { .. }
        | Command::PublishNotice { .. }
            if case.release.is_some() =>
        {
            return Err(Rule::AlreadyReleased.into());
        }
        Command::ProposeCvss { vector } => Change::CvssProposed {
            vector: scorable(vector)?,
        },
        Command::FinalizeCvss { vector } => Change::CvssFinalized {
            vector: scorable(vector)?,
        },
        Command::AddFixCommit {
            commit,
            author,
            author_user,
            url,
        } => {
            if case.fix_ready_at.is_some() {
                return Err(Rule::FixAlreadyReady.into());
            }
            if case.fix_commits.iter().any(|c| c.commit == commit) {
                return Err(Rule::CommitAlreadyRecorded(commit).into());
            }
            Change::FixCommitAdded {
                commit,
                author: text("author", &author, SHORT)?,
                author_user,
                url: optional_link("url", url.as_deref())?,
            }
        }
        Command::ApproveCommit { commit } => {
            let Actor::Person {
                user: maintainer, ..
            } = *actor
            else {
                unreachable!("authorize: only people on the case record fix work")
            };
            let Some(fix) = case.fix_commits.iter().find(|c| c.commit == commit) else {
                return Err(Rule::UnknownCommit(commit).into());
            };
            if fix.replaced {
                return Err(crate::fix_repo::FixRepoRule::CommitReplaced(commit).into());
            }
            if fix.author_user == Some(maintainer) {
                return Err(Rule::NoSelfApproval.into());
            }
            if fix.approvals.contains(&maintainer) {
                return Err(Rule::AlreadyApproved.into());
            }
            Change::CommitApproved { commit, maintainer }
        }
        Command::MarkFixReady => {
            if case.fix_ready_at.is_some() {
                return Err(Rule::FixAlreadyReady.into());
            }
            if !case.all_commits_approved() {
                let unapproved = case
                    .fix_commits
                    .iter()
                    .filter(|c| !c.replaced && c.approvals.is_empty())
                    .map(|c| c.commit.clone())
                    .collect();
                return Err(Rule::FixReadyNeedsApprovals { unapproved }.into());
            }
            Change::FixMarkedReady
        }
        Command::ReopenFix { reason } => {
            if case.fix_ready_at.is_none() {
                return Err(Rule::FixNotReady.into());
            }
            if case.release.is_some() {
                return Err(Rule::AlreadyReleased.into());
            }
            Change::FixReopened {
                reason: text("reason", &reason, LONG)?,
            }
        }
        Command::RecordMitigation { steps } => Change::MitigationRecorded {
            steps: text("steps", &steps, LONG)?,
        },
        Command::PublishNotice {
            estimated_release,
            mitigation,
            link,
        } => {
            if case.fix_ready_at.is_none() && case.mitigation.is_none() {
                return Err(Rule::NoticeNeedsFixOrMitigation.into());
            }
            if estimated_release <= now {
                return Err(Rule::NoticeNeedsFutureReleaseDate.into());
            }
            // The notice's mitigation steps are the record's: left empty,
            // the notice carries the ones recorded on the case.
            let mitigation = match (mitigation.trim(), &case.mitigation) {
                ("", Some(recorded)) => recorded.clone(),
                _ => mitigation,
            };
            Change::NoticePublished {
                estimated_release,
                mitigation: text("mitigation", &mitigation, LONG)?,
                link: optional_link("link", link.as_deref())?,
            }
        }
        Command::DecideDistributors(mut decision) => {
            if case.distributors_notified_at.is_some() {
                return Err(Rule::AlreadyNotified.into());
            }
            decision.rationale = text("rationale", &decision.rationale, LONG)?;
            decision.long_embargo_reason = decision
                .long_embargo_reason
                .filter(|r| !r.trim().is_empty())
                .map(|r| r.trim().to_string());
            decision.off_slot_reason = decision
                .off_slot_reason
                .filter(|r| !r.trim().is_empty())
                .map(|r| text("off_slot_reason", &r, LONG))
                .transpose()?;
            if decision.notify {
                // Where the policy suggests an announcement time, the
                // embargo ends at the suggestion unless the Fix Lead
                // names another instant, with a reason.
                let end = decision
                    .embargo_end
                    .or_else(|| case.suggested_announcement(now))
                    .ok_or(Rule::DistributorsNeedEmbargo)?;
                check_embargo(
                    &case.policy,
                    end,
                    now,
                    decision.long_embargo_reason.is_some(),
                )?;
                crate::calendar::check_slot(&case.policy, end, decision.off_slot_reason.is_some())?;
                decision.embargo_end = Some(end);
            } else {
                decision.embargo_end = None;
                decision.long_embargo_reason = None;
                decision.off_slot_reason = None;
            }
            Change::DistributorsDecided(decision)
        }
        Command::NotifyDistributors {
            patches,
            affected_versions,
            fixed_versions,
        } => {
            if case.distributors_notified_at.is_some() {
                return Err(Rule::AlreadyNotified.into());
            }
            let decision = case
                .distributors
                .as_ref()
                .filter(|d| d.notify)
                .ok_or(Rule::NotifyNeedsDecision)?;
            if case.fix_ready_at.is_none() {
                return Err(Rule::NotifyNeedsFix.into());
            }
            let embargo_end = decision.embargo_end.ok_or(Rule::DistributorsNeedEmbargo)?;
            check_embargo(
                &case.policy,
                embargo_end,
                now,
                decision.long_embargo_reason.is_some(),
            )?;
            let patches: Vec<String> = patches
                .iter()
                .map(|p| verbatim("patches", p, 1_000_000))
                .collect::<Result<_, _>>()?;
            if patches.is_empty() {
                return Err(invalid("patches", "the pre-notification needs the patches"));
            }
            let versions = |field: &'static str, v: Option<String>| {
                v.filter(|v| !v.trim().is_empty())
                    .map(|v| text(field, &v, SHORT))
                    .transpose()
            };
            Change::DistributorsNotified {
                patches,
                embargo_end,
                affected_versions: versions("affected_versions", affected_versions)?,
                fixed_versions: versions("fixed_versions", fixed_versions)?,
            }
        }
        Command::SetUpstreamEmbargo { upstream, until } => {
            if case.release.is_some() {
                return Err(Rule::AlreadyReleased.into());
            }
            if until <= now {
                return Err(Rule::EmbargoMustEndInFuture.into());
            }
            Change::UpstreamEmbargoSet {
                upstream: text("upstream", &upstream, SHORT)?,
                until,
            }
        }
        Command::MarkPubliclyDisclosed { link } => {
            if case.asap() {
                return Err(Rule::AlreadyPublic.into());
            }
            Change::PubliclyDisclosed {
                link: optional_link("link", link.as_deref())?,
            }
        }
        Command::RequestPrivateHandling => {
            if case.public.is_none() {
                return Err(Rule::PrivateHandlingNeedsPublicCase.into());
            }
            Change::PrivateHandlingRequested
        }
        Command::RecordPrivateHandlingAnswer { agreed } => {
            if case.private_handling_requested_at.is_none() {
                return Err(Rule::AnswerNeedsRequest.into());
            }
            Change::PrivateHandlingAnswered { agreed }
        }
        Command::SlowDown {
            reason,
            discussion,
            extension,
        } => {
            slow_down_allowed(case)?;
            Change::SlowedDown {
                reason: text("reason", &reason, LONG)?,
                discussion: link("discussion", &discussion, true)?,
                extension: extension.unwrap_or(case.policy.slow_down_extension),
            }
        }
        Command::ReportEmbargoBreak {
            what,
            to_whom,
            when,
        } => {
            if when > now {
                return Err(Rule::BreakCannotBeInFuture.into());
            }
            Change::EmbargoBreakReported {
                what: text("what", &what, LONG)?,
                to_whom: text("to_whom", &to_whom, LONG)?,
                when,
            }
        }
        Command::AssessEmbargoBreak {
            release_early,
            reason,
            release_at,
        } => {
            if !case.embargo_breaks.iter().any(|b| b.assessment.is_none()) {
                return Err(Rule::NoBreakToAssess.into());
            }
            let reason = text("reason", &reason, LONG)?;
            let release_at = match (release_early, release_at) {
                (false, Some(_)) => {
                    return Err(invalid(
                        "release_at",
                        "a new public date goes with release_early: true",
                    ));
                }
                (false, None) => None,
                (true, at) => {
                    let at = at.unwrap_or(now);
                    if at < now {
                        return Err(invalid("release_at", "must not be in the past"));
                    }
                    if let Some(end) = case.embargo_end()
                        && at >= end
                    {
                        return Err(Rule::ReleaseEarlyMustBeEarlier { embargo_end: end }.into());
                    }
                    Some(at)
                }
            };
            Change::EmbargoBreakAssessed {
                release_early,
                reason,
                release_at,
            }
        }
        Command::RecordCve { cve } => {
            if case.cves.contains(&cve) {
                return Err(Rule::CveAlreadyRecorded.into());
            }
            Change::CveRecorded { cve }
        }
        Command::WaiveCve { reason } => {
            if !case.cves.is_empty() {
                return Err(Rule::WaiverWithCve.into());
            }
            Change::CveWaived {
                reason: text("reason", &reason, LONG)?,
            }
        }
        Command::DraftAnnouncement { text: body } => {
            if case.release.is_some() {
                return Err(Rule::AlreadyReleased.into());
            }
            Change::AnnouncementDrafted {
                text: text("text", &body, LONG)?,
            }
        }
        Command::Release {
            version,
            base_release,
            cherry_picks,
            public_at,
        } => {
            let version = text("version", &version, 100)?;
            let base_release = text("base_release", &base_release, 100)?;
            may_release(case)?;
            let public_at = public_instant(case, public_at, now)?;
            // With a fix repository, the picks are the commits the plan applied.
            let cherry_picks = match cherry_picks.is_empty() && case.fix_repository.is_some() {
                true => case.current_fix_commits(),
                false => cherry_picks,
            };
            if cherry_picks.is_empty() {
                return Err(Rule::CherryPickPlanNeeded.into());
            }
            if let Some(unknown) = cherry_picks
                .iter()
                .find(|c| !case.fix_commits.iter().any(|f| &f.commit == *c))
            {
                return Err(Rule::UnknownCommit(unknown.clone()).into());
            }
            let released = Change::Released {
                version,
                base_release,
                cherry_picks,
                public_at: Some(public_at),
            };
            return Ok(std::iter::once(released)
                .chain(crate::ending::on_release(case, &ctx))
                .collect());
        }
        Command::RecordCredit(mut credit) => {
            credit.name = credit.name.map(|n| text("name", &n, SHORT)).transpose()?;
            Change::CreditRecorded(credit)
        }
        Command::RecordAdvisory { format, location } => {
            if case.release.is_none() {
                return Err(Rule::ReleaseNeededFirst.into());
            }
            let (format, location) = (
                text("format", &format, 64)?,
                text("location", &location, 2048)?,
            );
            // Once only: the publication job may run on several replicas.
            if case
                .advisories
                .iter()
                .any(|(f, l)| *f == format && *l == location)
            {
                return Err(Rule::AdvisoryAlreadyRecorded.into());
            }
            Change::AdvisoryRecorded { format, location }
        }
        Command::EditRecord(edit) => {
            Change::RecordEdited(crate::record::check_edit(&case.record, edit)?)
        }
        Command::MessageReporter { text: body } => Change::MessageToReporter {
            text: text("text", &body, LONG)?,
        },
        Command::ReporterReply { text: body } => Change::ReporterReplied {
            text: verbatim("text", &body, LONG)?,
        },
        Command::HoldRetrospective { notes } => {
            if case.policy.retrospective_within.is_none() {
                return Err(Rule::RetrospectiveNotInPolicy.into());
            }
            if case.release.is_none() {
                return Err(Rule::ReleaseNeededFirst.into());
            }
            Change::RetrospectiveHeld {
                notes: text("notes", &notes, LONG)?,
            }
        }
        Command::Close => {
            let mut missing = Vec::new();
            if case.release.is_none() {
                missing.push("the release");
            }
            // Until its public instant the case still has a held
            // announcement and publication steps to come.
            if crate::public_at(case).is_some_and(|at| now < at) {
                missing.push("the release's public instant");
            }
            if case.advisories.is_empty() {
                missing.push("an exported advisory");
            }
            if !case
                .credits
                .iter()
                .any(|c| c.kind == CreditKind::Reporter || c.kind == CreditKind::Finder)
            {
                missing.push("the reporter's credit (a name or anonymous)");
            }
            if case.policy.retrospective_within.is_some() && case.retrospective_at.is_none() {
                missing.push("the retrospective");
            }
            if !missing.is_empty() {
                return Err(Rule::CloseNeeds(missing).into());
            }
            return Ok(std::iter::once(Change::Closed)
                .chain(crate::ending::on_close(case, &ctx))
                .collect());
        }
    };
    Ok(vec![change])
}

/// The seed's low-severity slow-down: "if the CVSS score is under 4.0
/// the Fix Team can decide to slow the release process down".
fn slow_down_allowed(case: &Case) -> Result<(), Refusal> {
    if case.asap() {
        return Err(Rule::SlowDownWhilePublic.into());
    }
    let threshold = psirt_cvss::Score::new_tenths(case.policy.low_severity_below_tenths)
        .map(|s| s.to_string())
        .unwrap_or_default();
    let Some(vector) = &case.cvss_final else {
        return Err(Rule::SlowDownNeedsFinalCvss { threshold }.into());
    };
    if !case.low_severity() {
        let score = vector.base_score().to_string();
        return Err(Rule::SlowDownNeedsLowSeverity { score, threshold }.into());
    }
    if case.release.is_some() {
        return Err(Rule::AlreadyReleased.into());
    }
    Ok(())
}

/// The one rule that says whether a case may be released now.
pub fn may_release(case: &Case) -> Result<(), Rule> {
    if case.release.is_some() {
        return Err(Rule::AlreadyReleased);
    }
    let mut missing = Vec::new();
    if case.fix_ready_at.is_none() {
        missing.push("the fix ready (an LGTM on every commit)");
    }
    if case.cvss_final.is_none() {
        missing.push("a final CVSS vector");
    }
    if case.cves.is_empty() && case.cve_waiver.is_none() {
        missing.push("a CVE id (or a waiver with a reason)");
    }
    if case.announcement.is_none() {
        missing.push("an announcement draft");
    }
    if !missing.is_empty() {
        return Err(Rule::ReleaseNeeds(missing));
    }
    crate::fix_repo::may_release(case)?;
    Ok(())
}

/// The public instant a release is recorded for: the one asked for, or by
/// default now, or the embargo's end if that is later. The release may be
/// recorded ahead of it; the case is public from it on
/// ([`crate::public_at`]). An instant in the past is refused, and so is
/// one after "the public disclosure date/time that was agreed upon" (the
/// embargo end distributors were told, or upstream's), or before it while
/// the embargo holds.
pub fn public_instant(
    case: &Case,
    asked: Option<Timestamp>,
    now: Timestamp,
) -> Result<Timestamp, Refusal> {
    // A public vulnerability has no embargo left to keep: it is published
    // as soon as possible, like one the PST chose to release early (whose
    // embargo end the assessment moved forward).
    let embargo = case.embargo_end().filter(|_| !case.asap());
    let Some(at) = asked else {
        return Ok(embargo.map_or(now, |end| end.max(now)));
    };
    if at < now {
        return Err(invalid("public_at", "must not be in the past"));
    }
    let Some(end) = embargo else {
        return Ok(at);
    };
    if at > end {
        return Err(invalid(
            "public_at",
            format!(
                "must not be after the public disclosure date/time that was agreed upon ({end})"
            ),
        ));
    }
    if at < end && case.release_early_at.is_none() {
        return Err(Rule::ReleaseEmbargoed { until: end }.into());
    }
    Ok(at)
}

fn scorable(vector: Vector) -> Result<Vector, Refusal> {
    if vector.version() == Version::V3_0 {
        return Err(Rule::CvssV30IsReadOnly.into());
    }
    Ok(vector)
}

fn check_embargo(
    policy: &Policy,
    end: Timestamp,
    now: Timestamp,
    long_reason: bool,
) -> Result<(), Rule> {
    if end <= now {
        return Err(Rule::EmbargoMustEndInFuture);
    }
    let length = now.duration_until(end);
    if length < policy.min_embargo.to_signed() {
        return Err(Rule::EmbargoTooShort {
            min: policy.min_embargo.to_string(),
        });
    }
    if length > policy.max_embargo.to_signed() && !long_reason {
        return Err(Rule::EmbargoTooLong {
            max: policy.max_embargo.to_string(),
        });
    }
    Ok(())
}

/// Suggested, not required: the seed reserves the pre-notification for
/// remotely exploitable issues and privilege escalations.
pub fn distributors_suggested(case: &Case) -> bool {
    case.cvss_final
        .as_ref()
        .is_some_and(|v| v.to_string().split('/').any(|m| m == "AV:N"))
}
