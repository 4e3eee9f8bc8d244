//! Likely duplicates on both databases: the index written at intake, the
//! suggestions read through it (text, exact keys, the project's own
//! cases only, the caller's cases only), audited as reads, rebuilt by
//! `reindex` and filled in at start on a database from before it, and
//! the same ranking on SQLite and PostgreSQL.

use jiff::Timestamp;
use psirt_core::{CaseRef, NewReport, Policy, Secret};
use psirt_store::{Caller, Principal, Store, User};

#[macro_use]
mod common;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

const T0: &str = "2026-11-02T09:00:00Z";

fn report(project: &str, summary: &str, details: &str) -> NewReport {
    NewReport {
        details: Secret::new(details.into()),
        reporter: None,
        ..common::report(project, summary)
    }
}

async fn setup(store: &Store) -> (User, User) {
    for slug in ["coredns", "other"] {
        store
            .add_project(slug, slug, &Policy::default(), t(T0))
            .await
            .unwrap();
    }
    let mut users = Vec::new();
    for (name, project) in [("alice", "coredns"), ("olga", "other")] {
        let email = format!("{name}@example.org").parse().unwrap();
        let (user, _) = store.add_user(&email, name, false, t(T0)).await.unwrap();
        store.add_pst_member(project, user.id, t(T0)).await.unwrap();
        users.push(user);
    }
    let olga = users.pop().unwrap();
    (users.pop().unwrap(), olga)
}

async fn file(store: &Store, r: NewReport) -> CaseRef {
    store
        .report(r, "test", t(T0))
        .await
        .unwrap()
        .record
        .case
        .reference
}

/// "REFERENCE SCORE matched" per suggestion, the score to two decimals.
async fn check(store: &Store, caller: &Caller, case: CaseRef, expected: &[String]) {
    let got: Vec<String> = store
        .similar(caller, case)
        .await
        .unwrap()
        .iter()
        .map(|s| {
            let matched: Vec<&str> = s.likeness.matched.iter().map(|k| k.as_str()).collect();
            format!(
                "{} {:.2} [{}]",
                s.reference,
                s.likeness.score,
                matched.join(",")
            )
        })
        .collect();
    assert_eq!(got, expected, "suggestions for {case}");
}

const CACHE: &str = "The cache plugin crashes with a nil pointer dereference when an \
    EDNS0 client subnet option has a zero source prefix. Send one query with \
    dig +subnet=0.0.0.0/0 against coredns@1.11.3; see \
    https://github.com/coredns/coredns/blob/master/plugin/cache/handler.go";

const CACHE_AGAIN: &str = "With a zero source prefix in the EDNS0 client subnet \
    option, one query makes the cache plugin dereference a nil pointer and crash \
    (dig +subnet=0.0.0.0/0). Tested on coredns 1.11.3.";

both!(
    suggestions_by_text_and_keys_within_the_project,
    |store: Store| async move {
        let (alice, olga) = setup(&store).await;
        let alice = Caller::cli(Principal::User(alice));
        let olga = Caller::cli(Principal::User(olga));
        let original = file(&store, report("coredns", "Cache crash on ECS", CACHE)).await;
        let unrelated = file(
            &store,
            report(
                "coredns",
                "Zone transfer without TSIG",
                "The transfer plugin answers AXFR requests from any address when \
             the allow list is empty; the zone's records leak.",
            ),
        )
        .await;
        let elsewhere = file(&store, report("other", "Cache crash on ECS", CACHE)).await;
        let again = file(
            &store,
            report("coredns", "Nil dereference in cache", CACHE_AGAIN),
        )
        .await;
        let same_cve = file(
            &store,
            report(
                "coredns",
                "Question about CVE-2026-1111",
                "Is CVE-2026-1111 fixed in the forward plugin's healthcheck?",
            ),
        )
        .await;
        let cve_too = file(
            &store,
            report(
                "coredns",
                "Timeouts in forward",
                "The upstream health checks stall; this looks like cve-2026-1111.",
            ),
        )
        .await;

        // The paraphrase finds the original by its words and its package
        // version, and never the identical report of the other project.
        check(
            &store,
            &alice,
            again,
            &[format!("{original} 0.88 [package]")],
        )
        .await;
        // Sharing only a CVE id is a suggestion too, named by its key.
        check(&store, &alice, cve_too, &[format!("{same_cve} 0.75 [cve]")]).await;
        // Only earlier cases are suggested.
        check(&store, &alice, original, &[]).await;
        check(&store, &alice, unrelated, &[]).await;
        check(&store, &olga, elsewhere, &[]).await;
        // Someone without standing on the case learns nothing, and the
        // attempt is audited like a refused read.
        assert!(store.similar(&olga, again).await.is_err());
        assert_eq!(
            store
                .raw_count("SELECT COUNT(*) FROM audit_log WHERE action = 'case.similar'")
                .await,
            5
        );
        assert_eq!(
            store
                .raw_count("SELECT COUNT(*) FROM audit_log WHERE action = 'case.similar.denied'")
                .await,
            1
        );

        // The index is derived: rebuilt from the events, it answers the same.
        assert_eq!(
            store
                .raw_count("SELECT COUNT(*) FROM similar_keys WHERE kind = 'cve'")
                .await,
            2
        );
        store.reindex().await.unwrap();
        assert_eq!(
            store.raw_count("SELECT COUNT(*) FROM similar_docs").await,
            store.raw_count("SELECT COUNT(*) FROM cases").await
        );
        check(
            &store,
            &alice,
            again,
            &[format!("{original} 0.88 [package]")],
        )
        .await;
        check(&store, &alice, cve_too, &[format!("{same_cve} 0.75 [cve]")]).await;

        // A database from before the index (migration 0019) gets it when
        // psirt starts.
        for table in [
            "DELETE FROM similar_docs",
            "DELETE FROM similar_keys",
            "DELETE FROM similar_terms",
        ] {
            store.raw_execute(table).await;
        }
        check(&store, &alice, again, &[]).await;
        store.fill_missing_summaries_for_tests().await;
        let expected = [format!("{original} 0.88 [package]")];
        check(&store, &alice, again, &expected).await;
        check(&store, &alice, cve_too, &[format!("{same_cve} 0.75 [cve]")]).await;
    }
);
