//! A span of process time ("24h", "7d") as a policy states it.
//!
//! Process durations are exact: a "day" here is 24 hours, because due times
//! are instants measured from the disclosure time, not calendar dates.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A non-negative whole number of minutes, written as `90m`, `24h` or `7d`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    minutes: i64,
}

/// Why a duration could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a duration: write a whole number followed by m, h or d (for example 24h or 7d)"
)]
pub struct DurationError(String);

impl Duration {
    pub const ZERO: Duration = Duration { minutes: 0 };

    pub const fn minutes(minutes: i64) -> Duration {
        Duration { minutes }
    }

    pub const fn hours(hours: i64) -> Duration {
        Duration {
            minutes: hours * 60,
        }
    }

    pub const fn days(days: i64) -> Duration {
        Duration {
            minutes: days * 24 * 60,
        }
    }

    pub fn as_minutes(self) -> i64 {
        self.minutes
    }

    pub fn to_signed(self) -> jiff::SignedDuration {
        jiff::SignedDuration::from_mins(self.minutes)
    }
}

impl FromStr for Duration {
    type Err = DurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || DurationError(s.to_string());
        let s = s.trim();
        let unit = s.chars().last().ok_or_else(err)?;
        let number: i64 = s[..s.len() - unit.len_utf8()].parse().map_err(|_| err())?;
        if number < 0 {
            return Err(err());
        }
        let per = match unit {
            'm' => 1,
            'h' => 60,
            'd' => 24 * 60,
            _ => return Err(err()),
        };
        number
            .checked_mul(per)
            .map(Duration::minutes)
            .ok_or_else(err)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.minutes;
        if m != 0 && m % (24 * 60) == 0 {
            write!(f, "{}d", m / (24 * 60))
        } else if m != 0 && m % 60 == 0 {
            write!(f, "{}h", m / 60)
        } else {
            write!(f, "{m}m")
        }
    }
}

impl Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<&str, &str>) {
        let got = input
            .parse::<Duration>()
            .map(|d| d.to_string())
            .map_err(|e| e.to_string());
        assert_eq!(
            got.as_deref().map_err(|e| e.as_str()),
            expected,
            "input {input:?}"
        );
    }

    #[test]
    fn parses_and_prints_canonically() {
        check("24h", Ok("1d"));
        check("7d", Ok("7d"));
        check("90m", Ok("90m"));
        check("120m", Ok("2h"));
        check("0d", Ok("0m"));
        check(" 36h ", Ok("36h"));
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        let msg = "\"7\" is not a duration: write a whole number followed by m, h or d (for example 24h or 7d)";
        check("7", Err(msg));
        check(
            "-1d",
            Err(
                "\"-1d\" is not a duration: write a whole number followed by m, h or d (for example 24h or 7d)",
            ),
        );
        check(
            "",
            Err(
                "\"\" is not a duration: write a whole number followed by m, h or d (for example 24h or 7d)",
            ),
        );
        check(
            "3w",
            Err(
                "\"3w\" is not a duration: write a whole number followed by m, h or d (for example 24h or 7d)",
            ),
        );
        check(
            "1.5d",
            Err(
                "\"1.5d\" is not a duration: write a whole number followed by m, h or d (for example 24h or 7d)",
            ),
        );
    }
}
