//! An organisation on a project's distributors list, as `decide_org` needs
//! it: where it is in its lifecycle, whom its application names as voucher,
//! and its people.

use crate::ids::{EmailAddress, UserId};

/// Where an organisation is on the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// An organisation as its rows say it is.
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
    /// The person `user` is, unless removed.
    pub fn current_person(&self, user: UserId) -> Option<&OrgPerson> {
        self.people.iter().find(|p| p.user == user && !p.removed)
    }
}
