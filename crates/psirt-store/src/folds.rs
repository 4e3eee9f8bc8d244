//! Folded cases kept between reads, so that reading a case whose timeline
//! has not moved does not parse and fold every one of its events again.
//!
//! An entry is a case's events and their fold at one version. The version
//! is the case row's, which every append bumps in its own transaction
//! (events are never changed or removed), so a reader that finds the
//! version it just read from the database finds exactly the events that
//! version has: this holds across replicas, each with its own entries,
//! without telling each other anything. An entry at another version is
//! simply not used (and is replaced once the newer fold is made).
//!
//! This is a cache of derived data, never a source of truth: nothing is
//! decided from it that the events would not decide, and it is bounded in
//! entries so that it cannot grow with the number of cases.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use psirt_core::{Case, Event};

/// The most cases kept; reads of others fold from the events as before.
const CAPACITY: usize = 512;

/// A case's events and their fold at `case.version`.
#[derive(Debug)]
pub(crate) struct Folded {
    pub case: Case,
    pub events: Vec<Event>,
}

/// This process's folded cases by case id, shared by every clone of a
/// [`crate::Store`].
#[derive(Debug, Default)]
pub(crate) struct Folds {
    cases: Mutex<HashMap<i64, Arc<Folded>>>,
}

impl Folds {
    /// The fold of case `id` at `version`, if it is kept.
    pub fn get(&self, id: i64, version: u64) -> Option<Arc<Folded>> {
        let cases = self.cases.lock().unwrap_or_else(|p| p.into_inner());
        cases
            .get(&id)
            .filter(|f| f.case.version == version)
            .cloned()
    }

    /// Keeps `folded` as case `id`'s, unless a later version is kept
    /// already (a slower reader must not put an older fold back). When
    /// full, one other case makes room: which one does not matter for
    /// correctness, only for how often a fold is made again.
    pub fn put(&self, id: i64, folded: Arc<Folded>) {
        let mut cases = self.cases.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(kept) = cases.get(&id)
            && kept.case.version >= folded.case.version
        {
            return;
        }
        if cases.len() >= CAPACITY && !cases.contains_key(&id) {
            let other = cases.keys().next().copied();
            if let Some(other) = other {
                cases.remove(&other);
            }
        }
        cases.insert(id, folded);
    }
}
