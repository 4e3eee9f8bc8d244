//! The one error type of this crate: why a vector string was rejected.
//!
//! Every variant that concerns a metric names it first, so a person reading
//! `AV: value "Q" is not one of N, A, L, P` knows which part of the vector
//! to fix. This module only describes failures; it never decides them.

use crate::Version;

/// Why a CVSS vector string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("the vector is empty")]
    Empty,
    #[error("prefix \"{found}\" is not one of CVSS:3.0, CVSS:3.1, CVSS:4.0")]
    Prefix { found: String },
    #[error("empty metric between slashes (or a trailing slash)")]
    EmptyMetric,
    #[error("\"{component}\" is not of the form METRIC:VALUE")]
    Malformed { component: String },
    #[error("\"{name}\" is not a CVSS {} metric", version.as_str())]
    UnknownMetric { version: Version, name: String },
    #[error("{metric}: value \"{value}\" is not one of {}", allowed.join(", "))]
    InvalidValue {
        metric: &'static str,
        value: String,
        allowed: &'static [&'static str],
    },
    #[error("{metric}: the metric appears more than once")]
    Duplicate { metric: &'static str },
    #[error("{metric}: out of order, CVSS {} requires it before {after}", version.as_str())]
    OutOfOrder {
        version: Version,
        metric: &'static str,
        after: &'static str,
    },
    #[error("{metric}: the base metric is missing")]
    Missing { metric: &'static str },
}
