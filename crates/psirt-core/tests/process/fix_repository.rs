//! The fix repository: "LGTMs on all commits in the private repo from one
//! or more maintainers", with the commits read from the branch (a
//! force-pushed commit loses its LGTMs), and the cherry-pick plan onto
//! "the current last version released" that a release waits for.
//!
//! The git side (reading, applying) is `psirt-git`'s; here the results
//! arrive as commands, as the job hands them in.

use expect_test::expect;
use psirt_core::{
    Actor, BranchCommit, BranchPlan, CherryPickPlan, Command, FixRepoRule, FixRepository,
    PlanOutcome, Rule, Secret, UserId,
};

use crate::harness::*;

/// Every rule of the module has a test here: a new variant stops this
/// from compiling.
#[allow(dead_code)]
fn every_rule_is_shown(rule: &FixRepoRule) {
    match rule {
        FixRepoRule::NoFixRepository
        | FixRepoRule::FixBranchUnchanged
        | FixRepoRule::CommitReplaced(_)
        | FixRepoRule::StalePlan
        | FixRepoRule::PlanUnchanged
        | FixRepoRule::NotInPlan(_)
        | FixRepoRule::NoConflictThere(_)
        | FixRepoRule::PlanNeeded
        | FixRepoRule::PlanHasConflicts(_)
        | FixRepoRule::PlanFailed(_) => {}
    }
}

fn repo() -> FixRepository {
    FixRepository {
        location: "https://git.example.org/coredns-security.git".into(),
        branch: "fix/cname-chain".into(),
        base: "main".into(),
        release_branches: vec!["release-1.11".into(), "release-1.12".into()],
        tag_pattern: "v*".into(),
    }
}

fn by(id: &str, author: UserId, title: &str) -> BranchCommit {
    BranchCommit {
        commit: commit(id),
        author_name: name(author),
        author_email: format!("{}@example.org", name(author)),
        author_user: Some(author),
        title: title.into(),
    }
}

fn read(commits: Vec<BranchCommit>) -> Command {
    Command::ReadFixBranch { commits }
}

fn clean(branch: &str, tag: &str, picked: &str) -> BranchPlan {
    BranchPlan {
        branch: branch.into(),
        tag: Some(tag.into()),
        outcome: PlanOutcome::Clean {
            commits: vec![commit(picked)],
            patches: Secret::new(format!("From {picked} Mon Sep 17 00:00:00 2001\n")),
            sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
        },
    }
}

fn conflicting(branch: &str, tag: &str, id: &str) -> BranchPlan {
    BranchPlan {
        branch: branch.into(),
        tag: Some(tag.into()),
        outcome: PlanOutcome::Conflicts {
            commit: commit(id),
            files: vec!["plugin/cache/cache.go".into()],
        },
    }
}

fn plan(commits: &[&str], branches: Vec<BranchPlan>) -> Command {
    Command::RecordCherryPickPlan(CherryPickPlan {
        commits: commits.iter().map(|c| commit(c)).collect(),
        branches,
    })
}

/// The fix commits as the case page lists them.
fn commits(w: &World) -> String {
    let mut out = String::new();
    for c in &w.case.fix_commits {
        let approvals: Vec<String> = c.approvals.iter().map(|u| name(*u)).collect();
        out.push_str(&format!(
            "{} {:<24} {} lgtm [{}]{}\n",
            c.commit,
            c.title.as_deref().unwrap_or("-"),
            c.author,
            approvals.join(", "),
            if c.replaced { " replaced" } else { "" }
        ));
    }
    out
}

fn linked() -> World {
    let mut w = World::private();
    w.form_team();
    w.ok(w.person(DAVE), Command::LinkFixRepository(repo()));
    w
}

