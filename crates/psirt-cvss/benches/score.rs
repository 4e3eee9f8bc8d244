//! Parsing and scoring one million pre-generated vectors, with baselines in
//! the same run: parsing alone, and RustSec's `cvss` crate on the same
//! input. Run with `cargo bench -p psirt-cvss`; each benchmark does one
//! million vectors per iteration, so a handful of samples is enough.

#[path = "../tests/support/random_vectors.rs"]
mod random_vectors;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use psirt_cvss::{Scores, Vector};
use random_vectors::{Optional, Rng};

const COUNT: usize = 1_000_000;

/// A third each of v3.0, v3.1 and v4.0; within each, a mix of base-only
/// vectors, vectors with some optional metrics and vectors with all.
fn mixed_vectors() -> Vec<String> {
    let mut rng = Rng::new(0xbe7c);
    (0..COUNT)
        .map(|i| {
            let optional = match i % 4 {
                0 => Optional::None,
                1 | 2 => Optional::Some,
                _ => Optional::AllDefined,
            };
            match i % 3 {
                0 => random_vectors::v3(&mut rng, "CVSS:3.0", optional, i % 2 == 0),
                1 => random_vectors::v3(&mut rng, "CVSS:3.1", optional, false),
                _ => random_vectors::v4(&mut rng, optional),
            }
        })
        .collect()
}

fn v3_1_base_vectors() -> Vec<String> {
    let mut rng = Rng::new(0xba5e);
    (0..COUNT)
        .map(|_| random_vectors::v3(&mut rng, "CVSS:3.1", Optional::None, false))
        .collect()
}

/// Sums the tenths so that the optimiser cannot drop the scoring.
fn ours_all_scores(vectors: &[String]) -> u64 {
    vectors
        .iter()
        .map(|v| match v.parse::<Vector>().expect("valid").scores() {
            Scores::V3 {
                base,
                temporal,
                environmental,
            } => u64::from(base.tenths() + temporal.tenths() + environmental.tenths()),
            Scores::V4 { score, .. } => u64::from(score.tenths()),
        })
        .sum()
}

fn benchmarks(c: &mut Criterion) {
    let mixed = mixed_vectors();
    let base = v3_1_base_vectors();

    let mut group = c.benchmark_group("1M mixed vectors");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Elements(COUNT as u64));
    group.bench_function("psirt-cvss parse only (baseline)", |b| {
        b.iter(|| {
            mixed
                .iter()
                .filter(|v| black_box(v.parse::<Vector>()).is_ok())
                .count()
        })
    });
    group.bench_function("psirt-cvss parse + all scores", |b| {
        b.iter(|| ours_all_scores(&mixed))
    });
    // RustSec scores only the base group of v3.x, so it does less work on
    // the v3 vectors than the line above.
    group.bench_function("RustSec cvss parse + score (v3 base, v4 all)", |b| {
        b.iter(|| {
            mixed
                .iter()
                .map(|v| {
                    let score = match v.parse::<cvss::Cvss>().expect("valid") {
                        cvss::Cvss::CvssV30(v) | cvss::Cvss::CvssV31(v) => v.base_score().value(),
                        cvss::Cvss::CvssV40(v) => v.score().value(),
                        _ => unreachable!("no v2 vectors are generated"),
                    };
                    (score * 10.0) as u64
                })
                .sum::<u64>()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("1M v3.1 base vectors");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(COUNT as u64));
    group.bench_function("psirt-cvss parse + base score", |b| {
        b.iter(|| {
            base.iter()
                .map(|v| u64::from(v.parse::<Vector>().expect("valid").base_score().tenths()))
                .sum::<u64>()
        })
    });
    group.bench_function("RustSec cvss parse + base score (baseline)", |b| {
        b.iter(|| {
            base.iter()
                .map(|v| {
                    let v: cvss::v3::Vector = v.parse().expect("valid");
                    (v.base_score().value() * 10.0) as u64
                })
                .sum::<u64>()
        })
    });
    group.finish();
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
