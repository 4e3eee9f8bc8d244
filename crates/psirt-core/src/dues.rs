//! The one place that decides when each milestone of a case is due.
//!
//! Due times are derived, never stored: they follow from the disclosure
//! time, the case's policy, and the decisions on the timeline (public
//! disclosure, slow-downs, an upstream embargo, an embargo break). Storing
//! them would let two copies disagree.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::case::Case;
use crate::duration::Duration;
use crate::summary::CaseSummary;

/// The milestones of a case, in the order the seed describes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    /// Assess a reported embargo break: due at once, first of all. On a
    /// case only once a break is reported.
    EmbargoBreakAssessed,
    Acknowledged,
    /// A person on the team answered the reporter (where the policy has a
    /// first-response time).
    FirstResponse,
    /// The triage decision (where the policy has a triage time, or once
    /// the case is triaged).
    Triaged,
    FixLeadAssigned,
    FixTeamFormed,
    CvssScored,
    FixReady,
    NoticePublished,
    DistributorsNotified,
    /// The second notice to the notified distributors, shortly before the
    /// embargo ends (where the policy has one).
    DistributorsFinalNotice,
    Released,
    Retrospective,
    Closed,
}

impl Milestone {
    /// The milestones of every case (an embargo break adds
    /// [`Milestone::EmbargoBreakAssessed`] to its case).
    pub const ALL: [Milestone; 12] = [
        Milestone::Acknowledged,
        Milestone::FirstResponse,
        Milestone::FixLeadAssigned,
        Milestone::FixTeamFormed,
        Milestone::CvssScored,
        Milestone::FixReady,
        Milestone::NoticePublished,
        Milestone::DistributorsNotified,
        Milestone::DistributorsFinalNotice,
        Milestone::Released,
        Milestone::Retrospective,
        Milestone::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Milestone::EmbargoBreakAssessed => "embargo_break_assessed",
            Milestone::Acknowledged => "acknowledged",
            Milestone::FirstResponse => "first_response",
            Milestone::Triaged => "triaged",
            Milestone::FixLeadAssigned => "fix_lead_assigned",
            Milestone::FixTeamFormed => "fix_team_formed",
            Milestone::CvssScored => "cvss_scored",
            Milestone::FixReady => "fix_ready",
            Milestone::NoticePublished => "notice_published",
            Milestone::DistributorsNotified => "distributors_notified",
            Milestone::DistributorsFinalNotice => "distributors_final_notice",
            Milestone::Released => "released",
            Milestone::Retrospective => "retrospective",
            Milestone::Closed => "closed",
        }
    }

    /// How the seed names it.
    pub fn title(self) -> &'static str {
        match self {
            Milestone::EmbargoBreakAssessed => "Embargo break assessed",
            Milestone::Acknowledged => "Reporter acknowledged",
            Milestone::FirstResponse => "First response to the reporter",
            Milestone::Triaged => "Report triaged",
            Milestone::FixLeadAssigned => "Fix Lead assigned",
            Milestone::FixTeamFormed => "Fix Team formed",
            Milestone::CvssScored => "CVSS scored",
            Milestone::FixReady => "Fix ready (LGTM on every commit)",
            Milestone::NoticePublished => "Forthcoming-fix notice published",
            Milestone::DistributorsNotified => "Distributors notified (optional)",
            Milestone::DistributorsFinalNotice => "Final notice to distributors",
            Milestone::Released => "Fix released",
            Milestone::Retrospective => "Retrospective held",
            Milestone::Closed => "Case closed",
        }
    }
}

/// When a pending milestone is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    pub at: Timestamp,
    /// "As soon as possible": public disclosure or an embargo break.
    pub asap: bool,
    /// The response-time target of this severity set it (absent: the
    /// policy's general due time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<crate::response::Severity>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum MilestoneStatus {
    Done {
        at: Timestamp,
    },
    /// An optional step the team decided against.
    Skipped {
        at: Timestamp,
    },
    Pending {
        due: Option<Due>,
    },
    /// Not part of this case's policy.
    NotApplicable,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneState {
    pub milestone: Milestone,
    #[serde(flatten)]
    pub status: MilestoneStatus,
}

impl MilestoneState {
    pub fn due(&self) -> Option<Due> {
        match self.status {
            MilestoneStatus::Pending { due } => due,
            _ => None,
        }
    }
}

impl Case {
    /// Every milestone of the case with its done time or due time.
    pub fn milestones(&self) -> Vec<MilestoneState> {
        let breaks = (!self.embargo_breaks.is_empty()).then_some(Milestone::EmbargoBreakAssessed);
        // Triage is listed where the policy times it or once it happened,
        // after the first response.
        let triage = (self.triage.is_some() || crate::response::has_triage(&self.policy))
            .then_some(Milestone::Triaged);
        let all = Milestone::ALL.into_iter().flat_map(|m| match m {
            Milestone::FirstResponse => vec![m].into_iter().chain(triage),
            _ => vec![m].into_iter().chain(None),
        });
        breaks
            .into_iter()
            .chain(all)
            .map(|milestone| MilestoneState {
                milestone,
                status: self.status(milestone),
            })
            .collect()
    }

