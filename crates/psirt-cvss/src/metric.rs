//! The grammar shared by CVSS v3.x and v4.0 vector strings: a list of
//! `METRIC:VALUE` components checked against one version's metric table.
//!
//! This module owns the rules on components, known metrics, allowed values,
//! duplicates, ordering and required metrics, and the canonical printing. It
//! knows nothing about scores and must never assign meaning to a value.

use crate::{Error, Version};

/// The most metrics any supported version defines (CVSS v4.0 has 32).
pub(crate) const MAX_METRICS: usize = 32;

/// One metric of a version's vector grammar, in specification order.
pub(crate) struct MetricDef {
    pub(crate) name: &'static str,
    /// Allowed values in the order the specification's table lists them.
    pub(crate) values: &'static [&'static str],
    /// Base metrics must be present; every other metric defaults to Not
    /// Defined.
    pub(crate) required: bool,
}

/// Not Defined, listed first wherever a metric may be left out.
pub(crate) const X: &str = "X";

/// A metric every vector must carry (the base group).
pub(crate) const fn base(name: &'static str, values: &'static [&'static str]) -> MetricDef {
    MetricDef {
        name,
        values,
        required: true,
    }
}

/// A metric that defaults to Not Defined when left out.
pub(crate) const fn optional(name: &'static str, values: &'static [&'static str]) -> MetricDef {
    MetricDef {
        name,
        values,
        required: false,
    }
}

/// The parsed values of one vector: slot `i` holds the metric `defs[i]`,
/// `0` when absent and `k` for `defs[i].values[k - 1]`.
///
/// A byte array keeps [`crate::Vector`] `Copy` and a few dozen bytes large,
/// so callers may clone it freely.
pub(crate) type Values = [u8; MAX_METRICS];

/// Whether the version fixes the order of metrics in a vector string.
#[derive(Clone, Copy)]
pub(crate) enum Ordering {
    /// CVSS v3.x, section 6: "Metrics can be specified in any order in a
    /// vector string, though the order given in Table 15 is preferred."
    Any,
    /// CVSS v4.0, section 7: metrics must appear in the order of Table 23.
    Specification,
}

/// Parses the components after the `CVSS:x.y` prefix (`rest` is `None` when
/// the vector is the bare prefix).
pub(crate) fn parse(
    version: Version,
    defs: &'static [MetricDef],
    ordering: Ordering,
    rest: Option<&str>,
) -> Result<Values, Error> {
    let mut values = [0u8; MAX_METRICS];
    // The index of the last metric seen, for the ordering rule.
    let mut last: Option<usize> = None;
    for component in rest.into_iter().flat_map(|rest| rest.split('/')) {
        if component.is_empty() {
            return Err(Error::EmptyMetric);
        }
        let Some((name, value)) = component.split_once(':') else {
            return Err(Error::Malformed {
                component: component.to_owned(),
            });
        };
        let Some(index) = defs.iter().position(|def| def.name == name) else {
            return Err(Error::UnknownMetric {
                version,
                name: name.to_owned(),
            });
        };
        let def = &defs[index];
        let Some(value_index) = def.values.iter().position(|allowed| *allowed == value) else {
            return Err(Error::InvalidValue {
                metric: def.name,
                value: value.to_owned(),
                allowed: def.values,
            });
        };
        if values[index] != 0 {
            return Err(Error::Duplicate { metric: def.name });
        }
        if let (Ordering::Specification, Some(last)) = (ordering, last)
            && last > index
        {
            return Err(Error::OutOfOrder {
                version,
                metric: def.name,
                after: defs[last].name,
            });
        }
        last = Some(index);
        // Value tables have at most five entries, so the index fits a byte.
        values[index] = value_index as u8 + 1;
    }
    if let Some(def) = defs
        .iter()
        .zip(values)
        .find_map(|(def, value)| (def.required && value == 0).then_some(def))
    {
        return Err(Error::Missing { metric: def.name });
    }
    Ok(values)
}

/// Writes `/METRIC:VALUE` for every present metric, in specification order.
pub(crate) fn write(
    f: &mut std::fmt::Formatter<'_>,
    defs: &'static [MetricDef],
    values: &Values,
) -> std::fmt::Result {
    for (def, &value) in defs.iter().zip(values) {
        if value != 0 {
            write!(f, "/{}:{}", def.name, def.values[usize::from(value) - 1])?;
        }
    }
    Ok(())
}
