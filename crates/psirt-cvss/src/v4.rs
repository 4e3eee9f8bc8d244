//! CVSS v4.0: the metric table (Table 23 of the specification), the
//! nomenclature and the score.
//!
//! The score follows FIRST's reference calculator (`cvss_score.js` in
//! FIRSTdotorg/cvss-v4-calculator) step for step, floating-point operation
//! for operation: the macro vector, the lookup table, the severity distances
//! to the highest-severity vectors of the macro vector, the mean of the
//! proportional distances, and the final rounding with its epsilon. The
//! order of additions and the `0.1`-spaced levels are kept as the calculator
//! has them because they decide on which side of an `x.x5` tie a score
//! lands. This module must never parse text; it receives validated values.

use crate::Score;
use crate::metric::{MetricDef, Values, X, base, optional};
use crate::v4_lookup::LOOKUP;

/// Table 23 of the v4.0 specification, in its order, which vector strings
/// must follow.
pub(crate) static METRICS: [MetricDef; 32] = [
    base("AV", &["N", "A", "L", "P"]),
    base("AC", &["L", "H"]),
    base("AT", &["N", "P"]),
    base("PR", &["N", "L", "H"]),
    base("UI", &["N", "P", "A"]),
    base("VC", &["H", "L", "N"]),
    base("VI", &["H", "L", "N"]),
    base("VA", &["H", "L", "N"]),
    base("SC", &["H", "L", "N"]),
    base("SI", &["H", "L", "N"]),
    base("SA", &["H", "L", "N"]),
    optional("E", &[X, "A", "P", "U"]),
    optional("CR", &[X, "H", "M", "L"]),
    optional("IR", &[X, "H", "M", "L"]),
    optional("AR", &[X, "H", "M", "L"]),
    optional("MAV", &[X, "N", "A", "L", "P"]),
    optional("MAC", &[X, "L", "H"]),
    optional("MAT", &[X, "N", "P"]),
    optional("MPR", &[X, "N", "L", "H"]),
    optional("MUI", &[X, "N", "P", "A"]),
    optional("MVC", &[X, "H", "L", "N"]),
    optional("MVI", &[X, "H", "L", "N"]),
    optional("MVA", &[X, "H", "L", "N"]),
    optional("MSC", &[X, "H", "L", "N"]),
    optional("MSI", &[X, "S", "H", "L", "N"]),
    optional("MSA", &[X, "S", "H", "L", "N"]),
    optional("S", &[X, "N", "P"]),
    optional("AU", &[X, "N", "Y"]),
    optional("R", &[X, "A", "U", "I"]),
    optional("V", &[X, "D", "C"]),
    optional("RE", &[X, "L", "M", "H"]),
    optional("U", &[X, "Clear", "Green", "Amber", "Red"]),
];

/// Index of the first threat metric (E); every metric before it is a base
/// metric, and base metric `i` is modified by metric `i + MODIFIED`.
const E: usize = 11;
const CR: usize = 12;
const IR: usize = 13;
const AR: usize = 14;
const MODIFIED: usize = 15;
/// Index of the first supplemental metric (S); the environmental group runs
/// from CR up to it.
const SUPPLEMENTAL: usize = 26;

/// Which metric groups beyond Base a score takes into account, named as
/// section 1.3 of the specification requires scores to be labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Nomenclature {
    /// Base metrics only.
    CvssB,
    /// Base and Threat metrics.
    CvssBT,
    /// Base and Environmental metrics.
    CvssBE,
    /// Base, Threat and Environmental metrics.
    CvssBTE,
}

impl Nomenclature {
    pub const fn as_str(self) -> &'static str {
        match self {
            Nomenclature::CvssB => "CVSS-B",
            Nomenclature::CvssBT => "CVSS-BT",
            Nomenclature::CvssBE => "CVSS-BE",
            Nomenclature::CvssBTE => "CVSS-BTE",
        }
    }
}

