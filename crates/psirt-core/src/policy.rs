//! A project's policy: the numbers and optional steps of its process.
//!
//! The seed's values are [`Policy::default`]. A project may adopt its own
//! (Kubernetes, for example, adds a retrospective after release and asks for
//! at least seven days of distributor notice). A case copies the policy in
//! force when it is opened, so a later policy change never moves the due
//! times of a case already under way.

use serde::{Deserialize, Serialize};

use std::collections::BTreeSet;

use crate::calendar::{AnnouncementSlot, Calendar};
use crate::dues::Milestone;
use crate::duration::Duration;
use crate::ending::AccessEnds;
use crate::response::{ResponseTargets, StalePings};

/// Every due time is measured from the case's disclosure time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Acknowledge the reporter (psirt does it on intake).
    pub acknowledge_within: Duration,
    /// Choose the Fix Lead and form the Fix Team ("within the first 24 hours").
    pub fix_team_within: Duration,
    /// Agree a final CVSS vector ("within 1-7 days").
    pub cvss_within: Duration,
    /// Have every fix commit approved ("within 1-7 days").
    pub fix_within: Duration,
    /// Publish the forthcoming-fix notice ("within 1-7 days").
    pub notice_within: Duration,
    /// Decide on, and possibly send, the distributor pre-notification ("within 1-14 days").
    pub distributors_within: Duration,
    /// Release ("within 1-21 days").
    pub release_within: Duration,
    /// How far a low-severity slow-down moves the pending due times, unless
    /// the decision names its own extension.
    pub slow_down_extension: Duration,
    /// The base score below which a case counts as low severity, in tenths
    /// (the seed: 4.0).
    pub low_severity_below_tenths: u8,
    /// The shortest embargo a distributor pre-notification may carry.
    pub min_embargo: Duration,
    /// The longest embargo a pre-notification may carry without a recorded reason.
    pub max_embargo: Duration,
    /// A blameless retrospective this long after release (Kubernetes: 1-3 days); none by default.
    pub retrospective_within: Option<Duration>,
    /// How far ahead a due time counts as "due soon" on the agenda.
    pub due_soon_window: Duration,
    /// How long an invitation link (to set a password and sign in) stays
    /// valid.
    pub invitation_valid_for: Duration,
    // The policy made complete (issue 18); each has a default that keeps
    // the seed's behaviour, so policies stored before them read as before.
    /// Weekends and holidays, for due times counted in business days.
    pub calendar: Calendar,
    /// The milestones whose due times count business days of the
    /// calendar: their time's whole days are business days.
    pub business_days: BTreeSet<Milestone>,
    /// A person on the team answers the reporter (beyond psirt's own
    /// acknowledgement); none by default.
    pub first_response_within: Option<Duration>,
    /// Response-time targets by severity; they replace the general due
    /// times once the case has a severity.
    pub response_targets: ResponseTargets,
    /// A second notice to the notified distributors this long before the
    /// embargo ends (Kubernetes: 24 hours); none by default.
    pub distributor_final_notice_before: Option<Duration>,
    /// When announcements are suggested for (Kubernetes: 16:00 UTC, not a
    /// Friday); none by default.
    pub announce_at: Option<AnnouncementSlot>,
    /// Ping a case that has had no activity this long, by severity.
    pub stale_after: StalePings,
    /// The PST's own triage rotation: one member on call per week,
    /// separate from the Fix Lead rotation.
    pub triage_rotation: bool,
    /// When Fix Team members who are not on the PST lose the case's
    /// private parts; by default they keep them.
    pub fix_team_access_ends: Option<AccessEnds>,
    /// How long a distributor person's acceptance of the embargo policy
    /// holds: after it they see nothing of the list until they accept
    /// again (yearly by default); none: it never lapses.
    pub embargo_acceptance_valid_for: Option<Duration>,
    // Triage (issue 18, section 1).
    /// Triage the report (accept, close, move to a public issue); none by
    /// default, and a severity's `triage` target sets one too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub triage_within: Option<Duration>,
    /// How long a request for more information waits for the reporter's
    /// answer before psirt closes the case; `None` is 14 days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub information_window: Option<Duration>,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            acknowledge_within: Duration::hours(24),
            fix_team_within: Duration::hours(24),
            cvss_within: Duration::days(7),
            fix_within: Duration::days(7),
            notice_within: Duration::days(7),
            distributors_within: Duration::days(14),
            release_within: Duration::days(21),
            slow_down_extension: Duration::days(14),
            low_severity_below_tenths: 40,
            min_embargo: Duration::days(1),
            max_embargo: Duration::days(14),
            retrospective_within: None,
            due_soon_window: Duration::hours(24),
            invitation_valid_for: Duration::days(7),
            calendar: Calendar::default(),
            business_days: BTreeSet::new(),
            first_response_within: None,
            response_targets: ResponseTargets::new(),
            distributor_final_notice_before: None,
            announce_at: None,
            stale_after: StalePings::new(),
            triage_rotation: false,
            fix_team_access_ends: None,
            embargo_acceptance_valid_for: Some(Duration::days(365)),
            triage_within: None,
            information_window: None,
        }
    }
}

impl Policy {
    /// How long a request for more information waits for an answer.
    pub fn information_window(&self) -> Duration {
        self.information_window.unwrap_or(Duration::days(14))
    }
}

/// A policy whose numbers contradict each other.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy {field}: {reason}")]
pub struct PolicyError {
    pub field: &'static str,
    pub reason: String,
}

impl Policy {
    /// Checks the relations the process depends on: the release cannot be
    /// due before the steps that must precede it.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let err = |field, reason: String| Err(PolicyError { field, reason });
        for (field, d) in [
            ("fix_within", self.fix_within),
            ("notice_within", self.notice_within),
            ("cvss_within", self.cvss_within),
            ("distributors_within", self.distributors_within),
        ] {
            if d > self.release_within {
                return err(
                    field,
                    format!("{d} is later than release_within ({})", self.release_within),
                );
            }
        }
        if self.release_within == Duration::ZERO {
            return err("release_within", "must be longer than 0m".into());
        }
        if self.min_embargo > self.max_embargo {
            return err(
                "min_embargo",
                format!(
                    "{} is longer than max_embargo ({})",
                    self.min_embargo, self.max_embargo
                ),
            );
        }
        crate::presets::validate_more(self)?;
        if self.low_severity_below_tenths > 100 {
            return err(
                "low_severity_below_tenths",
                "must be between 0 and 100".into(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_the_seed() {
        let p = Policy::default();
        assert_eq!(p.validate(), Ok(()));
        assert_eq!(p.fix_team_within, Duration::hours(24));
        assert_eq!(p.fix_within, Duration::days(7));
        assert_eq!(p.notice_within, Duration::days(7));
        assert_eq!(p.distributors_within, Duration::days(14));
        assert_eq!(p.release_within, Duration::days(21));
        assert_eq!(p.low_severity_below_tenths, 40);
    }

    #[test]
    fn contradictions_are_refused_by_name() {
        let p = Policy {
            fix_within: Duration::days(30),
            ..Policy::default()
        };
        assert_eq!(
            p.validate().unwrap_err().to_string(),
            "policy fix_within: 30d is later than release_within (21d)"
        );
        let p = Policy {
            min_embargo: Duration::days(20),
            ..Policy::default()
        };
        assert_eq!(
            p.validate().unwrap_err().to_string(),
            "policy min_embargo: 20d is longer than max_embargo (14d)"
        );
    }
}
