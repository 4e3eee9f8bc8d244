//! Events are the only record of a case and are persisted as serialized:
//! every kind of event survives a JSON round trip unchanged, a replay of the
//! stored timeline gives the same case, and the embargoed report details
//! never show in `Debug` output (logs).

use std::collections::BTreeSet;

use expect_test::expect;
use psirt_core::{Actor, Case, Command, Credit, CreditKind, DistributorDecision, Event, Policy};

use crate::harness::*;

/// One case whose timeline holds every kind of event.
fn every_kind_of_event() -> World {
    let policy = Policy {
        retrospective_within: Some(duration("2d")),
        ..Policy::default()
    };
    let mut w = World::open(private_report(), policy);
    w.at("1h");
    w.form_team();
    w.ok(w.lead(), Command::AddFixTeamMember { member: ERIN });
    w.ok(
        w.lead(),
        Command::RemoveFixTeamMember {
            member: ERIN,
            reason: "Conflict of interest.".into(),
        },
    );
    w.at("1d");
    w.ok(
        w.person(DAVE),
        Command::ProposeCvss {
            vector: vector(LOW),
        },
    );
    w.ok(
        w.person(DAVE),
        Command::ProposeCvss {
            vector: vector("CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N"),
        },
    );
    w.finalize_cvss(LOW);
    w.ok(
        w.lead(),
        Command::SlowDown {
            reason: "Holidays.".into(),
            discussion: "<CAF+thread@mail.example.org>".into(),
            extension: Some(duration("7d")),
        },
    );
    w.at("2d");
    w.fix();
    w.ok(
        w.lead(),
        Command::ReopenFix {
            reason: "Missed the TCP path.".into(),
        },
    );
    w.ok(w.person(DAVE), Command::MarkFixReady);
    w.ok(
        w.person(DAVE),
        Command::RecordMitigation {
            steps: "Disable the cache plugin.".into(),
        },
    );
    w.at("3d");
    w.ok(
        w.lead(),
        Command::PublishNotice {
            estimated_release: day0_plus("14d"),
            mitigation: "Disable the cache plugin.".into(),
            link: Some("https://github.com/coredns/coredns/issues/10001".into()),
        },
    );
    w.ok(
        w.lead(),
        Command::DecideDistributors(DistributorDecision {
            notify: true,
            rationale: "Widely deployed.".into(),
            embargo_end: Some(day0_plus("14d")),
            long_embargo_reason: None,
            off_slot_reason: None,
        }),
    );
    w.ok(
        w.lead(),
        Command::NotifyDistributors {
            patches: vec!["0001.patch".into()],
            affected_versions: None,
            fixed_versions: None,
        },
    );
    w.ok(
        w.person(ALICE),
        Command::SetUpstreamEmbargo {
            upstream: "miekg/dns".into(),
            until: day0_plus("15d"),
        },
    );
    w.at("5d");
    w.ok(
        w.person(DAVE),
        Command::ReportEmbargoBreak {
            what: "The patch.".into(),
            to_whom: "A public CI log.".into(),
            when: day0_plus("4d"),
        },
    );
    w.ok(
        w.person(BOB),
        Command::AssessEmbargoBreak {
            release_early: true,
            reason: "Go public ASAP.".into(),
            release_at: None,
        },
    );
    w.ok(Actor::System, Command::MarkPubliclyDisclosed { link: None });
    w.ok(w.person(BOB), Command::RequestPrivateHandling);
    w.ok(
        w.person(BOB),
        Command::RecordPrivateHandlingAnswer { agreed: false },
    );
    w.ok(
        w.lead(),
        Command::WaiveCve {
            reason: "No CVE expected at first.".into(),
        },
    );
    w.ok(
        w.lead(),
        Command::RecordCve {
            cve: cve("CVE-2026-12345"),
        },
    );
    w.ok(
        w.person(DAVE),
        Command::DraftAnnouncement {
            text: "v1.12.1 fixes CVE-2026-12345.".into(),
        },
    );
    w.release_and_wrap_up();
    w.ok(Actor::System, Command::Publish);
    w.ok(
        w.person(DAVE),
        Command::RecordCredit(Credit {
            name: None,
            kind: CreditKind::RemediationReviewer,
        }),
    );
    w.at("6d");
    w.ok(
        w.lead(),
        Command::HoldRetrospective {
            notes: "Leak came from CI logs.".into(),
        },
    );
    w.ok(w.lead(), Command::Close);
    w
}

