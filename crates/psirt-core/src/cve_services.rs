//! The CVE id and record that psirt obtains from CVE Services for a case:
//! the Fix Lead asks psirt to reserve an id ("request a CVE"), psirt's job
//! records the id it reserved, and after the release the record's state
//! once the case's CNA container is published.
//!
//! This module never speaks to CVE Services (`psirt-cve` does); it decides
//! what may be asked and what a result means, so that a retried job never
//! records an id or a state twice.

use std::fmt;

use crate::case::Case;
use crate::command::Command;
use crate::engine::{Refusal, Rule, verbatim};
use crate::event::Change;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CveServicesRule {
    /// The case already has a CVE id (or a waiver), or one is being reserved.
    AlreadyHasCve,
    NoReservationRequested,
    StateUnchanged,
    NotTheCasesCve,
}

impl fmt::Display for CveServicesRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CveServicesRule::AlreadyHasCve => write!(
                f,
                "the case already has a CVE id, a waiver, or a reservation under way"
            ),
            CveServicesRule::NoReservationRequested => {
                write!(f, "no CVE id reservation was requested for this case")
            }
            CveServicesRule::StateUnchanged => {
                write!(f, "the CVE record's state is already recorded")
            }
            CveServicesRule::NotTheCasesCve => write!(f, "that CVE id is not the case's"),
        }
    }
}

impl From<CveServicesRule> for Refusal {
    fn from(rule: CveServicesRule) -> Refusal {
        Refusal::Rule(Rule::CveServices(rule))
    }
}

pub(crate) fn decide(case: &Case, command: Command) -> Result<Vec<Change>, Refusal> {
    match command {
        Command::RequestCveReservation => {
            if case.release().is_some() {
                return Err(Rule::AlreadyReleased.into());
            }
            if !case.cves.is_empty()
                || case.cve_waiver.is_some()
                || case.cve_reservation_requested_at.is_some()
            {
                return Err(CveServicesRule::AlreadyHasCve.into());
            }
            Ok(vec![Change::CveReservationRequested])
        }
        Command::RecordReservedCve { cve } => {
            if case.cve_reservation_requested_at.is_none() {
                return Err(CveServicesRule::NoReservationRequested.into());
            }
            if case.cves.contains(&cve) {
                return Err(Rule::CveAlreadyRecorded.into());
            }
            if !case.cves.is_empty() {
                return Err(CveServicesRule::AlreadyHasCve.into());
            }
            Ok(vec![Change::CveReserved { cve }])
        }
        Command::RecordCveRecordState { cve, state } => {
            if !case.cves.contains(&cve) {
                return Err(CveServicesRule::NotTheCasesCve.into());
            }
            let state = verbatim("state", &state, 32)?;
            if case.cve_record_states.get(&cve) == Some(&state) {
                return Err(CveServicesRule::StateUnchanged.into());
            }
            Ok(vec![Change::CveRecordStateChanged { cve, state }])
        }
        _ => unreachable!("cve_services::decide is called for its own commands only"),
    }
}
