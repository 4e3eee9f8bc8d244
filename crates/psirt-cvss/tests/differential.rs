//! Differential tests: this crate's scores against two independent,
//! maintained implementations, over seeded random vectors of every version
//! with all metric groups.
//!
//! - Red Hat's Python `cvss` package (pinned as `cvss==3.6`), through
//!   `tests/reference.py`, for v3.0/v3.1 base, temporal and environmental
//!   scores and the v4.0 score of every group combination.
//! - RustSec's `cvss` crate, for the v3.x base score and the v4.0 score.
//!
//! A missing reference fails the test with the command that installs it;
//! it is never skipped.

#[path = "support/random_vectors.rs"]
mod random_vectors;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use psirt_cvss::{Scores, Vector};
use random_vectors::{Optional, Rng};

/// Vectors per version and reference; the brief asks for at least 10,000.
const COUNT: usize = 12_000;

/// A mix of base-only vectors, vectors with a random half of the optional
/// metrics (any value, `X` included), and vectors with every optional
/// metric defined.
fn mixed(i: usize) -> Optional {
    match i % 4 {
        0 => Optional::None,
        1 | 2 => Optional::Some,
        _ => Optional::AllDefined,
    }
}

fn v3_vectors(seed: u64, prefix: &str) -> Vec<String> {
    let mut rng = Rng::new(seed);
    (0..COUNT)
        .map(|i| {
            let optional = mixed(i);
            // Every other vector is shuffled: v3.x allows any order.
            random_vectors::v3(&mut rng, prefix, optional, i % 2 == 1)
        })
        .collect()
}

fn v4_vectors(seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    (0..COUNT)
        .map(|i| {
            let optional = mixed(i);
            random_vectors::v4(&mut rng, optional)
        })
        .collect()
}

/// Scores `vectors` with the Python reference, one JSON object per vector.
fn red_hat(vectors: &[String]) -> Vec<serde_json::Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| {
            panic!("cannot run python3 ({error}); install Python 3 and `pip install 'cvss==3.6'`")
        });
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = vectors.join("\n") + "\n";
    // Write from another thread: the reference answers while it reads, and
    // a full pipe in both directions would otherwise deadlock.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    let results: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(&line.expect("reference output")).expect("JSON line"))
        .collect();
    writer
        .join()
        .expect("writer thread")
        .expect("write to reference");
    let output = child.wait_with_output().expect("reference exit");
    assert!(
        output.status.success(),
        "the Python reference failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        results.len(),
        vectors.len(),
        "one reference answer per vector"
    );
    results
}

fn ours(vector: &str) -> Scores {
    vector
        .parse::<Vector>()
        .unwrap_or_else(|error| panic!("{vector}: {error}"))
        .scores()
}

fn as_json(scores: Scores) -> serde_json::Value {
    match scores {
        Scores::V3 {
            base,
            temporal,
            environmental,
        } => serde_json::json!({
            "base": base.as_f64(),
            "temporal": temporal.as_f64(),
            "environmental": environmental.as_f64(),
        }),
        Scores::V4 { score, .. } => serde_json::json!({ "score": score.as_f64() }),
    }
}

/// Asserts that no vector scores differently, listing the first few that do.
fn assert_agree(what: &str, mismatches: Vec<String>, total: usize) {
    assert!(
        mismatches.is_empty(),
        "{what}: {} of {total} vectors differ, for example:\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn check_against_red_hat(what: &str, vectors: &[String]) {
    let theirs = red_hat(vectors);
    let mismatches = vectors
        .iter()
        .zip(theirs)
        .filter_map(|(vector, theirs)| {
            let ours = as_json(ours(vector));
            (ours != theirs).then(|| format!("{vector}\n  ours:   {ours}\n  theirs: {theirs}"))
        })
        .collect();
    assert_agree(what, mismatches, vectors.len());
}

#[test]
fn v3_0_agrees_with_red_hat_cvss() {
    check_against_red_hat("CVSS 3.0", &v3_vectors(0x3030, "CVSS:3.0"));
}

#[test]
fn v3_1_agrees_with_red_hat_cvss() {
    check_against_red_hat("CVSS 3.1", &v3_vectors(0x3031, "CVSS:3.1"));
}

#[test]
fn v4_0_agrees_with_red_hat_cvss() {
    check_against_red_hat("CVSS 4.0", &v4_vectors(0x4040));
}

/// RustSec's crate scores only the v3.x base group, so this compares base
/// scores, on vectors that still carry the other groups.
fn check_v3_base_against_rustsec(what: &str, vectors: &[String]) {
    let mismatches = vectors
        .iter()
        .filter_map(|vector| {
            let ours = vector.parse::<Vector>().expect("valid").base_score();
            let theirs: cvss::v3::Vector = vector.parse().expect("RustSec parses it");
            let theirs = theirs.base_score().value();
            (ours.as_f64() != theirs).then(|| format!("{vector}: ours {ours}, theirs {theirs}"))
        })
        .collect();
    assert_agree(what, mismatches, vectors.len());
}

#[test]
fn v3_0_base_agrees_with_rustsec_cvss() {
    check_v3_base_against_rustsec("CVSS 3.0", &v3_vectors(0x5030, "CVSS:3.0"));
}

#[test]
fn v3_1_base_agrees_with_rustsec_cvss() {
    check_v3_base_against_rustsec("CVSS 3.1", &v3_vectors(0x5031, "CVSS:3.1"));
}

#[test]
fn v4_0_agrees_with_rustsec_cvss() {
    check_v4_against_rustsec(&v4_vectors(0x5040));
}

fn check_v4_against_rustsec(vectors: &[String]) {
    let mismatches = vectors
        .iter()
        .filter_map(|vector| {
            let ours = vector.parse::<Vector>().expect("valid").base_score();
            let theirs: cvss::v4::Vector = vector.parse().expect("RustSec parses it");
            let theirs = theirs.score().value();
            (ours.as_f64() != theirs).then(|| format!("{vector}: ours {ours}, theirs {theirs}"))
        })
        .collect();
    assert_agree("CVSS 4.0", mismatches, vectors.len());
}

/// Every base vector combined with every temporal value (including X), so
/// the rounding of both equations is checked on the whole space.
fn every_v3_base_and_temporal(prefix: &str) -> Vec<String> {
    let metrics: Vec<_> = random_vectors::V3_BASE
        .iter()
        .chain(&random_vectors::V3_OPTIONAL[..3])
        .copied()
        .collect();
    random_vectors::every(prefix, &metrics)
}

#[test]
fn every_v3_0_base_and_temporal_vector_agrees_with_red_hat_cvss() {
    let vectors = every_v3_base_and_temporal("CVSS:3.0");
    assert_eq!(vectors.len(), 2592 * 100);
    check_against_red_hat("CVSS 3.0", &vectors);
}

#[test]
fn every_v3_1_base_and_temporal_vector_agrees_with_red_hat_cvss() {
    let vectors = every_v3_base_and_temporal("CVSS:3.1");
    check_against_red_hat("CVSS 3.1", &vectors);
}

#[test]
fn every_v4_0_base_vector_agrees_with_rustsec_cvss() {
    let vectors = random_vectors::every("CVSS:4.0", random_vectors::V4_BASE);
    assert_eq!(vectors.len(), 104_976);
    check_v4_against_rustsec(&vectors);
}
