//! The GitHub steps against the stand-in and a real store: the Fix Team
//! formed makes a draft advisory with the team's GitHub logins as
//! collaborators (the stand-in acts and loses its answer: still one
//! advisory), a new member is added to them; the notice opens one issue
//! (again after a lost answer) whose URL is a reference of the record; the
//! release revokes everyone's access and publishes the advisory with the
//! CVE id and the fixed versions (GitHub down first: the case keeps its
//! state, the step shows GitHub's reason and is retried after the
//! backoff). Only a project connected to GitHub (its token sealed in the
//! store) has GitHub steps; one disconnected since has them dropped.

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use psirt_core::{
    AffectedProduct, Case, CaseRef, Command, NewReport, Policy, RangeKind, RecordEdit,
    ReferenceKind, Secret, VersionRange,
};
use psirt_github::Patience;
use psirt_github::testing::{Fault, OWNER, REPO, StandIn, TOKEN};
use psirt_jobs::github::{Connected, GitHubSteps};
use psirt_store::{
    Caller, Principal, Service, ServiceSecret, ServiceSettings, Step, StepState, Store, User,
};
use serde_json::json;

async fn run(store: &Store, who: &User, case: CaseRef, command: Command, now: Timestamp) {
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

async fn read(store: &Store, who: &User, case: CaseRef) -> Case {
    store
        .case(&Caller::cli(Principal::User(who.clone())), case)
        .await
        .unwrap()
        .case
}

async fn report(store: &Store, project: &str, now: Timestamp) -> CaseRef {
    store
        .report(
            NewReport {
                project: project.into(),
                summary: "A crafted CNAME chain poisons the cache.".into(),
                details: Secret::new("dig @127.0.0.1 evil.example".into()),
                reporter: None,
                public_link: None,
                already_public: false,
                ai_assisted: false,
            },
            "test",
            now,
        )
        .await
        .unwrap()
        .record
        .case
        .reference
}

async fn lead_and_team(store: &Store, lead: &User, team: &[&User], case: CaseRef, now: Timestamp) {
    let assign = Command::AssignFixLead {
        lead: None,
        override_reason: None,
    };
    run(store, lead, case, assign, now).await;
    let form = Command::FormFixTeam {
        members: team.iter().map(|u| u.id).collect(),
    };
    run(store, lead, case, form, now).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notice_the_fix_team_and_the_release_on_github() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite://{}/psirt.db", dir.path().display()))
        .await
        .unwrap();
    let now = Timestamp::now();
    for (slug, name) in [("coredns", "CoreDNS"), ("other", "Other")] {
        store
            .add_project(slug, name, &Policy::default(), now)
            .await
            .unwrap();
    }
    let mut users = Vec::new();
    for name in ["alice", "dave", "erin", "olga"] {
        let email = format!("{name}@example.org").parse().unwrap();
        let (user, _) = store.add_user(&email, name, false, now).await.unwrap();
        users.push(user);
    }
    let (alice, dave, erin, olga) = (&users[0], &users[1], &users[2], &users[3]);
    store
        .add_pst_member("coredns", alice.id, now)
        .await
        .unwrap();
    store.add_pst_member("other", olga.id, now).await.unwrap();
    // Logins are set by an administrator; erin has none yet.
    store
        .set_github_login(alice.id, Some(&"Alice".parse().unwrap()), now)
        .await
        .unwrap();
    store
        .set_github_login(dave.id, Some(&"dave".parse().unwrap()), now)
        .await
        .unwrap();
    let taken = store
        .set_github_login(erin.id, Some(&"DAVE".parse().unwrap()), now)
        .await
        .unwrap_err();
    assert!(taken.to_string().contains("dave"), "{taken}");

    let stand_in = StandIn::start(2, &["alice", "dave", "erin"]).await;
    // The project's connection, its token sealed (`psirt project service github`).
    let vault = store
        .open_vault(b"test key-encryption key", now)
        .await
        .unwrap();
    let connect = |project: &'static str| {
        let (store, vault, url) = (store.clone(), vault.clone(), stand_in.url.clone());
        async move {
            let settings = ServiceSettings::github(Some(&url), &format!("{OWNER}/{REPO}")).unwrap();
            let token = ServiceSecret::new(TOKEN).unwrap();
            store
                .put_service(project, &settings, &token, &vault, now)
                .await
                .unwrap();
        }
    };
    connect("coredns").await;
    let steps = GitHubSteps {
        store: store.clone(),
        targets: Arc::new(Connected {
            store: store.clone(),
            vault: vault.clone(),
        }),
        patience: Patience {
            attempts: 3,
            max_retry_after: Duration::from_secs(5),
            first_pause: Duration::from_millis(20),
            timeout: Duration::from_secs(5),
        },
    };

    // A project without GitHub has no GitHub steps; one disconnected
    // since its step was scheduled has it dropped. Nothing is sent.
    let elsewhere = report(&store, "other", now).await;
    let assign = Command::AssignFixLead {
        lead: None,
        override_reason: None,
    };
    run(&store, olga, elsewhere, assign, now).await;
    assert!(store.steps(elsewhere).await.unwrap().is_empty());
    connect("other").await;
    let form = Command::FormFixTeam { members: vec![] };
    run(&store, olga, elsewhere, form, now).await;
    assert_eq!(store.steps(elsewhere).await.unwrap().len(), 1);
    store
        .remove_service("other", Service::GitHub)
        .await
        .unwrap();
    assert_eq!(steps.round(now).await.unwrap(), 1);
    assert!(store.steps(elsewhere).await.unwrap().is_empty());
    assert!(stand_in.log().is_empty());

    // The Fix Team formed: a draft advisory, the answer lost once.
    let case = report(&store, "coredns", now).await;
    lead_and_team(&store, alice, &[dave, erin], case, now).await;
    stand_in.fault("POST", "security-advisories", Fault::ActThenFail);
    assert_eq!(steps.round(now).await.unwrap(), 1);
    assert_eq!(stand_in.advisories().len(), 1, "one advisory");
    let advisory = read(&store, alice, case).await.github_advisory.unwrap();
    let shown = |logins: &[psirt_core::GitHubLogin]| -> Vec<String> {
        logins.iter().map(ToString::to_string).collect()
    };
    assert_eq!(shown(&advisory.collaborators), ["alice", "dave"]);
    let on_github = |stand_in: &StandIn| -> Vec<String> {
        stand_in.advisories()[0]["collaborating_users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["login"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(on_github(&stand_in), ["alice", "dave"]);
    assert_eq!(
        steps.round(now).await.unwrap(),
        0,
        "done until the team changes"
    );

    // Erin gets a login and the team changes: she is a collaborator too.
    store
        .set_github_login(erin.id, Some(&"erin".parse().unwrap()), now)
        .await
        .unwrap();
    let remove = Command::RemoveFixTeamMember {
        member: dave.id,
        reason: "on leave".into(),
    };
    run(&store, alice, case, remove, now).await;
    assert_eq!(steps.round(now).await.unwrap(), 1);
    let advisory = read(&store, alice, case).await.github_advisory.unwrap();
    assert_eq!(shown(&advisory.collaborators), ["alice", "erin"]);
    assert_eq!(on_github(&stand_in), ["alice", "erin"]);
    run(
        &store,
        alice,
        case,
        Command::AddFixTeamMember { member: dave.id },
        now,
    )
    .await;
    assert_eq!(steps.round(now).await.unwrap(), 1);
    assert_eq!(on_github(&stand_in), ["alice", "dave", "erin"]);

    // The notice: one issue, though GitHub lost its first answer.
    let mitigation = "Disable the cache plugin until you upgrade.";
    run(
        &store,
        alice,
        case,
        Command::RecordMitigation {
            steps: mitigation.into(),
        },
        now,
    )
    .await;
    run(
        &store,
        alice,
        case,
        Command::PublishNotice {
            estimated_release: now + SignedDuration::from_hours(24 * 7),
            mitigation: mitigation.into(),
            link: None,
        },
        now,
    )
    .await;
    stand_in.fault("POST", "issues", Fault::ActThenFail);
    assert_eq!(steps.round(now).await.unwrap(), 1);
    let issues = stand_in.issues();
    assert_eq!(issues.len(), 1, "one issue");
    assert!(
        issues[0]["title"]
            .as_str()
            .unwrap()
            .starts_with("Forthcoming security fix for coredns")
    );
    assert!(issues[0]["body"].as_str().unwrap().contains(mitigation));
    let noticed = read(&store, alice, case).await;
    let issue = noticed.github_issue.clone().unwrap();
    assert_eq!(issue.url, "https://github.com/coredns/coredns/issues/1");
    assert!(
        noticed
            .record
            .references
            .iter()
            .any(|r| r.kind == ReferenceKind::Issue && r.url == issue.url),
        "the issue is a reference of the record"
    );

    // The release.
    let commit = || "abc1234".parse().unwrap();
    let product = AffectedProduct {
        package: "github.com/coredns/coredns".into(),
        ecosystem: "Go".into(),
        purl: None,
        ranges: vec![VersionRange {
            kind: RangeKind::Semver,
            repo: None,
            introduced: "1.11.0".into(),
            fixed: Some("1.11.2".into()),
            last_affected: None,
        }],
        branches: vec![],
    };
    for (who, command) in [
        (
            dave,
            Command::AddFixCommit {
                commit: commit(),
                author: "dave <dave@example.org>".into(),
                author_user: Some(dave.id),
                url: None,
            },
        ),
        (alice, Command::ApproveCommit { commit: commit() }),
        (dave, Command::MarkFixReady),
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
            Command::RecordCve {
                cve: "CVE-2026-1001".parse().unwrap(),
            },
        ),
        (alice, Command::EditRecord(RecordEdit::SetProduct(product))),
        (
            dave,
            Command::DraftAnnouncement {
                text: "1.11.2 fixes it.".into(),
            },
        ),
        (
            alice,
            Command::Release {
                version: "v1.11.2".into(),
                base_release: "v1.11.1".into(),
                cherry_picks: vec![commit()],
                public_at: Some(now + SignedDuration::from_hours(1)),
            },
        ),
    ] {
        run(&store, who, case, command, now).await;
    }
    // Recorded an hour ahead: the advisory is published at the release's
    // public instant, not at the command.
    // (The store keeps microseconds.)
    let public =
        Timestamp::from_microsecond((now + SignedDuration::from_hours(1)).as_microsecond())
            .unwrap();
    let release_step = store
        .steps(case)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.step == Step::GitHubRelease)
        .unwrap();
    assert_eq!(
        (release_step.state, release_step.next_at),
        (StepState::Pending, public)
    );
    assert_eq!(steps.round(now).await.unwrap(), 0, "not before the instant");
    let now = public;
    let ghsa = advisory.ghsa_id.clone();
    for _ in 0..3 {
        stand_in.fault(
            "PATCH",
            &format!("security-advisories/{ghsa}"),
            Fault::Fail(503),
        );
    }
    let version = read(&store, alice, case).await.version;
    assert_eq!(steps.round(now).await.unwrap(), 1);
    assert_eq!(
        read(&store, alice, case).await.version,
        version,
        "the case keeps its state"
    );
    let step = store
        .steps(case)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.step == Step::GitHubRelease)
        .unwrap();
    assert_eq!(step.state, StepState::Failed);
    assert_eq!(
        step.reason.as_deref(),
        Some("GitHub is unavailable: 503 Server Error")
    );
    assert_eq!(steps.round(now).await.unwrap(), 0, "not before the backoff");
    assert_eq!(steps.round(step.next_at).await.unwrap(), 1);

    let released = read(&store, alice, case).await;
    let advisory = released.github_advisory.clone().unwrap();
    assert!(advisory.collaborators.is_empty() && advisory.revoked_at.is_some());
    assert!(advisory.published_at.is_some());
    let on = &stand_in.advisories()[0];
    assert_eq!(on["state"], "published");
    assert_eq!(on["cve_id"], "CVE-2026-1001");
    assert_eq!(on["collaborating_users"], json!([]));
    assert_eq!(
        on["vulnerabilities"][0],
        json!({
            "package": { "ecosystem": "go", "name": "github.com/coredns/coredns" },
            "vulnerable_version_range": ">= 1.11.0, < 1.11.2",
            "patched_versions": "1.11.2",
            "vulnerable_functions": [],
        })
    );
    assert_eq!(
        on["cvss"]["vector_string"],
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    );
    let timeline: Vec<&'static str> = store
        .case(&Caller::cli(Principal::User(alice.clone())), case)
        .await
        .unwrap()
        .events
        .iter()
        .map(|e| e.change.name())
        .filter(|n| n.starts_with("github_"))
        .collect();
    assert_eq!(
        timeline,
        [
            "github_advisory_drafted",
            "github_collaborators_set",
            "github_collaborators_set",
            "github_collaborators_set",
            "github_issue_created",
            "github_access_revoked",
            "github_advisory_published"
        ]
    );
    assert_eq!(steps.round(step.next_at).await.unwrap(), 0, "done for good");
    assert_eq!(stand_in.issues().len(), 1);
    assert_eq!(stand_in.advisories().len(), 1);
}