#[test]
fn a_linked_repository_is_a_fetchable_location_and_git_branch_names() {
    let mut w = World::private();
    w.form_team();
    let mut check = |repo: FixRepository, expected: expect_test::Expect| {
        w.check(w.person(DAVE), Command::LinkFixRepository(repo), expected);
    };
    check(
        FixRepository {
            location: "https://bob:hunter2@git.example.org/x.git".into(),
            ..repo()
        },
        expect!["invalid location: must not contain a password: the credentials are kept apart"],
    );
    check(
        FixRepository {
            location: "ext::sh -c touch% /tmp/pwned".into(),
            ..repo()
        },
        expect!["invalid location: must be a path or a URL"],
    );
    check(
        FixRepository {
            location: "ext::sh".into(),
            ..repo()
        },
        expect!["invalid location: git remote helpers are not allowed"],
    );
    check(
        FixRepository {
            location: "--upload-pack=touch /tmp/x".into(),
            ..repo()
        },
        expect!["invalid location: must be a path or a URL"],
    );
    check(
        FixRepository {
            location: "gopher://git.example.org/x".into(),
            ..repo()
        },
        expect!["invalid location: gopher:// is not supported"],
    );
    check(
        FixRepository {
            branch: "fix..x".into(),
            ..repo()
        },
        expect![[r#"invalid branch: "fix..x" is not a git branch name"#]],
    );
    check(
        FixRepository {
            base: "-main".into(),
            ..repo()
        },
        expect![[r#"invalid base: "-main" is not a git branch name"#]],
    );
    check(
        FixRepository {
            release_branches: vec![],
            ..repo()
        },
        expect!["invalid release_branches: name at least one branch"],
    );
    check(
        FixRepository {
            tag_pattern: "--all".into(),
            ..repo()
        },
        expect!["invalid tag_pattern: must be a glob such as v*"],
    );
    check(
        FixRepository {
            location: "/srv/git/coredns-security.git".into(),
            ..repo()
        },
        expect!["ok"],
    );
    w.check(
        Actor::System,
        Command::LinkFixRepository(repo()),
        expect!["denied: only the Product Security Team, the Fix Lead or the Fix Team may record fix commits, LGTMs and mitigations"],
    );
}

#[test]
fn commits_read_from_the_branch_need_an_lgtm_from_a_maintainer_who_is_not_their_author() {
    let mut w = World::private();
    w.form_team();
    w.check(
        Actor::System,
        read(vec![by("aaa1111", DAVE, "cache: bound CNAME chains")]),
        expect!["FixRepo: the case has no fix repository linked"],
    );
    w.ok(w.person(DAVE), Command::LinkFixRepository(repo()));
    w.ok(
        Actor::System,
        read(vec![
            by("aaa1111", DAVE, "cache: bound CNAME chains"),
            by("bbb2222", ALICE, "cache: test the bound"),
        ]),
    );
    w.check(
        Actor::System,
        read(vec![
            by("aaa1111", DAVE, "cache: bound CNAME chains"),
            by("bbb2222", ALICE, "cache: test the bound"),
        ]),
        expect!["FixRepo: the fix branch has not changed"],
    );
    // The author's identity matched Dave's account: he cannot approve it.
    w.check(
        w.person(DAVE),
        Command::ApproveCommit {
            commit: commit("aaa1111"),
        },
        expect![
            "NoSelfApproval: an LGTM must come from a maintainer other than the commit's author"
        ],
    );
    w.ok(
        w.person(ALICE),
        Command::ApproveCommit {
            commit: commit("aaa1111"),
        },
    );
    w.check(
        w.person(DAVE),
        Command::MarkFixReady,
        expect!["FixReadyNeedsApprovals: the fix is ready only when every fix commit has an LGTM from a maintainer; still waiting: bbb2222"],
    );
    w.ok(
        w.person(DAVE),
        Command::ApproveCommit {
            commit: commit("bbb2222"),
        },
    );
    expect![[r#"
        aaa1111 cache: bound CNAME chains dave <dave@example.org> lgtm [alice]
        bbb2222 cache: test the bound    alice <alice@example.org> lgtm [dave]
    "#]]
    .assert_eq(&commits(&w));
    w.ok(w.person(DAVE), Command::MarkFixReady);
}

#[test]
fn a_force_pushed_commit_is_replaced_loses_its_lgtms_and_reopens_the_fix() {
    let mut w = linked();
    w.ok(
        Actor::System,
        read(vec![
            by("aaa1111", DAVE, "cache: bound CNAME chains"),
            by("bbb2222", DAVE, "cache: test the bound"),
        ]),
    );
    for c in ["aaa1111", "bbb2222"] {
        w.ok(
            w.person(ALICE),
            Command::ApproveCommit { commit: commit(c) },
        );
    }
    w.ok(w.person(DAVE), Command::MarkFixReady);
    // Dave amends the second commit and force-pushes the branch.
    w.ok(
        Actor::System,
        read(vec![
            by("aaa1111", DAVE, "cache: bound CNAME chains"),
            by("ccc3333", DAVE, "cache: test the bound (v2)"),
        ]),
    );
    let changes: Vec<&str> = w.events[w.last..].iter().map(|e| e.change.name()).collect();
    assert_eq!(
        changes,
        ["fix_commit_replaced", "fix_commit_read", "fix_reopened"]
    );
    assert!(w.case.fix_ready_at.is_none());
    expect![[r#"
        aaa1111 cache: bound CNAME chains dave <dave@example.org> lgtm [alice]
        bbb2222 cache: test the bound    dave <dave@example.org> lgtm [] replaced
        ccc3333 cache: test the bound (v2) dave <dave@example.org> lgtm []
    "#]]
    .assert_eq(&commits(&w));
    w.check(
        w.person(ALICE),
        Command::ApproveCommit {
            commit: commit("bbb2222"),
        },
        expect!["FixRepo: commit bbb2222 was replaced on the fix branch: review the commit that replaced it"],
    );
    w.check(
        w.person(DAVE),
        Command::MarkFixReady,
        expect!["FixReadyNeedsApprovals: the fix is ready only when every fix commit has an LGTM from a maintainer; still waiting: ccc3333"],
    );
    w.ok(
        w.person(ALICE),
        Command::ApproveCommit {
            commit: commit("ccc3333"),
        },
    );
    w.ok(w.person(DAVE), Command::MarkFixReady);
}

/// A case ready to release whose fix came from the linked branch.
fn ready_with_branch() -> World {
    let mut w = linked();
    w.finalize_cvss(CRITICAL);
    w.ok(
        Actor::System,
        read(vec![by("aaa1111", DAVE, "cache: bound CNAME chains")]),
    );
    w.ok(
        w.person(ALICE),
        Command::ApproveCommit {
            commit: commit("aaa1111"),
        },
    );
    w.ok(w.person(DAVE), Command::MarkFixReady);
    w.ok(
        w.lead(),
        Command::RecordCve {
            cve: cve("CVE-2026-12345"),
        },
    );
    w.ok(
        w.person(DAVE),
        Command::DraftAnnouncement {
            text: "CoreDNS 1.12.1 fixes CVE-2026-12345.".into(),
        },
    );
    w
}

fn release() -> Command {
    Command::Release {
        version: "v1.12.1".into(),
        base_release: "v1.12.0".into(),
        cherry_picks: vec![],
        public_at: None,
    }
}

#[test]
fn a_release_waits_for_a_plan_of_the_current_commits_with_every_conflict_resolved() {
    let mut w = ready_with_branch();
    w.check(
        w.lead(),
        release(),
        expect!["FixRepo: the release needs a cherry-pick plan of the current fix commits"],
    );
    w.check(
        Actor::System,
        plan(&[], vec![clean("release-1.12", "v1.12.0", "1111111")]),
        expect!["invalid commits: a plan applies the fix commits: none yet"],
    );
    w.check(
        Actor::System,
        plan(
            &["bbb2222"],
            vec![clean("release-1.12", "v1.12.0", "1111111")],
        ),
        expect!["FixRepo: the cherry-pick plan is not of the fix branch's current commits"],
    );
    let branches = vec![
        clean("release-1.12", "v1.12.0", "1111111"),
        conflicting("release-1.11", "v1.11.3", "aaa1111"),
    ];
    w.ok(Actor::System, plan(&["aaa1111"], branches.clone()));
    w.check(
        Actor::System,
        plan(&["aaa1111"], branches),
        expect!["FixRepo: the cherry-pick plan has not changed"],
    );
    w.check(
        w.lead(),
        release(),
        expect!["FixRepo: the fix does not apply cleanly on release-1.11: the Fix Lead records how each conflict was resolved first"],
    );
    let resolve = |branch: &str| Command::ResolveCherryPick {
        branch: branch.into(),
        commits: vec![commit("2222222")],
    };
    w.check(
        w.person(DAVE),
        resolve("release-1.11"),
        expect!["denied: only the Fix Lead may release the fix"],
    );
    w.check(
        w.lead(),
        resolve("release-1.12"),
        expect!["FixRepo: the cherry-pick plan has no conflict on release-1.12"],
    );
    w.check(
        w.lead(),
        resolve("release-1.10"),
        expect!["FixRepo: release-1.10 is not a release branch of the cherry-pick plan"],
    );
    w.check(
        w.lead(),
        Command::ResolveCherryPick {
            branch: "release-1.11".into(),
            commits: vec![],
        },
        expect!["invalid commits: name the commits that resolve it"],
    );
    w.ok(w.lead(), resolve("release-1.11"));
    w.ok(w.lead(), release());
    // With a fix repository, the picks are the plan's commits.
    assert_eq!(w.case.release().unwrap().cherry_picks, [commit("aaa1111")]);
}

#[test]
fn a_failed_branch_blocks_the_release_and_a_changed_branch_needs_a_new_plan() {
    let mut w = ready_with_branch();
    w.ok(
        Actor::System,
        plan(
            &["aaa1111"],
            vec![BranchPlan {
                branch: "release-1.11".into(),
                tag: None,
                outcome: PlanOutcome::Failed {
                    reason: "no tag matching v* on release-1.11".into(),
                },
            }],
        ),
    );
    w.check(
        w.lead(),
        release(),
        expect!["FixRepo: the cherry-pick plan failed on release-1.11"],
    );
    w.ok(
        Actor::System,
        plan(
            &["aaa1111"],
            vec![conflicting("release-1.11", "v1.11.3", "aaa1111")],
        ),
    );
    w.ok(
        w.lead(),
        Command::ResolveCherryPick {
            branch: "release-1.11".into(),
            commits: vec![commit("2222222")],
        },
    );
    // A new commit on the branch: the resolution and the plan are stale.
    w.ok(
        Actor::System,
        read(vec![
            by("aaa1111", DAVE, "cache: bound CNAME chains"),
            by("ddd4444", DAVE, "cache: one more"),
        ]),
    );
    assert!(w.case.cherry_pick_resolutions.is_empty());
    w.ok(
        w.person(ALICE),
        Command::ApproveCommit {
            commit: commit("ddd4444"),
        },
    );
    w.ok(w.person(DAVE), Command::MarkFixReady);
    w.check(
        w.lead(),
        release(),
        expect!["FixRepo: the release needs a cherry-pick plan of the current fix commits"],
    );
    assert!(matches!(
        psirt_core::may_release(&w.case),
        Err(Rule::FixRepo(FixRepoRule::PlanNeeded))
    ));
}

#[test]
fn the_pre_notification_states_each_patch_sets_sha256_and_attaches_the_patches() {
    let mut w = ready_with_branch();
    w.ok(
        Actor::System,
        plan(
            &["aaa1111"],
            vec![
                clean("release-1.12", "v1.12.0", "1111111"),
                BranchPlan {
                    branch: "release-1.11".into(),
                    tag: Some("v1.11.3".into()),
                    outcome: PlanOutcome::AlreadyContains,
                },
            ],
        ),
    );
    w.notify_distributors("10d");
    let mail = w.mails().into_iter().next().expect("the pre-notification");
    let from = mail.body.find("Patch sets").expect("patch sets stated");
    let until = mail.body.find("The embargo lifts").unwrap();
    expect![[r#"
        Patch sets (git format-patch of the fix on each release, attached):
        - release-1.12 on v1.12.0: release-1.12_v1.12.0.patch, SHA-256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
        - release-1.11 on v1.11.3: already contains the fix

    "#]]
    .assert_eq(&mail.body[from..until]);
    // The patches are attachments, not text: the body does not hold them.
    assert!(!mail.body.contains("From 1111111"), "{}", mail.body);
    let files: Vec<(&str, &str, &str)> = mail
        .attachments
        .iter()
        .map(|a| {
            (
                a.name.as_str(),
                a.content_type.as_str(),
                a.content.expose().as_str(),
            )
        })
        .collect();
    assert_eq!(
        files,
        [(
            "release-1.12_v1.12.0.patch",
            "text/x-patch",
            "From 1111111 Mon Sep 17 00:00:00 2001\n"
        )]
    );
}
