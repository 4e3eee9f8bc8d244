//! "Request a CVE" done by psirt: the Fix Lead asks, psirt's job records
//! the id CVE Services reserved (once, however often the job retries), and
//! after the release the record's state when the container is published.

use expect_test::expect;
use psirt_core::{Actor, Command, CveServicesRule};

use crate::harness::*;

#[allow(dead_code)]
fn every_rule_is_shown(rule: &CveServicesRule) {
    match rule {
        CveServicesRule::AlreadyHasCve
        | CveServicesRule::NoReservationRequested
        | CveServicesRule::StateUnchanged
        | CveServicesRule::NotTheCasesCve => {}
    }
}

#[test]
fn the_fix_lead_requests_a_cve_and_psirt_records_the_reserved_id_once() {
    let mut w = World::private();
    w.form_team();
    let reserved = || Command::RecordReservedCve {
        cve: cve("CVE-2026-1001"),
    };
    w.check(
        Actor::System,
        reserved(),
        expect!["CveServices: no CVE id reservation was requested for this case"],
    );
    w.check(
        w.person(DAVE),
        Command::RequestCveReservation,
        expect!["denied: only the Fix Lead may record the CVE"],
    );
    w.ok(w.lead(), Command::RequestCveReservation);
    w.check(
        w.lead(),
        Command::RequestCveReservation,
        expect!["CveServices: the case already has a CVE id, a waiver, or a reservation under way"],
    );
    w.check(
        w.lead(),
        reserved(),
        expect!["denied: only psirt itself may record what psirt obtained from another system"],
    );
    w.ok(Actor::System, reserved());
    assert_eq!(w.case.cves, [cve("CVE-2026-1001")]);
    // A retried job records nothing more, and never a second id.
    w.check(
        Actor::System,
        reserved(),
        expect!["CveAlreadyRecorded: that CVE id is already recorded on the case"],
    );
    w.check(
        Actor::System,
        Command::RecordReservedCve {
            cve: cve("CVE-2026-1002"),
        },
        expect!["CveServices: the case already has a CVE id, a waiver, or a reservation under way"],
    );
}

#[test]
fn the_published_records_state_is_on_the_case_once() {
    let mut w = World::private();
    w.form_team();
    w.ok(w.lead(), Command::RequestCveReservation);
    w.ok(
        Actor::System,
        Command::RecordReservedCve {
            cve: cve("CVE-2026-1001"),
        },
    );
    let published = |id: &str| Command::RecordCveRecordState {
        cve: cve(id),
        state: "PUBLISHED".into(),
    };
    w.check(
        Actor::System,
        published("CVE-2026-9999"),
        expect!["CveServices: that CVE id is not the case's"],
    );
    w.ok(Actor::System, published("CVE-2026-1001"));
    assert_eq!(
        w.case
            .cve_record_states
            .get(&cve("CVE-2026-1001"))
            .map(String::as_str),
        Some("PUBLISHED")
    );
    w.check(
        Actor::System,
        published("CVE-2026-1001"),
        expect!["CveServices: the CVE record's state is already recorded"],
    );
}
