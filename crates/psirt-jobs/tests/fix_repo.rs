//! The fix branch followed by the job, against a real repository and a
//! real store: the commits appear with their authors matched to accounts,
//! the LGTM gate holds on them, a force-push replaces a commit and takes
//! its LGTMs, the plan finds one release branch already fixed, applies on
//! another and conflicts on a third, the release waits for the Fix Lead's resolution; an unfetchable
//! repository leaves the case as it was, shows the step failed with git's
//! reason and is retried with backoff.

use jiff::{SignedDuration, Timestamp};
use psirt_core::{CaseRef, Command, FixRepository, NewReport, PlanOutcome, Policy, Secret};
use psirt_git::testing::{Project, git, git_as, project, write};
use psirt_jobs::fix_repo::FixRepositories;
use psirt_store::{Caller, Principal, Step, StepState, Store, User};

const T0: &str = "2026-11-02T09:00:00Z";

fn at(minutes: i64) -> Timestamp {
    T0.parse::<Timestamp>().unwrap() + SignedDuration::from_mins(minutes)
}

struct World {
    _dir: tempfile::TempDir,
    store: Store,
    job: FixRepositories,
    case: CaseRef,
    alice: User,
    dave: User,
    project: Project,
}

impl World {
    async fn run(&self, who: &User, command: Command, now: Timestamp) -> Result<u64, String> {
        self.store
            .execute(
                &Caller::cli(Principal::User(who.clone())),
                self.case,
                command,
                None,
                now,
            )
            .await
            .map(|r| r.case.version)
            .map_err(|e| e.to_string())
    }

    async fn ok(&self, who: &User, command: Command, now: Timestamp) {
        if let Err(e) = self.run(who, command.clone(), now).await {
            panic!("{command:?}: {e}");
        }
    }

    async fn case(&self) -> psirt_core::Case {
        self.store
            .case(&Caller::cli(Principal::User(self.alice.clone())), self.case)
            .await
            .unwrap()
            .case
    }

    /// The fix commits as the case page lists them.
    async fn commits(&self) -> String {
        let case = self.case().await;
        let mut out = String::new();
        for c in &case.fix_commits {
            out.push_str(&format!(
                "{} {} user {} lgtm {}{}\n",
                &c.commit.as_str()[..7],
                c.author,
                c.author_user.map_or("-".into(), |u| u.get().to_string()),
                c.approvals.len(),
                if c.replaced { " replaced" } else { "" },
            ));
        }
        out
    }

    async fn plan(&self) -> String {
        let case = self.case().await;
        let plan = case.cherry_pick_plan.expect("a plan");
        let mut out = String::new();
        for b in &plan.branches {
            let outcome = match &b.outcome {
                PlanOutcome::Clean { commits, .. } => format!("clean ({} commits)", commits.len()),
                PlanOutcome::AlreadyContains => "already contains".into(),
                PlanOutcome::Conflicts { files, .. } => format!("conflicts: {}", files.join(",")),
                PlanOutcome::Failed { reason } => format!("failed: {reason}"),
            };
            out.push_str(&format!(
                "{} {} {outcome}\n",
                b.branch,
                b.tag.as_deref().unwrap_or("-")
            ));
        }
        out
    }

