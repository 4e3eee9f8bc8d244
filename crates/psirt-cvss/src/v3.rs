//! CVSS v3.0 and v3.1: the metric table and the base, temporal and
//! environmental equations of the specifications' section 7 (v3.1) and
//! section 8 (v3.0).
//!
//! The two minor versions share every weight and differ in two places only:
//! the Roundup function, and the modified impact equation for a changed
//! scope. Both differences are chosen by [`Minor`]. This module must never
//! parse text; it receives validated values.

use crate::Score;
use crate::metric::{MetricDef, Values, X, base, optional};

/// Table 15 of the v3.1 specification (Table 16 of v3.0), in its order.
/// Every modified metric lists `X` and then exactly the values of the base
/// metric it modifies, in the same order; [`modified`] relies on that.
pub(crate) static METRICS: [MetricDef; 22] = [
    base("AV", &["N", "A", "L", "P"]),
    base("AC", &["L", "H"]),
    base("PR", &["N", "L", "H"]),
    base("UI", &["N", "R"]),
    base("S", &["U", "C"]),
    base("C", &["H", "L", "N"]),
    base("I", &["H", "L", "N"]),
    base("A", &["H", "L", "N"]),
    optional("E", &[X, "H", "F", "P", "U"]),
    optional("RL", &[X, "U", "W", "T", "O"]),
    optional("RC", &[X, "C", "R", "U"]),
    optional("CR", &[X, "H", "M", "L"]),
    optional("IR", &[X, "H", "M", "L"]),
    optional("AR", &[X, "H", "M", "L"]),
    optional("MAV", &[X, "N", "A", "L", "P"]),
    optional("MAC", &[X, "L", "H"]),
    optional("MPR", &[X, "N", "L", "H"]),
    optional("MUI", &[X, "N", "R"]),
    optional("MS", &[X, "U", "C"]),
    optional("MC", &[X, "H", "L", "N"]),
    optional("MI", &[X, "H", "L", "N"]),
    optional("MA", &[X, "H", "L", "N"]),
];

const AV: usize = 0;
const AC: usize = 1;
const PR: usize = 2;
const UI: usize = 3;
const S: usize = 4;
const C: usize = 5;
const I: usize = 6;
const A: usize = 7;
const E: usize = 8;
const RL: usize = 9;
const RC: usize = 10;
const CR: usize = 11;
const IR: usize = 12;
const AR: usize = 13;
/// A modified metric sits `MODIFIED` slots after the base metric it modifies.
const MODIFIED: usize = 14;

// Weights from Table 16 (v3.1), aligned with the value lists above.
const AV_W: [f64; 4] = [0.85, 0.62, 0.55, 0.2];
const AC_W: [f64; 2] = [0.77, 0.44];
const PR_UNCHANGED_W: [f64; 3] = [0.85, 0.62, 0.27];
const PR_CHANGED_W: [f64; 3] = [0.85, 0.68, 0.5];
const UI_W: [f64; 2] = [0.85, 0.62];
const CIA_W: [f64; 3] = [0.56, 0.22, 0.0];
const E_W: [f64; 5] = [1.0, 1.0, 0.97, 0.94, 0.91];
const RL_W: [f64; 5] = [1.0, 1.0, 0.97, 0.96, 0.95];
const RC_W: [f64; 4] = [1.0, 1.0, 0.96, 0.92];
const REQUIREMENT_W: [f64; 4] = [1.0, 1.5, 1.0, 0.5];
/// Index of "C" (changed) among the scope values.
const CHANGED: usize = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Minor {
    V0,
    V1,
}

/// The three v3 scores of one vector.
pub(crate) struct V3Scores {
    pub(crate) base: Score,
    pub(crate) temporal: Score,
    pub(crate) environmental: Score,
}

/// The index into the base metric's values of a base metric that is always
/// present.
fn base_index(values: &Values, metric: usize) -> usize {
    usize::from(values[metric]) - 1
}

/// The index into the base metric's values of the modified metric, or of
/// the base metric when the modified one is absent or Not Defined.
fn modified(values: &Values, metric: usize) -> usize {
    match values[metric + MODIFIED] {
        0 | 1 => base_index(values, metric),
        given => usize::from(given) - 2,
    }
}

/// The weight of an optional metric whose value list starts with `X`, which
/// the weight tables give the same weight as an absent metric.
fn optional_weight(weights: &[f64], values: &Values, metric: usize) -> f64 {
    weights[usize::from(values[metric]).saturating_sub(1)]
}

