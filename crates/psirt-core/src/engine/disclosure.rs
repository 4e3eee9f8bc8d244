//! Disclosure: the forthcoming-release notice, the distributors' decision
//! and pre-notification with the embargo's length, an upstream embargo, a
//! case made public and a request for private handling, the slow-down and
//! embargo breaks.

use jiff::Timestamp;

use super::{LONG, Refusal, Rule, SHORT, invalid, link, optional_link, text, verbatim};
use crate::case::Case;
use crate::command::Command;
use crate::event::Change;
use crate::policy::Policy;

/// The disclosure's commands; [`super::decide`] has authorized them.
pub(super) fn decide(case: &Case, command: Command, now: Timestamp) -> Result<Change, Refusal> {
    Ok(match command {
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
            if case.release().is_some() {
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
            if case.public().is_none() {
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
        _ => unreachable!("decide routes only the disclosure's commands here"),
    })
}

/// The seed's low-severity slow-down: "if the CVSS score is under 4.0
/// the Fix Team can decide to slow the release process down".
pub(super) fn slow_down_allowed(case: &Case) -> Result<(), Refusal> {
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
    if case.release().is_some() {
        return Err(Rule::AlreadyReleased.into());
    }
    Ok(())
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