impl std::fmt::Display for Nomenclature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A metric counts as used when it has a value other than Not Defined: an
/// explicit `E:X` carries no threat information, so it leaves a CVSS-B score
/// CVSS-B (RustSec's `cvss` crate counts it; FIRST's calculator never emits
/// it).
pub(crate) fn nomenclature(v: &Values) -> Nomenclature {
    let defined = |metric: usize| v[metric] > 1;
    let threat = defined(E);
    let environmental = (CR..SUPPLEMENTAL).any(defined);
    match (threat, environmental) {
        (false, false) => Nomenclature::CvssB,
        (true, false) => Nomenclature::CvssBT,
        (false, true) => Nomenclature::CvssBE,
        (true, true) => Nomenclature::CvssBTE,
    }
}

/// The letters of the metrics that the score reads, after the calculator's
/// defaults: a modified metric replaces its base metric unless Not Defined,
/// E defaults to A (Attacked) and CR, IR, AR default to H, the worst case.
struct Selected {
    av: u8,
    ac: u8,
    at: u8,
    pr: u8,
    ui: u8,
    vc: u8,
    vi: u8,
    va: u8,
    sc: u8,
    si: u8,
    sa: u8,
    e: u8,
    cr: u8,
    ir: u8,
    ar: u8,
}

/// The first letter of a metric's value, or `default` when absent or X.
/// Every value the score reads is a single letter.
fn letter(v: &Values, metric: usize, default: u8) -> u8 {
    match v[metric] {
        0 => default,
        given => {
            let value = METRICS[metric].values[usize::from(given) - 1];
            if value == X {
                default
            } else {
                value.as_bytes()[0]
            }
        }
    }
}

impl Selected {
    fn new(v: &Values) -> Selected {
        let effective = |metric: usize| letter(v, metric + MODIFIED, letter(v, metric, b'?'));
        Selected {
            av: effective(0),
            ac: effective(1),
            at: effective(2),
            pr: effective(3),
            ui: effective(4),
            vc: effective(5),
            vi: effective(6),
            va: effective(7),
            sc: effective(8),
            si: effective(9),
            sa: effective(10),
            e: letter(v, E, b'A'),
            cr: letter(v, CR, b'H'),
            ir: letter(v, IR, b'H'),
            ar: letter(v, AR, b'H'),
        }
    }

    /// The six equivalence-class levels, section 8.2 of the specification.
    fn macro_vector(&self) -> [u8; 6] {
        let eq1 = if self.av == b'N' && self.pr == b'N' && self.ui == b'N' {
            0
        } else if (self.av == b'N' || self.pr == b'N' || self.ui == b'N') && self.av != b'P' {
            1
        } else {
            2
        };
        let eq2 = if self.ac == b'L' && self.at == b'N' {
            0
        } else {
            1
        };
        let eq3 = if self.vc == b'H' && self.vi == b'H' {
            0
        } else if self.vc == b'H' || self.vi == b'H' || self.va == b'H' {
            1
        } else {
            2
        };
        let eq4 = if self.si == b'S' || self.sa == b'S' {
            0
        } else if self.sc == b'H' || self.si == b'H' || self.sa == b'H' {
            1
        } else {
            2
        };
        let eq5 = match self.e {
            b'A' => 0,
            b'P' => 1,
            _ => 2,
        };
        let eq6 = if (self.cr == b'H' && self.vc == b'H')
            || (self.ir == b'H' && self.vi == b'H')
            || (self.ar == b'H' && self.va == b'H')
        {
            0
        } else {
            1
        };
        [eq1, eq2, eq3, eq4, eq5, eq6]
    }
}

/// Number of levels of EQ1 to EQ6; the lookup table is dense over them
/// apart from the impossible EQ3=2/EQ6=0 combinations.
const DIMS: [u8; 6] = [3, 2, 3, 3, 3, 2];
const TABLE_LEN: usize = 324;

