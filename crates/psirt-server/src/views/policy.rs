//! What the policy's later parts show on a case: the suggested
//! announcement instant, who is on triage call this week, the severity
//! the response-time targets go by, and whose access ended with the case.

use super::*;

/// The case's policy at work, at the instant the view was made.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct CasePolicyView {
    /// The policy's name for itself is not kept; these are its effects.
    /// When psirt suggests making the release public (the policy's
    /// announcement time: Kubernetes, 16:00 UTC, not a Friday); the
    /// default embargo end of a pre-notification.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub suggested_announcement: Option<Timestamp>,
    /// The PST member on triage call this week (the policy's own triage
    /// rotation, apart from the Fix Lead's).
    pub triage_on_call: Option<OnCallView>,
    /// The severity the response-time targets and stale pings go by.
    pub target_severity: Option<&'static str>,
    /// Fix Team members (not on the PST) whose access ended with the case.
    pub fix_team_access_ended: Vec<i64>,
    /// The notified distributors' portal access ended at publication.
    pub distributor_access_ended: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OnCallView {
    pub user: i64,
    /// The Monday the week starts on (UTC).
    #[schema(value_type = String, format = Date)]
    pub week_of: jiff::civil::Date,
}

impl OnCallView {
    pub fn new(on: psirt_core::OnCall) -> OnCallView {
        OnCallView {
            user: on.user.get(),
            week_of: on.week_of,
        }
    }
}

impl CasePolicyView {
    /// `roster` is the project's PST in roster order (asked only where the
    /// policy keeps a triage rotation).
    pub fn new(case: &Case, now: Timestamp, roster: &[psirt_core::RosterEntry]) -> CasePolicyView {
        CasePolicyView {
            suggested_announcement: case.suggested_announcement(now),
            triage_on_call: case
                .policy
                .triage_rotation
                .then(|| psirt_core::triage_on_call(roster, now))
                .flatten()
                .map(OnCallView::new),
            target_severity: case.target_severity().map(|s| s.as_str()),
            fix_team_access_ended: case
                .ended
                .fix_team_access
                .iter()
                .flat_map(|(_, members)| members.iter().map(|u| u.get()))
                .collect(),
            distributor_access_ended: case.ended.distributor_access.is_some(),
        }
    }
}
