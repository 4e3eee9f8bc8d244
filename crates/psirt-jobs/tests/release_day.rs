//! The seed's private path in one scenario, every step done by psirt's
//! jobs against real parts: a real store, a real fix repository with
//! release branches and tags (psirt-git's fixture), the GitHub stand-in
//! and the CVE Services stand-in over loopback, a distributor with a
//! GnuPG key and a real SMTP server. The report gets a Fix Lead and a Fix
//! Team (collaborators on the draft advisory); the fix commits are read
//! from git and LGTMed; the plan applies on two release branches and
//! conflicts on a third, which the Fix Lead resolves; the notice opens the
//! GitHub issue; a CVE id is reserved; the pre-notification carries the
//! patch sets encrypted, their hashes as stated; the release publishes
//! the CVE record (valid for cvelib) and the advisory with the CVE id,
//! the Fix Team's access revoked. Each piece's faults are the other
//! tests' business (fix_repo.rs, github.rs, cve.rs, patches.rs).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{at, read, run, valid_for_cvelib};
use mail_parser::MimeHeaders;
use psirt_core::{
    AffectedProduct, Command, DistributorDecision, MailKind, NewReport, PlanOutcome, RangeKind,
    RecordEdit, ReferenceKind, Secret, VersionRange,
};
use psirt_cve::testing::{KEY, ORG, ORG_UUID, StandIn as CveStandIn, USER};
use psirt_git::testing::{commit_all, git, project, write};
use psirt_github::testing::{OWNER, REPO, StandIn as GitHubStandIn, TOKEN};
use psirt_jobs::cve::{Cve5, CveSteps, ProjectAccounts};
use psirt_jobs::fix_repo::FixRepositories;
use psirt_jobs::github::{Connected, GitHubSteps};
use psirt_mail::testing::gpg::Gpg;
use psirt_store::{
    Caller, CheckedKey, DraftDecision, NewPerson, Principal, ServiceSecret, ServiceSettings,
};
use serde_json::json;
use sha2::{Digest, Sha256};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seeds_private_path_runs_on_real_git_and_both_stand_ins() {
    // The project, its Product Security Team (alice) and a maintainer (dave).
    let dir = tempfile::tempdir().unwrap();
    let (store, users) = common::coredns(dir.path(), &[("alice", true), ("dave", false)]).await;
    for (user, name) in users.iter().zip(["alice", "dave"]) {
        store
            .set_github_login(user.id, Some(&name.parse().unwrap()), at(0))
            .await
            .unwrap();
    }
    let (alice, dave) = (&users[0], &users[1]);
    let gpg = Gpg::new();
    gpg.gen_key("founder@origin.example", "0");
    store
        .found_distributor(
            "coredns",
            "Origin",
            NewPerson {
                name: "Founder".into(),
                email: "founder@origin.example".parse().unwrap(),
                key: Some(
                    CheckedKey::new(
                        &gpg.fingerprint("founder@origin.example"),
                        &gpg.export("founder@origin.example"),
                    )
                    .unwrap(),
                ),
            },
            at(0),
        )
        .await
        .unwrap();

    // The project connected to GitHub and to its CNA account, both
    // secrets sealed in the store's vault.
    let github = GitHubStandIn::start(2, &["alice", "dave"]).await;
    let cve_services = CveStandIn::start(10).await;
    let vault = store
        .open_vault(b"a key-encryption key of 32 bytes", at(0))
        .await
        .unwrap();
    let repository = format!("{OWNER}/{REPO}");
    for (settings, secret) in [
        (
            ServiceSettings::github(Some(&github.url), &repository).unwrap(),
            TOKEN,
        ),
        (
            ServiceSettings::cve_services(Some(&cve_services.url), ORG, USER).unwrap(),
            KEY,
        ),
    ] {
        let secret = ServiceSecret::new(secret).unwrap();
        store
            .put_service("coredns", &settings, &secret, &vault, at(0))
            .await
            .unwrap();
    }
    let github_steps = GitHubSteps {
        store: store.clone(),
        targets: Arc::new(Connected {
            store: store.clone(),
            vault: vault.clone(),
        }),
        patience: psirt_github::Patience {
            attempts: 3,
            max_retry_after: Duration::from_secs(5),
            first_pause: Duration::from_millis(20),
            timeout: Duration::from_secs(5),
        },
    };
    let cve_steps = CveSteps {
        store: store.clone(),
        accounts: Arc::new(ProjectAccounts {
            store: store.clone(),
            vault,
            patience: psirt_cve::Patience {
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
    let fix_repo = FixRepositories::new(store.clone(), dir.path().join("git"));

    // The report; the Fix Lead; the Fix Team, who become collaborators on
    // a draft advisory ("the Fix Lead will get the Fix Team access").
    let case = store
        .report(
            NewReport {
                project: "coredns".into(),
                summary: "Cache poisoning through CNAME chains".into(),
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
        lead: Some(alice.id),
        override_reason: Some("on call".into()),
    };
    run(&store, alice, case, assign, at(1)).await;
    let form = Command::FormFixTeam {
        members: vec![dave.id],
    };
    run(&store, alice, case, form, at(1)).await;
    assert_eq!(github_steps.round(at(1)).await.unwrap(), 1);
    let advisory = read(&store, alice, case).await.github_advisory.unwrap();
    let logins: Vec<String> = advisory
        .collaborators
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(logins, ["alice", "dave"]);
    let drafted = &github.advisories()[0];
    assert_eq!(drafted["state"], "draft");
    let on_github: Vec<&str> = drafted["collaborating_users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["login"].as_str().unwrap())
        .collect();
    assert_eq!(on_github, ["alice", "dave"]);

    // The fix repository: the fixture's branches plus release-1.9, an
    // older release the fix applies on as it does on release-1.11.
    let repo = project();
    let w = repo.work.as_path();
    git(w, &["checkout", "-q", "-b", "release-1.9", "main"]);
    write(w, "VERSION", "1.9.0\n");
    commit_all(w, "1.9.0");
    git(w, &["tag", "v1.9.0"]);
    git(w, &["checkout", "-q", "main"]);
    let link =
        Command::LinkFixRepository(repo.repo(&["release-1.9", "release-1.11", "release-1.12"]));
    run(&store, dave, case, link, at(2)).await;
    assert_eq!(fix_repo.round(at(2)).await.unwrap(), 1);
    let read_back = read(&store, alice, case).await;
    let commits: Vec<(String, Option<_>)> = read_back
        .fix_commits
        .iter()
        .map(|c| {
            (
                format!("{} {}", c.author, c.title.as_deref().unwrap_or("-")),
                c.author_user,
            )
        })
        .collect();
    assert_eq!(
        commits,
        [
            (
                "Dave <dave@example.org> cache: bound CNAME chains".to_string(),
                Some(dave.id)
            ),
            (
                "Alice <alice@example.org> cache: test the bound".to_string(),
                Some(alice.id)
            ),
        ],
        "read from git, the authors matched to accounts"
    );
    let plan = read_back.cherry_pick_plan.clone().expect("a plan");
    let outcomes: Vec<String> = plan
        .branches
        .iter()
        .map(|b| {
            let tag = b.tag.as_deref().unwrap_or("-");
            match &b.outcome {
                PlanOutcome::Clean { commits, .. } => {
                    format!("{} {tag} clean ({})", b.branch, commits.len())
                }
                PlanOutcome::Conflicts { files, .. } => {
                    format!("{} {tag} conflicts: {}", b.branch, files.join(","))
                }
                other => format!("{} {tag} {other:?}", b.branch),
            }
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            "release-1.9 v1.9.0 clean (2)",
            "release-1.11 v1.11.1 clean (2)",
            "release-1.12 v1.12.0 conflicts: cache.go",
        ]
    );

    // LGTMs on the commits read from git: each LGTMs the other's.
    let ids: Vec<_> = read_back
        .fix_commits
        .iter()
        .map(|c| c.commit.clone())
        .collect();
    for (who, commit) in [(alice, &ids[0]), (dave, &ids[1])] {
        let lgtm = Command::ApproveCommit {
            commit: commit.clone(),
        };
        run(&store, who, case, lgtm, at(3)).await;
    }
    run(&store, dave, case, Command::MarkFixReady, at(3)).await;
    let approved = read(&store, alice, case).await;
    assert!(approved.fix_ready_at.is_some());
    assert!(approved.fix_commits.iter().all(|c| c.approvals.len() == 1));

    // "Request a CVE": reserved at CVE Services, the id on the case.
    run(&store, alice, case, Command::RequestCveReservation, at(4)).await;
    assert_eq!(cve_steps.round(at(4)).await.unwrap(), 1);
    let reserved = cve_services.reserved();
    assert_eq!(reserved.len(), 1);
    let cve = read(&store, alice, case).await.cves[0].clone();
    assert_eq!(cve.to_string(), reserved[0]);

    // The notice opens the forthcoming-fix issue; its URL is a reference.
    let mitigation = "Disable the cache plugin until you upgrade.";
    let record = Command::RecordMitigation {
        steps: mitigation.into(),
    };
    run(&store, alice, case, record, at(5)).await;
    let notice = Command::PublishNotice {
        estimated_release: at(60 * 24 * 7),
        mitigation: mitigation.into(),
        link: None,
    };
    run(&store, alice, case, notice, at(5)).await;
    assert_eq!(github_steps.round(at(5)).await.unwrap(), 1);
    let issues = github.issues();
    assert_eq!(issues.len(), 1);
    assert!(issues[0]["body"].as_str().unwrap().contains(mitigation));
    let noticed = read(&store, alice, case).await;
    let issue = noticed.github_issue.clone().expect("the issue");
    assert_eq!(issue.url, issues[0]["html_url"].as_str().unwrap());
    assert!(
        noticed
            .record
            .references
            .iter()
            .any(|r| r.kind == ReferenceKind::Issue && r.url == issue.url)
    );

    // The distributors' pre-notification, the patch sets attached.
    let decide = Command::DecideDistributors(DistributorDecision {
        notify: true,
        rationale: "Remotely exploitable.".into(),
        embargo_end: Some(at(60 * 24 * 7)),
        long_embargo_reason: None,
        off_slot_reason: None,
    });
    run(&store, alice, case, decide, at(6)).await;
    let notify = Command::NotifyDistributors {
        patches: vec!["the patch sets attached".into()],
        affected_versions: Some(">= 1.11.0, < 1.11.2".into()),
        fixed_versions: Some("1.11.2".into()),
    };
    run(&store, alice, case, notify, at(6)).await;
    store
        .review_drafts(
            &Caller::cli(Principal::User(alice.clone())),
            case,
            MailKind::PreNotification,
            DraftDecision::Approve,
            at(7),
        )
        .await
        .unwrap();
    let (received, key) = common::deliver_once(&store, || at(8)).await;
    gpg.import(&key.public_key_armored().unwrap());
    let (copy, decrypted) = received
        .iter()
        .filter(|m| m.rcpt_to == ["founder@origin.example"])
        .map(|m| (m, gpg.decrypt_pgp_mime(&m.bytes).unwrap()))
        .find(|(_, d)| String::from_utf8_lossy(&d.plaintext).contains("SHA-256"))
        .expect("the distributor's copy");
    assert!(
        !String::from_utf8_lossy(&copy.bytes).contains("cache.go"),
        "never in clear"
    );
    assert!(decrypted.signature_good);
    let message = mail_parser::MessageParser::default()
        .parse(&decrypted.plaintext)
        .expect("a MIME entity");
    let text = message.body_text(0).expect("the text").into_owned();
    let attached: Vec<(String, Vec<u8>)> = message
        .attachments()
        .map(|a| {
            let name = a.attachment_name().unwrap_or_default().to_string();
            (name, a.contents().to_vec())
        })
        .collect();
    let mut planned = Vec::new();
    for b in &plan.branches {
        if let PlanOutcome::Clean {
            sha256, patches, ..
        } = &b.outcome
        {
            let tag = b.tag.as_deref().unwrap();
            let name = format!("{}_{tag}.patch", b.branch);
            assert!(
                text.contains(&format!(
                    "- {} on {tag}: {name}, SHA-256 {sha256}",
                    b.branch
                )),
                "{text}"
            );
            let (_, bytes) = attached
                .iter()
                .find(|(n, _)| *n == name)
                .unwrap_or_else(|| panic!("{name} attached"));
            assert_eq!(bytes, patches.expose().as_bytes());
            let digest: String = Sha256::digest(bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(&digest, sha256, "{name} hashes to what the text states");
            planned.push(name);
        }
    }
    assert_eq!(
        planned,
        ["release-1.9_v1.9.0.patch", "release-1.11_v1.11.1.patch"]
    );
    assert_eq!(attached.len(), 2, "one set per branch that takes the fix");

    // The release: refused while release-1.12 conflicts, until the Fix
    // Lead records how it was resolved.
    for (who, command) in [
        (
            alice,
            Command::FinalizeCvss {
                vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
                    .parse()
                    .unwrap(),
            },
        ),
        (
            alice,
            Command::EditRecord(RecordEdit::SetProduct(AffectedProduct {
                package: "github.com/coredns/coredns".into(),
                ecosystem: "Go".into(),
                purl: Some("pkg:golang/github.com/coredns/coredns".parse().unwrap()),
                ranges: vec![
                    VersionRange::parse(RangeKind::Semver, None, "1.11.0..1.11.2").unwrap(),
                ],
                branches: vec![],
            })),
        ),
        (
            alice,
            Command::EditRecord(RecordEdit::Describe {
                title: None,
                description: Some("A crafted CNAME chain poisons the cache of a resolver.".into()),
                impact: None,
            }),
        ),
        (
            dave,
            Command::DraftAnnouncement {
                text: format!("CoreDNS 1.11.2 fixes {cve}."),
            },
        ),
    ] {
        run(&store, who, case, command, at(9)).await;
    }
    let release = Command::Release {
        version: "v1.11.2".into(),
        base_release: "v1.11.1".into(),
        cherry_picks: vec![],
        public_at: None,
    };
    let refused = store
        .execute(
            &Caller::cli(Principal::User(alice.clone())),
            case,
            release.clone(),
            None,
            at(10),
        )
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        refused,
        "the fix does not apply cleanly on release-1.12: the Fix Lead records how each conflict was resolved first"
    );
    // The Fix Lead ports the fix onto v1.12.0 by hand; the resolution is
    // that real commit.
    git(w, &["checkout", "-q", "-b", "fix/cname-1.12", "v1.12.0"]);
    write(
        w,
        "cache.go",
        "package cache\n\nfunc chase(n int) {\n\tif n > 8 {\n\t\treturn\n\t}\n\tfollowAll(n, nil)\n}\n",
    );
    commit_all(w, "cache: bound CNAME chains (1.12)");
    let ported = git(w, &["rev-parse", "HEAD"]);
    git(w, &["checkout", "-q", "main"]);
    let resolve = Command::ResolveCherryPick {
        branch: "release-1.12".into(),
        commits: vec![ported.trim().parse().unwrap()],
    };
    run(&store, alice, case, resolve, at(10)).await;
    // On the day the embargo ends, as the distributors were told.
    let day = at(60 * 24 * 7);
    run(&store, alice, case, release, day).await;

    // After it: the CVE record published and valid for cvelib; the
    // advisory published with the CVE id, the Fix Team's access revoked.
    assert_eq!(cve_steps.round(day).await.unwrap(), 1);
    let containers = cve_services.containers();
    assert_eq!(containers.len(), 1);
    assert_eq!(valid_for_cvelib(containers), json!([null]));
    assert_eq!(github_steps.round(day).await.unwrap(), 1);
    let released = read(&store, alice, case).await;
    assert_eq!(
        released.cve_record_states.get(&cve).map(String::as_str),
        Some("PUBLISHED")
    );
    let advisory = released.github_advisory.clone().unwrap();
    assert!(advisory.collaborators.is_empty() && advisory.revoked_at.is_some());
    assert!(advisory.published_at.is_some());
    let on = &github.advisories()[0];
    assert_eq!(on["state"], "published");
    assert_eq!(on["cve_id"], json!(cve.to_string()));
    assert_eq!(on["collaborating_users"], json!([]));
    assert_eq!(on["vulnerabilities"][0]["patched_versions"], "1.11.2");
    assert_eq!(github.issues().len(), 1);
    assert_eq!(github.advisories().len(), 1);
    assert_eq!(cve_services.reserved().len(), 1);
}
