//! The CVE Services steps against the stand-in and a real store: the Fix
//! Lead requests a CVE, the job reserves one (the stand-in acts and loses
//! its answer: still one id), the id is on the case; after the release the
//! job publishes the CNA container (CVE Services down first: the case
//! keeps its state, the step shows the reason and is retried after the
//! backoff), the record's state is on the case, and the container is valid
//! against cvelib's schema. The container is the formats crate's export:
//! a record that cannot fill it fails the step before anything is sent,
//! naming what is missing, and the edit that fills it makes the step due.
//! The job speaks with the project's own CNA account, its API key opened
//! from the store's vault.

use std::sync::Arc;
use std::time::Duration;

mod common;

use common::{at, read, run, valid_for_cvelib};
use jiff::{SignedDuration, Timestamp};
use psirt_core::{
    AffectedProduct, CaseRef, Command, CveId, NewReport, RangeKind, RecordEdit, Secret,
    VersionRange,
};
use psirt_cve::Patience;
use psirt_cve::testing::{Fault, KEY, ORG, ORG_UUID, StandIn, USER};
use psirt_jobs::cve::{Cve5, CveSteps, ProjectAccounts};
use psirt_store::{ServiceSecret, ServiceSettings, Step, StepState, StepStatus, Store};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cve_is_reserved_once_and_published_after_the_release() {
    let dir = tempfile::tempdir().unwrap();
    let (store, users) = common::coredns(dir.path(), &[("alice", true), ("dave", false)]).await;
    let (alice, dave) = (&users[0], &users[1]);
    let case = store
        .report(
            NewReport {
                project: "coredns".into(),
                summary: "A crafted CNAME chain poisons the cache.".into(),
                details: Secret::new("dig @127.0.0.1 evil.example".into()),
                reporter: None,
                public_link: None,
                already_public: false,
                ai_assisted: false,
            },
            "test",
            at(0),
        )
        .await
        .unwrap()
        .record
        .case
        .reference;
    run(
        &store,
        alice,
        case,
        Command::AssignFixLead {
            lead: None,
            override_reason: None,
        },
        at(1),
    )
    .await;
    run(
        &store,
        alice,
        case,
        Command::FormFixTeam {
            members: vec![dave.id],
        },
        at(1),
    )
    .await;

    let stand_in = StandIn::start(10).await;
    let patience = Patience {
        attempts: 3,
        max_retry_after: Duration::from_secs(5),
        first_pause: Duration::from_millis(20),
        timeout: Duration::from_secs(5),
    };
    // The project's own CNA account, as `psirt project service cve` keeps
    // it: the API key sealed in the store's vault.
    let vault = store
        .open_vault(b"a key-encryption key of 32 bytes", at(0))
        .await
        .unwrap();
    store
        .put_service(
            "coredns",
            &ServiceSettings::cve_services(Some(&stand_in.url), ORG, USER).unwrap(),
            &ServiceSecret::new(KEY).unwrap(),
            &vault,
            at(0),
        )
        .await
        .unwrap();
    let steps = CveSteps {
        store: store.clone(),
        accounts: Arc::new(ProjectAccounts {
            store: store.clone(),
            vault,
            patience,
        }),
        container: Arc::new(Cve5 {
            public_url: "https://security.coredns.io".into(),
            cna_org_id: Some(ORG_UUID.into()),
        }),
    };
    // "Request a CVE": the stand-in reserves, then loses its answer.
    run(
        &store,
        alice,
        case,
        Command::RequestCveReservation,
        Timestamp::now(),
    )
    .await;
    stand_in.fault("POST", "cve-id", Fault::ActThenFail);
    let now = Timestamp::now();
    assert_eq!(steps.round(now).await.unwrap(), 1);
    let reserved = stand_in.reserved();
    assert_eq!(reserved.len(), 1, "one id, however the answer went");

    let cves: Vec<String> = read(&store, alice, case)
        .await
        .cves
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(cves, reserved);
    assert_eq!(steps.round(now).await.unwrap(), 0, "done for good");

    // The release; CVE Services is down when the job first publishes.
    let later = now + SignedDuration::from_mins(1);
    run(
        &store,
        dave,
        case,
        Command::AddFixCommit {
            commit: "abc1234".parse().unwrap(),
            author: "dave <dave@example.org>".into(),
            author_user: Some(dave.id),
            url: None,
        },
        later,
    )
    .await;
    run(
        &store,
        alice,
        case,
        Command::ApproveCommit {
            commit: "abc1234".parse().unwrap(),
        },
        later,
    )
    .await;
    run(&store, dave, case, Command::MarkFixReady, later).await;
    run(
        &store,
        alice,
        case,
        Command::FinalizeCvss {
            vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
                .parse()
                .unwrap(),
        },
        later,
    )
    .await;
    run(
        &store,
        dave,
        case,
        Command::DraftAnnouncement {
            text: "1.11.2 fixes it.".into(),
        },
        later,
    )
    .await;
    run(
        &store,
        alice,
        case,
        Command::Release {
            version: "v1.11.2".into(),
            base_release: "v1.11.1".into(),
            cherry_picks: vec!["abc1234".parse().unwrap()],
            public_at: None,
        },
        later,
    )
    .await;
    let id = &reserved[0];
    // The record has no product and no description yet: nothing is sent,
    // and the step says what the container lacks.
    let version = read(&store, alice, case).await.version;
    assert_eq!(steps.round(later).await.unwrap(), 1);
    assert_eq!(
        publication(&store, case).await.reason.as_deref(),
        Some("the CVE JSON 5.1 export needs an affected product, a description")
    );
    assert!(stand_in.containers().is_empty(), "nothing sent");
    assert_eq!(
        steps.round(later).await.unwrap(),
        0,
        "not before the backoff"
    );
    // The Fix Lead fills the record: the step is due at once.
    for edit in [
        RecordEdit::SetProduct(AffectedProduct {
            package: "github.com/coredns/coredns".into(),
            ecosystem: "Go".into(),
            purl: Some("pkg:golang/github.com/coredns/coredns".parse().unwrap()),
            ranges: vec![VersionRange::parse(RangeKind::Semver, None, "1.11.0..1.11.2").unwrap()],
            branches: vec![],
        }),
        RecordEdit::Describe {
            title: None,
            description: Some("A crafted CNAME chain poisons the cache of a resolver.".into()),
            impact: None,
        },
    ] {
        run(&store, alice, case, Command::EditRecord(edit), later).await;
    }
    let version = version + 2;
    for _ in 0..3 {
        stand_in.fault("POST", &format!("cve/{id}/cna"), Fault::Fail(503));
    }
    assert_eq!(steps.round(later).await.unwrap(), 1);
    assert_eq!(
        read(&store, alice, case).await.version,
        version,
        "the case keeps its state"
    );
    let step = publication(&store, case).await;
    assert_eq!(step.state, StepState::Failed);
    assert_eq!(
        step.reason.as_deref(),
        Some(
            "CVE Services is unavailable: 503 SERVICE_UNAVAILABLE: The service is temporarily unavailable."
        )
    );
    assert_eq!(
        steps.round(later).await.unwrap(),
        0,
        "not before the backoff"
    );
    assert_eq!(steps.round(step.next_at).await.unwrap(), 1);
    let published = read(&store, alice, case).await;
    let id: CveId = id.parse().unwrap();
    assert_eq!(
        published.cve_record_states.get(&id).map(String::as_str),
        Some("PUBLISHED")
    );
    let containers = stand_in.containers();
    assert_eq!(containers.len(), 1, "published once");
    assert_eq!(
        containers[0]["providerMetadata"]["orgId"],
        json!(ORG_UUID),
        "the formats crate's container"
    );
    assert_eq!(valid_for_cvelib(containers), json!([null]));
}