/// The lookup table as a dense array, built at compile time from the
/// transcribed entries.
const TABLE: [Option<f64>; TABLE_LEN] = {
    let mut table = [None; TABLE_LEN];
    let mut i = 0;
    while i < LOOKUP.len() {
        let (key, score) = LOOKUP[i];
        let key = key.as_bytes();
        let mut eqs = [0u8; 6];
        let mut d = 0;
        while d < 6 {
            eqs[d] = key[d] - b'0';
            d += 1;
        }
        match table_index(eqs) {
            Some(index) => table[index] = Some(score),
            None => panic!("lookup key out of range"),
        }
        i += 1;
    }
    table
};

const fn table_index(eqs: [u8; 6]) -> Option<usize> {
    let mut index = 0usize;
    let mut d = 0;
    while d < 6 {
        if eqs[d] >= DIMS[d] {
            return None;
        }
        index = index * DIMS[d] as usize + eqs[d] as usize;
        d += 1;
    }
    Some(index)
}

/// The score of a macro vector; `None` where the calculator's lookup gives
/// `undefined`, i.e. past the lowest level of an equivalence class.
fn lookup(eqs: [u8; 6]) -> Option<f64> {
    table_index(eqs).and_then(|index| TABLE[index])
}

// Severity levels of each metric value, spaced by 0.1 as the calculator has
// them; a higher level is less severe.
fn av_level(c: u8) -> f64 {
    match c {
        b'N' => 0.0,
        b'A' => 0.1,
        b'L' => 0.2,
        _ => 0.3,
    }
}
fn pr_level(c: u8) -> f64 {
    match c {
        b'N' => 0.0,
        b'L' => 0.1,
        _ => 0.2,
    }
}
fn ui_level(c: u8) -> f64 {
    match c {
        b'N' => 0.0,
        b'P' => 0.1,
        _ => 0.2,
    }
}
fn ac_level(c: u8) -> f64 {
    if c == b'L' { 0.0 } else { 0.1 }
}
fn at_level(c: u8) -> f64 {
    if c == b'N' { 0.0 } else { 0.1 }
}
fn vulnerable_level(c: u8) -> f64 {
    match c {
        b'H' => 0.0,
        b'L' => 0.1,
        _ => 0.2,
    }
}
fn subsequent_level(c: u8) -> f64 {
    match c {
        b'S' => 0.0,
        b'H' => 0.1,
        b'L' => 0.2,
        _ => 0.3,
    }
}
fn requirement_level(c: u8) -> f64 {
    match c {
        b'H' => 0.0,
        b'M' => 0.1,
        _ => 0.2,
    }
}

/// Highest-severity vectors of each level of EQ1 (AV, PR, UI).
const EQ1_MAXES: [&[[u8; 3]]; 3] = [
    &[*b"NNN"],
    &[*b"ANN", *b"NLN", *b"NNP"],
    &[*b"PNN", *b"ALP"],
];
/// Highest-severity vectors of each level of EQ2 (AC, AT).
const EQ2_MAXES: [&[[u8; 2]]; 2] = [&[*b"LN"], &[*b"HN", *b"LP"]];
/// Highest-severity vectors of each EQ3 and EQ6 level pair (VC, VI, VA, CR,
/// IR, AR); EQ3=2 with EQ6=0 cannot occur.
const EQ3_EQ6_MAXES: [[&[[u8; 6]]; 2]; 3] = [
    [&[*b"HHHHHH"], &[*b"HHLMMH", *b"HHHMMM"]],
    [
        &[*b"LHHHHH", *b"HLHHHH"],
        &[*b"LHLHMH", *b"LHHHMM", *b"HLHMHM", *b"HLLMHH", *b"LLHHHM"],
    ],
    [&[], &[*b"LLLHHH"]],
];
/// Highest-severity vectors of each level of EQ4 (SC, SI, SA).
const EQ4_MAXES: [[u8; 3]; 3] = [*b"HSS", *b"HHH", *b"LLL"];

