//! psirt-git against real repositories built here with the git command
//! line: a project with four release branches and their tags (one that
//! already carries the fix, one it applies to, one it conflicts with, one
//! never released), a private fix branch by two authors, a force-push, and
//! repositories that cannot be fetched.
//!
//! Dates are fixed, so commit ids (and the expectations) are stable.

use std::process::Command;

use expect_test::{Expect, expect};
use psirt_core::{CherryPickPlan, CommitId, FixRepository, PlanOutcome};
use psirt_git::testing::{FIXED, git, git_as, project, write};
use psirt_git::{GitError, Mirror, sha256_hex};

fn short(c: &CommitId) -> &str {
    &c.as_str()[..7]
}

fn show_commits(mirror: &Mirror) -> String {
    let mut out = String::new();
    for c in mirror.fix_commits("main", "fix/cname").unwrap() {
        out.push_str(&format!(
            "{} {} <{}> {}\n",
            short(&c.id),
            c.author_name,
            c.author_email,
            c.title
        ));
    }
    out
}

fn show_plan(plan: &CherryPickPlan) -> String {
    let mut out = String::new();
    for b in &plan.branches {
        let tag = b.tag.as_deref().unwrap_or("-");
        let outcome = match &b.outcome {
            PlanOutcome::Clean {
                commits, sha256, ..
            } => format!(
                "clean: {} sha256 {}…",
                commits.iter().map(short).collect::<Vec<_>>().join(" "),
                &sha256[..12]
            ),
            PlanOutcome::AlreadyContains => "already contains the fix".into(),
            PlanOutcome::Conflicts { commit, files } => {
                format!("conflicts at {}: {}", short(commit), files.join(", "))
            }
            PlanOutcome::Failed { reason } => format!("failed: {reason}"),
        };
        out.push_str(&format!("{:<13} {tag:<8} {outcome}\n", b.branch));
    }
    out
}

fn check_plan(mirror: &Mirror, repo: &FixRepository, expected: Expect) -> CherryPickPlan {
    let commits: Vec<CommitId> = mirror
        .fix_commits(&repo.base, &repo.branch)
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    let plan = mirror.plan(repo, &commits).unwrap();
    expected.assert_eq(&show_plan(&plan));
    plan
}

