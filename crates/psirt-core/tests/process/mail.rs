//! Which mail the process writes, to whom, and what it says: "the Fix Lead
//! will create a github issue … to inform users that a … fix will be made
//! available, with an estimation of the Release Date. It will include any
//! mitigating steps", "the Fix Lead will email the patches to [the
//! distributors list]", "the Fix Lead will inform all users … announcing the
//! new releases, the CVE number".

use std::fmt::Write as _;

use expect_test::expect;
use psirt_core::{Audience, Mail, Protection, Review, mails_for, reminders};

use crate::harness::*;

pub(crate) fn show(mails: &[Mail]) -> String {
    let mut out = String::new();
    for m in mails {
        let audience = match m.audience {
            Audience::User(u) => format!("user {}", name(u)),
            other => format!("{other:?}"),
        };
        let review = match m.review {
            Review::Send => "send",
            Review::Draft => "draft",
        };
        let protection = match m.protection {
            Protection::EncryptIfKey => "encrypt if key",
            Protection::EncryptOnly => "encrypted only",
        };
        writeln!(
            out,
            "== {} to {audience} ({review}, {protection}){}\nSubject: {}\n{}",
            m.kind.as_str(),
            m.once
                .as_deref()
                .map(|k| format!(" once {k}"))
                .unwrap_or_default(),
            m.subject,
            m.body
        )
        .unwrap();
    }
    out
}

/// The mail written by the events recorded after the first `from`.
fn written(w: &World, from: usize) -> String {
    show(&mails_for(&w.case, &w.events[from..]))
}

