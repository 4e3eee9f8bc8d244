//! The seed's private disclosure path, walked end to end: report, Fix Lead
//! by rotation, Fix Team, CVSS, LGTMs, the forthcoming-fix notice, the
//! distributor pre-notification, the CVE, the release on embargo day, the
//! credit and advisory, and closing the case.

use expect_test::expect;
use psirt_core::{
    Actor, Change, Command, Credit, CreditKind, DistributorDecision, RosterEntry,
    distributors_suggested, may_release, next_fix_lead,
};

use crate::harness::*;

#[test]
fn a_private_report_runs_the_whole_process_within_21_days() {
    // "send your report privately to security@": intake acknowledges it at once.
    let mut w = World::private();
    expect![[r#"
        acknowledged           done     +0m
        first_response         n/a
        fix_lead_assigned      due      +1d
        fix_team_formed        due      +1d
        cvss_scored            due      +7d
        fix_ready              due      +7d
        notice_published       due      +7d
        distributors_notified  due      +14d
        distributors_final_notice n/a
        released               due      +21d
        retrospective          n/a
        closed                 pending
    "#]]
    .assert_eq(&w.milestones());

    // "The role of Fix Lead should rotate round-robin across the PST": Alice
    // led the last case and Carol the one before, so it is Bob's turn.
    w.pst = vec![
        RosterEntry {
            user: ALICE,
            available: true,
            last_turn: Some(12),
        },
        RosterEntry {
            user: BOB,
            available: true,
            last_turn: Some(10),
        },
        RosterEntry {
            user: CAROL,
            available: true,
            last_turn: Some(11),
        },
    ];
    w.turn = 12;
    assert_eq!(next_fix_lead(&w.pst), Some(BOB));
    w.at("2h");
    w.ok(
        w.person(ALICE),
        Command::AssignFixLead {
            lead: None,
            override_reason: None,
        },
    );
    assert_eq!(w.case.fix_lead(), Some(BOB));
    // Bob took the project's next turn: Carol leads the next case.
    assert_eq!(w.pst[1].last_turn, Some(13));
    assert_eq!(next_fix_lead(&w.pst), Some(CAROL));

    // "The Fix Lead will ... CC those engineers into the disclosure thread.
    // These selected developers are the Fix Team."
    w.at("4h");
    w.ok(
        w.lead(),
        Command::FormFixTeam {
            members: vec![CAROL, DAVE],
        },
    );
    assert_eq!(
        w.case.fix_team.iter().copied().collect::<Vec<_>>(),
        [BOB, CAROL, DAVE]
    );

    // "The Fix Lead and the Fix Team will create a CVSS ... The Fix Lead makes
    // the final call."
    w.at("1d");
    w.ok(
        w.person(DAVE),
        Command::ProposeCvss {
            vector: vector("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        },
    );
    w.ok(
        w.person(CAROL),
        Command::ProposeCvss {
            vector: vector(CRITICAL),
        },
    );
    w.check(
        w.person(DAVE),
        Command::FinalizeCvss {
            vector: vector(CRITICAL),
        },
        expect![["denied: only the Fix Lead may make the CVSS vector final"]],
    );
    w.ok(
        w.lead(),
        Command::FinalizeCvss {
            vector: vector(CRITICAL),
        },
    );
    assert_eq!(w.case.cvss_proposals.len(), 2);
    assert_eq!(
        w.case.cvss_final.as_ref().unwrap().base_score().to_string(),
        "9.8"
    );

    // "once there are LGTMs on all commits in the private repo from one or
    // more maintainers"; nobody approves their own commit.
    w.at("3d");
    w.ok(
        w.person(DAVE),
        Command::AddFixCommit {
            commit: commit("aaaa111"),
            author: "dave".into(),
            author_user: Some(DAVE),
            url: Some("https://github.com/coredns/coredns-private/commit/aaaa111".into()),
        },
    );
    w.ok(
        w.person(CAROL),
        Command::AddFixCommit {
            commit: commit("bbbb222"),
            author: "carol".into(),
            author_user: Some(CAROL),
            url: None,
        },
    );
    w.check(
        w.person(DAVE),
        Command::ApproveCommit {
            commit: commit("aaaa111"),
        },
        expect![[
            "NoSelfApproval: an LGTM must come from a maintainer other than the commit's author"
        ]],
    );
    w.ok(
        w.person(CAROL),
        Command::ApproveCommit {
            commit: commit("aaaa111"),
        },
    );
    w.check(
        w.person(DAVE),
        Command::MarkFixReady,
        expect![["FixReadyNeedsApprovals: the fix is ready only when every fix commit has an LGTM from a maintainer; still waiting: bbbb222"]],
    );
    w.ok(
        w.person(DAVE),
        Command::ApproveCommit {
            commit: commit("bbbb222"),
        },
    );
    // "The Fix Team will notify the Fix Lead that work on the fix branch is complete."
    w.ok(w.person(DAVE), Command::MarkFixReady);
    // Each LGTM is in the name of the maintainer who gave it.
    let lgtms: Vec<String> = w
        .case
        .fix_commits
        .iter()
        .map(|c| {
            let by: Vec<String> = c.approvals.iter().map(|&u| name(u)).collect();
            format!("{} by {}: {}", c.commit, c.author, by.join(", "))
        })
        .collect();
    expect![[r#"
        aaaa111 by dave: carol
        bbbb222 by carol: dave"#]]
    .assert_eq(&lgtms.join("\n"));

    // "The Fix Lead will create a github issue ... with an estimation of the
    // Release Date. It will include any mitigating steps."
    w.at("4d");
    w.ok(
        w.lead(),
        Command::PublishNotice {
            estimated_release: day0_plus("18d"),
            mitigation: "Disable the cache plugin until the release.".into(),
            link: Some("https://github.com/coredns/coredns/issues/10001".into()),
        },
    );
    expect![[r#"
        acknowledged           done     +0m
        first_response         n/a
        fix_lead_assigned      done     +2h
        fix_team_formed        done     +4h
        cvss_scored            done     +1d
        fix_ready              done     +3d
        notice_published       done     +4d
        distributors_notified  due      +14d
        distributors_final_notice n/a
        released               due      +21d
        retrospective          n/a
        closed                 pending
    "#]]
    .assert_eq(&w.milestones());

    // "Generally this Private Distributor Disclosure process should be
    // reserved for remotely exploitable or privilege escalation issues."
    assert!(distributors_suggested(&w.case));
    w.at("5d");
    w.ok(
        w.lead(),
        Command::DecideDistributors(DistributorDecision {
            notify: true,
            rationale: "Remotely exploitable without authentication.".into(),
            embargo_end: Some(day0_plus("18d")),
            long_embargo_reason: None,
            off_slot_reason: None,
        }),
    );
    // "The Fix Lead will email the patches to coredns-distributors-announce".
    w.ok(
        w.lead(),
        Command::NotifyDistributors {
            patches: vec![
                "0001-cache-check-cname-chain.patch".into(),
                "0002-test.patch".into(),
            ],
            affected_versions: Some(">= 1.9.0, < 1.12.1".into()),
            fixed_versions: Some("1.12.1".into()),
        },
    );
    assert_eq!(w.case.embargo_end(), Some(day0_plus("18d")));

    // "The Fix Lead will request a CVE ... and include the CVSS and release details."
    w.at("10d");
    w.ok(
        w.lead(),
        Command::RecordCve {
            cve: cve("CVE-2026-12345"),
        },
    );
    w.ok(
        w.person(CAROL),
        Command::DraftAnnouncement {
            text: "CoreDNS v1.12.1 fixes CVE-2026-12345 (CVSS 9.8); upgrade now.".into(),
        },
    );

    // The distributors release "on the day of the issue's announcement":
    // not before.
    w.at("17d");
    w.check(
        w.lead(),
        Command::Release {
            version: "v1.12.1".into(),
            base_release: "v1.12.0".into(),
            cherry_picks: vec![commit("aaaa111"), commit("bbbb222")],
            public_at: Some(w.now),
        },
        expect![["ReleaseEmbargoed: the embargo holds until 2026-03-20T09:00:00Z; publishing earlier needs an embargo-break assessment to release early"]],
    );

    // "the Fix Team will selectively choose all needed commits ... on top of
    // the current last version released."
    w.at("18d");
    assert_eq!(may_release(&w.case), Ok(()));
    w.check(
        w.lead(),
        Command::Release {
            version: "v1.12.1".into(),
            base_release: "v1.12.0".into(),
            cherry_picks: vec![],
            public_at: None,
        },
        expect![["CherryPickPlanNeeded: the release needs a cherry-pick plan: the fix commits to pick onto the last release"]],
    );
    w.ok(
        w.lead(),
        Command::Release {
            version: "v1.12.1".into(),
            base_release: "v1.12.0".into(),
            cherry_picks: vec![commit("aaaa111"), commit("bbbb222")],
            public_at: None,
        },
    );
    expect![[r#"
        acknowledged           done     +0m
        first_response         n/a
        fix_lead_assigned      done     +2h
        fix_team_formed        done     +4h
        cvss_scored            done     +1d
        fix_ready              done     +3d
        notice_published       done     +4d
        distributors_notified  done     +5d
        distributors_final_notice n/a
        released               done     +18d
        retrospective          n/a
        closed                 pending
    "#]]
    .assert_eq(&w.milestones());

    // "Security reports are greatly appreciated and we will publicly thank you for it."
    w.at("19d");
    w.check(
        w.lead(),
        Command::Close,
        expect![["CloseNeeds: closing the case needs an exported advisory, the reporter's credit (a name or anonymous)"]],
    );
    w.ok(
        Actor::Reporter,
        Command::RecordCredit(Credit {
            name: Some("Jane Doe".into()),
            kind: CreditKind::Finder,
        }),
    );
    w.ok(
        w.lead(),
        Command::RecordAdvisory {
            format: "osv".into(),
            location: "https://github.com/coredns/coredns/security/advisories/GHSA-abcd-efgh-ijkl"
                .into(),
        },
    );
    w.ok(w.lead(), Command::Close);
    expect![[r#"
        acknowledged           done     +0m
        first_response         n/a
        fix_lead_assigned      done     +2h
        fix_team_formed        done     +4h
        cvss_scored            done     +1d
        fix_ready              done     +3d
        notice_published       done     +4d
        distributors_notified  done     +5d
        distributors_final_notice n/a
        released               done     +18d
        retrospective          n/a
        closed                 done     +19d
    "#]]
    .assert_eq(&w.milestones());

    // Every step is an event on the timeline, with its actor and time.
    let timeline: Vec<String> = w
        .events
        .iter()
        .map(|e| {
            format!(
                "{:<3} {:<5} {:<9} {}",
                e.seq,
                w.rel(e.at),
                actor(e.actor),
                e.change.name()
            )
        })
        .collect();
    expect![[r#"
        1   +0m   psirt     reported
        2   +0m   psirt     acknowledged
        3   +2h   alice     fix_lead_assigned
        4   +4h   bob       fix_team_formed
        5   +1d   dave      cvss_proposed
        6   +1d   carol     cvss_proposed
        7   +1d   bob       cvss_finalized
        8   +3d   dave      fix_commit_added
        9   +3d   carol     fix_commit_added
        10  +3d   carol     commit_approved
        11  +3d   dave      commit_approved
        12  +3d   dave      fix_marked_ready
        13  +4d   bob       notice_published
        14  +5d   bob       distributors_decided
        15  +5d   bob       distributors_notified
        16  +10d  bob       cve_recorded
        17  +10d  carol     announcement_drafted
        18  +18d  bob       released
        19  +19d  reporter  credit_recorded
        20  +19d  bob       advisory_recorded
        21  +19d  bob       closed
        22  +19d  bob       distributor_access_ended"#]]
    .assert_eq(&timeline.join("\n"));

    // A closed case owes nothing, and nothing on it can change any more.
    assert_eq!(w.case.next_due(), None);
    w.check(
        w.lead(),
        Command::RecordCve {
            cve: cve("CVE-2026-99999"),
        },
        expect![["CaseClosed: the case is closed: nothing on it can change any more"]],
    );
    // The release records the cherry-pick plan onto the last release.
    let release = w.case.release().unwrap();
    assert_eq!(
        (release.version.as_str(), release.base_release.as_str()),
        ("v1.12.1", "v1.12.0")
    );
    let cherry_picks = w
        .events
        .iter()
        .find_map(|e| match &e.change {
            Change::Released { cherry_picks, .. } => Some(cherry_picks),
            _ => None,
        })
        .unwrap();
    assert_eq!(cherry_picks.len(), 2);
}

fn actor(a: psirt_core::ActorRef) -> String {
    match a {
        psirt_core::ActorRef::User(u) => name(u),
        psirt_core::ActorRef::Reporter => "reporter".into(),
        psirt_core::ActorRef::System => "psirt".into(),
    }
}