async fn publication(store: &Store, case: CaseRef) -> StepStatus {
    store
        .steps(case)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.step == Step::CvePublication)
        .unwrap()
}

/// A request CVE Services refuses (a 4xx: here a wrong API key) is not
/// retried by backoff, since it would be refused again: the step shows
/// the service's message and waits. The case keeps its state; the next
/// event on the case makes the step due again, and with the key put right
/// the reservation goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_reservation_waits_for_the_next_event_not_a_backoff() {
    let dir = tempfile::tempdir().unwrap();
    let (store, users) = common::coredns(dir.path(), &[("alice", true)]).await;
    let alice = &users[0];
    let case = store
        .report(
            NewReport {
                project: "coredns".into(),
                summary: "A crafted CNAME chain poisons the cache.".into(),
                details: Secret::new("dig @127.0.0.1 evil.example".into()),
                reporter: None,
                public_link: None,
                already_public: false,
                ai_assisted: false,
            },
            "test",
            at(0),
        )
        .await
        .unwrap()
        .record
        .case
        .reference;
    let assign = Command::AssignFixLead {
        lead: None,
        override_reason: None,
    };
    run(&store, alice, case, assign, at(1)).await;
    let stand_in = StandIn::start(10).await;
    let vault = store
        .open_vault(b"a key-encryption key of 32 bytes", at(0))
        .await
        .unwrap();
    let settings = ServiceSettings::cve_services(Some(&stand_in.url), ORG, USER).unwrap();
    let wrong = ServiceSecret::new("not-the-api-key").unwrap();
    store
        .put_service("coredns", &settings, &wrong, &vault, at(0))
        .await
        .unwrap();
    let steps = CveSteps {
        store: store.clone(),
        accounts: Arc::new(ProjectAccounts {
            store: store.clone(),
            vault: vault.clone(),
            patience: Patience {
                attempts: 3,
                max_retry_after: Duration::from_secs(5),
                first_pause: Duration::from_millis(20),
                timeout: Duration::from_secs(5),
            },
        }),
        container: Arc::new(Cve5 {
            public_url: "https://security.coredns.io".into(),
            cna_org_id: Some(ORG_UUID.into()),
        }),
    };
    run(&store, alice, case, Command::RequestCveReservation, at(2)).await;
    let version = read(&store, alice, case).await.version;
    assert_eq!(steps.round(at(2)).await.unwrap(), 1);
    let step = reservation(&store, case).await;
    assert_eq!(
        (step.state, step.attempts, step.reason.as_deref()),
        (
            StepState::Failed,
            1,
            Some("CVE Services refused it (401): UNAUTHORIZED: Unauthorized")
        )
    );
    assert_eq!(
        stand_in.log().len(),
        1,
        "asked once: a refusal is not retried"
    );
    // Past the longest backoff, nothing is due.
    assert_eq!(steps.round(at(2 + 24 * 60)).await.unwrap(), 0);
    let after = read(&store, alice, case).await;
    assert_eq!((after.version, after.cves.len()), (version, 0));

    // The key put right, the next event on the case makes it due.
    let key = ServiceSecret::new(KEY).unwrap();
    store
        .put_service("coredns", &settings, &key, &vault, at(2 + 24 * 60))
        .await
        .unwrap();
    let mitigation = Command::RecordMitigation {
        steps: "Disable the cache plugin.".into(),
    };
    run(&store, alice, case, mitigation, at(3 + 24 * 60)).await;
    assert_eq!(steps.round(at(3 + 24 * 60)).await.unwrap(), 1);
    assert_eq!(reservation(&store, case).await.state, StepState::Ok);
    assert_eq!(stand_in.reserved().len(), 1);
    assert_eq!(read(&store, alice, case).await.cves.len(), 1);
}

async fn reservation(store: &Store, case: CaseRef) -> StepStatus {
    store
        .steps(case)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.step == Step::CveReservation)
        .unwrap()
}