#[test]
fn intake_acknowledges_the_reporter_and_assignment_tells_the_fix_lead() {
    let w = World::private();
    expect![[r#"
        == acknowledgement to Reporter (send, encrypt if key)
        Subject: [PSIRT-2026-0001] Your report was received
        Thank you for your report to the coredns Product Security Team.

        It is recorded as PSIRT-2026-0001: "Cache poisoning through crafted CNAME chains".

        What happens next:
        - Fix Lead assigned: 2026-03-03 09:00 UTC
        - CVSS scored: 2026-03-09 09:00 UTC
        - Fix ready (LGTM on every commit): 2026-03-09 09:00 UTC
        - Fix released: 2026-03-23 09:00 UTC

        Please keep the vulnerability private until the fix is released. Reply to this message to add information; your reply is added to the case. We credit reporters publicly unless they ask to stay anonymous.

    "#]]
    .assert_eq(&written(&w, 0));

    let mut w = World::private();
    let n = w.events.len();
    w.advance("2h");
    w.assign(BOB);
    expect![[r#"
        == fix_lead_assigned to user bob (send, encrypt if key)
        Subject: [PSIRT-2026-0001] You are the Fix Lead
        You are the Fix Lead of PSIRT-2026-0001 (coredns).

        Form the Fix Team, agree on a CVSS score and lead the fix. Due times:
        - Fix Team formed: 2026-03-03 09:00 UTC
        - CVSS scored: 2026-03-09 09:00 UTC
        - Fix ready (LGTM on every commit): 2026-03-09 09:00 UTC
        - Forthcoming-fix notice published: 2026-03-09 09:00 UTC
        - Distributors notified (optional): 2026-03-16 09:00 UTC
        - Fix released: 2026-03-23 09:00 UTC

    "#]]
    .assert_eq(&written(&w, n));
}

#[test]
fn an_anonymous_report_gets_no_acknowledgement_by_mail() {
    let mut report = private_report();
    report.reporter = None;
    let w = World::open(report, psirt_core::Policy::default());
    assert_eq!(written(&w, 0), "");
}

#[test]
fn notice_pre_notification_and_announcement_are_drafts_for_review() {
    let mut w = World::private();
    w.ready_to_release();
    let n = w.events.len();
    w.ok(
        w.lead(),
        psirt_core::Command::PublishNotice {
            estimated_release: day0_plus("14d"),
            mitigation: "Disable the cache plugin.".into(),
            link: Some("https://github.com/coredns/coredns/issues/1".into()),
        },
    );
    w.at("5d");
    w.notify_distributors("18d");
    w.at("18d");
    w.release();
    // Nothing of the report itself reaches users before the release; the
    // pre-notification is the one message that is never sent in clear.
    expect![[r#"
        == forthcoming_fix_notice to Users (draft, encrypt if key)
        Subject: Forthcoming security fix for coredns, expected 2026-03-16
        A security vulnerability in coredns has been reported to the coredns Product Security Team, and a fix will be made available.

        Estimated release: 2026-03-16 09:00 UTC
        Severity: Critical (CVSS 9.8)

        Until the fix is released, you can protect yourself as follows:

        Disable the cache plugin.

        Follow the fix here: https://github.com/coredns/coredns/issues/1

        Please block time to apply the update on the release date.

        == pre_notification to Distributors (draft, encrypted only)
        Subject: [PSIRT-2026-0001] Embargoed security fix for coredns
        EMBARGOED until 2026-03-20 09:00 UTC — do not share outside your organisation's security team.

        PSIRT-2026-0001 (coredns): Cache poisoning through crafted CNAME chains
        CVSS: 9.8 Critical (CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H)
        Estimated release: 2026-03-16 09:00 UTC
        Affected versions: >= 1.9.0, < 1.12.1
        Fixed versions: 1.12.1

        Patches:
        - From abc1234 Mon Sep 17 00:00:00 2001
        ...

        Fix commits:
        - abc1234

        The embargo lifts at 2026-03-20 09:00 UTC (that is Friday 20 March 2026, 09:00 UTC). Prepare your own release for that moment; do not publish, share or discuss this information before it. If it leaks, tell the coredns Product Security Team at once.

        == release_announcement to Users (draft, encrypt if key)
        Subject: Security release: coredns v1.12.1 fixes CVE-2026-12345
        CoreDNS 1.12.1 fixes CVE-2026-12345.

        Release: coredns v1.12.1
        CVE: CVE-2026-12345
        CVSS: 9.8 Critical (CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H)

        How to apply the fix: upgrade to coredns v1.12.1.
        If you cannot upgrade at once:

        Disable the cache plugin.

        Fix commits:
        - abc1234

    "#]]
    .assert_eq(&written(&w, n));
}

#[test]
fn reminders_come_a_day_before_and_when_overdue_each_once_per_due_time() {
    let mut w = World::private();
    // The Fix Lead and Team are due within a day of intake: the PST is
    // reminded at once (nobody leads the case yet), which is also how the
    // PST hears of a new report.
    w.at("1h");
    expect![[r#"
        == reminder to Pst (send, encrypt if key) once reminder:PSIRT-2026-0001:due-soon:fix_lead_assigned@1772528400000000:fix_team_formed@1772528400000000
        Subject: [PSIRT-2026-0001] 2 milestones are due soon
        PSIRT-2026-0001 (coredns): due soon:
        - Fix Lead assigned: 2026-03-03 09:00 UTC
        - Fix Team formed: 2026-03-03 09:00 UTC

        All due times:
        - Fix Lead assigned: 2026-03-03 09:00 UTC
        - Fix Team formed: 2026-03-03 09:00 UTC
        - CVSS scored: 2026-03-09 09:00 UTC
        - Fix ready (LGTM on every commit): 2026-03-09 09:00 UTC
        - Forthcoming-fix notice published: 2026-03-09 09:00 UTC
        - Distributors notified (optional): 2026-03-16 09:00 UTC
        - Fix released: 2026-03-23 09:00 UTC

    "#]]
    .assert_eq(&show(&reminders(&w.case, w.now)));

    // Once a lead is assigned, reminders go to them, and an overdue
    // milestone has a reminder key of its own.
    w.assign(BOB);
    w.at("2d");
    let keys: Vec<String> = reminders(&w.case, w.now)
        .into_iter()
        .map(|m| format!("{} {:?}", m.once.unwrap(), m.audience))
        .collect();
    expect![[r#"
        [
            "reminder:PSIRT-2026-0001:overdue:fix_team_formed@1772528400000000 User(UserId(2))",
        ]
    "#]]
    .assert_debug_eq(&keys);

    // A closed case reminds nobody, however late it is.
    let mut w = World::private();
    w.ready_to_release();
    w.at("19d");
    w.release_and_wrap_up();
    w.at("60d");
    w.ok(w.lead(), psirt_core::Command::Close);
    assert_eq!(show(&reminders(&w.case, w.now)), "");
}

#[test]
fn credits_say_what_each_person_did() {
    use psirt_core::{Credit, CreditKind, credit_lines};
    let mut w = World::private();
    let credit = |name: Option<&str>, kind| Credit {
        name: name.map(String::from),
        kind,
    };
    w.case.credits = vec![
        credit(Some("Rita"), CreditKind::Reporter),
        credit(Some("Alice"), CreditKind::RemediationDeveloper),
        credit(None, CreditKind::Finder),
        credit(Some("Bob"), CreditKind::RemediationDeveloper),
        credit(Some("Carol"), CreditKind::RemediationDeveloper),
        credit(Some("Dave"), CreditKind::RemediationReviewer),
    ];
    expect![[r#"
        [
            "Reported by Rita",
            "Fixed by Alice, Bob and Carol",
            "Found by someone who asked to stay anonymous",
            "Fix reviewed by Dave",
        ]
    "#]]
    .assert_debug_eq(&credit_lines(&w.case));
    // A reporter credited as reporter is thanked for reporting, not fixing.
    w.case.credits = vec![credit(Some("Rita"), CreditKind::Reporter)];
    assert_eq!(credit_lines(&w.case), ["Reported by Rita"]);
}
