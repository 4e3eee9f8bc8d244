//! Instants as people type them on a command line.

use anyhow::bail;
use jiff::Timestamp;
use psirt_core::Duration;

/// Reads an RFC 3339 instant (`2026-12-01T16:00:00Z`, `…+01:00`), an
/// instant in a named zone (`2026-12-01T16:00[Europe/Berlin]`), or an
/// offset from `now` (`+7d`, `-2h`).
pub fn parse_instant(text: &str, now: Timestamp) -> anyhow::Result<Timestamp> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('+') {
        let d: Duration = rest.parse()?;
        return Ok(now.checked_add(d.to_signed())?);
    }
    if let Some(rest) = text.strip_prefix('-') {
        let d: Duration = rest.parse()?;
        return Ok(now.checked_sub(d.to_signed())?);
    }
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    if let Ok(z) = text.parse::<jiff::ZonedDateTime>() {
        return Ok(z.timestamp());
    }
    bail!(
        "{text:?} is not an instant: use RFC 3339 (2026-12-01T16:00:00Z), a zone (2026-12-01T16:00[Europe/Berlin]) or an offset (+7d)"
    )
}

/// How far ahead of the clock `--now` may be without `--import`: enough
/// for clocks a little apart, never enough to freeze a case (no command may
/// be recorded before a case's last event, so one recorded far in the
/// future would hold everyone else's back until then).
pub const MAX_SKEW: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);

/// The instant a command is recorded at: `--now` (or `PSIRT_NOW`) when
/// given, else the clock. Earlier instants are for imports of history;
/// later ones only within [`MAX_SKEW`], unless `import` (`--import`,
/// `PSIRT_IMPORT=1`) says this is an import on purpose.
pub fn command_instant(
    given: Option<&str>,
    import: bool,
    clock: Timestamp,
) -> anyhow::Result<Timestamp> {
    let Some(text) = given else {
        return Ok(clock);
    };
    let at = parse_instant(text, clock)?;
    let ahead = at.duration_since(clock);
    if ahead > MAX_SKEW && !import {
        bail!(
            "{at} is {} ahead of the clock ({clock}): a command recorded in the future would hold the case \
             until then. Give an instant no more than 5 minutes ahead, or --import (PSIRT_IMPORT=1) for an import",
            jiff::Span::try_from(ahead)
                .ok()
                .and_then(|s| s
                    .round(
                        jiff::SpanRound::new()
                            .largest(jiff::Unit::Day)
                            .smallest(jiff::Unit::Minute)
                    )
                    .ok())
                .map_or_else(|| format!("{ahead:?}"), |s| format!("{s:#}"))
        );
    }
    Ok(at)
}

/// The clock, to the second: the server's, so the command line and the
/// server stamp events alike.
pub use psirt_server::now;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants() {
        let now: Timestamp = "2026-11-25T12:00:00Z".parse().unwrap();
        let check = |s: &str| {
            parse_instant(s, now)
                .map(|t| t.to_string())
                .unwrap_or_else(|e| format!("error: {e}"))
        };
        assert_eq!(check("+7d"), "2026-12-02T12:00:00Z");
        assert_eq!(check("-2h"), "2026-11-25T10:00:00Z");
        assert_eq!(check("2026-12-01T16:00:00+01:00"), "2026-12-01T15:00:00Z");
        assert_eq!(
            check("2026-12-01T16:00[Europe/Berlin]"),
            "2026-12-01T15:00:00Z"
        );
        let at = |given: &str, import: bool| {
            command_instant(Some(given), import, now)
                .map(|t| t.to_string())
                .unwrap_or_else(|e| format!("error: {e}"))
        };
        assert_eq!(at("-30d", false), "2026-10-26T12:00:00Z");
        assert_eq!(at("+5m", false), "2026-11-25T12:05:00Z");
        assert!(at("+2030d", false).contains("ahead of the clock"));
        assert!(at("+6m", false).starts_with("error: "));
        assert_eq!(at("+1d", true), "2026-11-26T12:00:00Z");
        assert_eq!(command_instant(None, false, now).unwrap(), now);
        assert_eq!(
            check("tomorrow"),
            "error: \"tomorrow\" is not an instant: use RFC 3339 (2026-12-01T16:00:00Z), a zone (2026-12-01T16:00[Europe/Berlin]) or an offset (+7d)"
        );
    }
}
