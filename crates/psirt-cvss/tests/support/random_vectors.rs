//! A deterministic generator of random, valid CVSS vector strings for the
//! differential tests and the benchmark.
//!
//! It is seeded explicitly so that a failure reproduces, and it owns no
//! knowledge of scores: it only knows each version's metric names and
//! values, written out here independently of the crate's own tables so
//! that a typo there cannot hide behind the same typo here.

#![allow(dead_code)]

/// xorshift64*: tiny, fast and good enough to spread vectors over the
/// metric space; not for anything that needs real randomness.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<'a>(&mut self, values: &[&'a str]) -> &'a str {
        values[self.below(values.len())]
    }
}

pub const V3_BASE: &[(&str, &[&str])] = &[
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "R"]),
    ("S", &["U", "C"]),
    ("C", &["H", "L", "N"]),
    ("I", &["H", "L", "N"]),
    ("A", &["H", "L", "N"]),
];

pub const V3_OPTIONAL: &[(&str, &[&str])] = &[
    ("E", &["X", "H", "F", "P", "U"]),
    ("RL", &["X", "U", "W", "T", "O"]),
    ("RC", &["X", "C", "R", "U"]),
    ("CR", &["X", "H", "M", "L"]),
    ("IR", &["X", "H", "M", "L"]),
    ("AR", &["X", "H", "M", "L"]),
    ("MAV", &["X", "N", "A", "L", "P"]),
    ("MAC", &["X", "L", "H"]),
    ("MPR", &["X", "N", "L", "H"]),
    ("MUI", &["X", "N", "R"]),
    ("MS", &["X", "U", "C"]),
    ("MC", &["X", "H", "L", "N"]),
    ("MI", &["X", "H", "L", "N"]),
    ("MA", &["X", "H", "L", "N"]),
];

pub const V4_BASE: &[(&str, &[&str])] = &[
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("AT", &["N", "P"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "P", "A"]),
    ("VC", &["H", "L", "N"]),
    ("VI", &["H", "L", "N"]),
    ("VA", &["H", "L", "N"]),
    ("SC", &["H", "L", "N"]),
    ("SI", &["H", "L", "N"]),
    ("SA", &["H", "L", "N"]),
];

pub const V4_OPTIONAL: &[(&str, &[&str])] = &[
    ("E", &["X", "A", "P", "U"]),
    ("CR", &["X", "H", "M", "L"]),
    ("IR", &["X", "H", "M", "L"]),
    ("AR", &["X", "H", "M", "L"]),
    ("MAV", &["X", "N", "A", "L", "P"]),
    ("MAC", &["X", "L", "H"]),
    ("MAT", &["X", "N", "P"]),
    ("MPR", &["X", "N", "L", "H"]),
    ("MUI", &["X", "N", "P", "A"]),
    ("MVC", &["X", "H", "L", "N"]),
    ("MVI", &["X", "H", "L", "N"]),
    ("MVA", &["X", "H", "L", "N"]),
    ("MSC", &["X", "H", "L", "N"]),
    ("MSI", &["X", "S", "H", "L", "N"]),
    ("MSA", &["X", "S", "H", "L", "N"]),
    ("S", &["X", "N", "P"]),
    ("AU", &["X", "N", "Y"]),
    ("R", &["X", "A", "U", "I"]),
    ("V", &["X", "D", "C"]),
    ("RE", &["X", "L", "M", "H"]),
    ("U", &["X", "Clear", "Green", "Amber", "Red"]),
];

/// Which optional metrics a generated vector carries.
#[derive(Clone, Copy)]
pub enum Optional {
    /// None: a base vector.
    None,
    /// Each one with probability 1/2, with any of its values (X included).
    Some,
    /// Every one, never X, so that the modified and threat paths are taken.
    AllDefined,
}

fn push_metrics(
    rng: &mut Rng,
    out: &mut Vec<String>,
    metrics: &[(&str, &[&str])],
    optional: Optional,
) {
    for (name, values) in metrics {
        let value = match optional {
            Optional::None => continue,
            Optional::Some if rng.below(2) == 0 => continue,
            Optional::Some => rng.pick(values),
            Optional::AllDefined => rng.pick(&values[1..]),
        };
        out.push(format!("{name}:{value}"));
    }
}

/// A random CVSS v3.x vector with the given prefix (`CVSS:3.0` or
/// `CVSS:3.1`). With `shuffle`, the metrics come in random order, which
/// v3.x allows.
pub fn v3(rng: &mut Rng, prefix: &str, optional: Optional, shuffle: bool) -> String {
    let mut parts = Vec::new();
    for (name, values) in V3_BASE {
        parts.push(format!("{name}:{}", rng.pick(values)));
    }
    push_metrics(rng, &mut parts, V3_OPTIONAL, optional);
    if shuffle {
        for i in (1..parts.len()).rev() {
            let j = rng.below(i + 1);
            parts.swap(i, j);
        }
    }
    format!("{prefix}/{}", parts.join("/"))
}

/// A random CVSS v4.0 vector, metrics in specification order.
pub fn v4(rng: &mut Rng, optional: Optional) -> String {
    let mut parts = Vec::new();
    for (name, values) in V4_BASE {
        parts.push(format!("{name}:{}", rng.pick(values)));
    }
    push_metrics(rng, &mut parts, V4_OPTIONAL, optional);
    format!("CVSS:4.0/{}", parts.join("/"))
}

/// Every vector with exactly the given metrics, each taking every value in
/// its list, in the order of `metrics`.
pub fn every(prefix: &str, metrics: &[(&str, &[&str])]) -> Vec<String> {
    let mut vectors = vec![prefix.to_owned()];
    for (name, values) in metrics {
        vectors = vectors
            .iter()
            .flat_map(|head| {
                values
                    .iter()
                    .map(move |value| format!("{head}/{name}:{value}"))
            })
            .collect();
    }
    vectors
}
