//! Holidays read from an iCalendar file (RFC 5545): the dates of a
//! project's calendar (`psirt_core::Calendar::holidays`).
//!
//! A strict, small reader rather than a general iCalendar crate: a
//! holiday calendar is a list of all-day `VEVENT`s, and that is all this
//! reads. Each event's `DTSTART;VALUE=DATE` to its `DTEND;VALUE=DATE`
//! (exclusive; one day without it) becomes dates. Anything whose dates it
//! would have to guess is refused with its line: timed events, recurrence
//! rules (`RRULE`, `RDATE`, `EXDATE`), `DURATION`, a malformed date. The
//! crates that read all of iCalendar bring a second date library and a
//! parser combinator for what is here a hundred lines; and a reader that
//! skipped what it does not understand would drop holidays silently.

use std::collections::BTreeSet;

use jiff::civil::Date;

/// Why a calendar file was refused, with the (unfolded) line it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("iCalendar line {line}: {reason}")]
pub struct HolidayError {
    pub line: usize,
    pub reason: String,
}

/// The most days one file may give (ten years of every day).
const MAX_DAYS: usize = 3660;
/// The longest one event may be.
const MAX_EVENT_DAYS: i32 = 366;

/// The dates of every all-day event in `text`.
pub fn read(text: &str) -> Result<BTreeSet<Date>, HolidayError> {
    let lines = unfold(text);
    let err = |line: usize, reason: &str| HolidayError {
        line,
        reason: reason.to_string(),
    };
    let mut dates = BTreeSet::new();
    let mut in_calendar = false;
    let mut ended = false;
    // The event being read: its first line, DTSTART and DTEND.
    let mut event: Option<(usize, Option<Date>, Option<Date>)> = None;
    // Components nested in an event (VALARM) or beside it (VTIMEZONE).
    let mut other: Vec<String> = Vec::new();
    for (n, line) in &lines {
        let n = *n;
        let (name, params, value) = split(line).ok_or_else(|| err(n, "is not NAME:value"))?;
        if ended {
            return Err(err(n, "comes after END:VCALENDAR"));
        }
        match (name.as_str(), value) {
            ("BEGIN", "VCALENDAR") if !in_calendar => in_calendar = true,
            _ if !in_calendar => return Err(err(n, "the file must start with BEGIN:VCALENDAR")),
            ("BEGIN", "VEVENT") if other.is_empty() && event.is_none() => {
                event = Some((n, None, None));
            }
            ("BEGIN", component) => other.push(component.to_ascii_uppercase()),
            ("END", component)
                if other
                    .last()
                    .is_some_and(|c| c.eq_ignore_ascii_case(component)) =>
            {
                other.pop();
            }
            ("END", "VEVENT") if other.is_empty() => {
                let (start_line, start, end) = event
                    .take()
                    .ok_or_else(|| err(n, "END:VEVENT without BEGIN:VEVENT"))?;
                let start = start.ok_or_else(|| err(start_line, "the event has no DTSTART"))?;
                let end = end.unwrap_or_else(|| start.tomorrow().unwrap_or(start));
                let days = start.until(end).map(|s| s.get_days()).unwrap_or(0);
                if days <= 0 {
                    return Err(err(
                        start_line,
                        "the event's DTEND is not after its DTSTART",
                    ));
                }
                if days > MAX_EVENT_DAYS {
                    return Err(err(start_line, "the event is longer than a year"));
                }
                let mut d = start;
                while d < end {
                    dates.insert(d);
                    d = d
                        .tomorrow()
                        .map_err(|_| err(start_line, "the date is out of range"))?;
                }
                if dates.len() > MAX_DAYS {
                    return Err(err(start_line, "the calendar gives more than 3660 days"));
                }
            }
            ("END", "VCALENDAR") if other.is_empty() && event.is_none() => ended = true,
            ("END", _) => return Err(err(n, "ends a component that is not open")),
            _ if !other.is_empty() => {}
            ("DTSTART" | "DTEND", _) if event.is_some() => {
                let date = all_day(&params, value).map_err(|reason| err(n, &reason))?;
                let e = event.as_mut().expect("checked");
                match name.as_str() {
                    "DTSTART" => e.1 = Some(date),
                    _ => e.2 = Some(date),
                }
            }
            ("RRULE" | "RDATE" | "EXDATE", _) if event.is_some() => {
                return Err(err(
                    n,
                    "recurring events are not read: export each occurrence, or list the dates",
                ));
            }
            ("DURATION", _) if event.is_some() => {
                return Err(err(n, "DURATION is not read: give the event a DTEND"));
            }
            _ => {}
        }
    }
    if !ended {
        return Err(err(
            lines.last().map_or(1, |(n, _)| *n),
            "the file must end with END:VCALENDAR",
        ));
    }
    Ok(dates)
}

/// Content lines with their first physical line's number, continuation
/// lines (starting with a space or tab) joined on.
fn unfold(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        match raw.strip_prefix([' ', '\t']) {
            Some(rest) if !out.is_empty() => out.last_mut().expect("checked").1.push_str(rest),
            _ if raw.is_empty() => {}
            _ => out.push((i + 1, raw.to_string())),
        }
    }
    out
}

/// `NAME;PARAM=x;PARAM=y:value` as its upper-cased name, its parameters
/// and its value.
fn split(line: &str) -> Option<(String, Vec<String>, &str)> {
    let colon = line.find(':')?;
    let (head, value) = (&line[..colon], &line[colon + 1..]);
    let mut parts = head.split(';');
    let name = parts.next()?.trim().to_ascii_uppercase();
    if name.is_empty() {
        return None;
    }
    let params = parts.map(|p| p.trim().to_ascii_uppercase()).collect();
    Some((name, params, value.trim()))
}