    pub fn milestone(&self, milestone: Milestone) -> MilestoneState {
        MilestoneState {
            milestone,
            status: self.status(milestone),
        }
    }

    fn status(&self, m: Milestone) -> MilestoneStatus {
        if m == Milestone::EmbargoBreakAssessed {
            return self.break_status();
        }
        if m == Milestone::DistributorsFinalNotice {
            return crate::ending::final_notice_status(self);
        }
        let done = match m {
            Milestone::Acknowledged => self.acknowledged_at,
            Milestone::FirstResponse => self.first_response_at(),
            Milestone::Triaged => self.triage.as_ref().map(|t| t.at),
            Milestone::FixLeadAssigned => self.fix_lead_assigned_at(),
            Milestone::FixTeamFormed => self.fix_team_formed_at,
            Milestone::CvssScored => self.cvss_final_at,
            Milestone::FixReady => self.fix_ready_at,
            Milestone::NoticePublished => self.notice.as_ref().map(|n| n.published_at),
            Milestone::DistributorsNotified => self.distributors_notified_at,
            Milestone::Released => self.release().map(|r| r.at),
            Milestone::Retrospective => self.retrospective_at,
            Milestone::Closed => self.closed_at,
            Milestone::EmbargoBreakAssessed | Milestone::DistributorsFinalNotice => {
                unreachable!("handled above")
            }
        };
        if let Some(at) = done {
            return MilestoneStatus::Done { at };
        }
        if m == Milestone::Retrospective && self.policy.retrospective_within.is_none() {
            return MilestoneStatus::NotApplicable;
        }
        if m == Milestone::FirstResponse && !crate::response::has_first_response(&self.policy) {
            return MilestoneStatus::NotApplicable;
        }
        if m == Milestone::Triaged && !crate::response::has_triage(&self.policy) {
            return MilestoneStatus::NotApplicable;
        }
        if m == Milestone::DistributorsNotified
            && let (Some(decision), Some(at)) = (&self.distributors, self.distributors_decided_at)
            && !decision.notify
        {
            return MilestoneStatus::Skipped { at };
        }
        if self.closed_at.is_some() || (self.release().is_some() && m < Milestone::Released) {
            // A closed case owes nothing more, and a released one nothing
            // that should have come before the release.
            return MilestoneStatus::Pending { due: None };
        }
        if self.awaiting_information() && !self.asap() {
            // The clock stands still until the reporter answers.
            return MilestoneStatus::Pending { due: None };
        }
        MilestoneStatus::Pending { due: self.due(m) }
    }

    /// The due-time rule, in order of precedence:
    /// 1. an embargo break assessed as "release early" pulls every pending
    ///    due time to the moment of that decision;
    /// 2. a public disclosure (not taken private) makes every due time the
    ///    moment the team learned of it;
    /// 3. otherwise the policy's offset from the disclosure time, with the
    ///    release following an upstream embargo where there is one, and
    ///    low-severity slow-downs pushing everything pending further out.
    fn due(&self, m: Milestone) -> Option<Due> {
        let after_release = matches!(m, Milestone::Retrospective | Milestone::Closed);
        if after_release {
            let released = self.release()?.at;
            let within = match m {
                Milestone::Retrospective => self.policy.retrospective_within?,
                _ => return None,
            };
            return Some(Due {
                at: add(released, within),
                asap: false,
                target: None,
            });
        }
        if let Some(at) = self.release_early_at {
            // The release itself is due at the new public date, when the
            // PST set one; everything before it at once.
            let at = match (m, self.embargo_moved) {
                (Milestone::Released, Some((_, new))) => new,
                _ => at,
            };
            return Some(Due {
                at,
                asap: true,
                target: None,
            });
        }
        if self.asap() {
            let at = self
                .public()
                .as_ref()
                .map_or(self.reported_at, |p| p.learned_at);
            return Some(Due {
                at,
                asap: true,
                target: None,
            });
        }
        let p = &self.policy;
        let offset = match m {
            Milestone::Acknowledged => p.acknowledge_within,
            Milestone::FirstResponse => p.first_response_within.unwrap_or(p.acknowledge_within),
            Milestone::Triaged => p.triage_within.unwrap_or(p.fix_team_within),
            Milestone::FixLeadAssigned | Milestone::FixTeamFormed => p.fix_team_within,
            Milestone::CvssScored => p.cvss_within,
            Milestone::FixReady => p.fix_within,
            Milestone::NoticePublished => p.notice_within,
            Milestone::DistributorsNotified => p.distributors_within,
            Milestone::Released => p.release_within,
            Milestone::Retrospective
            | Milestone::Closed
            | Milestone::EmbargoBreakAssessed
            | Milestone::DistributorsFinalNotice => unreachable!("handled above"),
        };
        // A response-time target of the case's severity replaces the
        // general due time.
        let (offset, target) = match crate::response::target(self, m) {
            Some((within, severity)) => (within, Some(severity)),
            None => (offset, None),
        };
        if m == Milestone::Released
            && let Some(upstream) = &self.upstream
        {
            return Some(Due {
                at: upstream.until,
                asap: false,
                target: None,
            });
        }
        // A slow-down holds only while the case is low severity: re-scored
        // above the threshold, it is back on the normal timeline.
        let slowed: i64 = if self.low_severity() {
            self.slow_downs
                .iter()
                .map(|s| s.extension.as_minutes())
                .sum()
        } else {
            0
        };
        // Due times the policy marks as business days skip the calendar's
        // weekends and holidays.
        let from = match p.business_days.contains(&m) {
            true => p.calendar.add_business(self.reported_at, offset),
            false => add(self.reported_at, offset),
        };
        // Time spent waiting for the reporter's answer does not count.
        let at = add(
            from,
            Duration::minutes(slowed.saturating_add(self.paused_minutes)),
        );
        Some(Due {
            at,
            asap: false,
            target,
        })
    }

