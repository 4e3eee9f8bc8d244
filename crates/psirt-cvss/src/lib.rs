//! CVSS v3.0, v3.1 and v4.0 vectors: parsing, validation, canonical
//! printing and scoring, as the FIRST specifications define them.
//!
//! This crate owns the single answer psirt gives to "what is this vector's
//! score and severity": callers parse a [`Vector`] once and ask it. It is
//! pure computation and must never do I/O, read the clock or hold state
//! between calls.
//!
//! Vector strings follow each specification's grammar: the prefix
//! `CVSS:3.0`, `CVSS:3.1` or `CVSS:4.0`, then `/METRIC:VALUE` components with
//! names and values spelled exactly as the specification's tables do (case
//! matters), no metric twice, and every base metric present. CVSS v3.x
//! allows the metrics in any order (v3.1 section 6); CVSS v4.0 requires the
//! order of its Table 23 (section 7). [`Vector`]'s `Display` prints the
//! canonical string: the metrics in specification order, each as given,
//! including explicit Not Defined (`X`) values.

mod error;
mod metric;
mod score;
mod v3;
mod v4;
mod v4_lookup;

use std::fmt;
use std::str::FromStr;

pub use error::Error;
pub use score::{Score, Severity};
pub use v4::Nomenclature;

use metric::{Ordering, Values};

/// A CVSS specification version that this crate parses and scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    V3_0,
    V3_1,
    V4_0,
}

impl Version {
    pub const fn as_str(self) -> &'static str {
        match self {
            Version::V3_0 => "3.0",
            Version::V3_1 => "3.1",
            Version::V4_0 => "4.0",
        }
    }

    const fn prefix(self) -> &'static str {
        match self {
            Version::V3_0 => "CVSS:3.0",
            Version::V3_1 => "CVSS:3.1",
            Version::V4_0 => "CVSS:4.0",
        }
    }

    fn metrics(self) -> &'static [metric::MetricDef] {
        match self {
            Version::V3_0 | Version::V3_1 => &v3::METRICS,
            Version::V4_0 => &v4::METRICS,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A valid CVSS vector of one of the supported versions.
///
/// It is a small `Copy` value, so cloning it costs nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Vector {
    version: Version,
    values: Values,
}

/// Every score of a vector, shaped by its version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scores {
    /// CVSS v3.x scores; metrics the vector leaves out count as Not Defined.
    V3 {
        base: Score,
        temporal: Score,
        environmental: Score,
    },
    /// The CVSS v4.0 score of the metric groups the vector carries, and the
    /// name of that combination.
    V4 {
        score: Score,
        nomenclature: Nomenclature,
    },
}

impl Vector {
    pub fn version(&self) -> Version {
        self.version
    }

    /// All scores of this vector.
    pub fn scores(&self) -> Scores {
        match self.version {
            Version::V3_0 => self.v3_scores(v3::Minor::V0),
            Version::V3_1 => self.v3_scores(v3::Minor::V1),
            Version::V4_0 => Scores::V4 {
                score: v4::score(&self.values),
                nomenclature: v4::nomenclature(&self.values),
            },
        }
    }

    fn v3_scores(&self, minor: v3::Minor) -> Scores {
        let scores = v3::scores(minor, &self.values);
        Scores::V3 {
            base: scores.base,
            temporal: scores.temporal,
            environmental: scores.environmental,
        }
    }

    /// For CVSS v3.x the base score; for CVSS v4.0 the score of the vector
    /// as given, whichever metric groups it carries, since v4.0 has no
    /// separate base score once threat or environmental metrics are set.
    pub fn base_score(&self) -> Score {
        match self.scores() {
            Scores::V3 { base, .. } => base,
            Scores::V4 { score, .. } => score,
        }
    }

    /// The severity rating of [`Vector::base_score`].
    pub fn severity(&self) -> Severity {
        self.base_score().severity()
    }

    /// The CVSS v3.x temporal score; `None` for CVSS v4.0.
    pub fn temporal_score(&self) -> Option<Score> {
        match self.scores() {
            Scores::V3 { temporal, .. } => Some(temporal),
            Scores::V4 { .. } => None,
        }
    }

    /// The CVSS v3.x environmental score; `None` for CVSS v4.0.
    pub fn environmental_score(&self) -> Option<Score> {
        match self.scores() {
            Scores::V3 { environmental, .. } => Some(environmental),
            Scores::V4 { .. } => None,
        }
    }

    /// Which metric groups a CVSS v4.0 score covers; `None` for CVSS v3.x.
    pub fn nomenclature(&self) -> Option<Nomenclature> {
        match self.version {
            Version::V4_0 => Some(v4::nomenclature(&self.values)),
            Version::V3_0 | Version::V3_1 => None,
        }
    }
}

impl FromStr for Vector {
    type Err = Error;

    fn from_str(s: &str) -> Result<Vector, Error> {
        if s.is_empty() {
            return Err(Error::Empty);
        }
        let (prefix, rest) = match s.split_once('/') {
            Some((prefix, rest)) => (prefix, Some(rest)),
            None => (s, None),
        };
        let (version, ordering) = match prefix {
            "CVSS:3.0" => (Version::V3_0, Ordering::Any),
            "CVSS:3.1" => (Version::V3_1, Ordering::Any),
            "CVSS:4.0" => (Version::V4_0, Ordering::Specification),
            _ => {
                return Err(Error::Prefix {
                    found: prefix.to_owned(),
                });
            }
        };
        let values = metric::parse(version, version.metrics(), ordering, rest)?;
        Ok(Vector { version, values })
    }
}

impl fmt::Display for Vector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.version.prefix())?;
        metric::write(f, self.version.metrics(), &self.values)
    }
}

impl serde::Serialize for Vector {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Vector {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vector, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
