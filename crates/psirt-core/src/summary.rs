//! A case's summary: the few facts lists, the agenda, the dashboard and the
//! public advisories need, computed from the fold of its events.
//!
//! The store keeps one summary per case (the projection) next to the
//! events and rewrites it in the same transaction as every append, so a
//! list reads one row per case instead of folding every timeline. The
//! summary is derived data: [`summary`] is the only function that makes
//! one, from a [`Case`] alone, so a summary rebuilt from the events equals
//! the one maintained along the way. It must never hold anything `now`
//! decides: due times are the instants the fold gives (see `dues.rs`),
//! and "overdue" or "public yet" are answered at read time against the
//! clock the caller passes in.

use std::collections::BTreeSet;

use jiff::Timestamp;
use psirt_cvss::Score;
use serde::{Deserialize, Serialize};

use crate::case::Case;
use crate::dues::{Due, Milestone};
use crate::duration::Duration;
use crate::ids::{CaseRef, UserId};

/// What a list shows of a case, and what it filters and sorts on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSummary {
    pub reference: CaseRef,
    pub project: String,
    /// The report's one-line summary (embargoed like the case: shown only
    /// to whoever may view the case).
    pub summary: String,
    pub open: bool,
    /// [`Case::urgent`].
    pub urgent: bool,
    /// The vulnerability is known to be public (disclosed by someone).
    pub disclosed: bool,
    pub fix_lead: Option<UserId>,
    pub fix_team: BTreeSet<UserId>,
    /// The final CVSS base score, once there is one.
    #[serde(with = "score_tenths")]
    pub score: Option<Score>,
    /// The most pressing pending milestone ([`Case::next_due`]).
    pub next_due: Option<(Milestone, Due)>,
    /// Every pending milestone with a due time, most pressing first: what
    /// the agenda splits into overdue, due soon and next at its instant.
    pub pending: Vec<(Milestone, Due)>,
    /// The policy's "due soon" window.
    pub due_soon_window: Duration,
    /// [`crate::public_at`]: the instant the advisory becomes public. A
    /// reader compares it with its own clock; it is never "public" here.
    pub public_from: Option<Timestamp>,
    /// The release: when, and its version.
    pub released: Option<(Timestamp, String)>,
    /// Fix Team members whose access to the case ended with it
    /// ([`crate::Ended`]); absent from summaries written before.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub access_ended: BTreeSet<UserId>,
    /// The number of events folded.
    pub version: u64,
}

/// The summary of `case`: a pure function of its events' fold.
pub fn summary(case: &Case) -> CaseSummary {
    let mut pending: Vec<(Milestone, Due)> = case
        .milestones()
        .into_iter()
        .filter_map(|s| Some((s.milestone, s.due()?)))
        .collect();
    pending.sort_by_key(|(m, d)| crate::dues::pressing(*m, *d));
    CaseSummary {
        reference: case.reference,
        project: case.project.clone(),
        summary: case.summary.clone(),
        open: case.is_open(),
        urgent: case.urgent(),
        disclosed: case.public().is_some(),
        fix_lead: case.fix_lead(),
        fix_team: case.fix_team.clone(),
        score: case.cvss_final.as_ref().map(|v| v.base_score()),
        next_due: case.next_due(),
        pending,
        due_soon_window: case.policy.due_soon_window,
        public_from: crate::record::public_at(case),
        released: case.release().map(|r| (r.at, r.version.clone())),
        access_ended: case
            .ended
            .fix_team_access
            .iter()
            .flat_map(|(_, members)| members.iter().copied())
            .collect(),
        version: case.version,
    }
}

impl CaseSummary {
    /// The Fix Lead or a member of the Fix Team ([`Case::on_fix_team`]).
    pub fn on_fix_team(&self, user: UserId) -> bool {
        self.fix_lead == Some(user) || self.fix_team.contains(&user)
    }

    /// The agenda's order as one sortable text, so that a store can page
    /// through it with one index: urgent cases first, then the earliest
    /// pending due time (cases with none last). It orders exactly as
    /// [`crate::agenda`] does up to ties, which the store breaks by case.
    /// The earliest pending due time is the one [`Case::next_due`] gives,
    /// whatever `now` is: a pending embargo-break assessment is the
    /// earliest of all, and otherwise the most pressing is the earliest.
    pub fn agenda_key(&self) -> String {
        let urgent = if self.urgent { '0' } else { '1' };
        match self.next_due {
            // Microseconds since 1970 are positive and below 10^19 for
            // every instant a due time can be (saturated at the maximum).
            Some((_, due)) => format!("{urgent}0{:020}", due.at.as_microsecond().max(0)),
            None => format!("{urgent}1{:020}", 0),
        }
    }
}

/// Scores as whole tenths, the way `psirt-cvss` holds them exactly.
mod score_tenths {
    use psirt_cvss::Score;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(score: &Option<Score>, s: S) -> Result<S::Ok, S::Error> {
        match score {
            Some(score) => s.serialize_some(&score.tenths()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Score>, D::Error> {
        Option::<u8>::deserialize(d)?
            .map(|t| {
                Score::new_tenths(t).ok_or_else(|| {
                    serde::de::Error::custom(format!("{t} tenths is not a CVSS score"))
                })
            })
            .transpose()
    }
}
