//! The rules' own words: every [`Rule`] a command or a step on the
//! distributors list can be refused by, and how it reads to the person
//! refused. Deciding is `engine.rs`'s and `distributors/`'s; this only
//! names and words.

use std::fmt;

use jiff::Timestamp;

use crate::ids::CommitId;

/// A process rule that refused a command, in the process's own words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    CaseClosed,
    FixLeadMustBePst,
    NoFixLeadAvailable,
    FixTeamAlreadyFormed,
    FixLeadOverrideNeedsReason,
    FixLeadUnchanged,
    FixLeadStaysOnTeam,
    AlreadyOnFixTeam,
    NotOnFixTeam,
    CvssV30IsReadOnly,
    CommitAlreadyRecorded(CommitId),
    UnknownCommit(CommitId),
    NoSelfApproval,
    AlreadyApproved,
    FixReadyNeedsApprovals {
        unapproved: Vec<CommitId>,
    },
    FixAlreadyReady,
    FixNotReady,
    NoticeNeedsFixOrMitigation,
    NoticeNeedsFutureReleaseDate,
    DistributorsNeedEmbargo,
    EmbargoMustEndInFuture,
    EmbargoTooShort {
        min: String,
    },
    EmbargoTooLong {
        max: String,
    },
    NotifyNeedsDecision,
    NotifyNeedsFix,
    AlreadyNotified,
    SlowDownNeedsFinalCvss {
        threshold: String,
    },
    SlowDownNeedsLowSeverity {
        score: String,
        threshold: String,
    },
    SlowDownWhilePublic,
    AlreadyPublic,
    PrivateHandlingNeedsPublicCase,
    AnswerNeedsRequest,
    BreakCannotBeInFuture,
    NoBreakToAssess,
    ReleaseEarlyMustBeEarlier {
        embargo_end: Timestamp,
    },
    CveAlreadyRecorded,
    AdvisoryAlreadyRecorded,
    WaiverWithCve,
    ReleaseNeeds(Vec<&'static str>),
    ReleaseEmbargoed {
        until: Timestamp,
    },
    CherryPickPlanNeeded,
    AlreadyReleased,
    /// The publication job came before the release's public instant.
    NotYetPublic {
        at: Timestamp,
    },
    /// The case is already published (once only, on every replica).
    AlreadyPublished,
    ReleaseNeededFirst,
    RetrospectiveNotInPolicy,
    CloseNeeds(Vec<&'static str>),
    /// The distributors list: the organisation is not where the step
    /// needs it to be.
    OrgNotInState {
        organisation: String,
        state: crate::distributors::OrgState,
        need: String,
    },
    OrgNeedsAcceptance {
        organisation: String,
    },
    AlreadyInOrg {
        email: crate::ids::EmailAddress,
    },
    AlreadyAccepted {
        email: crate::ids::EmailAddress,
    },
    /// The person's acceptance of the embargo policy holds until `until`.
    AcceptanceStillValid {
        email: crate::ids::EmailAddress,
        until: jiff::Timestamp,
    },
    /// Not a current person of the organisation (`who`: the address
    /// named; none: the actor).
    NotAPerson {
        who: Option<crate::ids::EmailAddress>,
        organisation: String,
    },
    /// A rule of the fix repository and its cherry-pick plan.
    FixRepo(crate::fix_repo::FixRepoRule),
    /// A rule of the CVE id and record psirt obtains from CVE Services.
    CveServices(crate::cve_services::CveServicesRule),
    GitHub(crate::github::GitHubRule),
    /// A rule of the policy's later parts (announcement time, holidays,
    /// the final notice to distributors).
    Policy(crate::policy_rule::PolicyRule),
    /// A rule of triage.
    Triage(crate::triage::TriageRule),
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::CaseClosed => write!(f, "the case is closed: nothing on it can change any more"),
            Rule::FixLeadMustBePst => write!(
                f,
                "the Fix Lead must be a member of the Product Security Team"
            ),
            Rule::NoFixLeadAvailable => write!(
                f,
                "no PST member is available for the Fix Lead rotation; choose one, with a reason"
            ),
            Rule::FixTeamAlreadyFormed => write!(
                f,
                "the Fix Team is already formed; add or remove members one at a time"
            ),
            Rule::FixLeadOverrideNeedsReason => write!(
                f,
                "a Fix Lead chosen outside the round-robin (or a change of Fix Lead) needs a recorded reason"
            ),
            Rule::FixLeadUnchanged => write!(f, "that person is already the Fix Lead"),
            Rule::FixLeadStaysOnTeam => {
                write!(f, "the Fix Lead cannot be removed from the Fix Team")
            }
            Rule::AlreadyOnFixTeam => write!(f, "that person is already on the Fix Team"),
            Rule::NotOnFixTeam => write!(f, "that person is not on the Fix Team"),
            Rule::CvssV30IsReadOnly => {
                write!(
                    f,
                    "CVSS v3.0 vectors are read but not scored anew: use a v3.1 or v4.0 vector"
                )
            }
            Rule::CommitAlreadyRecorded(c) => {
                write!(f, "commit {c} is already a fix commit of this case")
            }
            Rule::UnknownCommit(c) => write!(f, "commit {c} is not one of the case's fix commits"),
            Rule::NoSelfApproval => write!(
                f,
                "an LGTM must come from a maintainer other than the commit's author"
            ),
            Rule::AlreadyApproved => write!(f, "you have already given this commit your LGTM"),
            Rule::FixReadyNeedsApprovals { unapproved } if unapproved.is_empty() => {
                write!(
                    f,
                    "the fix is ready only when it has fix commits, each with an LGTM from a maintainer"
                )
            }
            Rule::FixReadyNeedsApprovals { unapproved } => {
                let list: Vec<String> = unapproved.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "the fix is ready only when every fix commit has an LGTM from a maintainer; still waiting: {}",
                    list.join(", ")
                )
            }
            Rule::FixAlreadyReady => write!(
                f,
                "the fix is already marked ready; reopen it (with a reason) to change it"
            ),
            Rule::FixNotReady => write!(f, "the fix is not marked ready"),
            Rule::NoticeNeedsFixOrMitigation => write!(
                f,
                "the forthcoming-fix notice needs a fix or a mitigation first"
            ),
            Rule::NoticeNeedsFutureReleaseDate => {
                write!(
                    f,
                    "the forthcoming-fix notice must carry an estimated release date that is still ahead"
                )
            }
            Rule::DistributorsNeedEmbargo => {
                write!(f, "notifying distributors needs an embargo date")
            }
            Rule::EmbargoMustEndInFuture => write!(f, "the embargo must end in the future"),
            Rule::EmbargoTooShort { min } => write!(
                f,
                "the embargo must last at least {min} from the notice (the policy's distributor notice window, min_embargo)"
            ),
            Rule::EmbargoTooLong { max } => {
                write!(
                    f,
                    "an embargo longer than {max} from the notice needs a recorded reason"
                )
            }
            Rule::NotifyNeedsDecision => {
                write!(
                    f,
                    "distributors are notified only after the Fix Lead has decided to notify them"
                )
            }
            Rule::NotifyNeedsFix => write!(
                f,
                "the distributor pre-notification needs a ready fix: its patches"
            ),
            Rule::AlreadyNotified => write!(f, "distributors have already been notified"),
            Rule::SlowDownNeedsFinalCvss { threshold } => write!(
                f,
                "slowing a case down needs a final CVSS score below {threshold} first"
            ),
            Rule::SlowDownNeedsLowSeverity { score, threshold } => write!(
                f,
                "only a low-severity case (CVSS base score below {threshold}) may be slowed down; this one scores {score}"
            ),
            Rule::SlowDownWhilePublic => {
                write!(
                    f,
                    "a publicly disclosed case cannot be slowed down: every due time is as soon as possible"
                )
            }
            Rule::AlreadyPublic => write!(f, "the case is already marked publicly disclosed"),
            Rule::PrivateHandlingNeedsPublicCase => {
                write!(
                    f,
                    "only a publicly disclosed case can be asked to move to private handling"
                )
            }
            Rule::AnswerNeedsRequest => {
                write!(
                    f,
                    "record the reporter's answer only after asking them to handle the issue privately"
                )
            }
            Rule::BreakCannotBeInFuture => {
                write!(f, "an embargo break cannot be dated in the future")
            }
            Rule::NoBreakToAssess => write!(
                f,
                "there is no reported embargo break waiting for an assessment"
            ),
            Rule::ReleaseEarlyMustBeEarlier { embargo_end } => write!(
                f,
                "releasing early means before the embargo's end ({}); choose an earlier release_at",
                embargo_end.strftime("%Y-%m-%d %H:%M UTC")
            ),
            Rule::CveAlreadyRecorded => write!(f, "that CVE id is already recorded on the case"),
            Rule::AdvisoryAlreadyRecorded => {
                write!(f, "that advisory is already recorded on the case")
            }
            Rule::WaiverWithCve => write!(
                f,
                "a CVE id is recorded on the case; a waiver is for releasing without one"
            ),
            Rule::ReleaseNeeds(missing) => write!(f, "the release needs {}", missing.join(", ")),
            Rule::ReleaseEmbargoed { until } => write!(
                f,
                "the embargo holds until {until}; publishing earlier needs an embargo-break assessment to release early"
            ),
            Rule::CherryPickPlanNeeded => {
                write!(
                    f,
                    "the release needs a cherry-pick plan: the fix commits to pick onto the last release"
                )
            }
            Rule::AlreadyReleased => write!(f, "the fix is already released"),
            Rule::NotYetPublic { at } => write!(
                f,
                "the case becomes public at {}, not before",
                at.strftime("%Y-%m-%d %H:%M:%S UTC")
            ),
            Rule::AlreadyPublished => write!(f, "the case is already published"),
            Rule::ReleaseNeededFirst => write!(f, "that comes after the release"),
            Rule::RetrospectiveNotInPolicy => write!(f, "this case's policy has no retrospective"),
            Rule::CloseNeeds(missing) => write!(f, "closing the case needs {}", missing.join(", ")),
            Rule::OrgNotInState {
                organisation,
                state,
                need,
            } => write!(f, "{organisation} is {}; {need}", state.as_str()),
            Rule::OrgNeedsAcceptance { organisation } => write!(
                f,
                "{organisation} is approved only once someone of it has accepted the embargo policy"
            ),
            Rule::AlreadyInOrg { email } => {
                write!(f, "{email} in this organisation already exists")
            }
            Rule::AlreadyAccepted { email } => write!(
                f,
                "{email}'s acceptance of the embargo policy already exists"
            ),
            Rule::AcceptanceStillValid { email, until } => write!(
                f,
                "{email}'s acceptance of the embargo policy holds until {until}"
            ),
            Rule::NotAPerson { who, organisation } => match who {
                Some(who) => write!(f, "{who} is not among the people of {organisation}"),
                None => write!(f, "you are not among the people of {organisation}"),
            },
            Rule::FixRepo(rule) => rule.fmt(f),
            Rule::CveServices(rule) => rule.fmt(f),
            Rule::GitHub(rule) => rule.fmt(f),
            Rule::Policy(rule) => rule.fmt(f),
            Rule::Triage(rule) => rule.fmt(f),
        }
    }
}
