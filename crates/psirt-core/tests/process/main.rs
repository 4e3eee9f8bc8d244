//! The process engine's tests, read as the seed: one module per part of the
//! security release process, all driving cases through `decide` and the fold
//! with a fake clock (see `harness`).
//!
//! They are one test binary so that the harness is compiled once and shared.

mod access;
mod agenda;
mod case_text;
mod complete_policy;
mod cve_services;
mod distributors;
mod embargo;
mod fix_repository;
mod github;
mod harness;
mod low_severity;
mod mail;
mod org_events;
mod persistence;
mod policy;
mod public_disclosure;
mod rotation;
mod rules;
mod seed_private_path;
mod summary;
mod triage;
