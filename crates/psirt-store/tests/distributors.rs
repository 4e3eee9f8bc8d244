//! The private distributors list on both backends: an organisation applies
//! (criteria one by one, a voucher, each person's key), the voucher
//! confirms, people accept the embargo policy themselves, the PST approves;
//! the pre-notification goes only to current members who accepted, a member
//! without a key is listed as not notified; distributors see their notified
//! cases and nothing else, record feedback, report leaks (the case's
//! embargo break); removal takes effect at once.

use jiff::{SignedDuration, Timestamp};
use psirt_core::{
    CaseRef, Command, DistributorDecision, EmailAddress, MailKind, NewReport, Policy, Reporter,
    Secret,
};
use psirt_store::{
    Application, Caller, CheckedKey, Delivery, DraftDecision, FeedbackKind, HelpTopic, NewLeak,
    NewPerson, OrgDecision, OrgState, Outcome, Principal, Retry, Store, StoreError, User,
};

#[macro_use]
mod common;

const T0: &str = "2026-11-02T09:00:00Z";

fn at(hours: i64) -> Timestamp {
    T0.parse::<Timestamp>().unwrap() + SignedDuration::from_hours(hours)
}

fn email(s: &str) -> EmailAddress {
    s.parse().unwrap()
}

fn person(user: &User) -> Caller {
    Caller::cli(Principal::User(user.clone()))
}

/// A fingerprint of the right form, made from the name.
fn fingerprint(who: &str) -> String {
    let hex: String = who.bytes().map(|b| format!("{b:02X}")).collect();
    format!("{hex:0>40}")
}

fn key(who: &str) -> Option<CheckedKey> {
    // The store keeps what the edge checked (`psirt_mail` for use,
    // `CheckedKey` for form); the key's content is opaque here.
    Some(
        CheckedKey::new(
            &fingerprint(who),
            &format!(
                "-----BEGIN PGP PUBLIC KEY BLOCK-----\n{who}\n-----END PGP PUBLIC KEY BLOCK-----\n"
            ),
        )
        .unwrap(),
    )
}

fn new_person(name: &str, address: &str, with_key: bool) -> NewPerson {
    NewPerson {
        name: name.into(),
        email: email(address),
        key: if with_key { key(name) } else { None },
    }
}

fn answers() -> Vec<String> {
    [
        "We ship CoreDNS in Distro Linux and its container images.",
        "Millions of installations outside our company.",
        "https://distro.example/security lists every fix since 2015.",
        "We build from upstream sources ourselves.",
        "We send patches and review pull requests.",
        "We accept the embargo policy.",
        "founder@origin.example vouches for us.",
    ]
    .map(String::from)
    .to_vec()
}

fn application() -> Application {
    Application {
        project: "coredns".into(),
        organisation: "Distro".into(),
        answers: answers(),
        list_address: Some(email("security@distro.example")),
        people: vec![
            new_person("Ann", "ann@distro.example", true),
            new_person("Ben", "ben@distro.example", false),
        ],
        voucher: email("founder@origin.example"),
    }
}

struct World {
    store: Store,
    alice: User,
    bob: User,
    founder: User,
}

async fn setup(store: &Store) -> World {
    store
        .add_project("coredns", "CoreDNS", &Policy::default(), at(0))
        .await
        .unwrap();
    let mut pst = Vec::new();
    for name in ["alice", "bob"] {
        let (user, _) = store
            .add_user(&email(&format!("{name}@example.org")), name, false, at(0))
            .await
            .unwrap();
        store
            .add_pst_member("coredns", user.id, at(0))
            .await
            .unwrap();
        pst.push(user);
    }
    store
        .found_distributor(
            "coredns",
            "Origin",
            new_person("Founder", "founder@origin.example", false),
            at(0),
        )
        .await
        .unwrap();
    let founder = store
        .user_by_email(&email("founder@origin.example"))
        .await
        .unwrap();
    let bob = pst.pop().unwrap();
    let alice = pst.pop().unwrap();
    World {
        store: store.clone(),
        alice,
        bob,
        founder,
    }
}

impl World {
    async fn user(&self, address: &str) -> User {
        self.store.user_by_email(&email(address)).await.unwrap()
    }