    async fn step(&self) -> psirt_store::StepStatus {
        let steps = self.store.steps(self.case).await.unwrap();
        steps
            .into_iter()
            .find(|s| s.step == Step::FixRepository)
            .expect("the step is scheduled")
    }
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite://{}/psirt.db", dir.path().display()))
        .await
        .unwrap();
    store
        .add_project("coredns", "CoreDNS", &Policy::default(), at(0))
        .await
        .unwrap();
    let mut users = Vec::new();
    for (name, pst) in [("alice", true), ("bob", true), ("dave", false)] {
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
    let intake = store
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
        .unwrap();
    let project = project();
    let job = FixRepositories::new(store.clone(), dir.path().join("git"));
    let w = World {
        case: intake.record.case.reference,
        alice: users[0].clone(),
        dave: users[2].clone(),
        store,
        job,
        project,
        _dir: dir,
    };
    w.ok(
        &w.alice,
        Command::AssignFixLead {
            lead: Some(w.alice.id),
            override_reason: Some("on call".into()),
        },
        at(1),
    )
    .await;
    w.ok(
        &w.alice,
        Command::FormFixTeam {
            members: vec![w.dave.id],
        },
        at(1),
    )
    .await;
    w
}

fn linked(p: &Project) -> FixRepository {
    p.repo(&["release-1.10", "release-1.11", "release-1.12"])
}

#[tokio::test]
async fn the_job_follows_the_fix_branch_and_the_release_waits_for_the_plan() {
    let w = world().await;
    w.ok(
        &w.dave,
        Command::LinkFixRepository(linked(&w.project)),
        at(2),
    )
    .await;
    assert_eq!(w.step().await.state, StepState::Pending);
    assert_eq!(w.job.round(at(2)).await.unwrap(), 1);
    let (alice, dave) = (w.alice.id.get(), w.dave.id.get());
    assert_eq!(
        w.commits().await,
        format!(
            "fcdc250 Dave <dave@example.org> user {dave} lgtm 0\n\
             71e2372 Alice <alice@example.org> user {alice} lgtm 0\n"
        )
    );
    assert_eq!(
        w.plan().await,
        "release-1.10 v1.10.1 already contains\n\
         release-1.11 v1.11.1 clean (2 commits)\n\
         release-1.12 v1.12.0 conflicts: cache.go\n"
    );
    let step = w.step().await;
    assert_eq!((step.state, step.next_at), (StepState::Ok, at(7)));

    // Not due again before the poll; then nothing new to record.
    assert_eq!(w.job.round(at(3)).await.unwrap(), 0);
    let version = w.case().await.version;
    assert_eq!(w.job.round(at(7)).await.unwrap(), 1);
    assert_eq!(
        w.case().await.version,
        version,
        "an unchanged branch records nothing"
    );

    // LGTMs: never one's own commit (the author matched to the account).
    let commits: Vec<_> = w
        .case()
        .await
        .fix_commits
        .iter()
        .map(|c| c.commit.clone())
        .collect();
    let lgtm = |i: usize| Command::ApproveCommit {
        commit: commits[i].clone(),
    };
    let own = w.run(&w.alice, lgtm(1), at(8)).await.unwrap_err();
    assert!(own.contains("other than the commit's author"), "{own}");
    w.ok(&w.alice, lgtm(0), at(8)).await;
    w.ok(&w.dave, lgtm(1), at(8)).await;
    w.ok(&w.dave, Command::MarkFixReady, at(8)).await;

    // Alice amends her commit and force-pushes: it is replaced, its LGTM
    // gone, the fix reopened, and the plan recomputed.
    let repo = w.project.work.as_path();
    git(repo, &["checkout", "-q", "fix/cname"]);
    write(repo, "cache_test.go", "package cache\n// TestChaseBound\n");
    git(repo, &["add", "-A"]);
    git_as(
        repo,
        ("Alice", "alice@example.org"),
        &[
            "commit",
            "-q",
            "--amend",
            "-m",
            "cache: test the bound (v2)",
        ],
    );
    git(repo, &["checkout", "-q", "main"]);
    assert_eq!(w.job.round(at(12)).await.unwrap(), 1);
    assert_eq!(
        w.commits().await,
        format!(
            "fcdc250 Dave <dave@example.org> user {dave} lgtm 1\n\
             71e2372 Alice <alice@example.org> user {alice} lgtm 0 replaced\n\
             0d5e9c9 Alice <alice@example.org> user {alice} lgtm 0\n"
        )
    );
    let case = w.case().await;
    assert!(
        case.fix_ready_at.is_none(),
        "the changed branch reopened the fix"
    );
    assert_eq!(
        case.cherry_pick_plan.as_ref().unwrap().commits,
        case.current_fix_commits()
    );
    // v1.10.1 carries the test as it was before the amendment: the new
    // version of it conflicts there now.
    assert_eq!(
        w.plan().await,
        "release-1.10 v1.10.1 conflicts: cache_test.go\n\
         release-1.11 v1.11.1 clean (2 commits)\n\
         release-1.12 v1.12.0 conflicts: cache.go\n"
    );
    let new = case.fix_commits[2].commit.clone();
    w.ok(&w.dave, Command::ApproveCommit { commit: new }, at(13))
        .await;
    w.ok(&w.dave, Command::MarkFixReady, at(13)).await;

    // The release waits for the Fix Lead's resolution of release-1.12.
    w.ok(
        &w.alice,
        Command::FinalizeCvss {
            vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
                .parse()
                .unwrap(),
        },
        at(14),
    )
    .await;
    w.ok(
        &w.alice,
        Command::RecordCve {
            cve: "CVE-2026-12345".parse().unwrap(),
        },
        at(14),
    )
    .await;
    w.ok(
        &w.dave,
        Command::DraftAnnouncement {
            text: "CoreDNS 1.11.2 fixes CVE-2026-12345.".into(),
        },
        at(14),
    )
    .await;
    let release = Command::Release {
        version: "v1.11.2".into(),
        base_release: "v1.11.1".into(),
        cherry_picks: vec![],
        public_at: None,
    };
    let refused = w.run(&w.alice, release.clone(), at(15)).await.unwrap_err();
    assert_eq!(
        refused,
        "the fix does not apply cleanly on release-1.10, release-1.12: the Fix Lead records how each conflict was resolved first"
    );
    for branch in ["release-1.10", "release-1.12"] {
        w.ok(
            &w.alice,
            Command::ResolveCherryPick {
                branch: branch.into(),
                commits: vec!["1234567".parse().unwrap()],
            },
            at(15),
        )
        .await;
    }
    w.ok(&w.alice, release, at(16)).await;
    // A released case keeps its plan: the job records nothing more.
    let version = w.case().await.version;
    assert_eq!(w.job.round(at(20)).await.unwrap(), 1);
    assert_eq!(w.case().await.version, version);
}

#[tokio::test]
async fn an_unfetchable_repository_leaves_the_case_as_it_was_and_is_retried_with_backoff() {
    let w = world().await;
    w.ok(
        &w.dave,
        Command::LinkFixRepository(linked(&w.project)),
        at(2),
    )
    .await;
    let moved = w.project.root.with_file_name("moved-away");
    std::fs::rename(&w.project.work, &moved).unwrap();
    let version = w.case().await.version;
    assert_eq!(w.job.round(at(2)).await.unwrap(), 1);
    assert_eq!(w.case().await.version, version, "the case keeps its state");
    let step = w.step().await;
    assert_eq!(step.state, StepState::Failed);
    assert_eq!(step.attempts, 1);
    let reason = step.reason.unwrap();
    assert!(
        reason.starts_with("the fix repository could not be fetched: fatal: ")
            && reason.contains("does not appear to be a git repository"),
        "{reason}"
    );
    assert_eq!(step.next_at, at(2) + SignedDuration::from_secs(30));
    // Not retried before the backoff; the second failure waits twice as long.
    assert_eq!(w.job.round(at(2)).await.unwrap(), 0);
    let retry = at(2) + SignedDuration::from_secs(30);
    assert_eq!(w.job.round(retry).await.unwrap(), 1);
    let step = w.step().await;
    assert_eq!(
        (step.attempts, step.next_at),
        (2, retry + SignedDuration::from_secs(60))
    );
    // Back again: the next attempt reads it, and the failure is cleared.
    std::fs::rename(&moved, &w.project.work).unwrap();
    let later = retry + SignedDuration::from_secs(60);
    assert_eq!(w.job.round(later).await.unwrap(), 1);
    let step = w.step().await;
    assert_eq!(
        (step.state, step.attempts, step.reason),
        (StepState::Ok, 0, None)
    );
    assert_eq!(w.case().await.fix_commits.len(), 2);
}

/// A one-request HTTP server on loopback that keeps the `Authorization`
/// header git sent and answers 401: enough to see what a fetch carries.
fn header_catcher() -> (String, std::sync::mpsc::Receiver<Option<String>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/coredns.git", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut auth = None;
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                if let Some(v) = line.strip_prefix("Authorization: ") {
                    auth = Some(v.trim_end().to_string());
                }
                line.clear();
            }
            let _ = stream.write_all(
                b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            if tx.send(auth).is_err() {
                return;
            }
        }
    });
    (url, rx)
}

