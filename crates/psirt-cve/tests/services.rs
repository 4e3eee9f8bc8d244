//! psirt's CVE Services client against the stand-in, and the stand-in
//! against `cvelib` (PyPI, the CVE Program's own client) in the same tests:
//! reservation, listing across pages, publication and update, the error
//! shapes; lost answers (the stand-in acts, then fails) never reserve a
//! second id or publish twice; 429 with `Retry-After`, 5xx and refusals;
//! and every container published is valid against the CNA container
//! schema cvelib ships.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use psirt_core::CveId;
use psirt_cve::testing::{Fault, KEY, ORG, ORG_UUID, StandIn, USER};
use psirt_cve::{Credentials, CveError, CveServices, Patience};
use serde_json::{Value, json};

/// Runs Python with cvelib: `script` reads `ARGS` (JSON) and prints JSON.
fn python(script: &str, args: Value) -> Value {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(format!(
            "import json, sys\nARGS = json.load(sys.stdin)\n{script}"
        ))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 with cvelib (scripts/test installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(args.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python printed JSON")
}

/// A CVE JSON 5.1 CNA container as the formats crate makes one from a case.
fn container(description: &str) -> Value {
    json!({
        "providerMetadata": { "orgId": ORG_UUID },
        "title": "Cache poisoning through crafted CNAME chains",
        "descriptions": [{ "lang": "en", "value": description }],
        "affected": [{
            "vendor": "CoreDNS",
            "product": "coredns",
            "versions": [{ "version": "1.11.0", "lessThan": "1.11.2", "status": "affected", "versionType": "semver" }],
            "defaultStatus": "unaffected",
        }],
        "problemTypes": [{ "descriptions": [{ "lang": "en", "type": "CWE", "cweId": "CWE-349", "description": "CWE-349 Acceptance of Extraneous Untrusted Data With Trusted Data" }] }],
        "references": [{ "url": "https://github.com/coredns/coredns/security/advisories/GHSA-xxxx-yyyy-zzzz" }],
        "metrics": [{ "cvssV3_1": {
            "version": "3.1",
            "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "baseScore": 9.8,
            "baseSeverity": "CRITICAL",
        }}],
        "credits": [{ "lang": "en", "value": "Jane Doe", "type": "finder" }],
    })
}

/// Every container the stand-in took, validated with cvelib's schema.
fn assert_valid_containers(stand_in: &StandIn) {
    let containers = stand_in.containers();
    assert!(!containers.is_empty());
    let errors = python(
        "from cvelib.cve_api import CveRecord, CveRecordValidationError\n\
         out = []\n\
         for c in ARGS:\n\
         \x20   try:\n\
         \x20       CveRecord.validate(c, CveRecord.Schemas.CNA_PUBLISHED)\n\
         \x20       out.append(None)\n\
         \x20   except CveRecordValidationError as e:\n\
         \x20       out.append(str(e))\n\
         print(json.dumps(out))",
        Value::Array(containers.clone()),
    );
    assert_eq!(errors, json!(vec![Value::Null; containers.len()]));
}

fn quick() -> Patience {
    Patience {
        attempts: 3,
        max_retry_after: Duration::from_secs(5),
        first_pause: Duration::from_millis(50),
        timeout: Duration::from_secs(5),
    }
}

fn client(stand_in: &StandIn) -> CveServices {
    CveServices::new(&stand_in.url, Credentials::new(ORG, USER, KEY), quick()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stand_in_answers_cvelib_as_cve_services_does() {
    let stand_in = StandIn::start(2).await;
    stand_in.reserve_for_someone_else(2026);
    let url = stand_in.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        python(
            "import requests\n\
             from cvelib.cve_api import CveApi\n\
             api = CveApi(username=ARGS['user'], org=ARGS['org'], api_key=ARGS['key'], url=ARGS['url'])\n\
             out = {'ping': api.ping()}\n\
             one = api.reserve(1, False, '2026')\n\
             out['one'] = [r['cve_id'] for r in one['cve_ids']]\n\
             three = api.reserve(3, False, '2026')\n\
             out['three'] = len(three['cve_ids'])\n\
             out['listed'] = sorted(r['cve_id'] for r in api.list_cves(year='2026', state='reserved'))\n\
             cid = out['one'][0]\n\
             out['shown'] = api.show_cve_id(cid)['requested_by']\n\
             c = dict(ARGS['container'])\n\
             del c['providerMetadata']\n\
             out['published'] = api.publish(cid, c)['created']['cveMetadata']['state']\n\
             out['record'] = api.show_cve_record(cid)['containers']['cna']['providerMetadata']\n\
             c['descriptions'] = [{'lang': 'en', 'value': 'Updated.'}]\n\
             out['updated'] = api.update_published(cid, c)['updated']['containers']['cna']['descriptions']\n\
             try:\n\
             \x20   api.publish(cid, c)\n\
             except requests.HTTPError as e:\n\
             \x20   out['again'] = [e.response.status_code, e.response.json()['error']]\n\
             bad = CveApi(username=ARGS['user'], org=ARGS['org'], api_key='wrong', url=ARGS['url'])\n\
             try:\n\
             \x20   bad.reserve(1, False, '2026')\n\
             except requests.HTTPError as e:\n\
             \x20   out['wrong_key'] = [e.response.status_code, e.response.json()]\n\
             print(json.dumps(out))",
            json!({ "url": url, "org": ORG, "user": USER, "key": KEY, "container": container("A crafted CNAME chain poisons the cache.") }),
        )
    })
    .await
    .unwrap();
    assert_eq!(out["ping"], Value::Null, "health check");
    assert_eq!(out["one"], json!(["CVE-2026-1002"]));
    assert_eq!(out["three"], 3);
    // Five reserved ids (one by someone else) over three pages of two.
    assert_eq!(
        out["listed"],
        json!([
            "CVE-2026-1001",
            "CVE-2026-1002",
            "CVE-2026-1003",
            "CVE-2026-1004",
            "CVE-2026-1005"
        ])
    );
    assert_eq!(out["shown"], json!({ "cna": ORG, "user": USER }));
    assert_eq!(out["published"], "PUBLISHED");
    // cvelib looked the organisation up for the container's providerMetadata.
    assert_eq!(out["record"], json!({ "orgId": ORG_UUID }));
    assert_eq!(
        out["updated"],
        json!([{ "lang": "en", "value": "Updated." }])
    );
    assert_eq!(out["again"], json!([400, "CVE_RECORD_EXISTS"]));
    assert_eq!(
        out["wrong_key"],
        json!([401, { "error": "UNAUTHORIZED", "message": "Unauthorized" }])
    );
    assert_valid_containers(&stand_in);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_never_reserves_a_second_id_or_publishes_twice() {
    let stand_in = StandIn::start(2).await;
    let cve = client(&stand_in);
    let since = Timestamp::now();
    // Someone else's reservation since then is not ours.
    stand_in.reserve_for_someone_else(2026);
    stand_in.fault("POST", "cve-id", Fault::ActThenFail);
    let id = cve.reserve(2026, since).await.unwrap();
    assert_eq!(stand_in.reserved(), ["CVE-2026-1001", "CVE-2026-1002"]);
    assert_eq!(id.as_str(), "CVE-2026-1002");
    // The step retried later (a new run) finds the same id.
    let again = cve.reserve(2026, since).await.unwrap();
    assert_eq!(again, id);
    assert_eq!(stand_in.reserved().len(), 2, "no second id");

    stand_in.fault("POST", &format!("cve/{id}/cna"), Fault::ActThenFail);
    let record = cve.publish(&id, &container("First.")).await.unwrap();
    assert_eq!(record.state, "PUBLISHED");
    let posts = stand_in
        .log()
        .iter()
        .filter(|l| *l == &format!("POST cve/{id}/cna"))
        .count();
    assert_eq!(posts, 1, "published once");
    // Publishing again (a retried job) updates instead.
    let updated = cve.publish(&id, &container("Second.")).await.unwrap();
    assert_eq!(
        updated.json["containers"]["cna"]["descriptions"][0]["value"],
        "Second."
    );
    assert_valid_containers(&stand_in);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_are_waited_out_outages_are_reported_and_refusals_are_not_retried() {
    let stand_in = StandIn::start(10).await;
    let cve = client(&stand_in);
    let since = Timestamp::now();
    stand_in.fault("POST", "cve-id", Fault::RateLimit(1));
    let start = Instant::now();
    let id = cve.reserve(2026, since).await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    assert_eq!(stand_in.reserved(), [id.to_string()]);

    // 503 on every attempt: unavailable, with the service's reason; nothing published.
    let route = format!("cve/{id}/cna");
    for _ in 0..3 {
        stand_in.fault("POST", &route, Fault::Fail(503));
    }
    let err = cve.publish(&id, &container("x")).await.unwrap_err();
    assert!(err.retryable());
    assert_eq!(
        err.to_string(),
        "CVE Services is unavailable: 503 SERVICE_UNAVAILABLE: The service is temporarily unavailable."
    );
    // A Retry-After longer than a step waits: the job retries later.
    stand_in.fault("POST", &route, Fault::RateLimit(3600));
    let start = Instant::now();
    let err = cve.publish(&id, &container("x")).await.unwrap_err();
    assert!(
        err.retryable() && start.elapsed() < Duration::from_secs(5),
        "{err}"
    );
    assert!(stand_in.containers().is_empty());

    // A refused request is not retried, and says why.
    let unknown: CveId = "CVE-2026-9999".parse().unwrap();
    let before = stand_in.log().len();
    let err = cve.publish(&unknown, &container("x")).await.unwrap_err();
    assert!(!err.retryable());
    assert!(
        matches!(&err, CveError::Refused { status: 404, error, .. } if error == "CVEID_NOT_FOUND"),
        "{err}"
    );
    assert_eq!(
        stand_in.log().len() - before,
        2,
        "one look, one refused post"
    );
    let wrong =
        CveServices::new(&stand_in.url, Credentials::new(ORG, USER, "wrong"), quick()).unwrap();
    let err = wrong.reserve(2026, since).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "CVE Services refused it (401): UNAUTHORIZED: Unauthorized"
    );
    // An invalid container is refused with the service's reason.
    let err = cve
        .publish(&id, &json!({ "descriptions": [] }))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("INVALID_JSON_SCHEMA"), "{err}");
}

#[test]
fn the_api_key_is_never_in_debug_output() {
    let c = Credentials::new(ORG, USER, "s3cr3t-key");
    let shown = format!("{c:?}");
    assert!(!shown.contains("s3cr3t"), "{shown}");
    assert!(shown.contains("<redacted>"));
}