    async fn org(&self, name: &str) -> i64 {
        self.store
            .distributor_org_id("coredns", name)
            .await
            .unwrap()
    }

    async fn run(&self, who: &User, reference: CaseRef, command: Command, hour: i64) {
        self.store
            .execute(&person(who), reference, command, None, at(hour))
            .await
            .unwrap();
    }

    /// A case walked to the pre-notification (written as drafts), from `hour`.
    async fn notified_case(&self, summary: &str, hour: i64) -> CaseRef {
        let case = self
            .store
            .report(
                NewReport {
                    project: "coredns".into(),
                    summary: summary.into(),
                    details: Secret::new("Send a crafted packet.".into()),
                    reporter: Some(Reporter {
                        name: None,
                        email: None,
                    }),
                    public_link: None,
                    already_public: false,
                    ai_assisted: false,
                },
                "test",
                at(hour),
            )
            .await
            .unwrap()
            .record
            .case
            .reference;
        let (alice, bob) = (&self.alice, &self.bob);
        self.run(
            bob,
            case,
            Command::AssignFixLead {
                lead: Some(alice.id),
                override_reason: Some("knows the cache".into()),
            },
            hour,
        )
        .await;
        let commit: psirt_core::CommitId = "a1b2c3d".parse().unwrap();
        self.run(
            alice,
            case,
            Command::AddFixCommit {
                commit: commit.clone(),
                author: "alice".into(),
                author_user: Some(alice.id),
                url: None,
            },
            hour,
        )
        .await;
        self.run(bob, case, Command::ApproveCommit { commit }, hour)
            .await;
        self.run(alice, case, Command::MarkFixReady, hour).await;
        self.run(
            alice,
            case,
            Command::DecideDistributors(DistributorDecision {
                notify: true,
                rationale: "Remotely exploitable.".into(),
                embargo_end: Some(at(hour + 24 * 7)),
                long_embargo_reason: None,
                off_slot_reason: None,
            }),
            hour,
        )
        .await;
        self.run(
            alice,
            case,
            Command::NotifyDistributors {
                patches: vec!["diff --git a/plugin/cache b/plugin/cache".into()],
                affected_versions: Some(">= 1.9.0, < 1.12.1".into()),
                fixed_versions: Some("1.12.1".into()),
            },
            hour,
        )
        .await;
        case
    }

    /// `recipient state` of the case's pre-notification copies.
    async fn copies(&self, case: CaseRef) -> Vec<String> {
        self.store
            .case_mail(&person(&self.alice), case)
            .await
            .unwrap()
            .iter()
            .filter(|m| m.kind == MailKind::PreNotification)
            .map(|m| format!("{} {}", m.recipient, m.state.as_str()))
            .collect()
    }

    /// What the delivery worker does: a copy that must be encrypted and
    /// has no key on file fails, never sent in clear; the rest is sent.
    async fn deliver(&self, hour: i64) {
        let claimed = self
            .store
            .claim_mail("w1", 100, at(hour), at(hour + 1))
            .await
            .unwrap();
        for m in claimed {
            if m.encrypt_only && m.key.is_none() {
                self.store
                    .mail_failed(
                        &m,
                        "w1",
                        "no usable OpenPGP key on file for the recipient; never sent in clear",
                        Retry::Never,
                    )
                    .await
                    .unwrap();
            } else {
                self.store
                    .mail_sent(&m, "w1", m.key.is_some(), at(hour))
                    .await
                    .unwrap();
            }
        }
    }
}

