//! An iCalendar feed (RFC 5545) of one person's due times and embargo
//! ends. Like the team's mail it names each case by its reference and the
//! milestone, never by its summary: a calendar is synced to places an
//! embargoed detail must not reach.

use std::fmt::Write as _;

use jiff::{SignedDuration, Timestamp};
use psirt_core::{Case, MilestoneStatus};

/// The feed of `cases` at `now` (`DTSTAMP`): every pending milestone with
/// a due time, and every embargo end still ahead, as 30-minute events.
pub fn calendar(cases: &[Case], base: &str, now: Timestamp) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//psirt//due times//EN".to_string(),
        "CALSCALE:GREGORIAN".to_string(),
        "X-WR-CALNAME:psirt due times".to_string(),
    ];
    let host = base
        .split("://")
        .nth(1)
        .unwrap_or(base)
        .trim_end_matches('/');
    for case in cases {
        let reference = case.reference.to_string();
        let url = format!("{}/cases/{reference}", base.trim_end_matches('/'));
        for m in case.milestones() {
            let MilestoneStatus::Pending { due: Some(due) } = m.status else {
                continue;
            };
            let asap = if due.asap {
                " (as soon as possible)"
            } else {
                ""
            };
            event(
                &mut lines,
                &format!("{reference}-{}@{host}", m.milestone.as_str()),
                now,
                due.at,
                &format!("[{reference}] {} due{asap}", m.milestone.title()),
                &url,
            );
        }
        if let Some(end) = case.embargo_end().filter(|_| case.release().is_none()) {
            event(
                &mut lines,
                &format!("{reference}-embargo-end@{host}"),
                now,
                end,
                &format!("[{reference}] Embargo ends"),
                &url,
            );
        }
    }
    lines.push("END:VCALENDAR".to_string());
    let mut out = String::new();
    for line in lines {
        fold(&mut out, &line);
    }
    out
}

fn event(
    lines: &mut Vec<String>,
    uid: &str,
    now: Timestamp,
    at: Timestamp,
    summary: &str,
    url: &str,
) {
    lines.push("BEGIN:VEVENT".into());
    lines.push(format!("UID:{}", text(uid)));
    lines.push(format!("DTSTAMP:{}", stamp(now)));
    lines.push(format!("DTSTART:{}", stamp(at)));
    lines.push(format!(
        "DTEND:{}",
        stamp(at + SignedDuration::from_mins(30))
    ));
    lines.push(format!("SUMMARY:{}", text(summary)));
    lines.push(format!("URL:{url}"));
    lines.push("END:VEVENT".into());
}

fn stamp(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and
/// newline escaped; other control characters dropped.
fn text(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded at 75 octets (never inside a character), CRLF.
fn fold(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    let _ = write!(out, "\r\n");
}
