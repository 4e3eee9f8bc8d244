//! The release and what follows it: the rule that says whether a case may
//! be released, its public instant, the advisories recorded, the
//! retrospective and the close.

use jiff::Timestamp;

use super::{Context, LONG, Refusal, Rule, invalid, text};
use crate::case::{Case, CreditKind};
use crate::command::Command;
use crate::event::Change;

/// The release's commands; [`super::decide`] has authorized them.
pub(super) fn decide(
    case: &Case,
    command: Command,
    ctx: Context<'_>,
) -> Result<Vec<Change>, Refusal> {
    let now = ctx.now;
    let change = match command {
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
        Command::RecordAdvisory { format, location } => {
            if case.release().is_none() {
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
        Command::HoldRetrospective { notes } => {
            if case.policy.retrospective_within.is_none() {
                return Err(Rule::RetrospectiveNotInPolicy.into());
            }
            if case.release().is_none() {
                return Err(Rule::ReleaseNeededFirst.into());
            }
            Change::RetrospectiveHeld {
                notes: text("notes", &notes, LONG)?,
            }
        }
        Command::Close => {
            let mut missing = Vec::new();
            if case.release().is_none() {
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
        _ => unreachable!("decide routes only the release's commands here"),
    };
    Ok(vec![change])
}

/// The one rule that says whether a case may be released now.
pub fn may_release(case: &Case) -> Result<(), Rule> {
    if case.release().is_some() {
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
