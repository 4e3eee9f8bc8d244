//! A flood of reports through the HTTP API (SQLite; the similarity query
//! itself runs on both databases in `psirt-store/tests/similar.rs`): 500
//! reports, of which 10 originals with 10 near-duplicates each
//! (paraphrases, reordered paragraphs, the same proof of concept in other
//! words, the same CVE id, URL or package version with other text), 200
//! junk (spam, "not a vulnerability" noise, generated filler) and 190
//! unrelated genuine reports, some about the same components. The PST
//! disposes of the junk with a canned reply (each reporter gets it, the
//! timeline shows the decision) and closes each near-duplicate as a
//! duplicate of what the suggestions show; the suggestions' precision and
//! recall at the top 3 are measured and printed.
//!
//! The test set is generated here, deterministically: templates filled
//! from small tables, with a fixed-seed generator choosing among them.

mod support;

use std::num::NonZeroU32;

use psirt_server::{AppState, Settings, app};
use reqwest::StatusCode;
use serde_json::json;
use support::{Role, Team};

/// A linear congruential generator: the same test set on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next(items.len())]
    }
}

/// One vulnerability that is reported once and then again and again.
struct Topic {
    component: &'static str,
    class: &'static str,
    function: &'static str,
    file: &'static str,
    cause: &'static str,
    effect: &'static str,
    poc: &'static str,
    version: &'static str,
    url: &'static str,
    cve: &'static str,
}

const TOPICS: [Topic; 10] = [
    Topic {
        component: "cache",
        class: "nil pointer dereference",
        function: "computeSubnetKey",
        file: "plugin/cache/key.go",
        cause: "an EDNS0 client subnet option with a zero source prefix",
        effect: "the whole server panics and stops answering",
        poc: "dig @127.0.0.1 +subnet=0.0.0.0/0 example.org",
        version: "1.11.3",
        url: "https://github.com/coredns/coredns/blob/v1.11.3/plugin/cache/key.go#L42",
        cve: "CVE-2026-31001",
    },
    Topic {
        component: "rewrite",
        class: "regular expression denial of service",
        function: "compileRegexRule",
        file: "plugin/rewrite/name.go",
        cause: "a nested quantifier pattern matched against long labels",
        effect: "one query pins a CPU core for minutes",
        poc: "rewrite name regex (a+)+$ x then query aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!.example",
        version: "1.11.1",
        url: "https://github.com/coredns/coredns/blob/master/plugin/rewrite/name.go",
        cve: "CVE-2026-31002",
    },
    Topic {
        component: "forward",
        class: "memory leak",
        function: "exchangeTruncated",
        file: "plugin/forward/connect.go",
        cause: "truncated upstream answers retried over TCP without closing the socket",
        effect: "resident memory grows until the kernel kills the process",
        poc: "upstream returning TC=1 for every answer, then dnsperf -Q 5000 -l 600",
        version: "1.10.1",
        url: "https://github.com/coredns/coredns/issues/6611",
        cve: "CVE-2026-31003",
    },
    Topic {
        component: "dnssec",
        class: "private key disclosure in logs",
        function: "signRRset",
        file: "plugin/dnssec/rrsig.go",
        cause: "the debug log line printing the whole signer struct",
        effect: "the zone signing key ends up in log aggregation",
        poc: "enable debug and dnssec with key file Kexample.org.+013+12345, grep PrivateKey in the log",
        version: "1.9.4",
        url: "https://github.com/coredns/coredns/blob/master/plugin/dnssec/rrsig.go",
        cve: "CVE-2026-31004",
    },
    Topic {
        component: "kubernetes",
        class: "record spoofing",
        function: "podRecordFromIP",
        file: "plugin/kubernetes/pod.go",
        cause: "pods verified mode accepting dashed addresses of other namespaces",
        effect: "a tenant can make names resolve to pods it does not own",
        poc: "dig 10-244-1-7.victim-ns.pod.cluster.local from a pod in the attacker namespace",
        version: "1.11.0",
        url: "https://github.com/coredns/coredns/blob/master/plugin/kubernetes/pod.go",
        cve: "CVE-2026-31005",
    },
    Topic {
        component: "file",
        class: "path traversal",
        function: "parseInclude",
        file: "plugin/file/include.go",
        cause: "$INCLUDE directives resolved relative to the zone without a root check",
        effect: "any readable file of the host is served as zone data",
        poc: "$INCLUDE ../../../../etc/shadow in a secondary zone fetched by AXFR",
        version: "1.8.7",
        url: "https://github.com/coredns/coredns/blob/master/plugin/file/include.go",
        cve: "CVE-2026-31006",
    },
    Topic {
        component: "grpc",
        class: "TLS client authentication bypass",
        function: "serverTLSConfig",
        file: "core/dnsserver/server_grpc.go",
        cause: "ClientAuth left at NoClientCert when a CA bundle is configured",
        effect: "any client reaches the gRPC DNS endpoint without a certificate",
        poc: "grpcurl -insecure localhost:443 coredns.dns.DnsService/Query",
        version: "1.10.0",
        url: "https://github.com/coredns/coredns/blob/master/core/dnsserver/server_grpc.go",
        cve: "CVE-2026-31007",
    },
    Topic {
        component: "template",
        class: "integer overflow",
        function: "parseTTLValue",
        file: "plugin/template/template.go",
        cause: "a ttl of 4294967296 wrapping to zero in the uint32 conversion",
        effect: "answers are cached by nobody and upstream load explodes",
        poc: "template IN A example { answer \"{{ .Name }} 4294967296 IN A 10.0.0.1\" }",
        version: "1.11.2",
        url: "https://github.com/coredns/coredns/blob/master/plugin/template/template.go",
        cve: "CVE-2026-31008",
    },
    Topic {
        component: "acl",
        class: "access control bypass",
        function: "matchSourceNet",
        file: "plugin/acl/acl.go",
        cause: "IPv4-mapped IPv6 source addresses compared against IPv4 blocks",
        effect: "blocked networks query the server freely",
        poc: "dig @::ffff:192.0.2.1 internal.example from 10.9.9.9 with acl block net 10.0.0.0/8",
        version: "1.9.3",
        url: "https://github.com/coredns/coredns/blob/master/plugin/acl/acl.go",
        cve: "CVE-2026-31009",
    },
    Topic {
        component: "health",
        class: "slow request denial of service",
        function: "handleHealthz",
        file: "plugin/health/health.go",
        cause: "the health listener having no read header timeout",
        effect: "liveness probes fail and the orchestrator restarts every replica",
        poc: "slowhttptest -c 2000 -H -u http://127.0.0.1:8080/health",
        version: "1.10.1",
        url: "https://github.com/coredns/coredns/blob/master/plugin/health/health.go",
        cve: "CVE-2026-31010",
    },
];