/// `psirt project service git`: the project's credentials go with the
/// fetch as HTTP basic authentication, opened from the vault; a project
/// without them fetches anonymously.
#[tokio::test]
async fn the_projects_credentials_go_with_an_https_fetch() {
    let w = world().await;
    let (url, seen) = header_catcher();
    let mut repo = linked(&w.project);
    repo.location = url;
    w.ok(&w.dave, Command::LinkFixRepository(repo), at(2)).await;

    // Without a vault or credentials: no header at all.
    w.job.round(at(2)).await.unwrap();
    assert_eq!(seen.recv().unwrap(), None);
    assert_eq!(w.step().await.state, StepState::Failed);

    let vault = w
        .store
        .open_vault(b"0123456789abcdef0123", at(2))
        .await
        .unwrap();
    let settings = psirt_store::ServiceSettings::fix_repositories("psirt-bot").unwrap();
    let token = psirt_store::ServiceSecret::new("glpat-secret").unwrap();
    w.store
        .put_service("coredns", &settings, &token, &vault, at(2))
        .await
        .unwrap();
    let job = w.job.clone().with_vault(vault);
    while seen.try_recv().is_ok() {}
    let later = w.step().await.next_at;
    job.round(later).await.unwrap();
    // base64("psirt-bot:glpat-secret")
    assert_eq!(
        seen.recv().unwrap().as_deref(),
        Some("Basic cHNpcnQtYm90OmdscGF0LXNlY3JldA==")
    );
    let step = w.step().await;
    assert_eq!(step.state, StepState::Failed);
    assert!(
        !step.reason.unwrap_or_default().contains("glpat-secret"),
        "the token in the step's reason"
    );
}