pub(crate) fn scores(minor: Minor, v: &Values) -> V3Scores {
    let roundup = match minor {
        Minor::V0 => roundup_v3_0,
        Minor::V1 => roundup_v3_1,
    };

    let changed = base_index(v, S) == CHANGED;
    let iss = 1.0
        - ((1.0 - CIA_W[base_index(v, C)])
            * (1.0 - CIA_W[base_index(v, I)])
            * (1.0 - CIA_W[base_index(v, A)]));
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powf(15.0)
    } else {
        6.42 * iss
    };
    let pr_w = if changed {
        PR_CHANGED_W
    } else {
        PR_UNCHANGED_W
    };
    let exploitability = 8.22
        * AV_W[base_index(v, AV)]
        * AC_W[base_index(v, AC)]
        * pr_w[base_index(v, PR)]
        * UI_W[base_index(v, UI)];
    let base = if impact <= 0.0 {
        0
    } else if changed {
        roundup(f64::min(1.08 * (impact + exploitability), 10.0))
    } else {
        roundup(f64::min(impact + exploitability, 10.0))
    };

    let e = optional_weight(&E_W, v, E);
    let rl = optional_weight(&RL_W, v, RL);
    let rc = optional_weight(&RC_W, v, RC);
    let temporal = roundup(tenths_f64(base) * e * rl * rc);

    let m_changed = modified(v, S) == CHANGED;
    let miss = f64::min(
        1.0 - ((1.0 - CIA_W[modified(v, C)] * optional_weight(&REQUIREMENT_W, v, CR))
            * (1.0 - CIA_W[modified(v, I)] * optional_weight(&REQUIREMENT_W, v, IR))
            * (1.0 - CIA_W[modified(v, A)] * optional_weight(&REQUIREMENT_W, v, AR))),
        0.915,
    );
    let m_impact = match (m_changed, minor) {
        (false, _) => 6.42 * miss,
        (true, Minor::V0) => 7.52 * (miss - 0.029) - 3.25 * (miss - 0.02).powf(15.0),
        (true, Minor::V1) => 7.52 * (miss - 0.029) - 3.25 * (miss * 0.9731 - 0.02).powf(13.0),
    };
    let m_pr_w = if m_changed {
        PR_CHANGED_W
    } else {
        PR_UNCHANGED_W
    };
    let m_exploitability = 8.22
        * AV_W[modified(v, AV)]
        * AC_W[modified(v, AC)]
        * m_pr_w[modified(v, PR)]
        * UI_W[modified(v, UI)];
    let environmental = if m_impact <= 0.0 {
        0
    } else if m_changed {
        let modified_base = roundup(f64::min(1.08 * (m_impact + m_exploitability), 10.0));
        roundup(tenths_f64(modified_base) * e * rl * rc)
    } else {
        let modified_base = roundup(f64::min(m_impact + m_exploitability, 10.0));
        roundup(tenths_f64(modified_base) * e * rl * rc)
    };

    V3Scores {
        base: score(base),
        temporal: score(temporal),
        environmental: score(environmental),
    }
}

fn tenths_f64(tenths: u8) -> f64 {
    f64::from(tenths) / 10.0
}

fn score(tenths: u8) -> Score {
    // Every equation is capped at 10.0 before rounding up, and the temporal
    // multipliers are at most 1, so the result never exceeds 100 tenths.
    Score::new_tenths(tenths).unwrap_or(Score::MAX)
}

/// Roundup as defined in Appendix A of the v3.1 specification: the input is
/// first rounded to five decimal places as an integer, so that binary
/// floating-point noise such as `4.000000000000001` does not round up to
/// `4.1`. Returns tenths.
fn roundup_v3_1(input: f64) -> u8 {
    let int_input = (input * 100_000.0).round() as u32;
    let tenths = if int_input.is_multiple_of(10_000) {
        int_input / 10_000
    } else {
        int_input / 10_000 + 1
    };
    tenths as u8
}

/// Round up as the v3.0 specification defines it: "the smallest number,
/// specified to one decimal place, that is equal to or higher than its
/// input", of the input's exact decimal value. Returns tenths.
///
/// Binary floating point lands a few units in the last place off exact
/// tenths (5.0 × 0.92 gives 4.6000000000000005), which a bare ceiling, as in
/// FIRST's v3.0 calculator and RustSec's crate, turns into 4.7; the v3.1
/// specification's Appendix A names that a defect of implementations, not
/// of v3.0. So a value within 1e-9 of a tenth is that tenth. No exact value
/// of the v3.0 equations lies that close above a tenth without being it:
/// the differential test against Red Hat's decimal implementation covers
/// every base and temporal vector.
fn roundup_v3_0(input: f64) -> u8 {
    let scaled = input * 10.0;
    let nearest = scaled.round();
    if (scaled - nearest).abs() < 1e-9 {
        nearest as u8
    } else {
        scaled.ceil() as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundup_v3_1_absorbs_floating_point_noise() {
        // Appendix A's own examples.
        assert_eq!(roundup_v3_1(4.000_000_000_000_001), 40);
        assert_eq!(roundup_v3_1(4.02), 41);
        assert_eq!(roundup_v3_1(4.0), 40);
        assert_eq!(roundup_v3_1(0.0), 0);
        assert_eq!(roundup_v3_1(10.0), 100);
    }

    #[test]
    fn roundup_v3_0_is_the_ceiling_of_the_exact_value() {
        assert_eq!(roundup_v3_0(5.0 * 0.92), 46);
        assert_eq!(roundup_v3_0(4.000_001), 41);
        assert_eq!(roundup_v3_0(4.02), 41);
        assert_eq!(roundup_v3_0(4.0), 40);
        assert_eq!(roundup_v3_0(10.0), 100);
    }
}
