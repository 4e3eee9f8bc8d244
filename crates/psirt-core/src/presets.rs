//! Named policies a project can start from, and the checks of the
//! policy's later parts (calendar, targets, notices, access).
//!
//! `seed` is [`Policy::default`], the CoreDNS process. `kubernetes` is
//! the Kubernetes Security Response Committee's variant of the same
//! process: distributors told at least 7 days before disclosure and again
//! 24 hours before, announcements at 16:00 UTC on a weekday other than
//! Friday, a retrospective 1–3 days after release, stale cases pinged by
//! severity, a weekly triage rotation of its own, and the Fix Team's
//! access removed after release.

use crate::calendar::AnnouncementSlot;
use crate::dues::Milestone;
use crate::duration::Duration;
use crate::ending::AccessEnds;
use crate::policy::{Policy, PolicyError};
use crate::response::Severity;

/// The names [`preset`] knows.
pub const PRESETS: [&str; 2] = ["seed", "kubernetes"];

/// The policy a preset names, if it names one.
pub fn preset(name: &str) -> Option<Policy> {
    match name {
        "seed" | "default" | "coredns" => Some(Policy::default()),
        "kubernetes" => Some(kubernetes()),
        _ => None,
    }
}

/// The Kubernetes SRC's process.
pub fn kubernetes() -> Policy {
    Policy {
        // "Acknowledged within 1 business day", and a person answers
        // within 1 business day too.
        acknowledge_within: Duration::days(1),
        first_response_within: Some(Duration::days(1)),
        business_days: [Milestone::Acknowledged, Milestone::FirstResponse].into(),
        // Distributors are told at least 7 days before disclosure.
        min_embargo: Duration::days(7),
        max_embargo: Duration::days(21),
        distributors_within: Duration::days(14),
        distributor_final_notice_before: Some(Duration::hours(24)),
        announce_at: Some(AnnouncementSlot::kubernetes()),
        // A blameless retrospective 1–3 days after release.
        retrospective_within: Some(Duration::days(3)),
        stale_after: [
            (Severity::Critical, Duration::days(2)),
            (Severity::High, Duration::days(7)),
            (Severity::Medium, Duration::days(30)),
        ]
        .into(),
        triage_rotation: true,
        fix_team_access_ends: Some(AccessEnds::Release),
        ..Policy::default()
    }
}

/// The checks of the later fields: durations that must not be zero, and
/// targets that must not fall after the release target of their severity.
pub(crate) fn validate_more(p: &Policy) -> Result<(), PolicyError> {
    let err = |field: &'static str, reason: String| Err(PolicyError { field, reason });
    for (field, d) in [
        (
            "distributor_final_notice_before",
            p.distributor_final_notice_before,
        ),
        ("first_response_within", p.first_response_within),
        (
            "embargo_acceptance_valid_for",
            p.embargo_acceptance_valid_for,
        ),
    ] {
        if d == Some(Duration::ZERO) {
            return err(field, "must be longer than 0m".into());
        }
    }
    if let Some(before) = p.distributor_final_notice_before
        && before >= p.min_embargo
    {
        return err(
            "distributor_final_notice_before",
            format!(
                "{before} is not shorter than min_embargo ({}): the final notice would come before the first",
                p.min_embargo
            ),
        );
    }
    if let Some(slot) = &p.announce_at
        && slot.weekdays.is_empty()
    {
        return err("announce_at", "names no weekday".into());
    }
    if p.stale_after.values().any(|d| *d == Duration::ZERO) {
        return err("stale_after", "must be longer than 0m".into());
    }
    for (severity, t) in &p.response_targets {
        let release = t.release.unwrap_or(p.release_within);
        for (name, d) in [
            ("first_response", t.first_response),
            ("triage", t.triage),
            ("fix", t.fix),
        ] {
            if let Some(d) = d
                && d > release
            {
                return err(
                    "response_targets",
                    format!(
                        "{}.{name} ({d}) is later than its release target ({release})",
                        severity.as_str()
                    ),
                );
            }
        }
    }
    Ok(())
}