/// The depth of each macro vector, in steps of 0.1 ("max severity" data).
const EQ1_DEPTH: [u8; 3] = [1, 4, 5];
const EQ2_DEPTH: [u8; 2] = [1, 2];
const EQ3_EQ6_DEPTH: [[u8; 2]; 3] = [[7, 6], [8, 8], [0, 10]];
const EQ4_DEPTH: [u8; 3] = [6, 5, 4];

/// Severity distances of the vector from one highest-severity vector, per
/// metric, in the calculator's order: AV PR UI AC AT VC VI VA SC SI SA CR IR
/// AR.
type Distances = [f64; 14];

fn distances(
    s: &Selected,
    eq1: &[u8; 3],
    eq2: &[u8; 2],
    eq36: &[u8; 6],
    eq4: &[u8; 3],
) -> Distances {
    [
        av_level(s.av) - av_level(eq1[0]),
        pr_level(s.pr) - pr_level(eq1[1]),
        ui_level(s.ui) - ui_level(eq1[2]),
        ac_level(s.ac) - ac_level(eq2[0]),
        at_level(s.at) - at_level(eq2[1]),
        vulnerable_level(s.vc) - vulnerable_level(eq36[0]),
        vulnerable_level(s.vi) - vulnerable_level(eq36[1]),
        vulnerable_level(s.va) - vulnerable_level(eq36[2]),
        // SC has no Safety value; its level of H is still 0.1.
        subsequent_level(s.sc) - subsequent_level(eq4[0]),
        subsequent_level(s.si) - subsequent_level(eq4[1]),
        subsequent_level(s.sa) - subsequent_level(eq4[2]),
        requirement_level(s.cr) - requirement_level(eq36[3]),
        requirement_level(s.ir) - requirement_level(eq36[4]),
        requirement_level(s.ar) - requirement_level(eq36[5]),
    ]
}

/// The distances from the first highest-severity vector (in the
/// calculator's nesting order) that the vector does not exceed anywhere.
/// Should none qualify, the calculator keeps the last one it tried, and so
/// does this.
fn nearest_max(s: &Selected, [eq1, eq2, eq3, eq4, _, eq6]: [u8; 6]) -> Distances {
    let mut last = [0.0; 14];
    for m1 in EQ1_MAXES[usize::from(eq1)] {
        for m2 in EQ2_MAXES[usize::from(eq2)] {
            for m36 in EQ3_EQ6_MAXES[usize::from(eq3)][usize::from(eq6)] {
                let m4 = &EQ4_MAXES[usize::from(eq4)];
                last = distances(s, m1, m2, m36, m4);
                if last.iter().all(|d| *d >= 0.0) {
                    return last;
                }
            }
        }
    }
    last
}

