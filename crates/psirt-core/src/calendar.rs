//! A project's working calendar: which days are business days, and the
//! instants an announcement may be suggested for.
//!
//! The calendar is data on the policy (weekend days and holiday dates);
//! reading an iCalendar file into dates is the edge's work
//! (`psirt_formats::holidays`). Days are UTC days: a due time is an
//! instant, and the calendar says which UTC dates do not count. This
//! module never reads the clock: every answer is a function of its
//! arguments.

use std::collections::BTreeSet;

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::duration::Duration;

/// A day of the week, as a policy names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    fn of(date: Date) -> Weekday {
        match date.weekday() {
            jiff::civil::Weekday::Monday => Weekday::Monday,
            jiff::civil::Weekday::Tuesday => Weekday::Tuesday,
            jiff::civil::Weekday::Wednesday => Weekday::Wednesday,
            jiff::civil::Weekday::Thursday => Weekday::Thursday,
            jiff::civil::Weekday::Friday => Weekday::Friday,
            jiff::civil::Weekday::Saturday => Weekday::Saturday,
            jiff::civil::Weekday::Sunday => Weekday::Sunday,
        }
    }
}

/// Weekends and holidays: the days that are not business days.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Calendar {
    /// The days of every week that are not business days (default:
    /// Saturday and Sunday).
    pub weekend: BTreeSet<Weekday>,
    /// Dates (UTC) that are not business days.
    pub holidays: BTreeSet<Date>,
}

impl Default for Calendar {
    fn default() -> Calendar {
        Calendar {
            weekend: [Weekday::Saturday, Weekday::Sunday].into(),
            holidays: BTreeSet::new(),
        }
    }
}

/// How many days ahead the calendar looks before it gives up: a calendar
/// whose every day is a holiday must not loop for ever.
const HORIZON_DAYS: i32 = 3 * 366;

impl Calendar {
    pub fn is_business_day(&self, date: Date) -> bool {
        !self.weekend.contains(&Weekday::of(date)) && !self.holidays.contains(&date)
    }

    /// `t` moved on by `span` counted in business days: its whole days
    /// are business days (Friday 15:00 plus one is Monday 15:00), the
    /// rest is added as it is. An instant on a day off counts from the
    /// start of the next business day, so a report on Saturday with one
    /// business day to answer is due at the end of Monday.
    pub fn add_business(&self, t: Timestamp, span: Duration) -> Timestamp {
        let minutes = span.as_minutes();
        let (days, rest) = (minutes / (24 * 60), minutes % (24 * 60));
        let start = t.to_zoned_datetime(TimeZone::UTC);
        let mut date = start.date();
        let mut time = start.time();
        if !self.is_business_day(date) {
            date = self.next_business_day(date);
            time = Time::midnight();
        }
        for _ in 0..days {
            date = self.next_business_day(date);
        }
        let at = date
            .to_datetime(time)
            .to_zoned_datetime(TimeZone::UTC)
            .map(|z| z.timestamp())
            .unwrap_or(Timestamp::MAX);
        at.saturating_add(Duration::minutes(rest).to_signed())
            .unwrap_or(Timestamp::MAX)
    }

    /// The first business day after `date`; `date` itself plus the
    /// horizon when the calendar has none.
    fn next_business_day(&self, date: Date) -> Date {
        let mut d = date;
        for _ in 0..HORIZON_DAYS {
            d = d.tomorrow().unwrap_or(Date::MAX);
            if self.is_business_day(d) {
                return d;
            }
        }
        d
    }

    /// The holidays (not weekends) from `from` to `until`, both days
    /// included: what a slow-down "in the face of holidays" extends by.
    pub fn holidays_between(&self, from: Timestamp, until: Timestamp) -> Vec<Date> {
        let (a, b) = (utc_date(from), utc_date(until));
        self.holidays.range(a..=b).copied().collect()
    }
}

fn utc_date(t: Timestamp) -> Date {
    t.to_zoned_datetime(TimeZone::UTC).date()
}

/// When a project prefers to announce: a time of day (UTC) on some
/// weekdays (Kubernetes: 16:00 UTC, any weekday but Friday).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementSlot {
    /// The time of day, UTC ("16:00").
    #[serde(with = "hour_minute")]
    pub time: Time,
    /// The days an announcement may be made on.
    pub weekdays: BTreeSet<Weekday>,
}

