//! An organisation on a project's distributors list, as `decide_org` needs
//! it: where it is in its lifecycle, whom its application names as voucher,
//! and its people. An organisation is the fold of its events
//! ([`Org::fold`]), the [`OrgChange`]s its commands returned, as a case is
//! the fold of its own; nothing here reads a row.

use serde::{Deserialize, Serialize};

use super::decide::OrgChange;
use crate::ids::{EmailAddress, UserId};

/// Where an organisation is on the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgState {
    /// Applied; waits for the member named as voucher.
    Applied,
    /// The voucher confirmed; waits for the PST.
    Vouched,
    /// The voucher declined.
    Declined,
    Approved,
    Rejected,
    /// Approved, then suspended by the PST: receives and sees nothing.
    Suspended,
    /// Removed by the PST: receives and sees nothing, for good.
    Removed,
}

impl OrgState {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgState::Applied => "applied",
            OrgState::Vouched => "vouched",
            OrgState::Declined => "declined",
            OrgState::Approved => "approved",
            OrgState::Rejected => "rejected",
            OrgState::Suspended => "suspended",
            OrgState::Removed => "removed",
        }
    }

    pub fn parse(s: &str) -> Option<OrgState> {
        Some(match s {
            "applied" => OrgState::Applied,
            "vouched" => OrgState::Vouched,
            "declined" => OrgState::Declined,
            "approved" => OrgState::Approved,
            "rejected" => OrgState::Rejected,
            "suspended" => OrgState::Suspended,
            "removed" => OrgState::Removed,
            _ => return None,
        })
    }
}

/// One person an organisation names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgPerson {
    pub user: UserId,
    pub email: EmailAddress,
    /// They accepted the embargo policy themself (or, for a founding
    /// member, before psirt).
    pub accepted: bool,
    pub removed: bool,
}

/// An organisation as its events say it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Org {
    pub name: String,
    pub state: OrgState,
    /// The member the application names to vouch (criterion 7); none for
    /// a founding organisation.
    pub voucher: Option<UserId>,
    pub people: Vec<OrgPerson>,
}

impl Org {
    /// The organisation its events make, in order: it begins with the
    /// event that opened it (an application, or a founding member's
    /// enrolment); `None` without one. The consequences (pending copies
    /// discarded, access ended) and the words of the timeline change
    /// nothing here: they are other records' affairs.
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a OrgChange>) -> Option<Org> {
        let mut org: Option<Org> = None;
        for change in events {
            match change {
                OrgChange::Applied { name, voucher } => {
                    org = Some(Org::opened(name, OrgState::Applied, Some(*voucher)));
                }
                OrgChange::Founded { name } => {
                    org = Some(Org::opened(name, OrgState::Approved, None));
                }
                other => {
                    if let Some(org) = org.as_mut() {
                        org.apply(other);
                    }
                }
            }
        }
        org
    }

    fn opened(name: &str, state: OrgState, voucher: Option<UserId>) -> Org {
        Org {
            name: name.to_string(),
            state,
            voucher,
            people: Vec::new(),
        }
    }

    /// One event after the opening one.
    fn apply(&mut self, change: &OrgChange) {
        match change {
            OrgChange::Applied { .. } | OrgChange::Founded { .. } => {}
            OrgChange::Moved { to, .. } => self.state = *to,
            OrgChange::PersonAdded { user, email } => {
                // Someone added again (after removal) keeps their place
                // and must accept the embargo policy again.
                let person = OrgPerson {
                    user: *user,
                    email: email.clone(),
                    accepted: false,
                    removed: false,
                };
                match self.people.iter_mut().find(|p| p.user == *user) {
                    Some(p) => *p = person,
                    None => self.people.push(person),
                }
            }
            OrgChange::PolicyAccepted { user } => {
                if let Some(p) = self.people.iter_mut().find(|p| p.user == *user) {
                    p.accepted = true;
                }
            }
            OrgChange::AcceptanceLapsed { user } => {
                if let Some(p) = self.people.iter_mut().find(|p| p.user == *user) {
                    p.accepted = false;
                }
            }
            OrgChange::PersonRemoved { user } => {
                if let Some(p) = self.people.iter_mut().find(|p| p.user == *user) {
                    p.removed = true;
                }
            }
            // Consequences, and what the organisation did on a case:
            // other records' affairs.
            OrgChange::PendingDiscarded { .. }
            | OrgChange::AccessEnded { .. }
            | OrgChange::FeedbackRecorded { .. }
            | OrgChange::HelpAnswered { .. }
            | OrgChange::LeakBlamed { .. } => {}
        }
    }

    /// The person `user` is, unless removed.
    pub fn current_person(&self, user: UserId) -> Option<&OrgPerson> {
        self.people.iter().find(|p| p.user == user && !p.removed)
    }
}