fn refused<T: std::fmt::Debug>(r: Result<T, StoreError>) -> String {
    match r {
        Err(
            e @ (StoreError::Refused(_) | StoreError::Invalid { .. } | StoreError::WrongState(_)),
        ) => e.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

both!(
    the_full_path_from_application_to_removal,
    |store: Store| async move {
        let w = setup(&store).await;
        let anon = Caller::cli(Principal::Anonymous);

        // An organisation applies; the people it names get accounts.
        let org = store
            .apply_distributor(&anon, application(), at(1))
            .await
            .unwrap();
        assert_eq!(org.state, OrgState::Applied);
        assert_eq!(org.answers.len(), 7);
        assert_eq!(org.voucher.as_ref().unwrap().email, w.founder.email);
        let ann = w.user("ann@distro.example").await;
        let ben = w.user("ben@distro.example").await;
        assert!(
            store.key_for(&ann.email).await.unwrap().is_none(),
            "Ann's key waits until she confirms it"
        );
        let named: Vec<_> = org.people.iter().map(|p| p.key_pending.clone()).collect();
        assert_eq!(named, [Some(fingerprint("Ann")), None]);
        let distro = org.id;

        // The PST decides only after the voucher confirmed; only the
        // member named may vouch.
        assert!(
            refused(
                store
                    .decide_distributor(&person(&w.alice), distro, OrgDecision::Approve, at(2))
                    .await
            )
            .contains("must be vouched")
        );
        assert!(
            refused(
                store
                    .vouch_distributor(&person(&ann), distro, None, at(2))
                    .await
            )
            .contains("vouch")
        );
        let org = store
            .vouch_distributor(&person(&w.founder), distro, Some("I know them"), at(2))
            .await
            .unwrap();
        assert_eq!(org.state, OrgState::Vouched);

        // Approval waits for someone to accept the embargo policy; only
        // the PST approves.
        assert!(
            refused(
                store
                    .decide_distributor(&person(&w.alice), distro, OrgDecision::Approve, at(3))
                    .await
            )
            .contains("accepted the embargo policy")
        );
        store
            .accept_embargo_policy(&person(&ann), distro, at(3))
            .await
            .unwrap();
        assert!(
            store.key_for(&ann.email).await.unwrap().is_some(),
            "accepting, signed in, confirms the key named for her"
        );
        assert!(
            refused(
                store
                    .decide_distributor(&person(&ann), distro, OrgDecision::Approve, at(3))
                    .await
            )
            .contains("only the Product Security Team may manage the distributors list")
        );
        let org = store
            .decide_distributor(&person(&w.alice), distro, OrgDecision::Approve, at(3))
            .await
            .unwrap();
        assert_eq!(org.state, OrgState::Approved);
        let kinds: Vec<&str> = org.timeline.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["applied", "vouched", "accepted", "approved"]);

        // Need to know: Ann adds Carl, who sees nothing until he accepts.
        store
            .add_distributor_person(
                &person(&ann),
                distro,
                new_person("Carl", "carl@distro.example", true),
                at(4),
            )
            .await
            .unwrap();
        let carl = w.user("carl@distro.example").await;
        // Ben accepts; he has no key.
        store
            .accept_embargo_policy(&person(&ben), distro, at(4))
            .await
            .unwrap();

        // The pre-notification: one copy per current member who accepted.
        let case = w.notified_case("Cache poisoning", 5).await;
        assert_eq!(
            w.copies(case).await,
            [
                "ann@distro.example draft",
                "ben@distro.example draft",
                "founder@origin.example draft"
            ],
            "Carl has not accepted: no copy; the list address gets none"
        );
        // Before the drafts are approved no organisation is notified.
        assert!(refused(store.pre_notification(&person(&ann), case).await).contains("only"));
        store
            .review_drafts(
                &person(&w.alice),
                case,
                MailKind::PreNotification,
                DraftDecision::Approve,
                at(6),
            )
            .await
            .unwrap();
        w.deliver(6).await;
        let status: Vec<String> = store
            .distributor_notifications(&person(&w.alice), case)
            .await
            .unwrap()
            .iter()
            .map(|n| {
                let d = match &n.delivery {
                    Delivery::Notified => "notified".to_string(),
                    Delivery::Pending => "pending".to_string(),
                    Delivery::NotNotified(why) => format!("not notified: {why}"),
                };
                format!("{} {} {d}", n.organisation, n.email)
            })
            .collect();
        assert_eq!(
            status,
            [
                "Distro ann@distro.example notified",
                "Distro ben@distro.example not notified: no usable OpenPGP key on file for the recipient; never sent in clear",
                "Origin founder@origin.example not notified: no usable OpenPGP key on file for the recipient; never sent in clear",
            ]
        );

        // The portal: Ann sees the case notified to Distro and its notice,
        // never the case itself.
        let cases = store
            .notified_cases(&person(&ann), "coredns")
            .await
            .unwrap();
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0].reference, case);
        assert_eq!(cases[0].embargo_end, Some(at(5 + 24 * 7)));
        let notice = store.pre_notification(&person(&ann), case).await.unwrap();
        let body = notice.body.expose();
        assert!(
            body.contains("Affected versions: >= 1.9.0, < 1.12.1"),
            "{body}"
        );
        assert!(body.contains("Fixed versions: 1.12.1"), "{body}");
        assert!(body.contains("UTC"), "{body}");
        assert!(matches!(
            store.case(&person(&ann), case).await,
            Err(StoreError::Refused(_))
        ));
        assert!(matches!(
            store.case_mail(&person(&ann), case).await,
            Err(StoreError::Refused(_))
        ));
        // Carl, who has not accepted, sees nothing at all.
        assert!(matches!(
            store.notified_cases(&person(&carl), "coredns").await,
            Err(StoreError::Refused(_))
        ));
        assert!(matches!(
            store.pre_notification(&person(&carl), case).await,
            Err(StoreError::Refused(_))
        ));
        store
            .accept_embargo_policy(&person(&carl), distro, at(7))
            .await
            .unwrap();
        assert!(store.pre_notification(&person(&carl), case).await.is_ok());

        // Contributing back: "tested, no issues found".
        store
            .record_distributor_feedback(
                &person(&ann),
                case,
                FeedbackKind::Test,
                Outcome::NoIssuesFound,
                "Tested on Distro 12: no issues found.",
                at(8),
            )
            .await
            .unwrap();
        let request = store
            .ask_distributors_for_help(
                &person(&w.alice),
                case,
                HelpTopic::ReleaseNotes,
                "Please review the release notes draft.",
                at(8),
            )
            .await
            .unwrap();
        assert_eq!(
            store
                .help_requests(&person(&ann), case)
                .await
                .unwrap()
                .len(),
            1
        );
        store
            .answer_help_request(&person(&ann), case, request, "Looks good.", at(8))
            .await
            .unwrap();
        let feedback = store
            .distributor_feedback(&person(&w.alice), case)
            .await
            .unwrap();
        let lines: Vec<String> = feedback
            .iter()
            .map(|f| {
                format!(
                    "{} {} {} {:?} {}",
                    f.organisation,
                    f.by,
                    f.kind,
                    f.outcome,
                    f.text.expose()
                )
            })
            .collect();
        assert_eq!(
            lines,
            [
                "Distro ann@distro.example test Some(NoIssuesFound) Tested on Distro 12: no issues found.",
                "Distro ann@distro.example help None Looks good.",
            ]
        );
        // Distributors do not read each other's feedback.
        assert!(matches!(
            store.distributor_feedback(&person(&ann), case).await,
            Err(StoreError::Refused(_))
        ));

        // Nothing outside their notified cases: a second case, not yet
        // approved for them, is closed to Ann.
        let other = w.notified_case("Other issue", 9).await;
        assert!(matches!(
            store.pre_notification(&person(&ann), other).await,
            Err(StoreError::Refused(_))
        ));
        assert!(matches!(
            store
                .record_distributor_feedback(
                    &person(&ann),
                    other,
                    FeedbackKind::Review,
                    Outcome::IssuesFound,
                    "x",
                    at(9)
                )
                .await,
            Err(StoreError::Refused(_))
        ));
        assert_eq!(
            store
                .notified_cases(&person(&ann), "coredns")
                .await
                .unwrap()
                .len(),
            1
        );

        // A distributor cannot put a leak on another organisation's record;
        // nothing is written when it tries.
        assert!(
            refused(
                store
                    .report_leak(
                        &person(&ann),
                        case,
                        NewLeak {
                            what: "The patch".into(),
                            to_whom: "A public mailing list".into(),
                            when: at(9),
                            responsible: Some("Origin".into()),
                        },
                        at(10),
                    )
                    .await
            )
            .contains("your own organisation")
        );
        assert_eq!(
            store
                .case(&person(&w.alice), case)
                .await
                .unwrap()
                .case
                .embargo_breaks
                .len(),
            0
        );
        // A leak: the case's embargo break, tied to the responsible organisation.
        let record = store
            .report_leak(
                &person(&ann),
                case,
                NewLeak {
                    what: "The patch".into(),
                    to_whom: "A public mailing list".into(),
                    when: at(9),
                    responsible: Some("Distro".into()),
                },
                at(10),
            )
            .await
            .unwrap();
        assert_eq!(record.case.embargo_breaks.len(), 1);
        assert!(record.case.embargo_breaks[0].assessment.is_none());
        let counts: Vec<String> = store
            .leak_counts(&person(&w.alice), "coredns")
            .await
            .unwrap()
            .iter()
            .map(|l| format!("{} {} {}", l.organisation, l.state.as_str(), l.leaks))
            .collect();
        assert_eq!(counts, ["Distro approved 1", "Origin approved 0"]);
        assert!(matches!(
            store.leak_counts(&person(&ann), "coredns").await,
            Err(StoreError::Refused(_))
        ));

        // Ann removes Carl: his pending copy of the second case is discarded.
        assert_eq!(
            w.copies(other).await,
            [
                "ann@distro.example draft",
                "ben@distro.example draft",
                "carl@distro.example draft",
                "founder@origin.example draft"
            ]
        );
        let ttl = SignedDuration::from_hours(12);
        let carls = store.create_session(&carl, at(11), ttl).await.unwrap();
        let anns = store.create_session(&ann, at(11), ttl).await.unwrap();
        let carls_token = store.issue_token(carl.id, at(11)).await.unwrap();
        store
            .remove_distributor_person(&person(&ann), distro, &carl.email, at(11))
            .await
            .unwrap();
        // His removal ends his sessions and tokens at once; Ann's stay.
        assert!(
            store
                .authenticate(carls_token.reveal())
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .session(carls.cookie.reveal(), at(11))
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .session(anns.cookie.reveal(), at(11))
                .await
                .unwrap()
                .is_some()
        );
        assert!(matches!(
            store.pre_notification(&person(&carl), case).await,
            Err(StoreError::Refused(_))
        ));

        // The PST removes Distro after the leak: at once, everything stops.
        assert!(
            refused(
                store
                    .decide_distributor(
                        &person(&w.alice),
                        distro,
                        OrgDecision::Remove { reason: " ".into() },
                        at(12)
                    )
                    .await
            )
            .contains("reason")
        );
        let org = store
            .decide_distributor(
                &person(&w.alice),
                distro,
                OrgDecision::Remove {
                    reason: "Leaked the patch of PSIRT-2026-0001.".into(),
                },
                at(12),
            )
            .await
            .unwrap();
        assert_eq!(org.state, OrgState::Removed);
        assert!(
            store
                .session(anns.cookie.reveal(), at(12))
                .await
                .unwrap()
                .is_none(),
            "removing the organisation ends its people's sessions"
        );
        assert_eq!(
            w.copies(other).await,
            [
                "ann@distro.example discarded",
                "ben@distro.example discarded",
                "carl@distro.example discarded",
                "founder@origin.example draft"
            ]
        );
        assert!(matches!(
            store.notified_cases(&person(&ann), "coredns").await,
            Err(StoreError::Refused(_))
        ));
        assert!(matches!(
            store.pre_notification(&person(&ann), case).await,
            Err(StoreError::Refused(_))
        ));
        assert!(matches!(
            store
                .report_leak(
                    &person(&ann),
                    case,
                    NewLeak {
                        what: "x".into(),
                        to_whom: "y".into(),
                        when: at(12),
                        responsible: None
                    },
                    at(12)
                )
                .await,
            Err(StoreError::Refused(_))
        ));
        // Approving the second case's drafts now reaches Origin only.
        store
            .review_drafts(
                &person(&w.alice),
                other,
                MailKind::PreNotification,
                DraftDecision::Approve,
                at(13),
            )
            .await
            .unwrap();
        assert_eq!(
            w.copies(other).await,
            [
                "ann@distro.example discarded",
                "ben@distro.example discarded",
                "carl@distro.example discarded",
                "founder@origin.example queued"
            ]
        );
        // The applicant sees the outcome and its reason.
        let seen = store.distributor_org(&person(&ben), distro).await.unwrap();
        assert_eq!(
            seen.reason.as_deref(),
            Some("Leaked the patch of PSIRT-2026-0001.")
        );

        // Every step and every view of embargoed content is in the audit log.
        let (log, _) = store.audit_all_for_tests().await;
        let actions: Vec<&str> = log
            .iter()
            .map(|(_, a, _)| a.as_str())
            .filter(|a| a.starts_with("distributor."))
            .collect();
        for expected in [
            "distributor.founding",
            "distributor.applied",
            "distributor.vouched",
            "distributor.accepted",
            "distributor.approved",
            "distributor.person_added",
            "distributor.notice.view",
            "distributor.notice.view.denied",
            "distributor.feedback",
            "distributor.help.ask",
            "distributor.help_answer",
            "distributor.leak",
            "distributor.person_removed",
            "distributor.removed",
        ] {
            assert!(actions.contains(&expected), "{expected} in {actions:?}");
        }
        assert!(matches!(
            store.audit_verify().await.unwrap(),
            psirt_store::AuditReport::Intact { .. }
        ));
        // The rows are a projection of the events: they agree.
        for org in [w.org("Origin").await, distro] {
            store.check_distributor_org(org).await.unwrap();
        }
    }
);

