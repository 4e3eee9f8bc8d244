//! The PST's triage rotation: who is on call to triage new reports this
//! week (Kubernetes' SRC keeps one). It is separate from the Fix Lead
//! rotation (`rotation.rs`), which hands out cases by turns taken; this
//! one goes by the calendar, so anyone can tell who is on call in any
//! week without reading the project's history.
//!
//! Weeks start on Monday, 00:00 UTC. Week `n` (counted from the first
//! Monday of 1970) falls to the roster member at `n mod len` in roster
//! order; a member marked unavailable hands the week to the next
//! available one after them, without moving anyone else's weeks.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::ids::UserId;
use crate::rotation::RosterEntry;

/// Who is on triage call, and the week's first day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnCall {
    pub user: UserId,
    /// The Monday the week starts on (UTC).
    pub week_of: Date,
}

/// The PST member on triage call at `at`, or `None` when nobody is
/// available.
pub fn triage_on_call(roster: &[RosterEntry], at: Timestamp) -> Option<OnCall> {
    let date = at.to_zoned_datetime(TimeZone::UTC).date();
    let epoch = Date::constant(1970, 1, 5);
    // Dates count in whole days by default.
    let days = i64::from(epoch.until(date).ok()?.get_days());
    let week = days.div_euclid(7);
    let week_of = epoch.checked_add(jiff::Span::new().days(week * 7)).ok()?;
    let n = roster.len();
    if n == 0 {
        return None;
    }
    let start = week.rem_euclid(n as i64) as usize;
    (0..n)
        .map(|i| &roster[(start + i) % n])
        .find(|e| e.available)
        .map(|e| OnCall {
            user: e.user,
            week_of,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roster(available: &[bool]) -> Vec<RosterEntry> {
        available
            .iter()
            .enumerate()
            .map(|(i, a)| RosterEntry {
                user: UserId::new(i as i64 + 1),
                available: *a,
                last_turn: None,
            })
            .collect()
    }

    fn on(roster: &[RosterEntry], at: &str) -> String {
        match triage_on_call(roster, at.parse().unwrap()) {
            Some(c) => format!("{} from {}", c.user.get(), c.week_of),
            None => "nobody".into(),
        }
    }

    #[test]
    fn one_member_a_week_in_roster_order() {
        let r = roster(&[true, true, true]);
        // Consecutive Mondays go round the roster; a Sunday is still the
        // week before.
        let weeks: Vec<String> = [
            "2026-11-30T00:00:00Z",
            "2026-12-06T23:59:00Z",
            "2026-12-07T08:00:00Z",
            "2026-12-14T08:00:00Z",
            "2026-12-21T08:00:00Z",
        ]
        .iter()
        .map(|t| on(&r, t))
        .collect();
        assert_eq!(weeks[0], weeks[1]);
        assert_ne!(weeks[1], weeks[2]);
        assert_eq!(weeks[2].split(' ').next(), Some(&*next(&weeks[1])));
        assert_eq!(weeks[0].split(' ').next(), weeks[4].split(' ').next());
        assert!(weeks[2].ends_with("from 2026-12-07"));
    }

    fn next(w: &str) -> String {
        let id: i64 = w.split(' ').next().unwrap().parse().unwrap();
        (id % 3 + 1).to_string()
    }

    #[test]
    fn an_unavailable_member_hands_the_week_on() {
        let all = roster(&[true, true, true]);
        let t = "2026-12-07T08:00:00Z";
        let who: i64 = on(&all, t).split(' ').next().unwrap().parse().unwrap();
        let mut away = all.clone();
        away[(who - 1) as usize].available = false;
        let then: i64 = on(&away, t).split(' ').next().unwrap().parse().unwrap();
        assert_eq!(then, who % 3 + 1);
        assert_eq!(on(&roster(&[false, false]), t), "nobody");
        assert_eq!(on(&[], t), "nobody");
    }
}
