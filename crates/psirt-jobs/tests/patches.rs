//! The pre-notification's patches as attachments, end to end: a real fix
//! repository planned by the job, a distributor with a GnuPG key, the
//! drafts approved, one delivery round over SMTP; GnuPG decrypts the copy,
//! an independent MIME parser (mail-parser) finds the patch set attached
//! as `text/x-patch` under its file name, not in the text, its bytes hash
//! to the SHA-256 the text states, and `git am` applies them on the
//! release tag.

mod common;

use common::{at, run};
use mail_parser::MimeHeaders;
use psirt_core::{Command, DistributorDecision, MailKind, NewReport, PlanOutcome, Secret};
use psirt_git::testing::{git, project};
use psirt_jobs::fix_repo::FixRepositories;
use psirt_mail::testing::gpg::Gpg;
use psirt_store::{Caller, CheckedKey, DraftDecision, NewPerson, Principal};
use sha2::{Digest, Sha256};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_encrypted_copy_carries_the_patch_sets_it_states() {
    let dir = tempfile::tempdir().unwrap();
    let (store, users) = common::coredns(dir.path(), &[("alice", true), ("dave", false)]).await;
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
    run(
        &store,
        alice,
        case,
        Command::AssignFixLead {
            lead: Some(alice.id),
            override_reason: Some("on call".into()),
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

    // The fix branch, read and planned by the job: release-1.11 takes it.
    let repo = project();
    run(
        &store,
        dave,
        case,
        Command::LinkFixRepository(repo.repo(&["release-1.10", "release-1.11"])),
        at(2),
    )
    .await;
    let job = FixRepositories::new(store.clone(), dir.path().join("git"));
    assert_eq!(job.round(at(2)).await.unwrap(), 1);
    let read = store
        .case(&Caller::cli(Principal::User(alice.clone())), case)
        .await
        .unwrap()
        .case;
    let commits: Vec<_> = read.fix_commits.iter().map(|c| c.commit.clone()).collect();
    let plan = read.cherry_pick_plan.expect("a plan");
    let (planned_sha, planned_patches) = plan
        .branches
        .iter()
        .find_map(|b| match &b.outcome {
            PlanOutcome::Clean {
                sha256, patches, ..
            } if b.branch == "release-1.11" => Some((sha256.clone(), patches.expose().clone())),
            _ => None,
        })
        .expect("release-1.11 applies cleanly");
    // Dave wrote the first commit, Alice the second: each LGTMs the other's.
    for (who, commit) in [(alice, &commits[0]), (dave, &commits[1])] {
        run(
            &store,
            who,
            case,
            Command::ApproveCommit {
                commit: commit.clone(),
            },
            at(3),
        )
        .await;
    }
    run(&store, dave, case, Command::MarkFixReady, at(3)).await;
    run(
        &store,
        alice,
        case,
        Command::DecideDistributors(DistributorDecision {
            notify: true,
            rationale: "Remotely exploitable.".into(),
            embargo_end: Some(at(60 * 24 * 7)),
            long_embargo_reason: None,
            off_slot_reason: None,
        }),
        at(4),
    )
    .await;
    run(
        &store,
        alice,
        case,
        Command::NotifyDistributors {
            patches: vec!["the patch sets attached".into()],
            affected_versions: Some(">= 1.11.0, < 1.11.2".into()),
            fixed_versions: Some("1.11.2".into()),
        },
        at(4),
    )
    .await;
    store
        .review_drafts(
            &Caller::cli(Principal::User(alice.clone())),
            case,
            MailKind::PreNotification,
            DraftDecision::Approve,
            at(5),
        )
        .await
        .unwrap();

    // One delivery round to a real SMTP server.
    let (received, key) = common::deliver_once(&store, || at(6)).await;
    gpg.import(&key.public_key_armored().unwrap());
    // (Their invitation went out in the same round.)
    let (copy, decrypted) = received
        .iter()
        .filter(|m| m.rcpt_to == ["founder@origin.example"])
        .map(|m| (m, gpg.decrypt_pgp_mime(&m.bytes).unwrap()))
        .find(|(_, d)| String::from_utf8_lossy(&d.plaintext).contains(&case.to_string()))
        .expect("the distributor's copy");
    assert!(
        !String::from_utf8_lossy(&copy.bytes).contains("cache.go"),
        "never in clear"
    );
    assert!(decrypted.signature_good, "signed with the instance key");

    // What the distributor's mail client shows: the text, and the patch
    // set as a file of its own.
    let message = mail_parser::MessageParser::default()
        .parse(&decrypted.plaintext)
        .expect("a MIME entity");
    let text = message.body_text(0).expect("the text").into_owned();
    assert!(
        text.contains(&format!(
            "- release-1.11 on v1.11.1: release-1.11_v1.11.1.patch, SHA-256 {planned_sha}"
        )),
        "{text}"
    );
    assert!(text.contains("- release-1.10 on v1.10.1: already contains the fix"));
    assert!(!text.contains("cache.go"), "the patches are not inline");
    let files: Vec<(String, String, Vec<u8>)> = message
        .attachments()
        .map(|a| {
            let ct = a.content_type().expect("a content type");
            (
                a.attachment_name().unwrap_or_default().to_string(),
                format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default()),
                a.contents().to_vec(),
            )
        })
        .collect();
    assert_eq!(files.len(), 1, "one set per branch that takes the fix");
    let (name, content_type, bytes) = &files[0];
    assert_eq!(
        (name.as_str(), content_type.as_str()),
        ("release-1.11_v1.11.1.patch", "text/x-patch")
    );
    assert_eq!(bytes, planned_patches.as_bytes());
    let digest: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(digest, planned_sha, "the bytes are what the text states");

    // And they apply where the distributor would apply them.
    let patch = dir.path().join(name);
    std::fs::write(&patch, bytes).unwrap();
    git(&repo.work, &["checkout", "-q", "--detach", "v1.11.1"]);
    git(&repo.work, &["am", "-q", patch.to_str().unwrap()]);
    let log = git(&repo.work, &["log", "--format=%s", "-2"]);
    assert_eq!(
        log.trim(),
        "cache: test the bound\ncache: bound CNAME chains"
    );
}