#[test]
fn the_fix_commits_are_read_from_the_branch_with_their_authors_and_follow_a_force_push() {
    let p = project();
    let mirror = p.mirror();
    mirror.fetch(&p.location(), None).unwrap();
    expect![[r#"
        fcdc250 Dave <dave@example.org> cache: bound CNAME chains
        71e2372 Alice <alice@example.org> cache: test the bound
    "#]]
    .assert_eq(&show_commits(&mirror));
    let first = &mirror.fix_commits("main", "fix/cname").unwrap()[0];
    let patch = mirror.patch(&first.id).unwrap();
    assert!(patch.starts_with(&format!("From {} ", first.id)), "{patch}");
    assert!(patch.contains("+\tif n > 8 {"), "{patch}");

    // Alice rewrites her commit and force-pushes the branch.
    let w = p.work.as_path();
    git(w, &["checkout", "-q", "fix/cname"]);
    write(w, "cache_test.go", "package cache\n// TestChaseBound\n");
    git(w, &["add", "-A"]);
    git_as(
        w,
        ("Alice", "alice@example.org"),
        &[
            "commit",
            "-q",
            "--amend",
            "-m",
            "cache: test the bound (v2)",
        ],
    );
    git(w, &["checkout", "-q", "main"]);
    mirror.fetch(&p.location(), None).unwrap();
    expect![[r#"
        fcdc250 Dave <dave@example.org> cache: bound CNAME chains
        0d5e9c9 Alice <alice@example.org> cache: test the bound (v2)
    "#]]
    .assert_eq(&show_commits(&mirror));
}

#[test]
fn the_plan_applies_the_fix_on_the_last_release_of_each_branch_and_reports_what_it_cannot() {
    let p = project();
    let mirror = p.mirror();
    mirror.fetch(&p.location(), None).unwrap();
    let repo = p.repo(&[
        "release-1.10",
        "release-1.11",
        "release-1.12",
        "release-1.13",
        "release-1.99",
    ]);
    let plan = check_plan(
        &mirror,
        &repo,
        expect![[r#"
            release-1.10  v1.10.1  already contains the fix
            release-1.11  v1.11.1  clean: adacadd 89a5bdb sha256 ed64e8fddd15…
            release-1.12  v1.12.0  conflicts at fcdc250: cache.go
            release-1.13  -        failed: no release tag matching v* on release-1.13
            release-1.99  -        failed: no branch release-1.99 in the fix repository
        "#]],
    );
    // The same commits on the same tags plan the same again: nothing to record.
    let commits = plan.commits.clone();
    assert_eq!(mirror.plan(&repo, &commits).unwrap(), plan);
    // No scratch worktree is left behind.
    let scratch = p.root.join("PSIRT-2026-0001/scratch");
    assert_eq!(std::fs::read_dir(&scratch).unwrap().count(), 0);

    // The patch set is what a distributor applies with `git am` on the
    // release, and its SHA-256 is what `sha256sum` says.
    let PlanOutcome::Clean {
        patches, sha256, ..
    } = &plan.branches[1].outcome
    else {
        panic!("release-1.11 is clean");
    };
    let distributor = p.root.join("distributor");
    git(
        p.root.as_path(),
        &[
            "clone",
            "-q",
            "--branch",
            "v1.11.1",
            &p.location(),
            "distributor",
        ],
    );
    let file = p.root.join("fix.patch");
    std::fs::write(&file, patches.expose()).unwrap();
    git(&distributor, &["am", "-q", file.to_str().unwrap()]);
    assert_eq!(
        std::fs::read_to_string(distributor.join("cache.go")).unwrap(),
        FIXED
    );
    let sum = Command::new("sha256sum").arg(&file).output().unwrap();
    let sum = String::from_utf8(sum.stdout).unwrap();
    assert_eq!(sum.split_whitespace().next(), Some(sha256.as_str()));
    assert_eq!(sha256_hex(patches.expose().as_bytes()), *sha256);
    assert!(
        patches.expose().contains("(cherry picked from commit"),
        "each patch names the fix commit it came from"
    );
}

#[test]
fn a_new_release_tag_moves_the_plan_onto_it() {
    let p = project();
    let mirror = p.mirror();
    let w = p.work.as_path();
    git(w, &["tag", "v1.11.2", "release-1.11"]);
    mirror.fetch(&p.location(), None).unwrap();
    check_plan(
        &mirror,
        &p.repo(&["release-1.11"]),
        expect![[r#"
            release-1.11  v1.11.2  clean: 19e77cb 6e756b5 sha256 ad09c96c137b…
        "#]],
    );
}

#[test]
fn a_repository_that_cannot_be_fetched_is_an_error_with_gits_reason() {
    let p = project();
    let mirror = p.mirror();
    let missing = p.root.join("no-such-repo");
    let err = mirror
        .fetch(missing.to_str().unwrap(), None)
        .expect_err("nothing there");
    let GitError::Fetch(reason) = &err else {
        panic!("{err:?}");
    };
    assert!(
        reason.contains("does not appear to be a git repository"),
        "{reason}"
    );

    // Transports that run commands are refused by git itself, whatever the
    // core let through.
    let marker = p.root.join("pwned");
    let ext = format!("ext::sh -c touch% {}", marker.display());
    let err = mirror.fetch(&ext, None).expect_err("ext:: is not allowed");
    assert!(
        err.to_string().contains("transport 'ext' not allowed"),
        "{err}"
    );
    assert!(!marker.exists());

    // A branch that is not there.
    mirror.fetch(&p.location(), None).unwrap();
    let err = mirror.fix_commits("main", "fix/other").unwrap_err();
    expect!["the fix repository has no branch fix/other"].assert_eq(&err.to_string());
}

#[test]
fn the_mirror_is_private_to_psirts_user() {
    use std::os::unix::fs::PermissionsExt;
    let p = project();
    let mirror = p.mirror();
    mirror.fetch(&p.location(), None).unwrap();
    let mode = std::fs::metadata(p.root.join("PSIRT-2026-0001"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
}