/// The timeline's kinds, for the upgrade test.
async fn kinds(store: &Store, caller: &Caller, org: i64) -> Vec<String> {
    let org = store.distributor_org(caller, org).await.unwrap();
    org.timeline.iter().map(|e| e.kind.clone()).collect()
}

both!(
    organisations_are_folded_from_their_events_and_an_upgrade_reads_the_same,
    |store: Store| async move {
        let w = setup(&store).await;
        let anon = Caller::cli(Principal::Anonymous);
        let pst = person(&w.alice);
        let distro = store
            .apply_distributor(&anon, application(), at(1))
            .await
            .unwrap()
            .id;
        let origin = w.org("Origin").await;
        let ann = w.user("ann@distro.example").await;
        store
            .vouch_distributor(&person(&w.founder), distro, None, at(2))
            .await
            .unwrap();
        store
            .accept_embargo_policy(&person(&ann), distro, at(3))
            .await
            .unwrap();
        store
            .decide_distributor(&pst, distro, OrgDecision::Approve, at(3))
            .await
            .unwrap();
        store
            .add_distributor_person(
                &person(&ann),
                distro,
                new_person("Carl", "carl@distro.example", false),
                at(4),
            )
            .await
            .unwrap();
        store
            .remove_distributor_person(&pst, distro, &email("ben@distro.example"), at(5))
            .await
            .unwrap();
        let suspend = OrgDecision::Suspend {
            reason: "A leak.".into(),
        };
        store
            .decide_distributor(&pst, distro, suspend, at(6))
            .await
            .unwrap();
        for org in [origin, distro] {
            store.check_distributor_org(org).await.unwrap();
        }
        let before = store.distributor_org(&pst, distro).await.unwrap();
        assert_eq!(
            kinds(&store, &pst, distro).await,
            [
                "applied",
                "vouched",
                "accepted",
                "approved",
                "person_added",
                "person_removed",
                "suspended"
            ]
        );

        // The events are the truth: rows that drift are caught, and the
        // next decision is taken on the events (suspended), not the rows.
        store
            .raw_execute("UPDATE distributor_orgs SET state = 'approved' WHERE name = 'Distro'")
            .await;
        assert!(matches!(
            store.check_distributor_org(distro).await,
            Err(StoreError::Corrupt(_))
        ));
        assert!(
            refused(
                store
                    .decide_distributor(
                        &pst,
                        distro,
                        OrgDecision::Suspend {
                            reason: "again".into()
                        },
                        at(7)
                    )
                    .await
            )
            .contains("Distro is suspended")
        );
        store
            .raw_execute("UPDATE distributor_orgs SET state = 'suspended' WHERE name = 'Distro'")
            .await;

        // A database from before the events: the old timeline carried over
        // as events without changes (what 0017 does), nothing else.
        store.raw_execute("UPDATE org_events SET data = '[]'").await;
        assert!(matches!(
            store.check_distributor_org(distro).await,
            Err(StoreError::Corrupt(_))
        ));
        // Migrating states each organisation from its rows, once.
        store.migrate_again().await.unwrap();
        let events = store.raw_count("SELECT COUNT(*) FROM org_events").await;
        store.migrate_again().await.unwrap();
        assert_eq!(
            store.raw_count("SELECT COUNT(*) FROM org_events").await,
            events
        );
        for org in [origin, distro] {
            store.check_distributor_org(org).await.unwrap();
        }
        let after = store.distributor_org(&pst, distro).await.unwrap();
        assert_eq!(
            (after.state, &after.people, after.reason.as_deref()),
            (before.state, &before.people, Some("A leak."))
        );
        assert_eq!(
            kinds(&store, &pst, distro).await.last().map(String::as_str),
            Some("carried_over")
        );
        // And the upgraded organisation goes on as before.
        let reinstate = OrgDecision::Reinstate {
            reason: "Assessed.".into(),
        };
        let org = store
            .decide_distributor(&pst, distro, reinstate, at(8))
            .await
            .unwrap();
        assert_eq!(org.state, OrgState::Approved);
        assert!(
            refused(
                store
                    .accept_embargo_policy(&person(&ann), distro, at(8))
                    .await
            )
            .contains("already")
        );
        store
            .remove_distributor_person(&pst, distro, &email("carl@distro.example"), at(9))
            .await
            .unwrap();
        store.check_distributor_org(distro).await.unwrap();
    }
);