    /// Assessing embargo breaks: due at once from the oldest unassessed
    /// break (whatever else the case waits for), done when the last one
    /// is assessed, not applicable without one.
    fn break_status(&self) -> MilestoneStatus {
        if self.embargo_breaks.is_empty() {
            return MilestoneStatus::NotApplicable;
        }
        match self.embargo_breaks.iter().find(|b| b.assessment.is_none()) {
            Some(open) if self.is_open() => MilestoneStatus::Pending {
                due: Some(Due {
                    at: open.reported_at,
                    asap: true,
                    target: None,
                }),
            },
            Some(_) => MilestoneStatus::Pending { due: None },
            None => MilestoneStatus::Done {
                at: self
                    .embargo_breaks
                    .iter()
                    .filter_map(|b| b.assessment.as_ref().map(|a| a.2))
                    .max()
                    .unwrap_or(self.reported_at),
            },
        }
    }

    /// The earliest pending due time, if any; an embargo break awaiting
    /// assessment comes before everything else.
    pub fn next_due(&self) -> Option<(Milestone, Due)> {
        self.milestones()
            .into_iter()
            .filter_map(|s| Some((s.milestone, s.due()?)))
            .min_by_key(|(m, d)| pressing(*m, *d))
    }
}

/// The order pending milestones are shown in: the embargo break first
/// (the seed's "urgently"), then by due time.
pub(crate) fn pressing(m: Milestone, d: Due) -> (bool, Timestamp, Milestone) {
    (m != Milestone::EmbargoBreakAssessed, d.at, m)
}

fn add(t: Timestamp, d: Duration) -> Timestamp {
    t.saturating_add(d.to_signed()).unwrap_or(Timestamp::MAX)
}

/// What is overdue, due soon and next, for every open case, at one instant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agenda {
    pub at: Timestamp,
    /// Open cases, most pressing first.
    pub cases: Vec<AgendaEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaEntry {
    pub reference: crate::ids::CaseRef,
    pub summary: String,
    pub urgent: bool,
    /// Pending milestones whose due time has passed.
    pub overdue: Vec<(Milestone, Due)>,
    /// Pending milestones due within the policy's "due soon" window.
    pub due_soon: Vec<(Milestone, Due)>,
    /// The earliest pending milestone that is not overdue.
    pub next: Option<(Milestone, Due)>,
    /// The overdue milestones whose due time was a response-time target:
    /// the case misses its severity's targets.
    pub missed_targets: Vec<(Milestone, Due)>,
}

/// Builds the agenda of the open cases at `now`.
pub fn agenda<'a>(cases: impl IntoIterator<Item = &'a Case>, now: Timestamp) -> Agenda {
    let summaries: Vec<CaseSummary> = cases.into_iter().map(crate::summary::summary).collect();
    agenda_of(&summaries, now)
}

/// [`agenda`] from the cases' summaries, which hold every pending due
/// time: what the store's projection gives without folding a timeline.
pub fn agenda_of<'a>(cases: impl IntoIterator<Item = &'a CaseSummary>, now: Timestamp) -> Agenda {
    let mut entries: Vec<AgendaEntry> = cases
        .into_iter()
        .filter(|c| c.open)
        .map(|case| {
            let pending = &case.pending;
            let soon = add(now, case.due_soon_window);
            let overdue: Vec<(Milestone, Due)> = pending
                .iter()
                .filter(|(_, d)| d.at < now)
                .copied()
                .collect();
            let missed_targets = overdue
                .iter()
                .filter(|(_, d)| d.target.is_some())
                .copied()
                .collect();
            let due_soon = pending
                .iter()
                .filter(|(_, d)| d.at >= now && d.at <= soon)
                .copied()
                .collect();
            let next = pending.iter().find(|(_, d)| d.at >= now).copied();
            AgendaEntry {
                reference: case.reference,
                summary: case.summary.clone(),
                urgent: case.urgent,
                overdue,
                due_soon,
                next,
                missed_targets,
            }
        })
        .collect();
    // Most pressing first: urgent cases, then the earliest pending due
    // time, overdue or not.
    entries.sort_by_key(|e| {
        let earliest = e.overdue.first().or(e.next.as_ref()).map(|(_, d)| d.at);
        (!e.urgent, earliest.is_none(), earliest, e.reference)
    });
    Agenda {
        at: now,
        cases: entries,
    }
}