/// The score of the vector with whatever groups it carries.
pub(crate) fn score(v: &Values) -> Score {
    let s = Selected::new(v);
    let no_impact = [s.vc, s.vi, s.va, s.sc, s.si, s.sa]
        .iter()
        .all(|c| *c == b'N');
    if no_impact {
        return Score::ZERO;
    }

    let eqs = s.macro_vector();
    let [eq1, eq2, eq3, eq4, eq5, eq6] = eqs;
    let Some(mut value) = lookup(eqs) else {
        // Every macro vector that the equivalence classes can produce is in
        // the table; the table test below checks that.
        unreachable!("macro vector {eqs:?} is missing from the lookup table");
    };

    let lower_eq1 = lookup([eq1 + 1, eq2, eq3, eq4, eq5, eq6]);
    let lower_eq2 = lookup([eq1, eq2 + 1, eq3, eq4, eq5, eq6]);
    // EQ3 and EQ6 are lowered together: 00 can go to 01 or 10 (the higher
    // score wins), 01 and 10 go to 11, 11 goes to 21, 21 has no lower one.
    let lower_eq3_eq6 = match (eq3, eq6) {
        (0, 0) => {
            let left = lookup([eq1, eq2, eq3, eq4, eq5, eq6 + 1]);
            let right = lookup([eq1, eq2, eq3 + 1, eq4, eq5, eq6]);
            match (left, right) {
                (Some(l), Some(r)) if l > r => left,
                _ => right,
            }
        }
        (1, 0) => lookup([eq1, eq2, eq3, eq4, eq5, eq6 + 1]),
        (0, 1) | (1, 1) => lookup([eq1, eq2, eq3 + 1, eq4, eq5, eq6]),
        _ => lookup([eq1, eq2, eq3 + 1, eq4, eq5, eq6 + 1]),
    };
    let lower_eq4 = lookup([eq1, eq2, eq3, eq4 + 1, eq5, eq6]);
    let lower_eq5 = lookup([eq1, eq2, eq3, eq4, eq5 + 1, eq6]);

    let d = nearest_max(&s, eqs);
    let distance_eq1 = d[0] + d[1] + d[2];
    let distance_eq2 = d[3] + d[4];
    let distance_eq3_eq6 = d[5] + d[6] + d[7] + d[11] + d[12] + d[13];
    let distance_eq4 = d[8] + d[9] + d[10];

    let step = 0.1;
    let depth_eq1 = f64::from(EQ1_DEPTH[usize::from(eq1)]) * step;
    let depth_eq2 = f64::from(EQ2_DEPTH[usize::from(eq2)]) * step;
    let depth_eq3_eq6 = f64::from(EQ3_EQ6_DEPTH[usize::from(eq3)][usize::from(eq6)]) * step;
    let depth_eq4 = f64::from(EQ4_DEPTH[usize::from(eq4)]) * step;

    let mut existing_lower = 0u8;
    let mut proportional = |lower: Option<f64>, distance: f64, depth: f64| match lower {
        Some(lower) => {
            existing_lower += 1;
            (value - lower) * (distance / depth)
        }
        None => 0.0,
    };
    let n1 = proportional(lower_eq1, distance_eq1, depth_eq1);
    let n2 = proportional(lower_eq2, distance_eq2, depth_eq2);
    let n3 = proportional(lower_eq3_eq6, distance_eq3_eq6, depth_eq3_eq6);
    let n4 = proportional(lower_eq4, distance_eq4, depth_eq4);
    // EQ5 counts towards the mean, but its proportion is always zero.
    let n5 = proportional(lower_eq5, 0.0, 1.0);

    let mean = if existing_lower == 0 {
        0.0
    } else {
        (n1 + n2 + n3 + n4 + n5) / f64::from(existing_lower)
    };
    value = (value - mean).clamp(0.0, 10.0);
    Score::new_tenths(round_to_tenths(value)).unwrap_or(Score::MAX)
}

/// Round half up to one decimal after adding 1e-6, as the calculator does:
/// the interpolation can land one unit in the last place below an `x.x5` tie
/// (5.6499999999999995 for 5.65), which a bare rounding would send the
/// wrong way.
fn round_to_tenths(value: f64) -> u8 {
    const EPSILON: f64 = 1e-6;
    ((value + EPSILON) * 10.0).round() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_table_covers_every_reachable_macro_vector() {
        let mut present = 0;
        for index in 0..TABLE_LEN {
            let mut rest = index;
            let mut eqs = [0u8; 6];
            for d in (0..6).rev() {
                eqs[d] = (rest % usize::from(DIMS[d])) as u8;
                rest /= usize::from(DIMS[d]);
            }
            let impossible = eqs[2] == 2 && eqs[5] == 0;
            assert_eq!(lookup(eqs).is_some(), !impossible, "{eqs:?}");
            present += usize::from(!impossible);
        }
        assert_eq!(present, 270);
    }

    #[test]
    fn rounding_lifts_ties_that_fall_one_ulp_short() {
        assert_eq!(round_to_tenths(5.649_999_999_999_999_5), 57);
        assert_eq!(round_to_tenths(5.64), 56);
        assert_eq!(round_to_tenths(0.0), 0);
        assert_eq!(round_to_tenths(10.0), 100);
    }
}
