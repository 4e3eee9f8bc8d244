//! Properties over many seeded random inputs: the parser never panics on
//! arbitrary bytes or on mutated vectors, and valid vectors round-trip to
//! their canonical string. The fuzz target in `fuzz/` explores the same
//! property without bounds; this test runs it on stable in every
//! `cargo test`.

#[path = "support/random_vectors.rs"]
mod random_vectors;

use psirt_cvss::Vector;
use random_vectors::{Optional, Rng};

/// Parses `input` and, when it is valid, exercises everything the vector
/// offers; the assertions are that nothing panics and that a valid vector's
/// canonical string parses back to the same vector.
fn exercise(input: &str) -> bool {
    let Ok(vector) = input.parse::<Vector>() else {
        return false;
    };
    let canonical = vector.to_string();
    assert_eq!(canonical.parse::<Vector>(), Ok(vector), "{input}");
    let score = vector.base_score();
    assert!(score.tenths() <= 100, "{input}: {score}");
    let _ = (vector.scores(), vector.severity());
    true
}

/// Bytes that vector strings are made of, so that random strings get past
/// the prefix now and then.
const ALPHABET: &[u8] = b"CVSS:3.014/AVNLPHRUXMIESTQcv \x00\xff\xc3";

#[test]
fn the_parser_never_panics_on_random_bytes() {
    let mut rng = Rng::new(0xb17e5);
    for _ in 0..200_000 {
        let len = rng.below(64);
        let bytes: Vec<u8> = (0..len)
            .map(|_| match rng.below(4) {
                0 => rng.next_u64() as u8,
                _ => ALPHABET[rng.below(ALPHABET.len())],
            })
            .collect();
        exercise(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn the_parser_never_panics_on_mutated_vectors() {
    let mut rng = Rng::new(0x5eed);
    let mut accepted = 0;
    for i in 0..100_000 {
        let mut vector = match i % 3 {
            0 => random_vectors::v3(&mut rng, "CVSS:3.0", Optional::Some, true),
            1 => random_vectors::v3(&mut rng, "CVSS:3.1", Optional::Some, false),
            _ => random_vectors::v4(&mut rng, Optional::Some),
        }
        .into_bytes();
        for _ in 0..=rng.below(3) {
            let at = rng.below(vector.len());
            match rng.below(3) {
                0 => vector[at] = ALPHABET[rng.below(ALPHABET.len())],
                1 => vector.insert(at, ALPHABET[rng.below(ALPHABET.len())]),
                _ => {
                    vector.remove(at);
                }
            }
        }
        accepted += usize::from(exercise(&String::from_utf8_lossy(&vector)));
    }
    // Some mutations keep the vector valid (a value swapped for another
    // allowed one); that they exist shows the mutations reach the scoring.
    assert!(accepted > 300, "only {accepted} mutated vectors were valid");
}

#[test]
fn valid_vectors_print_their_canonical_string() {
    let mut rng = Rng::new(0xca11);
    for i in 0..30_000 {
        let optional = if i % 2 == 0 {
            Optional::Some
        } else {
            Optional::AllDefined
        };
        // Generate once in specification order, then again from the same
        // seed shuffled: both must print as the ordered one.
        let seed = rng.next_u64();
        let (ordered, shuffled) = match i % 3 {
            0 => (
                random_vectors::v3(&mut Rng::new(seed), "CVSS:3.0", optional, false),
                random_vectors::v3(&mut Rng::new(seed), "CVSS:3.0", optional, true),
            ),
            1 => (
                random_vectors::v3(&mut Rng::new(seed), "CVSS:3.1", optional, false),
                random_vectors::v3(&mut Rng::new(seed), "CVSS:3.1", optional, true),
            ),
            _ => {
                let vector = random_vectors::v4(&mut Rng::new(seed), optional);
                (vector.clone(), vector)
            }
        };
        let parsed: Vector = shuffled
            .parse()
            .unwrap_or_else(|e| panic!("{shuffled}: {e}"));
        assert_eq!(parsed.to_string(), ordered);
    }
}