/// The original report of `t`.
fn original(t: &Topic) -> (String, String) {
    (
        format!("{} in the {} plugin", cap(t.class), t.component),
        format!(
            "The {c} plugin has a {class} in {f} ({file}): {cause}.\n\n\
             Impact: {effect}.\n\n\
             Proof of concept: {poc}\n\n\
             Affected: coredns {v}, see {url}",
            c = t.component,
            class = t.class,
            f = t.function,
            file = t.file,
            cause = t.cause,
            effect = t.effect,
            poc = t.poc,
            v = t.version,
            url = t.url
        ),
    )
}

fn cap(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The `n`th near-duplicate of `t`: each way a report comes again.
fn near_duplicate(t: &Topic, n: usize, rng: &mut Lcg) -> (String, String) {
    let greeting = rng.pick(&["Hi,", "Hello team,", "Dear maintainers,", ""]);
    let c = t.component;
    match n % 5 {
        // A paraphrase: the same facts in other sentences.
        0 => (
            format!("{} plugin: {}", cap(c), t.class),
            format!(
                "{greeting} while fuzzing I hit a {class} in {f}. It happens with {cause}; \
                 as a result {effect}. Located in {file}. Repro: {poc}",
                class = t.class,
                f = t.function,
                cause = t.cause,
                effect = t.effect,
                file = t.file,
                poc = t.poc
            ),
        ),
        // The original's paragraphs in another order, with a new opening.
        1 => {
            let (summary, details) = original(t);
            let mut paragraphs: Vec<&str> = details.split("\n\n").collect();
            paragraphs.reverse();
            (
                format!("Re: {summary}"),
                format!("{greeting}\n\n{}", paragraphs.join("\n\n")),
            )
        }
        // The same proof of concept, told in other words.
        2 => {
            let opening = rng.pick(&[
                "Running `{poc}` against a default Corefile with {c} enabled is enough.",
                "Reproducer: {poc} (nothing else configured besides {c}).",
                "My colleague noticed that {poc} reliably triggers it when {c} is on.",
            ]);
            (
                format!(
                    "{} {}",
                    c,
                    rng.pick(&[
                        "crash/hang found with a short script",
                        "bug, reproducer inside",
                        "misbehaviour"
                    ])
                ),
                format!(
                    "{} {} {f}: {effect}.",
                    opening.replace("{poc}", t.poc).replace("{c}", c),
                    rng.pick(&[
                        "I traced it to",
                        "The culprit seems to be",
                        "Debugging points at"
                    ]),
                    f = t.function,
                    effect = t.effect
                ),
            )
        }
        // The same CVE id and URL, little text in common.
        3 => (
            format!(
                "{} {}",
                rng.pick(&[
                    "Is",
                    "Status of",
                    "Question about",
                    "Backport of the fix for"
                ]),
                t.cve
            ),
            format!(
                "{greeting} {} {cve}. {} {url}. {}",
                rng.pick(&[
                    "our scanner flags",
                    "a customer asked us about",
                    "the distro tracker lists",
                    "we could not find an advisory for",
                ]),
                rng.pick(&[
                    "The code at",
                    "Nothing changed at",
                    "Compare",
                    "I looked at",
                ]),
                rng.pick(&[
                    "Can you confirm whether a patch is needed?",
                    "Is a release planned?",
                    "Thanks for any pointer.",
                    "Which release has the fix?",
                ]),
                cve = t.cve,
                url = t.url
            ),
        ),
        // The same package version and component, a short report.
        _ => (
            format!("{} problem in coredns@{}", cap(t.class), t.version),
            format!(
                "coredns@{v}: the {c} plugin, {f} in {file}. {cause}. {effect}.",
                v = t.version,
                f = t.function,
                file = t.file,
                cause = cap(t.cause),
                effect = cap(t.effect)
            ),
        ),
    }
}

/// Junk: spam, "not a vulnerability" noise and generated filler.
fn junk(i: usize, rng: &mut Lcg) -> (String, String) {
    let product = rng.pick(&["crypto", "SEO", "backlinks", "loans", "followers"]);
    let site = rng.pick(&["coredns.io", "the docs site", "your website", "the blog"]);
    match i % 4 {
        0 => (
            format!("Business offer #{i}: cheap {product}"),
            format!(
                "Buy {product} today at https://spam{}.example/offer?id={i}. Limited offer, \
                 reply now to claim your bonus.",
                i % 7
            ),
        ),
        1 => (
            format!(
                "Missing {} header on {site}",
                rng.pick(&["HSTS", "X-Frame-Options", "CSP", "Referrer-Policy"])
            ),
            format!(
                "I found that {site} does not send the header. This is a P1 critical bug. \
                 Please pay a bounty to my wallet. Report number {i}."
            ),
        ),
        2 => (
            format!("Version disclosure ({i})"),
            format!(
                "The server reveals its version when asked with `dig CH TXT version.bind`. \
                 Attackers can learn the version. Severity: high. Bounty please ({i})."
            ),
        ),
        _ => (
            format!("Critical security vulnerability discovered #{i}"),
            format!(
                "As an expert researcher I have identified a critical {} that could potentially \
                 allow malicious actors to compromise systems. It is important to note that \
                 robust measures should be implemented. In conclusion, addressing this \
                 promptly is essential to maintain trust. Reference {i}.",
                rng.pick(&["weakness", "flaw", "exposure", "risk"])
            ),
        ),
    }
}

/// A genuine report about something else, sometimes in the same
/// components as the originals, citing the releases everyone runs.
fn unrelated(i: usize, rng: &mut Lcg) -> (String, String) {
    let component = rng.pick(&[
        "cache",
        "forward",
        "kubernetes",
        "etcd",
        "route53",
        "hosts",
        "loop",
        "dnstap",
        "prometheus",
        "reload",
        "bufsize",
        "loadbalance",
        "whoami",
        "auto",
        "secondary",
        "sign",
        "tsig",
        "view",
        "geoip",
        "header",
    ]);
    let class = rng.pick(&[
        "stack exhaustion",
        "race condition",
        "use after close",
        "off-by-one read",
        "unbounded allocation",
        "timing side channel",
        "goroutine leak",
        "cache poisoning",
    ]);
    let trigger = rng.pick(&[
        "a compressed name pointing at itself",
        "two reloads within a second",
        "a zone with ten thousand CNAME hops",
        "an AXFR interrupted halfway",
        "a TXT record of 65535 bytes",
        "concurrent NOTIFY messages",
        "a malformed OPT record with a zero length",
        "a tsig key name with uppercase letters",
    ]);
    let version = rng.pick(&["1.11.3", "1.11.1", "1.10.1", "1.9.4"]);
    (
        format!("{} in {component} ({i})", cap(class)),
        format!(
            "Found a {class} in the {component} plugin triggered by {trigger}. \
             Function handler{i} misbehaves; observed on coredns {version} with go 1.22.4. \
             Trace id {i}: the process logs an error and then {}.",
            rng.pick(&["exits", "stalls", "serves stale data", "drops queries"])
        ),
    )
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Original(usize),
    Duplicate(usize),
    Junk,
    Unrelated,
}

/// The 500 reports, in the order they arrive: the originals among the
/// first 40, every near-duplicate after its original.
fn test_set() -> Vec<(Kind, String, String)> {
    let mut rng = Lcg(18);
    let mut early: Vec<(Kind, String, String)> = Vec::new();
    let mut later: Vec<(Kind, String, String)> = Vec::new();
    for (g, t) in TOPICS.iter().enumerate() {
        let (s, d) = original(t);
        early.push((Kind::Original(g), s, d));
        for n in 0..10 {
            let (s, d) = near_duplicate(t, n, &mut rng);
            later.push((Kind::Duplicate(g), s, d));
        }
    }
    for i in 0..200 {
        let (s, d) = junk(i, &mut rng);
        later.push((Kind::Junk, s, d));
    }
    for i in 0..190 {
        let (s, d) = unrelated(i, &mut rng);
        if i < 30 {
            early.push((Kind::Unrelated, s, d));
        } else {
            later.push((Kind::Unrelated, s, d));
        }
    }
    shuffle(&mut early, &mut rng);
    shuffle(&mut later, &mut rng);
    early.extend(later);
    early
}

fn shuffle<T>(items: &mut [T], rng: &mut Lcg) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.next(i + 1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_reports_is_triaged_with_canned_replies_and_duplicate_suggestions() {
    let (store, _, _dir) = support::open(false, "psirt_flood").await;
    let [alice] = Team::on("default", "Default")
        .named("alice@example.org", "Alice", Role::Pst)
        .add(&store, psirt_server::now())
        .await;
    let pst = alice.token;
    // The flood comes from one address; the per-address limits are
    // raised so that all of it is taken in and triaged.
    let settings = Settings {
        intake_per_minute: NonZeroU32::new(10_000).unwrap(),
        reports_per_email_per_day: NonZeroU32::new(10).unwrap(),
        ..Settings::default()
    };
    let (router, _) = app(AppState::new(store.clone(), settings));
    let api = support::Api::new(support::serve(router).await);

    let set = test_set();
    assert_eq!(set.len(), 500);
    let started = std::time::Instant::now();
    let mut cases: Vec<(Kind, String, String)> = Vec::new();
    for (i, (kind, summary, details)) in set.into_iter().enumerate() {
        let body = json!({
            "summary": summary,
            "details": details,
            "reporter_email": format!("reporter{i}@example.net"),
        });
        let (status, body) = api.call("POST", "/api/v1/reports", "", Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        cases.push((
            kind,
            body["reference"].as_str().unwrap().to_string(),
            body["status_url"].as_str().unwrap().to_string(),
        ));
    }
    let intake = started.elapsed();

    // The junk: one canned reply, the project's wording, for all of it.
    let (status, _) = api
        .call(
            "PUT",
            "/api/v1/projects/default/replies/not_a_vulnerability",
            &pst,
            Some(
                json!({"body": "Thank you for {reference}. The team closed it: {reason}. {text}"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for (_, reference, status_url) in cases.iter().filter(|c| c.0 == Kind::Junk) {
        let decision = json!({"command": {
            "type": "triage",
            "outcome": "not_a_vulnerability",
            "reason": "unsubstantiated",
            "text": "No security impact is shown.",
        }});
        let path = format!("/api/v1/cases/{reference}/commands");
        let (status, case) = api.call("POST", &path, &pst, Some(decision)).await;
        assert_eq!(status, StatusCode::OK, "{case}");
        assert_eq!(case["open"], false);
        let kinds: Vec<&str> = case["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert_eq!(kinds[kinds.len() - 2..], ["triaged", "message_to_reporter"]);
        let (status, page) = api.call("GET", status_url, "", None).await;
        assert_eq!(status, StatusCode::OK);
        let last = page["messages"].as_array().unwrap().last().unwrap()["text"].clone();
        assert_eq!(
            last,
            format!(
                "Thank you for {reference}. The team closed it: the report does not show a working \
                 vulnerability. No security impact is shown."
            ),
            "the reporter's status page shows the canned reply"
        );
    }

    // The near-duplicates: the PST reads the suggestions and closes each
    // as a duplicate of the top one (of the first right one in the top
    // three when the top one is wrong).
    let group_of = |reference: &str| -> Option<usize> {
        cases
            .iter()
            .find(|c| c.1 == reference)
            .and_then(|c| match c.0 {
                Kind::Original(g) | Kind::Duplicate(g) => Some(g),
                _ => None,
            })
    };
    let (mut shown, mut right, mut top1, mut found, mut original_found, mut dups) =
        (0usize, 0usize, 0usize, 0usize, 0usize, 0usize);
    let mut reading = std::time::Duration::ZERO;
    for (kind, reference, _) in &cases {
        let Kind::Duplicate(g) = *kind else { continue };
        dups += 1;
        let path = format!("/api/v1/cases/{reference}/similar");
        let asked = std::time::Instant::now();
        let (status, list) = api.call("GET", &path, &pst, None).await;
        reading += asked.elapsed();
        assert_eq!(status, StatusCode::OK, "{list}");
        let top3: Vec<String> = list
            .as_array()
            .unwrap()
            .iter()
            .take(3)
            .map(|s| s["reference"].as_str().unwrap().to_string())
            .collect();
        let relevant: Vec<&String> = top3.iter().filter(|r| group_of(r) == Some(g)).collect();
        shown += top3.len();
        right += relevant.len();
        top1 += usize::from(top3.first().is_some_and(|r| group_of(r) == Some(g)));
        let original = cases
            .iter()
            .find(|c| c.0 == Kind::Original(g))
            .map(|c| c.1.clone())
            .unwrap();
        original_found += usize::from(top3.contains(&original));
        let Some(of) = relevant.first() else {
            eprintln!("missed: {reference} (group {g}): {list}");
            continue;
        };
        found += 1;
        let decision = json!({"command": {
            "type": "triage",
            "outcome": "duplicate",
            "reason": "known_issue",
            "text": "Reported before.",
            "duplicate_of": of,
        }});
        let path = format!("/api/v1/cases/{reference}/commands");
        let (status, case) = api.call("POST", &path, &pst, Some(decision)).await;
        assert_eq!(status, StatusCode::OK, "{case}");
        assert_eq!(case["triage"]["duplicate_of"], json!(of));
    }
    assert_eq!(dups, 100);

    // And how alike the unrelated genuine reports look to what came
    // before them (they share one template, components and releases).
    let (mut unrelated_top, mut duplicate_top) = (Vec::new(), Vec::new());
    for (kind, reference, _) in &cases {
        let path = format!("/api/v1/cases/{reference}/similar");
        let into = match kind {
            Kind::Unrelated => &mut unrelated_top,
            Kind::Duplicate(_) => &mut duplicate_top,
            _ => continue,
        };
        let (_, list) = api.call("GET", &path, &pst, None).await;
        let top = list
            .as_array()
            .unwrap()
            .first()
            .map_or(0.0, |s| s["score"].as_f64().unwrap());
        into.push(top);
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;

    let precision = right as f64 / shown.max(1) as f64;
    let recall = found as f64 / dups as f64;
    eprintln!(
        "flood: 500 reports taken in {:.1} s, suggestions read in {:.1} ms on average; near-duplicates: precision@3 {precision:.3} \
         ({right} of {shown} shown suggestions in the right group), recall@3 {recall:.3} \
         ({found} of {dups} with a right suggestion in the top 3), top-1 {top1}/{dups}, \
         original in the top 3 {original_found}/{dups}; mean top score {:.3} for the \
         near-duplicates, {:.3} for the unrelated reports",
        intake.as_secs_f64(),
        reading.as_secs_f64() * 1000.0 / dups as f64,
        mean(&duplicate_top),
        mean(&unrelated_top)
    );
    // The PST reads three suggestions: nearly every duplicate must be
    // among them (a missed one costs a full triage), the top one should
    // be right nine times in ten (the form pre-fills it), and most of
    // what is shown must be right or the list is not worth reading. This
    // set measures 1.000, 95/100 and 0.865; an earlier plain cosine
    // without the terms' rarity measured 0.910, 86/100 and 0.697 on a
    // first version of it, which these bounds refuse.
    assert!(recall >= 0.95, "recall@3 {recall}");
    assert!(top1 >= 90, "top-1 {top1}");
    assert!(precision >= 0.8, "precision@3 {precision}");
    // The near-duplicates look more like what they duplicate than the
    // unrelated reports look like anything.
    assert!(mean(&duplicate_top) > mean(&unrelated_top) + 0.1);
    store.close().await;
}
