//! The seed's GitHub steps done by psirt: the forthcoming-fix issue
//! recorded once (and its URL made one of the record's references), the
//! draft advisory whose collaborators follow the Fix Team, and on release
//! the advisory published and everyone's access revoked, each once
//! however often psirt's job retries.

use expect_test::expect;
use psirt_core::{Actor, Command, GitHubLogin, GitHubRule, ReferenceKind};

use crate::harness::*;

#[allow(dead_code)]
fn every_rule_is_shown(rule: &GitHubRule) {
    match rule {
        GitHubRule::IssueAlreadyRecorded
        | GitHubRule::AdvisoryUnchanged
        | GitHubRule::NotTheCasesAdvisory
        | GitHubRule::AlreadyPublished
        | GitHubRule::NothingToRevoke
        | GitHubRule::CollaboratorsAfterRelease
        | GitHubRule::NotReleased => {}
    }
}

const GHSA: &str = "GHSA-2c3f-4g5h-6j7m";
const URL: &str = "https://github.com/coredns/coredns/security/advisories/GHSA-2c3f-4g5h-6j7m";

fn logins(names: &[&str]) -> Vec<GitHubLogin> {
    names.iter().map(|n| n.parse().unwrap()).collect()
}

fn advisory(collaborators: &[&str]) -> Command {
    Command::RecordGitHubAdvisory {
        ghsa_id: GHSA.into(),
        url: URL.into(),
        collaborators: logins(collaborators),
    }
}

#[test]
fn the_issue_is_recorded_once_and_becomes_a_reference() {
    let mut w = World::private();
    w.form_team();
    let issue = |n: u64| Command::RecordGitHubIssue {
        number: n,
        url: format!("https://github.com/coredns/coredns/issues/{n}"),
    };
    w.check(
        w.lead(),
        issue(12),
        expect!["denied: only psirt itself may record what psirt obtained from another system"],
    );
    w.check(
        Actor::System,
        Command::RecordGitHubIssue {
            number: 12,
            url: "javascript:alert(1)".into(),
        },
        expect![[r#"invalid url: "javascript:alert(1)" is not an http(s) URL"#]],
    );
    w.ok(Actor::System, issue(12));
    let recorded = w.case.github_issue.clone().unwrap();
    assert_eq!(recorded.number, 12);
    assert_eq!(recorded.url, "https://github.com/coredns/coredns/issues/12");
    let refs = &w.case.record.references;
    assert_eq!(refs.len(), 1);
    assert_eq!(refs[0].kind, ReferenceKind::Issue);
    assert_eq!(refs[0].url, recorded.url);
    // A retried job records nothing more, not even another issue.
    w.check(
        Actor::System,
        issue(12),
        expect!["GitHub: the case's forthcoming-fix issue is already recorded"],
    );
    w.check(
        Actor::System,
        issue(13),
        expect!["GitHub: the case's forthcoming-fix issue is already recorded"],
    );
}

#[test]
fn the_advisorys_collaborators_follow_the_fix_team_until_the_release_revokes_them() {
    let mut w = World::private();
    w.form_team();
    w.ok(Actor::System, advisory(&["Alice", "bob"]));
    let a = w.case.github_advisory.clone().unwrap();
    assert_eq!(a.ghsa_id, GHSA);
    // The GHSA id is an alias on the record, once.
    assert_eq!(w.case.record.aliases, [GHSA]);
    // Logins are case-insensitive: kept in lower case, in order.
    assert_eq!(a.collaborators, logins(&["alice", "bob"]));
    w.check(
        Actor::System,
        advisory(&["bob", "alice"]),
        expect!["GitHub: the GitHub advisory and its collaborators are already recorded"],
    );
    w.ok(Actor::System, advisory(&["alice", "bob", "carol"]));
    assert_eq!(w.case.record.aliases, [GHSA], "not added again");
    assert_eq!(
        w.case.github_advisory.as_ref().unwrap().collaborators,
        logins(&["alice", "bob", "carol"])
    );
    w.check(
        Actor::System,
        Command::RecordGitHubAdvisory {
            ghsa_id: "GHSA-abcd-efgh-ijkl".into(),
            url: URL.into(),
            collaborators: vec![],
        },
        expect![[r#"invalid ghsa_id: "GHSA-abcd-efgh-ijkl" is not a GHSA id"#]],
    );
    w.check(
        Actor::System,
        Command::RecordGitHubAdvisory {
            ghsa_id: "GHSA-2222-3333-4444".into(),
            url: URL.into(),
            collaborators: vec![],
        },
        expect!["GitHub: that GitHub advisory is not the case's"],
    );
    let published = || Command::RecordGitHubAdvisoryPublished {
        ghsa_id: GHSA.into(),
    };
    w.check(
        Actor::System,
        published(),
        expect!["GitHub: the GitHub advisory is published when the case is released"],
    );

    w.ready_to_release();
    w.release();
    w.check(
        Actor::System,
        advisory(&["alice"]),
        expect!["GitHub: after the release nobody is given access to the GitHub advisory"],
    );
    let revoke = || Command::RecordGitHubAccessRevoked {
        ghsa_id: GHSA.into(),
    };
    w.ok(Actor::System, revoke());
    let a = w.case.github_advisory.clone().unwrap();
    assert!(a.collaborators.is_empty());
    assert!(a.revoked_at.is_some());
    w.check(
        Actor::System,
        revoke(),
        expect!["GitHub: nobody has access to the GitHub advisory to revoke"],
    );
    w.ok(Actor::System, published());
    assert!(
        w.case
            .github_advisory
            .as_ref()
            .unwrap()
            .published_at
            .is_some()
    );
    w.check(
        Actor::System,
        published(),
        expect!["GitHub: the GitHub advisory is already published"],
    );
    let names: Vec<&str> = w.events.iter().map(|e| e.change.name()).collect();
    assert!(
        names.ends_with(&["github_access_revoked", "github_advisory_published"]),
        "{names:?}"
    );
}
