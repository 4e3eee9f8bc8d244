//! One-decimal CVSS scores and their qualitative severity ratings.
//!
//! A score is stored as whole tenths so that equality, ordering and printing
//! are exact; floating point lives only inside the scoring formulas and never
//! leaks out of them. This module must never compute a score from metrics.

use std::fmt;

/// A CVSS score from 0.0 to 10.0, held exactly as a number of tenths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Score(u8);

impl Score {
    pub const MAX: Score = Score(100);
    pub const ZERO: Score = Score(0);

    /// The score `tenths / 10`, or `None` above 10.0.
    pub const fn new_tenths(tenths: u8) -> Option<Score> {
        if tenths > 100 {
            return None;
        }
        Some(Score(tenths))
    }

    pub const fn tenths(self) -> u8 {
        self.0
    }

    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 10.0
    }

    /// The qualitative rating, with the bands that CVSS v3.0, v3.1 and v4.0
    /// share: 0.0 None, 0.1–3.9 Low, 4.0–6.9 Medium, 7.0–8.9 High, 9.0–10.0
    /// Critical.
    pub const fn severity(self) -> Severity {
        match self.0 {
            0 => Severity::None,
            1..=39 => Severity::Low,
            40..=69 => Severity::Medium,
            70..=89 => Severity::High,
            _ => Severity::Critical,
        }
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}

/// The qualitative severity rating of a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::None => "None",
            Severity::Low => "Low",
            Severity::Medium => "Medium",
            Severity::High => "High",
            Severity::Critical => "Critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