impl AnnouncementSlot {
    /// Kubernetes': 16:00 UTC, Monday to Thursday.
    pub fn kubernetes() -> AnnouncementSlot {
        AnnouncementSlot {
            time: Time::constant(16, 0, 0, 0),
            weekdays: [
                Weekday::Monday,
                Weekday::Tuesday,
                Weekday::Wednesday,
                Weekday::Thursday,
            ]
            .into(),
        }
    }
}

/// The suggested instant to make a release public: the first slot of the
/// policy's announcement time at or after `earliest`, on one of its
/// weekdays and a business day of its calendar (a Friday suggestion
/// moves to Monday; a holiday to the next allowed day). `None` when the
/// policy names no announcement time, or no such day comes within three
/// years.
pub fn suggested_release_instant(
    policy: &crate::policy::Policy,
    earliest: Timestamp,
) -> Option<Timestamp> {
    let slot = policy.announce_at.as_ref()?;
    let mut date = utc_date(earliest);
    for _ in 0..HORIZON_DAYS {
        let at = date
            .to_datetime(slot.time)
            .to_zoned_datetime(TimeZone::UTC)
            .ok()?
            .timestamp();
        if at >= earliest
            && slot.weekdays.contains(&Weekday::of(date))
            && policy.calendar.is_business_day(date)
        {
            return Some(at);
        }
        date = date.tomorrow().ok()?;
    }
    None
}

/// An embargo end (the agreed disclosure instant) off the policy's
/// announcement time needs a reason; any instant does without one.
pub(crate) fn check_slot(
    policy: &crate::policy::Policy,
    end: Timestamp,
    has_reason: bool,
) -> Result<(), crate::Rule> {
    if policy.announce_at.is_none() || has_reason {
        return Ok(());
    }
    let suggested = suggested_release_instant(policy, end);
    if suggested == Some(end) {
        return Ok(());
    }
    Err(crate::Rule::Policy(
        crate::policy_rule::PolicyRule::OffAnnouncementSlot { suggested },
    ))
}

impl crate::case::Case {
    /// The instant psirt suggests for making the release public, where
    /// the policy has an announcement time: the first slot at or after
    /// the release's due time, and no sooner than the shortest embargo
    /// from `now` (a notice must leave distributors that long).
    pub fn suggested_announcement(&self, now: Timestamp) -> Option<Timestamp> {
        self.policy.announce_at.as_ref()?;
        if self.release().is_some() {
            return None;
        }
        let due = self
            .milestone(crate::dues::Milestone::Released)
            .due()
            .map(|d| d.at);
        let window = now
            .saturating_add(self.policy.min_embargo.to_signed())
            .unwrap_or(Timestamp::MAX);
        let earliest = due.map_or(window, |d| d.max(window));
        suggested_release_instant(&self.policy, earliest)
    }
}

/// The slow-down "in the face of holidays": one day per holiday of the
/// case's calendar from now until the release is due.
pub(crate) fn decide_holiday_slow_down(
    case: &crate::case::Case,
    reason: &str,
    discussion: &str,
    now: Timestamp,
) -> Result<Vec<crate::Change>, crate::Refusal> {
    let reason = crate::engine::text("reason", reason, 100_000)?;
    let discussion = crate::engine::link("discussion", discussion, true)?;
    let due = case
        .milestone(crate::dues::Milestone::Released)
        .due()
        .map_or(now, |d| d.at);
    let holidays = case.policy.calendar.holidays_between(now, due);
    if holidays.is_empty() {
        return Err(crate::Rule::Policy(crate::policy_rule::PolicyRule::NoHolidaysAhead).into());
    }
    Ok(vec![crate::Change::SlowedDownForHolidays {
        reason,
        discussion,
        extension: Duration::days(holidays.len() as i64),
        holidays,
    }])
}

