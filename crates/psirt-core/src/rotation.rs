//! The Fix Lead rotation: round-robin over the PST, skipping the unavailable.
//!
//! The member whose last turn as Fix Lead is the oldest goes next; members
//! who never led go first, in roster order. This is round-robin when
//! everyone is available, stays fair when someone is skipped for a while
//! (they lead first when they return) and counts overrides as turns, so an
//! override does not earn its subject an extra case.

use serde::{Deserialize, Serialize};

use crate::ids::UserId;

/// One PST member as the rotation sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEntry {
    pub user: UserId,
    /// Marked unavailable (holiday, bandwidth): skipped by the rotation.
    pub available: bool,
    /// The project-wide sequence number of this member's last turn as Fix
    /// Lead; `None` if they never led.
    pub last_turn: Option<u64>,
}

/// The next Fix Lead, or `None` when no PST member is available. The roster
/// is in roster order (the order members joined).
pub fn next_fix_lead(roster: &[RosterEntry]) -> Option<UserId> {
    roster
        .iter()
        .enumerate()
        .filter(|(_, e)| e.available)
        .min_by_key(|(position, e)| (e.last_turn.is_some(), e.last_turn, *position))
        .map(|(_, e)| e.user)
}

/// Records that `lead` took the project's next turn as Fix Lead, whether
/// the rotation chose them or not: an override counts too, so it earns its
/// subject no extra case. `turns` is the number of turns taken so far on
/// the project; returns the new number, which is now `lead`'s `last_turn`.
/// The store and the tests' harness both call this.
pub fn take_turn(roster: &mut [RosterEntry], turns: u64, lead: UserId) -> u64 {
    let turn = turns + 1;
    if let Some(entry) = roster.iter_mut().find(|e| e.user == lead) {
        entry.last_turn = Some(turn);
    }
    turn
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the rotation for `cases` cases and returns who led each, as
    /// letters. `unavailable` lists, per case index, who is away then.
    fn rotate(members: &[&str], cases: usize, unavailable: &[(usize, &str)]) -> String {
        let mut roster: Vec<RosterEntry> = (0..members.len())
            .map(|i| RosterEntry {
                user: UserId::new(i as i64),
                available: true,
                last_turn: None,
            })
            .collect();
        let mut out = String::new();
        for turn in 0..cases {
            for (i, e) in roster.iter_mut().enumerate() {
                e.available = !unavailable.contains(&(turn, members[i]));
            }
            match next_fix_lead(&roster) {
                Some(lead) => {
                    out.push_str(members[lead.get() as usize]);
                    roster[lead.get() as usize].last_turn = Some(turn as u64);
                }
                None => out.push('-'),
            }
        }
        out
    }

    #[test]
    fn three_members_nine_cases_three_each() {
        let led = rotate(&["a", "b", "c"], 9, &[]);
        assert_eq!(led, "abcabcabc");
        for m in ["a", "b", "c"] {
            assert_eq!(led.matches(m).count(), 3);
        }
    }

    #[test]
    fn unavailable_members_are_skipped_and_lead_first_on_return() {
        assert_eq!(rotate(&["a", "b", "c"], 6, &[(0, "a"), (1, "a")]), "bcabca");
    }

    #[test]
    fn nobody_available_means_no_lead() {
        assert_eq!(rotate(&["a"], 2, &[(0, "a")]), "-a");
        assert_eq!(next_fix_lead(&[]), None);
    }
}