/// A `VALUE=DATE` date (`20261225`).
fn all_day(params: &[String], value: &str) -> Result<Date, String> {
    if !params.iter().any(|p| p == "VALUE=DATE") || value.contains('T') {
        return Err(format!(
            "{value:?} is a date-time: only all-day events (VALUE=DATE) are read"
        ));
    }
    let digits = |r: std::ops::Range<usize>| value.get(r).and_then(|s| s.parse::<i16>().ok());
    let bad = || format!("{value:?} is not a date (YYYYMMDD)");
    if value.len() != 8 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let (y, m, d) = (
        digits(0..4).ok_or_else(bad)?,
        digits(4..6).ok_or_else(bad)?,
        digits(6..8).ok_or_else(bad)?,
    );
    Date::new(y, m as i8, d as i8).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: &str) {
        let got = match read(text) {
            Ok(dates) => dates
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" "),
            Err(e) => e.to_string(),
        };
        assert_eq!(got, expected);
    }

    const HEAD: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n";

    #[test]
    fn all_day_events_become_dates() {
        check(
            &format!(
                "{HEAD}BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n\
                 BEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Christmas\r\nDTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261227\r\n\
                 BEGIN:VALARM\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\nEND:VEVENT\r\n\
                 BEGIN:VEVENT\r\nUID:2\r\nSUMMARY:New Year\r\n  (observed)\r\nDTSTART;VALUE=DATE:20270101\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
            ),
            "2026-12-25 2026-12-26 2027-01-01",
        );
        // LF line ends and folded parameters read the same.
        check(
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=\n DATE:20260501\nEND:VEVENT\nEND:VCALENDAR\n",
            "2026-05-01",
        );
        check("BEGIN:VCALENDAR\nEND:VCALENDAR", "");
    }

    #[test]
    fn what_it_would_have_to_guess_is_refused_with_its_line() {
        let ev =
            |body: &str| format!("{HEAD}BEGIN:VEVENT\r\n{body}END:VEVENT\r\nEND:VCALENDAR\r\n");
        check(
            &ev("DTSTART:20261225T090000Z\r\n"),
            "iCalendar line 5: \"20261225T090000Z\" is a date-time: only all-day events (VALUE=DATE) are read",
        );
        check(
            &ev("DTSTART;VALUE=DATE:20261225\r\nRRULE:FREQ=YEARLY\r\n"),
            "iCalendar line 6: recurring events are not read: export each occurrence, or list the dates",
        );
        check(
            &ev("DTSTART;VALUE=DATE:20261225\r\nDURATION:P1D\r\n"),
            "iCalendar line 6: DURATION is not read: give the event a DTEND",
        );
        check(
            &ev("DTSTART;VALUE=DATE:20261332\r\n"),
            "iCalendar line 5: \"20261332\" is not a date (YYYYMMDD)",
        );
        check(
            &ev("DTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261225\r\n"),
            "iCalendar line 4: the event's DTEND is not after its DTSTART",
        );
        check(
            &ev("SUMMARY:x\r\n"),
            "iCalendar line 4: the event has no DTSTART",
        );
        check(
            "BEGIN:VEVENT\r\n",
            "iCalendar line 1: the file must start with BEGIN:VCALENDAR",
        );
        check(
            &format!("{HEAD}BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\n"),
            "iCalendar line 5: the file must end with END:VCALENDAR",
        );
        check(
            &format!("{HEAD}garbage\r\n"),
            "iCalendar line 4: is not NAME:value",
        );
    }
}

/// Where a policy document carries an iCalendar file's text: the key
/// `ics` of its `calendar` table. The edge (the command line reading a
/// policy file, the API reading a policy body) calls
/// [`expand_policy_calendar`] before the policy is deserialized, so the
/// policy itself only ever holds dates.
pub const ICS_KEY: &str = "ics";

/// Reads `calendar.ics` of a policy document, if it has one, and adds its
/// dates to `calendar.holidays`; the `ics` key is removed.
pub fn expand_policy_calendar(policy: &mut serde_json::Value) -> Result<(), HolidayError> {
    let Some(calendar) = policy
        .get_mut("calendar")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return Ok(());
    };
    let Some(ics) = calendar.remove(ICS_KEY) else {
        return Ok(());
    };
    let text = ics.as_str().ok_or(HolidayError {
        line: 0,
        reason: "calendar.ics must be the text of an iCalendar file".into(),
    })?;
    let dates = read(text)?;
    let holidays = calendar
        .entry("holidays")
        .or_insert_with(|| serde_json::Value::Array(Vec::new()));
    if let Some(list) = holidays.as_array_mut() {
        list.extend(
            dates
                .iter()
                .map(|d| serde_json::Value::String(d.to_string())),
        );
    }
    Ok(())
}

#[cfg(test)]
mod policy_tests {
    use super::*;

    #[test]
    fn a_policys_ics_becomes_its_holidays() {
        let mut policy = serde_json::json!({
            "calendar": {
                "holidays": ["2026-05-01"],
                "ics": "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261225\nEND:VEVENT\nEND:VCALENDAR\n",
            },
        });
        expand_policy_calendar(&mut policy).unwrap();
        assert_eq!(
            policy,
            serde_json::json!({"calendar": {"holidays": ["2026-05-01", "2026-12-25"]}})
        );
        let mut bad = serde_json::json!({"calendar": {"ics": "BEGIN:VEVENT\n"}});
        assert_eq!(
            expand_policy_calendar(&mut bad).unwrap_err().to_string(),
            "iCalendar line 1: the file must start with BEGIN:VCALENDAR"
        );
        let mut none = serde_json::json!({"release_within": "21d"});
        expand_policy_calendar(&mut none).unwrap();
        assert_eq!(none, serde_json::json!({"release_within": "21d"}));
    }
}