both!(
    a_bad_application_writes_nothing,
    |store: Store| async move {
        let _w = setup(&store).await;
        let anon = Caller::cli(Principal::Anonymous);
        let orgs = store
            .raw_count("SELECT COUNT(*) FROM distributor_orgs")
            .await;
        let users = store.raw_count("SELECT COUNT(*) FROM users").await;
        let keys = store.raw_count("SELECT COUNT(*) FROM openpgp_keys").await;
        let mut cases: Vec<(&str, Application)> = Vec::new();
        let mut a = application();
        a.answers.pop();
        cases.push(("six answers", a));
        let mut a = application();
        a.answers[2] = "  ".into();
        cases.push(("an empty answer", a));
        let mut a = application();
        a.people
            .push(new_person("Sec", "security@distro.example", true));
        cases.push(("a group alias", a));
        let mut a = application();
        a.people
            .push(new_person("Team", "dev-announce@distro.example", true));
        cases.push(("a list", a));
        let mut a = application();
        a.people.clear();
        cases.push(("no people", a));
        let mut a = application();
        a.voucher = email("nobody@example.net");
        cases.push(("a voucher who is no member", a));
        let mut a = application();
        a.voucher = email("ann@distro.example");
        cases.push(("a voucher of its own", a));
        let mut a = application();
        a.organisation = "".into();
        cases.push(("no name", a));
        let mut got = Vec::new();
        for (what, a) in cases {
            let e = store.apply_distributor(&anon, a, at(1)).await.unwrap_err();
            got.push(format!("{what}: {e}"));
        }
        assert_eq!(
            got,
            [
                "six answers: answers: answer each of the 7 membership criteria, one by one (6 given)",
                "an empty answer: criterion_3: must not be empty",
                "a group alias: person_email: security@distro.example looks like a group or role address; name each person with their own address",
                "a list: person_email: dev-announce@distro.example looks like a group or role address; name each person with their own address",
                "no people: people: name at least one person: individuals, each with their own address",
                "a voucher who is no member: voucher: nobody@example.net is not a member of another organisation on the coredns distributors list",
                "a voucher of its own: voucher: ann@distro.example is not a member of another organisation on the coredns distributors list",
                "no name: organisation: must not be empty",
            ]
        );
        assert_eq!(
            store
                .raw_count("SELECT COUNT(*) FROM distributor_orgs")
                .await,
            orgs
        );
        assert_eq!(store.raw_count("SELECT COUNT(*) FROM users").await, users);
        assert_eq!(
            store.raw_count("SELECT COUNT(*) FROM openpgp_keys").await,
            keys
        );
        // A second application under the same name is refused whole.
        store
            .apply_distributor(&anon, application(), at(1))
            .await
            .unwrap();
        let users = store.raw_count("SELECT COUNT(*) FROM users").await;
        let mut again = application();
        again.people = vec![new_person("Dora", "dora@distro.example", true)];
        assert!(matches!(
            store.apply_distributor(&anon, again, at(2)).await,
            Err(StoreError::Duplicate(_))
        ));
        assert_eq!(store.raw_count("SELECT COUNT(*) FROM users").await, users);
    }
);