/// `HH:MM`, the way a policy writes a time of day.
mod hour_minute {
    use jiff::civil::Time;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Time, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&t.strftime("%H:%M"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Time, D::Error> {
        let s = String::deserialize(d)?;
        let err = || serde::de::Error::custom(format!("{s:?} is not a time of day: write HH:MM"));
        let (h, m) = s.split_once(':').ok_or_else(err)?;
        let (h, m): (i8, i8) = (h.parse().map_err(|_| err())?, m.parse().map_err(|_| err())?);
        if (0..24).contains(&h) && (0..60).contains(&m) {
            Time::new(h, m, 0, 0).map_err(|_| err())
        } else {
            Err(err())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn check(cal: &Calendar, from: &str, span: Duration, expected: &str) {
        assert_eq!(
            cal.add_business(at(from), span).to_string(),
            expected,
            "{from} + {span}"
        );
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        let mut cal = Calendar::default();
        // 2026-12-04 is a Friday.
        check(
            &cal,
            "2026-12-04T15:00:00Z",
            Duration::days(1),
            "2026-12-07T15:00:00Z",
        );
        check(
            &cal,
            "2026-12-05T10:00:00Z",
            Duration::days(1),
            "2026-12-08T00:00:00Z",
        );
        check(
            &cal,
            "2026-12-03T09:00:00Z",
            Duration::hours(36),
            "2026-12-04T21:00:00Z",
        );
        check(
            &cal,
            "2026-12-03T09:00:00Z",
            Duration::days(0),
            "2026-12-03T09:00:00Z",
        );
        cal.holidays.insert("2026-12-25".parse().unwrap());
        // Thursday 24 December: Friday is a holiday, so Monday.
        check(
            &cal,
            "2026-12-24T12:00:00Z",
            Duration::days(1),
            "2026-12-28T12:00:00Z",
        );
        assert_eq!(
            cal.holidays_between(at("2026-12-01T00:00:00Z"), at("2026-12-31T00:00:00Z")),
            vec!["2026-12-25".parse::<Date>().unwrap()]
        );
    }

    #[test]
    fn a_calendar_without_business_days_ends() {
        let cal = Calendar {
            weekend: [
                Weekday::Monday,
                Weekday::Tuesday,
                Weekday::Wednesday,
                Weekday::Thursday,
                Weekday::Friday,
                Weekday::Saturday,
                Weekday::Sunday,
            ]
            .into(),
            holidays: BTreeSet::new(),
        };
        assert!(
            cal.add_business(at("2026-12-04T15:00:00Z"), Duration::days(1))
                > at("2029-01-01T00:00:00Z")
        );
    }

    #[test]
    fn the_suggestion_is_16_utc_and_never_a_friday() {
        let policy = crate::policy::Policy {
            announce_at: Some(AnnouncementSlot::kubernetes()),
            ..Default::default()
        };
        let suggest = |s: &str| {
            suggested_release_instant(&policy, at(s))
                .unwrap()
                .to_string()
        };
        // Tuesday morning: that afternoon.
        assert_eq!(suggest("2026-12-01T09:00:00Z"), "2026-12-01T16:00:00Z");
        // Tuesday evening: Wednesday.
        assert_eq!(suggest("2026-12-01T17:00:00Z"), "2026-12-02T16:00:00Z");
        // Thursday evening and Friday: Monday.
        assert_eq!(suggest("2026-12-03T16:30:00Z"), "2026-12-07T16:00:00Z");
        assert_eq!(suggest("2026-12-04T09:00:00Z"), "2026-12-07T16:00:00Z");
        // Exactly on the slot: itself.
        assert_eq!(suggest("2026-12-07T16:00:00Z"), "2026-12-07T16:00:00Z");
        assert_eq!(
            suggested_release_instant(
                &crate::policy::Policy::default(),
                at("2026-12-04T09:00:00Z")
            ),
            None
        );
    }

    #[test]
    fn times_of_day_are_read_strictly() {
        #[derive(Deserialize)]
        struct T {
            #[serde(with = "hour_minute")]
            t: Time,
        }
        let read = |s: &str| {
            serde_json::from_str::<T>(&format!("{{\"t\":\"{s}\"}}"))
                .map(|t| t.t.to_string())
                .map_err(|e| e.to_string())
        };
        assert_eq!(read("16:00").unwrap(), "16:00:00");
        assert!(read("24:00").unwrap_err().contains("not a time of day"));
        assert!(read("16h").unwrap_err().contains("not a time of day"));
    }
}
