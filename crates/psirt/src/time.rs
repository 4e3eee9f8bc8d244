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
        assert_eq!(
            check("tomorrow"),
            "error: \"tomorrow\" is not an instant: use RFC 3339 (2026-12-01T16:00:00Z), a zone (2026-12-01T16:00[Europe/Berlin]) or an offset (+7d)"
        );
    }
}