both!(
    suspension_stops_everything_until_reinstated,
    |store: Store| async move {
        let w = setup(&store).await;
        let origin = w.org("Origin").await;
        let case = w.notified_case("Cache poisoning", 1).await;
        store
            .decide_distributor(
                &person(&w.bob),
                origin,
                OrgDecision::Suspend {
                    reason: "Two leaks this year.".into(),
                },
                at(2),
            )
            .await
            .unwrap();
        // The pending draft is discarded at once, with the reason shown.
        assert_eq!(w.copies(case).await, ["founder@origin.example discarded"]);
        let status = store
            .distributor_notifications(&person(&w.alice), case)
            .await
            .unwrap();
        assert_eq!(
            status[0].delivery,
            Delivery::NotNotified("organisation suspended".into())
        );
        // A suspended member cannot vouch.
        let anon = Caller::cli(Principal::Anonymous);
        assert!(matches!(
            store.apply_distributor(&anon, application(), at(2)).await,
            Err(StoreError::Invalid {
                field: "voucher",
                ..
            })
        ));
        store
            .decide_distributor(
                &person(&w.bob),
                origin,
                OrgDecision::Reinstate {
                    reason: "Agreed new handling.".into(),
                },
                at(3),
            )
            .await
            .unwrap();
        assert!(
            store
                .apply_distributor(&anon, application(), at(3))
                .await
                .is_ok()
        );
    }
);

