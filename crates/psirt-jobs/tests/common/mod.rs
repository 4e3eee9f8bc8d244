//! Helpers shared by the scenario tests that drive the jobs against a real
//! store: a fixed clock, a command run as a user, the case read back, and
//! cvelib's own schema check of published CNA containers. It holds no
//! fixtures of its own; each test builds its world in the open.

use jiff::{SignedDuration, Timestamp};
use psirt_core::{Case, CaseRef, Command};
use psirt_store::{Caller, Principal, Store, User};
use serde_json::Value;

/// The test clock: minutes after a fixed morning, so that due times and
/// backoffs are exact.
pub fn at(minutes: i64) -> Timestamp {
    "2026-11-02T09:00:00Z".parse::<Timestamp>().unwrap() + SignedDuration::from_mins(minutes)
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