#[test]
fn the_timeline_holds_every_kind_of_event() {
    let w = every_kind_of_event();
    let names: BTreeSet<&str> = w.events.iter().map(|e| e.change.name()).collect();
    expect![[r#"
        acknowledged
        advisory_recorded
        announcement_drafted
        closed
        commit_approved
        credit_recorded
        cve_recorded
        cve_waived
        cvss_finalized
        cvss_proposed
        distributor_access_ended
        distributors_decided
        distributors_notified
        embargo_break_assessed
        embargo_break_reported
        fix_commit_added
        fix_lead_assigned
        fix_marked_ready
        fix_reopened
        fix_team_formed
        fix_team_member_added
        fix_team_member_removed
        mitigation_recorded
        notice_published
        private_handling_answered
        private_handling_requested
        publicly_disclosed
        published
        released
        reported
        retrospective_held
        slowed_down
        upstream_embargo_set"#]]
    .assert_eq(&names.into_iter().collect::<Vec<_>>().join("\n"));
}

#[test]
fn every_event_survives_a_json_round_trip() {
    let w = every_kind_of_event();
    for event in &w.events {
        let json = serde_json::to_string(event).unwrap();
        let back: Event = serde_json::from_str(&json)
            .unwrap_or_else(|e| panic!("{} does not read back: {e}\n{json}", event.change.name()));
        assert_eq!(&back, event, "{json}");
    }
    // The stored timeline replays into the same case.
    let json = serde_json::to_string(&w.events).unwrap();
    let stored: Vec<Event> = serde_json::from_str(&json).unwrap();
    assert_eq!(Case::from_events(&stored).unwrap(), w.case);
}

/// A release stored before the public instant could be given reads back
/// with the release itself as the instant, as it was then.
#[test]
fn a_release_stored_without_its_public_instant_is_public_at_the_release() {
    let w = every_kind_of_event();
    let released = w
        .events
        .iter()
        .position(|e| e.change.name() == "released")
        .unwrap();
    let mut stored: Vec<serde_json::Value> = w.events[..=released]
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    let old = stored.last_mut().unwrap();
    assert!(old["change"]["public_at"].is_string());
    old["change"].as_object_mut().unwrap().remove("public_at");
    let events: Vec<Event> = serde_json::from_value(serde_json::Value::Array(stored)).unwrap();
    let case = Case::from_events(&events).unwrap();
    let release = case.release().unwrap();
    assert_eq!(release.public_at, release.at);
    assert_eq!(psirt_core::public_at(&case), Some(release.at));
}

#[test]
fn the_stored_form_of_events() {
    // Renaming a variant or a field is a storage migration: this snapshot
    // makes it a visible one.
    let w = every_kind_of_event();
    let lines: Vec<String> = w
        .events
        .iter()
        .filter(|e| !matches!(e.change, psirt_core::Change::Reported { .. }))
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    expect![[r#"
        {"seq":2,"at":"2026-03-02T09:00:00Z","actor":{"kind":"system"},"change":{"type":"acknowledged"}}
        {"seq":3,"at":"2026-03-02T10:00:00Z","actor":{"kind":"user","id":1},"change":{"type":"fix_lead_assigned","lead":1,"override_reason":null}}
        {"seq":4,"at":"2026-03-02T10:00:00Z","actor":{"kind":"user","id":1},"change":{"type":"fix_team_formed","members":[1,4]}}
        {"seq":5,"at":"2026-03-02T10:00:00Z","actor":{"kind":"user","id":1},"change":{"type":"fix_team_member_added","member":5}}
        {"seq":6,"at":"2026-03-02T10:00:00Z","actor":{"kind":"user","id":1},"change":{"type":"fix_team_member_removed","member":5,"reason":"Conflict of interest."}}
        {"seq":7,"at":"2026-03-03T09:00:00Z","actor":{"kind":"user","id":4},"change":{"type":"cvss_proposed","vector":"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"}}
        {"seq":8,"at":"2026-03-03T09:00:00Z","actor":{"kind":"user","id":4},"change":{"type":"cvss_proposed","vector":"CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N"}}
        {"seq":9,"at":"2026-03-03T09:00:00Z","actor":{"kind":"user","id":1},"change":{"type":"cvss_finalized","vector":"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"}}
        {"seq":10,"at":"2026-03-03T09:00:00Z","actor":{"kind":"user","id":1},"change":{"type":"slowed_down","reason":"Holidays.","discussion":"<CAF+thread@mail.example.org>","extension":"7d"}}
        {"seq":11,"at":"2026-03-04T09:00:00Z","actor":{"kind":"user","id":4},"change":{"type":"fix_commit_added","commit":"abc1234","author":"dave","author_user":4,"url":null}}
        {"seq":12,"at":"2026-03-04T09:00:00Z","actor":{"kind":"user","id":1},"change":{"type":"commit_approved","commit":"abc1234","maintainer":1}}
        {"seq":13,"at":"2026-03-04T09:00:00Z","actor":{"kind":"user","id":4},"change":{"type":"fix_marked_ready"}}
        {"seq":14,"at":"2026-03-04T09:00:00Z","actor":{"kind":"user","id":1},"change":{"type":"fix_reopened","reason":"Missed the TCP path."}}
        {"seq":15,"at":"2026-03-04T09:00:00Z","actor":{"kind":"user","id":4},"change":{"type":"fix_marked_ready"}}
        {"seq":16,"at":"2026-03-04T09:00:00Z","actor":{"kind":"user","id":4},"change":{"type":"mitigation_recorded","steps":"Disable the cache plugin."}}
        {"seq":17,"at":"2026-03-05T09:00:00Z","actor":{"kind":"user","id":1},"change":{"type":"notice_published","estimated_release":"2026-03-16T09:00:00Z","mitigation":"Disable the cache plugin.","link":"https://github.com/coredns/coredns/issues/10001"}}
        {"seq":18,"at":"2026-03-05T09:00:00Z","actor":{"kind":"user","id":1},"change":{"type":"distributors_decided","notify":true,"rationale":"Widely deployed.","embargo_end":"2026-03-16T09:00:00Z","long_embargo_reason":null}}
        {"seq":19,"at":"2026-03-05T09:00:00Z","actor":{"kind":"user","id":1},"change":{"type":"distributors_notified","patches":["0001.patch"],"embargo_end":"2026-03-16T09:00:00Z"}}
        {"seq":20,"at":"2026-03-05T09:00:00Z","actor":{"kind":"user","id":1},"change":{"type":"upstream_embargo_set","upstream":"miekg/dns","until":"2026-03-17T09:00:00Z"}}
        {"seq":21,"at":"2026-03-07T09:00:00Z","actor":{"kind":"user","id":4},"change":{"type":"embargo_break_reported","what":"The patch.","to_whom":"A public CI log.","when":"2026-03-06T09:00:00Z"}}
        {"seq":22,"at":"2026-03-07T09:00:00Z","actor":{"kind":"user","id":2},"change":{"type":"embargo_break_assessed","release_early":true,"reason":"Go public ASAP.","release_at":"2026-03-07T09:00:00Z"}}
        {"seq":23,"at":"2026-03-07T09:00:00Z","actor":{"kind":"system"},"change":{"type":"publicly_disclosed","link":null}}
        {"seq":24,"at":"2026-03-07T09:00:00Z","actor":{"kind":"user","id":2},"change":{"type":"private_handling_requested"}}
        {"seq":25,"at":"2026-03-07T09:00:00Z","actor":{"kind":"user","id":2},"change":{"type":"private_handling_answered","agreed":false}}
        {"seq":26,"at":"2026-03-07T09:00:00Z","actor":{"kind":"user","id":1},"change":{"type":"cve_waived","reason":"No CVE expected at first."}}
        {"seq":27,"at":"2026-03-07T09:00:00Z","actor":{"kind":"user","id":1},"change":{"type":"cve_recorded","cve":"CVE-2026-12345"}}
        {"seq":28,"at":"2026-03-07T09:00:00Z","actor":{"kind":"user","id":4},"change":{"type":"announcement_drafted","text":"v1.12.1 fixes CVE-2026-12345."}}
        {"seq":29,"at":"2026-03-07T09:00:00Z","actor":{"kind":"user","id":1},"change":{"type":"released","version":"v1.12.1","base_release":"v1.12.0","cherry_picks":["abc1234"],"public_at":"2026-03-07T09:00:00Z"}}
        {"seq":30,"at":"2026-03-07T09:00:00Z","actor":{"kind":"reporter"},"change":{"type":"credit_recorded","name":"Jane Doe","kind":"finder"}}
        {"seq":31,"at":"2026-03-07T09:00:00Z","actor":{"kind":"user","id":1},"change":{"type":"advisory_recorded","format":"osv","location":"https://github.com/coredns/coredns/security/advisories/GHSA-xxxx"}}
        {"seq":32,"at":"2026-03-07T09:00:00Z","actor":{"kind":"system"},"change":{"type":"published"}}
        {"seq":33,"at":"2026-03-07T09:00:00Z","actor":{"kind":"system"},"change":{"type":"distributor_access_ended"}}
        {"seq":34,"at":"2026-03-07T09:00:00Z","actor":{"kind":"user","id":4},"change":{"type":"credit_recorded","name":null,"kind":"remediation_reviewer"}}
        {"seq":35,"at":"2026-03-08T09:00:00Z","actor":{"kind":"user","id":1},"change":{"type":"retrospective_held","notes":"Leak came from CI logs."}}
        {"seq":36,"at":"2026-03-08T09:00:00Z","actor":{"kind":"user","id":1},"change":{"type":"closed"}}"#]].assert_eq(&lines.join("\n"));
    let reported = serde_json::to_value(&w.events[0]).unwrap();
    expect![[r#"
        {
          "actor": {
            "kind": "system"
          },
          "at": "2026-03-02T09:00:00Z",
          "change": {
            "already_public": false,
            "details": "REPRODUCER: dig @127.0.0.1 evil.example -- 0xdeadbeef",
            "policy": {
              "acknowledge_within": "1d",
              "announce_at": null,
              "business_days": [],
              "calendar": {
                "holidays": [],
                "weekend": [
                  "saturday",
                  "sunday"
                ]
              },
              "cvss_within": "7d",
              "distributor_final_notice_before": null,
              "distributors_within": "14d",
              "due_soon_window": "1d",
              "embargo_acceptance_valid_for": "365d",
              "first_response_within": null,
              "fix_team_access_ends": null,
              "fix_team_within": "1d",
              "fix_within": "7d",
              "invitation_valid_for": "7d",
              "low_severity_below_tenths": 40,
              "max_embargo": "14d",
              "min_embargo": "1d",
              "notice_within": "7d",
              "release_within": "21d",
              "response_targets": {},
              "retrospective_within": "2d",
              "slow_down_extension": "14d",
              "stale_after": {},
              "triage_rotation": false
            },
            "project": "coredns",
            "public_link": null,
            "reference": "PSIRT-2026-0001",
            "reporter": {
              "email": "jane@example.org",
              "name": "Jane Doe"
            },
            "summary": "Cache poisoning through crafted CNAME chains",
            "type": "reported"
          },
          "seq": 1
        }"#]]
    .assert_eq(&serde_json::to_string_pretty(&reported).unwrap());
}

#[test]
fn report_details_never_appear_in_debug_output() {
    let w = every_kind_of_event();
    assert_eq!(
        w.case.details.expose(),
        "REPRODUCER: dig @127.0.0.1 evil.example -- 0xdeadbeef"
    );
    for debug in [
        format!("{:?}", w.case),
        format!("{:#?}", w.case),
        format!("{:?}", w.events),
        format!("{:?}", private_report()),
    ] {
        assert!(!debug.contains("REPRODUCER"), "{debug}");
        assert!(!debug.contains("0xdeadbeef"), "{debug}");
        assert!(debug.contains("Secret(<redacted>)"));
    }
}

#[test]
fn a_pre_notification_stored_before_versions_were_recorded_still_reads() {
    // The stored form of `distributors_notified` before it carried the
    // affected and fixed versions: it must keep parsing, without them.
    let old = r#"{"seq":9,"at":"2026-03-06T09:00:00Z","actor":{"kind":"user","id":1},"change":{"type":"distributors_notified","patches":["0001.patch"],"embargo_end":"2026-03-20T09:00:00Z"}}"#;
    let event: Event = serde_json::from_str(old).unwrap();
    let psirt_core::Change::DistributorsNotified {
        affected_versions,
        fixed_versions,
        ..
    } = &event.change
    else {
        panic!("{event:?}")
    };
    assert_eq!((affected_versions, fixed_versions), (&None, &None));
    // And an event without them is stored exactly as before.
    assert_eq!(serde_json::to_string(&event).unwrap(), old);
}