both!(
    an_acceptance_of_the_embargo_policy_lapses_after_its_period_until_accepted_again,
    |store: Store| async move {
        let w = setup(&store).await;
        let origin = w.org("Origin").await;
        let year = 24 * 365;
        // The founder accepted at hour 0 (the default policy: a year).
        let case = w.notified_case("Cache poisoning", 1).await;
        assert_eq!(w.copies(case).await, ["founder@origin.example draft"]);
        assert_eq!(
            store.lapse_embargo_acceptances(at(year - 1)).await.unwrap(),
            0,
            "an hour before the year, nothing lapses"
        );
        assert!(
            store
                .notified_cases(&person(&w.founder), "coredns")
                .await
                .is_ok()
        );
        // At the year it lapses, once: the copy waiting for them is
        // discarded, they see nothing of the list, and it is the
        // organisation's event and an audit entry, with the rows agreeing.
        assert_eq!(store.lapse_embargo_acceptances(at(year)).await.unwrap(), 1);
        assert_eq!(
            store.lapse_embargo_acceptances(at(year + 1)).await.unwrap(),
            0
        );
        assert_eq!(w.copies(case).await, ["founder@origin.example discarded"]);
        assert!(matches!(
            store.notified_cases(&person(&w.founder), "coredns").await,
            Err(StoreError::Refused(_))
        ));
        assert_eq!(
            kinds(&store, &person(&w.alice), origin)
                .await
                .last()
                .unwrap(),
            "acceptance_lapsed"
        );
        assert_eq!(
            store
                .raw_count(
                    "SELECT COUNT(*) FROM audit_log WHERE action = 'distributor.acceptance_lapsed'"
                )
                .await,
            1
        );
        store.check_distributor_org(origin).await.unwrap();
        // They accept again through the usual route, and see the list
        // again for another period from then.
        store
            .accept_embargo_policy(&person(&w.founder), origin, at(year + 2))
            .await
            .unwrap();
        assert!(
            store
                .notified_cases(&person(&w.founder), "coredns")
                .await
                .is_ok()
        );
        assert_eq!(
            store
                .lapse_embargo_acceptances(at(2 * year + 1))
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            store
                .lapse_embargo_acceptances(at(2 * year + 2))
                .await
                .unwrap(),
            1
        );
        store.check_distributor_org(origin).await.unwrap();
    }
);
