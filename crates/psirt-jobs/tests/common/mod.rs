//! Helpers shared by the scenario tests that drive the jobs against a real
//! store: a fixed clock, the CoreDNS project with its people, a command run
//! as a user, the case read back, one delivery round to a real SMTP server,
//! and cvelib's own schema check of published CNA containers. Each test
//! builds the rest of its world in the open.

#![allow(dead_code)] // Each test file uses its own part.

use jiff::{SignedDuration, Timestamp};
use psirt_core::{Case, CaseRef, Command, Policy};
use psirt_jobs::deliver::Delivery;
use psirt_mail::InstanceKey;
use psirt_mail::testing::smtp_sink::{Received, SmtpSink};
use psirt_store::{Caller, Principal, Store, User};
use serde_json::Value;

/// The test clock: minutes after a fixed morning, so that due times and
/// backoffs are exact.
pub fn at(minutes: i64) -> Timestamp {
    "2026-11-02T09:00:00Z".parse::<Timestamp>().unwrap() + SignedDuration::from_mins(minutes)
}

/// A SQLite store in `dir` with the `coredns` project and one account per
/// `(name, on the PST)`, as `name@example.org`, in that order.
pub async fn coredns(dir: &std::path::Path, people: &[(&str, bool)]) -> (Store, Vec<User>) {
    let store = Store::open(&format!("sqlite://{}/psirt.db", dir.display()))
        .await
        .unwrap();
    store
        .add_project("coredns", "CoreDNS", &Policy::default(), at(0))
        .await
        .unwrap();
    let mut users = Vec::new();
    for &(name, pst) in people {
        let email = format!("{name}@example.org").parse().unwrap();
        let (user, _) = store.add_user(&email, name, false, at(0)).await.unwrap();
        if pst {
            store
                .add_pst_member("coredns", user.id, at(0))
                .await
                .unwrap();
        }
        users.push(user);
    }
    (store, users)
}

/// One delivery round of the outbox, at `clock`'s instant, to a real SMTP
/// server started for it: what arrived, and the instance key that signed it.
pub async fn deliver_once(store: &Store, clock: fn() -> Timestamp) -> (Vec<Received>, InstanceKey) {
    let mut sink = SmtpSink::start(Default::default());
    let key = InstanceKey::generate("psirt (instance key)").unwrap();
    let delivery = Delivery {
        store: store.clone(),
        smtp: psirt_mail::Smtp::new(&sink.config()).unwrap(),
        key: key.clone(),
        from: psirt_mail::Mailbox::new(Some("psirt"), "security@example.org".parse().unwrap()),
        worker: "test".into(),
        lease: SignedDuration::from_mins(5),
        first_retry: SignedDuration::from_secs(30),
        clock,
    };
    let round = delivery.round(clock()).await.unwrap();
    assert_eq!(round.failed, 0, "{round:?}");
    let received = sink.messages();
    sink.stop();
    (received, key)
}

/// Runs a command as the user through the store, as the CLI would; a
/// refusal fails the test with the command and the rule.
pub async fn run(store: &Store, who: &User, case: CaseRef, command: Command, now: Timestamp) {
    store
        .execute(
            &Caller::cli(Principal::User(who.clone())),
            case,
            command.clone(),
            None,
            now,
        )
        .await
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
}

/// The case as the user sees it.
pub async fn read(store: &Store, who: &User, case: CaseRef) -> Case {
    store
        .case(&Caller::cli(Principal::User(who.clone())), case)
        .await
        .unwrap()
        .case
}

/// Each container checked by cvelib (the CVE Program's own client) against
/// the published-CNA schema it ships: `null` for a valid one, else the
/// validation error.
pub fn valid_for_cvelib(containers: Vec<Value>) -> Value {
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import json, sys\n\
             from cvelib.cve_api import CveRecord, CveRecordValidationError\n\
             out = []\n\
             for c in json.loads(sys.argv[1]):\n\
             \x20   try:\n\
             \x20       CveRecord.validate(c, CveRecord.Schemas.CNA_PUBLISHED)\n\
             \x20       out.append(None)\n\
             \x20   except CveRecordValidationError as e:\n\
             \x20       out.append(str(e))\n\
             print(json.dumps(out))",
        )
        .arg(Value::Array(containers).to_string())
        .output()
        .expect("python3 with cvelib");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
