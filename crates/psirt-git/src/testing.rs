//! Real repositories for tests (the `testing` feature): a project with
//! release branches and tags and a private fix branch, built with the git
//! command line at fixed dates so that commit ids are stable.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use psirt_core::FixRepository;

use crate::Mirror;

/// Runs git in `dir` with a fixed identity and date; panics on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    git_as(dir, ("Maintainer", "maint@example.org"), args)
}

pub fn git_as(dir: &Path, (name, email): (&str, &str), args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", name)
        .env("GIT_AUTHOR_EMAIL", email)
        .env("GIT_COMMITTER_NAME", name)
        .env("GIT_COMMITTER_EMAIL", email)
        .env("GIT_AUTHOR_DATE", "2026-03-01T10:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-03-01T10:00:00Z")
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn write(dir: &Path, file: &str, text: &str) {
    std::fs::write(dir.join(file), text).unwrap();
}

pub const CACHE: &str = "package cache\n\nfunc chase(n int) {\n\tfollow(n)\n}\n";
pub const FIXED: &str =
    "package cache\n\nfunc chase(n int) {\n\tif n > 8 {\n\t\treturn\n\t}\n\tfollow(n)\n}\n";

/// The project: `main`, release-1.10 (v1.10.0, and v1.10.1 with the fix
/// already picked), release-1.11 (v1.11.0, v1.11.1, then a commit), release-1.12
/// (v1.12.0, the fixed function rewritten: it conflicts), release-1.13 (no
/// tag), and the fix branch `fix/cname` (Dave's fix, Alice's test) forked
/// from `main`.
///
/// The project: `main`, release branches and tags, and the fix branch
/// `fix/cname` (Dave's fix, Alice's test) forked from `main`.
pub struct Project {
    _tmp: tempfile::TempDir,
    /// The repository (a working tree; pushes are commits here).
    pub work: PathBuf,
    /// A private directory for psirt's side (mirrors, clones).
    pub root: PathBuf,
}

pub fn commit_all(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
}

pub fn project() -> Project {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("coredns-security");
    std::fs::create_dir(&work).unwrap();
    let w = work.as_path();
    git(w, &["init", "-q", "-b", "main"]);
    write(w, "cache.go", CACHE);
    write(w, "README", "coredns\n");
    commit_all(w, "initial");
    // release-1.10: released as v1.10.0, later patched as v1.10.1 with the fix.
    git(w, &["branch", "release-1.10"]);
    // release-1.11: a release with an unrelated change since, tagged twice.
    git(w, &["checkout", "-q", "-b", "release-1.11", "main"]);
    write(w, "README", "coredns 1.11\n");
    commit_all(w, "1.11: readme");
    git(w, &["tag", "v1.11.0"]);
    write(w, "NOTES", "1.11.1\n");
    commit_all(w, "1.11.1: notes");
    git(w, &["tag", "v1.11.1"]);
    write(w, "NOTES", "1.11.1\nunreleased\n");
    commit_all(w, "1.11: after the release");
    // release-1.12: the function the fix touches was rewritten.
    git(w, &["checkout", "-q", "-b", "release-1.12", "main"]);
    write(
        w,
        "cache.go",
        "package cache\n\nfunc chase(n int) {\n\tfollowAll(n, nil)\n}\n",
    );
    commit_all(w, "1.12: follow all");
    git(w, &["tag", "v1.12.0"]);
    // release-1.13: branched, never released.
    git(w, &["checkout", "-q", "-b", "release-1.13", "main"]);
    // The private fix branch.
    git(w, &["checkout", "-q", "-b", "fix/cname", "main"]);
    write(w, "cache.go", FIXED);
    git(w, &["add", "-A"]);
    git_as(
        w,
        ("Dave", "dave@example.org"),
        &["commit", "-q", "-m", "cache: bound CNAME chains"],
    );
    write(w, "cache_test.go", "package cache\n// TestChase\n");
    git(w, &["add", "-A"]);
    git_as(
        w,
        ("Alice", "alice@example.org"),
        &["commit", "-q", "-m", "cache: test the bound"],
    );
    // v1.10.1 already carries the fix (picked by hand earlier).
    git(w, &["checkout", "-q", "release-1.10"]);
    write(w, "VERSION", "1.10.0\n");
    commit_all(w, "1.10.0");
    git(w, &["tag", "v1.10.0"]);
    git(w, &["cherry-pick", "main..fix/cname"]);
    git(w, &["tag", "v1.10.1"]);
    git(w, &["checkout", "-q", "main"]);
    Project {
        root: tmp.path().join("psirt"),
        _tmp: tmp,
        work,
    }
}

impl Project {
    pub fn location(&self) -> String {
        self.work.to_string_lossy().into_owned()
    }

    pub fn mirror(&self) -> Mirror {
        Mirror::new(self.root.join("PSIRT-2026-0001"), Duration::from_secs(30))
    }

    pub fn repo(&self, branches: &[&str]) -> FixRepository {
        FixRepository {
            location: self.location(),
            branch: "fix/cname".into(),
            base: "main".into(),
            release_branches: branches.iter().map(|b| b.to_string()).collect(),
            tag_pattern: "v*".into(),
        }
    }
}
