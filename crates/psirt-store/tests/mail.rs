//! The outbox and inbound mail, on both backends: mail is written with the
//! events that cause it, drafts wait for review, workers claim disjoint
//! batches and take over abandoned ones, reminders are written once, and
//! inbound messages open, thread or are set aside exactly once.

use jiff::{SignedDuration, Timestamp};
use psirt_core::{CaseRef, Command, MailKind, NewReport, Policy, Reporter, Secret};
use psirt_store::{
    Caller, CheckedKey, DraftDecision, InboundMessage, Ingested, MailState, Principal, Retry,
    Store, StoreError, User,
};

#[macro_use]
mod common;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

const T0: &str = "2026-11-02T09:00:00Z";

fn at(hours: i64) -> Timestamp {
    t(T0) + SignedDuration::from_hours(hours)
}

fn report(summary: &str, email: Option<&str>) -> NewReport {
    NewReport {
        reporter: Some(Reporter {
            name: Some("Rita".into()),
            email: email.map(|e| e.parse().unwrap()),
        }),
        ..common::report("coredns", summary)
    }
}

async fn setup(store: &Store) -> Vec<User> {
    store
        .add_project("coredns", "CoreDNS", &Policy::default(), t(T0))
        .await
        .unwrap();
    let mut users = Vec::new();
    for name in ["alice", "bob"] {
        let email = format!("{name}@example.org").parse().unwrap();
        let (user, _) = store.add_user(&email, name, false, t(T0)).await.unwrap();
        store
            .add_pst_member("coredns", user.id, t(T0))
            .await
            .unwrap();
        users.push(user);
    }
    users
}

fn person(user: &User) -> Caller {
    Caller::cli(Principal::User(user.clone()))
}

/// `kind recipient state` for each copy on the case.
async fn mail_of(store: &Store, who: &User, case: CaseRef) -> Vec<String> {
    store
        .case_mail(&person(who), case)
        .await
        .unwrap()
        .iter()
        .map(|m| format!("{} {} {}", m.kind.as_str(), m.recipient, m.state.as_str()))
        .collect()
}

both!(
    intake_writes_the_acknowledgement_in_its_transaction,
    |store: Store| async move {
        let users = setup(&store).await;
        let intake = store
            .report(
                report("Cache poisoning", Some("rita@example.net")),
                "test",
                at(0),
            )
            .await
            .unwrap();
        let case = intake.record.case.reference;
        assert_eq!(
            mail_of(&store, &users[0], case).await,
            ["acknowledgement rita@example.net queued"]
        );
        // A reporter who left no address gets no mail.
        let anonymous = store
            .report(report("Other", None), "test", at(0))
            .await
            .unwrap();
        assert!(
            mail_of(&store, &users[0], anonymous.record.case.reference)
                .await
                .is_empty()
        );
        // Reading a case's mail is an audited read, refused to outsiders.
        let (outsider, _) = store
            .add_user(
                &"mallory@example.com".parse().unwrap(),
                "mallory",
                false,
                at(0),
            )
            .await
            .unwrap();
        let denied = store.case_mail(&person(&outsider), case).await;
        assert!(matches!(denied, Err(StoreError::Refused(_))), "{denied:?}");
        let (log, _) = store.audit_all_for_tests().await;
        let actions: Vec<&str> = log
            .iter()
            .map(|(_, a, _)| a.as_str())
            .filter(|a| a.starts_with("mail"))
            .collect();
        assert_eq!(actions, ["mail.view", "mail.view", "mail.view.denied"]);
    }
);

both!(
    a_command_and_its_mail_commit_together,
    |store: Store| async move {
        let users = setup(&store).await;
        let case = store
            .report(
                report("Cache poisoning", Some("rita@example.net")),
                "test",
                at(0),
            )
            .await
            .unwrap()
            .record
            .case
            .reference;
        store
            .execute(
                &person(&users[0]),
                case,
                Command::AssignFixLead {
                    lead: None,
                    override_reason: None,
                },
                None,
                at(1),
            )
            .await
            .unwrap();
        let lead = store
            .case(&person(&users[0]), case)
            .await
            .unwrap()
            .case
            .fix_lead()
            .unwrap();
        let lead_email = users
            .iter()
            .find(|u| u.id == lead)
            .unwrap()
            .email
            .to_string();
        assert_eq!(
            mail_of(&store, &users[0], case).await,
            [
                "acknowledgement rita@example.net queued".to_string(),
                format!("fix_lead_assigned {lead_email} queued")
            ]
        );
        // A refused command writes no mail either.
        let before = store.raw_count("SELECT COUNT(*) FROM outbox").await;
        let refused = store
            .execute(
                &person(&users[0]),
                case,
                Command::AssignFixLead {
                    lead: None,
                    override_reason: None,
                },
                None,
                at(2),
            )
            .await;
        assert!(refused.is_err());
        assert_eq!(store.raw_count("SELECT COUNT(*) FROM outbox").await, before);
    }
);

both!(
    reminders_are_written_once_whoever_asks,
    |store: Store| async move {
        let users = setup(&store).await;
        let case = store
            .report(report("Cache poisoning", None), "test", at(0))
            .await
            .unwrap()
            .record
            .case
            .reference;
        // Fix Lead and Team are due within a day: one reminder to each PST member.
        assert_eq!(store.remind(at(1)).await.unwrap(), 2);
        assert_eq!(store.remind(at(2)).await.unwrap(), 0, "already written");
        let (a, b) = tokio::join!(store.remind(at(3)), store.remind(at(3)));
        assert_eq!(a.unwrap() + b.unwrap(), 0);
        // Overdue is a new reminder.
        assert_eq!(store.remind(at(25)).await.unwrap(), 2);
        assert_eq!(
            mail_of(&store, &users[0], case).await,
            [
                "reminder alice@example.org queued",
                "reminder bob@example.org queued",
                "reminder alice@example.org queued",
                "reminder bob@example.org queued",
            ]
        );
    }
);

both!(
    the_audit_checkpoint_mail_is_written_once_a_day_to_each_pst_member,
    |store: Store| async move {
        setup(&store).await;
        // A member of two projects' PSTs gets one copy.
        store
            .add_project("k8s", "Kubernetes", &Policy::default(), t(T0))
            .await
            .unwrap();
        let alice = store
            .user_by_email(&"alice@example.org".parse().unwrap())
            .await
            .unwrap();
        store.add_pst_member("k8s", alice.id, t(T0)).await.unwrap();

        assert!(store.audit_checkpoint_due(at(1)).await.unwrap());
        let (a, b) = tokio::join!(
            store.enqueue_audit_checkpoint("checkpoint", "HEAD 1", at(1)),
            store.enqueue_audit_checkpoint("checkpoint", "HEAD 1", at(1)),
        );
        assert_eq!(a.unwrap() + b.unwrap(), 2, "one copy per member, once");
        assert!(!store.audit_checkpoint_due(at(2)).await.unwrap());
        assert_eq!(
            store
                .enqueue_audit_checkpoint("checkpoint", "HEAD 2", at(14))
                .await
                .unwrap(),
            0,
            "the same UTC day"
        );
        // The next UTC day (T0 is 09:00Z), a new one.
        assert!(store.audit_checkpoint_due(at(15)).await.unwrap());
        assert_eq!(
            store
                .enqueue_audit_checkpoint("checkpoint", "HEAD 3", at(15))
                .await
                .unwrap(),
            2
        );

        // They go out like any mail: no case, queued, in clear (signed).
        let claimed = store.claim_mail("w", 10, at(16), at(17)).await.unwrap();
        let mut got: Vec<String> = claimed
            .iter()
            .map(|m| {
                assert_eq!(m.kind, MailKind::AuditCheckpoint);
                assert_eq!(m.case, None);
                assert!(!m.encrypt_only);
                format!("{} {}", m.recipient, m.body.expose())
            })
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                "alice@example.org HEAD 1",
                "alice@example.org HEAD 3",
                "bob@example.org HEAD 1",
                "bob@example.org HEAD 3",
            ]
        );
        assert!(
            store
                .mail_sent(&claimed[0], "w", false, at(16))
                .await
                .unwrap()
        );
    }
);

/// A case ready for its forthcoming-fix notice, led by `users[0]`.
async fn led_case(store: &Store, users: &[User]) -> CaseRef {
    let case = store
        .report(
            report("Cache poisoning", Some("rita@example.net")),
            "test",
            at(0),
        )
        .await
        .unwrap()
        .record
        .case
        .reference;
    store
        .execute(
            &person(&users[1]),
            case,
            Command::AssignFixLead {
                lead: Some(users[0].id),
                override_reason: Some("knows the cache".into()),
            },
            None,
            at(1),
        )
        .await
        .unwrap();
    store
        .execute(
            &person(&users[0]),
            case,
            Command::RecordMitigation {
                steps: "Disable the cache plugin.".into(),
            },
            None,
            at(2),
        )
        .await
        .unwrap();
    case
}

both!(
    drafts_wait_for_review_and_only_lead_or_pst_decide,
    |store: Store| async move {
        let users = setup(&store).await;
        store
            .set_announce_address(
                "coredns",
                Some(&"coredns-announce@example.org".parse().unwrap()),
            )
            .await
            .unwrap();
        let case = led_case(&store, &users).await;
        store
            .execute(
                &person(&users[0]),
                case,
                Command::PublishNotice {
                    estimated_release: at(24 * 14),
                    mitigation: "Disable the cache plugin.".into(),
                    link: None,
                },
                None,
                at(3),
            )
            .await
            .unwrap();
        let mail = mail_of(&store, &users[0], case).await;
        assert_eq!(
            mail.last().unwrap(),
            "forthcoming_fix_notice coredns-announce@example.org draft"
        );
        // Nothing in draft is ever claimed.
        assert!(
            store
                .claim_mail("w", 10, at(3), at(4))
                .await
                .unwrap()
                .iter()
                .all(|m| m.kind != MailKind::ForthcomingFixNotice)
        );
        // An outsider cannot approve.
        let (outsider, _) = store
            .add_user(
                &"mallory@example.com".parse().unwrap(),
                "mallory",
                false,
                at(0),
            )
            .await
            .unwrap();
        let denied = store
            .review_drafts(
                &person(&outsider),
                case,
                MailKind::ForthcomingFixNotice,
                DraftDecision::Approve,
                at(4),
            )
            .await;
        assert!(matches!(denied, Err(StoreError::Refused(_))), "{denied:?}");
        // Editing keeps it a draft; bad input is refused and changes nothing.
        let bad = store
            .review_drafts(
                &person(&users[0]),
                case,
                MailKind::ForthcomingFixNotice,
                DraftDecision::Edit {
                    subject: "two\nlines".into(),
                    body: "x".into(),
                },
                at(4),
            )
            .await;
        assert!(
            matches!(
                bad,
                Err(StoreError::Invalid {
                    field: "subject",
                    ..
                })
            ),
            "{bad:?}"
        );
        store
            .review_drafts(
                &person(&users[0]),
                case,
                MailKind::ForthcomingFixNotice,
                DraftDecision::Edit {
                    subject: "Fix coming".into(),
                    body: "Soon.".into(),
                },
                at(4),
            )
            .await
            .unwrap();
        let records = store.case_mail(&person(&users[0]), case).await.unwrap();
        let notice = records
            .iter()
            .find(|m| m.kind == MailKind::ForthcomingFixNotice)
            .unwrap();
        assert_eq!(
            (
                notice.subject.as_str(),
                notice.body.expose().as_str(),
                notice.state
            ),
            ("Fix coming", "Soon.", MailState::Draft)
        );
        // The PST approves; the copy is queued and claimable.
        assert_eq!(
            store
                .review_drafts(
                    &person(&users[1]),
                    case,
                    MailKind::ForthcomingFixNotice,
                    DraftDecision::Approve,
                    at(5)
                )
                .await
                .unwrap(),
            1
        );
        let again = store
            .review_drafts(
                &person(&users[1]),
                case,
                MailKind::ForthcomingFixNotice,
                DraftDecision::Approve,
                at(5),
            )
            .await;
        assert!(matches!(again, Err(StoreError::NotFound(_))), "{again:?}");
        let claimed = store.claim_mail("w", 10, at(5), at(6)).await.unwrap();
        assert!(claimed.iter().any(
            |m| m.kind == MailKind::ForthcomingFixNotice && m.subject.expose() == "Fix coming"
        ));
    }
);

both!(
    workers_claim_disjoint_batches_and_take_over_abandoned_ones,
    |store: Store| async move {
        setup(&store).await;
        for i in 0..20 {
            store
                .report(
                    report(&format!("Bug {i}"), Some(&format!("r{i}@example.net"))),
                    "test",
                    at(0),
                )
                .await
                .unwrap();
        }
        let (a, b) = tokio::join!(
            store.claim_mail("a", 15, at(1), at(2)),
            store.claim_mail("b", 15, at(1), at(2))
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.len() + b.len(), 20);
        let mut ids: Vec<i64> = a.iter().chain(&b).map(|m| m.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 20, "no message claimed twice");
        // Worker a delivers one and fails one for later; b dies holding its batch.
        assert!(store.mail_sent(&a[0], "a", false, at(1)).await.unwrap());
        store
            .mail_failed(&a[1], "a", "421 try later", Retry::At(at(3)))
            .await
            .unwrap();
        // Before the lease ends nothing is claimable but what a still holds.
        assert!(
            store
                .claim_mail("c", 50, at(1), at(2))
                .await
                .unwrap()
                .is_empty()
        );
        // After it, c takes over b's batch and a's unfinished rest, not the sent one.
        let c = store
            .claim_mail("c", 50, at(2) + SignedDuration::from_secs(1), at(4))
            .await
            .unwrap();
        assert_eq!(c.len(), 18);
        assert!(c.iter().all(|m| m.id != a[0].id && m.id != a[1].id));
        // b comes back and tries to record a delivery: its claim is gone.
        assert!(!store.mail_sent(&b[0], "b", false, at(2)).await.unwrap());
        // The retried one comes back at its time, with its attempt counted.
        let retry = store.claim_mail("d", 50, at(3), at(5)).await.unwrap();
        assert_eq!(retry.len(), 1);
        assert_eq!((retry[0].id, retry[0].attempts), (a[1].id, 1));
        store
            .mail_failed(&retry[0], "d", "550 no such user", Retry::Never)
            .await
            .unwrap();
        assert_eq!(
            store
                .raw_count("SELECT COUNT(*) FROM outbox WHERE state = 'failed'")
                .await,
            1
        );
        // The delivery is in the audit log: who received what, when.
        let (log, _) = store.audit_all_for_tests().await;
        assert!(
            log.iter()
                .any(|(_, action, origin)| action == "mail.sent" && origin == "worker a")
        );
    }
);

both!(
    the_key_on_file_travels_with_the_claim,
    |store: Store| async move {
        let users = setup(&store).await;
        let rita: psirt_core::EmailAddress = "rita@example.net".parse().unwrap();
        let key = CheckedKey::new(
            "0123456789ABCDEF0123456789ABCDEF01234567",
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\nrita\n-----END PGP PUBLIC KEY BLOCK-----\n",
        )
        .unwrap();
        // A badly formed key never reaches the store.
        for (fingerprint, armored) in [("ABCD", key.armored()), (key.fingerprint(), "armored key")]
        {
            assert!(matches!(
                CheckedKey::new(fingerprint, armored),
                Err(StoreError::Invalid { field: "key", .. })
            ));
        }
        // Only an account manager, the address's own account or psirt
        // itself (the local administrator's `psirt key add`) may put a key.
        let denied = store.put_key(&person(&users[0]), &rita, &key, at(0)).await;
        assert!(matches!(denied, Err(StoreError::Refused(_))), "{denied:?}");
        let denied = store
            .put_key(&Caller::cli(Principal::Anonymous), &rita, &key, at(0))
            .await;
        assert!(matches!(denied, Err(StoreError::Refused(_))), "{denied:?}");
        store
            .put_key(&Caller::cli(Principal::System), &rita, &key, at(0))
            .await
            .unwrap();
        let (admin, _) = store
            .add_user(&"root@example.org".parse().unwrap(), "root", true, at(0))
            .await
            .unwrap();
        store
            .put_key(&person(&admin), &rita, &key, at(0))
            .await
            .unwrap();
        store
            .report(report("Bug", Some("rita@example.net")), "test", at(0))
            .await
            .unwrap();
        let claimed = store.claim_mail("w", 10, at(0), at(1)).await.unwrap();
        assert_eq!(claimed[0].key.as_deref(), Some(key.armored()));
    }
);

fn inbound(message_id: &str, from: &str, subject: &str, thread: &[&str]) -> InboundMessage {
    InboundMessage {
        message_id: Some(message_id.into()),
        from: from.parse().unwrap(),
        from_name: Some("Rita".into()),
        subject: subject.into(),
        text: Secret::new("The resolver crashes on a crafted packet.".into()),
        attachments: vec![psirt_store::NewAttachment {
            name: "poc.py".into(),
            content_type: "text/x-python".into(),
            data: b"print(1)".to_vec(),
        }],
        thread: thread.iter().map(|s| s.to_string()).collect(),
        automatic: None,
        verified: None,
    }
}

/// As [`inbound`], with its sender verified (as a DKIM pass would).
fn verified(message_id: &str, from: &str, subject: &str, thread: &[&str]) -> InboundMessage {
    InboundMessage {
        verified: Some("DKIM pass for example.net, checked by mx.example.org".into()),
        ..inbound(message_id, from, subject, thread)
    }
}

both!(
    inbound_mail_opens_threads_and_sets_aside_each_message_once,
    |store: Store| async move {
        let users = setup(&store).await;
        let raw = b"From: rita@example.net\r\n\r\nbody".as_slice();
        let opened = store
            .ingest(
                raw,
                "stdin",
                Ok(inbound(
                    "m1@example.net",
                    "rita@example.net",
                    "Crash in resolver",
                    &[],
                )),
                "coredns",
                at(0),
            )
            .await
            .unwrap();
        let Ingested::Opened(case) = opened else {
            panic!("{opened:?}")
        };
        let record = store.case(&person(&users[0]), case).await.unwrap();
        assert_eq!(record.case.summary, "Crash in resolver");
        assert_eq!(store.raw_count("SELECT COUNT(*) FROM attachments").await, 1);
        // The acknowledgement answers the reporter's message.
        let ack = &store.claim_mail("w", 10, at(0), at(1)).await.unwrap()[0];
        assert_eq!(
            (ack.kind, ack.in_reply_to.as_deref()),
            (MailKind::Acknowledgement, Some("m1@example.net"))
        );
        // The same message again does nothing.
        let again = store
            .ingest(
                raw,
                "imap:INBOX",
                Ok(inbound(
                    "m1@example.net",
                    "rita@example.net",
                    "Crash in resolver",
                    &[],
                )),
                "coredns",
                at(1),
            )
            .await
            .unwrap();
        assert_eq!(again, Ingested::Duplicate);
        // A reply whose From: names the reporter but that nothing
        // verifies (anyone can write From:, and guess the Message-ID of
        // the reporter's first mail) is kept as unverified, never put in
        // the reporter's mouth; the team sees it set aside.
        let forged = store
            .ingest(
                b"forged",
                "stdin",
                Ok(inbound(
                    "forged@evil.example",
                    "rita@example.net",
                    "Re: send the fix to me",
                    &["m1@example.net"],
                )),
                "coredns",
                at(2),
            )
            .await
            .unwrap();
        assert_eq!(forged, Ingested::Unverified(case));
        let record = store.case(&person(&users[0]), case).await.unwrap();
        assert!(record.case.reporter_messages.is_empty());
        let review = store.inbound_review(&person(&users[0])).await.unwrap();
        assert_eq!(
            (review[0].outcome.as_str(), review[0].case),
            ("unverified", Some(case))
        );
        // A message threaded on the forged one's Message-ID joins nothing:
        // only psirt's own and the reporter's verified ones thread.
        let chained = store
            .ingest(
                b"chained",
                "stdin",
                Ok(verified(
                    "m9@example.net",
                    "rita@example.net",
                    "Re: x",
                    &["forged@evil.example"],
                )),
                "coredns",
                at(2),
            )
            .await
            .unwrap();
        assert!(matches!(chained, Ingested::Opened(_)), "{chained:?}");
        // The reporter's verified reply to the acknowledgement joins the conversation.
        let reply = store
            .ingest(
                b"reply",
                "stdin",
                Ok(verified(
                    "m2@example.net",
                    "RITA@example.net",
                    "Re: x",
                    &[&ack.message_id],
                )),
                "coredns",
                at(2),
            )
            .await
            .unwrap();
        assert_eq!(reply, Ingested::ReporterReplied(case));
        let record = store.case(&person(&users[0]), case).await.unwrap();
        assert_eq!(record.case.reporter_messages.len(), 1);
        assert!(record.case.reporter_messages[0].0, "from the reporter");
        // Someone else in the thread is kept with the case, not put in the reporter's mouth.
        let other = store
            .ingest(
                b"other",
                "stdin",
                Ok(inbound(
                    "m3@example.com",
                    "eve@example.com",
                    "Re: x",
                    &["m2@example.net"],
                )),
                "coredns",
                at(3),
            )
            .await
            .unwrap();
        assert_eq!(other, Ingested::Threaded(case));
        assert_eq!(
            store
                .case(&person(&users[0]), case)
                .await
                .unwrap()
                .case
                .reporter_messages
                .len(),
            1
        );
        // An auto-reply opens nothing and is answered by nothing.
        let mut auto = inbound(
            "m4@example.org",
            "mailer-daemon@example.org",
            "Undeliverable",
            &[],
        );
        auto.automatic = Some("delivery status notification".into());
        let cases = store.raw_count("SELECT COUNT(*) FROM cases").await;
        let outbox = store.raw_count("SELECT COUNT(*) FROM outbox").await;
        assert_eq!(
            store
                .ingest(b"dsn", "stdin", Ok(auto), "coredns", at(4))
                .await
                .unwrap(),
            Ingested::Automatic("delivery status notification".into())
        );
        // A malformed message is kept for a person, by its bytes' hash.
        assert_eq!(
            store
                .ingest(
                    b"\x00garbage",
                    "stdin",
                    Err("no From address".into()),
                    "coredns",
                    at(5)
                )
                .await
                .unwrap(),
            Ingested::Quarantined("no From address".into())
        );
        assert_eq!(
            store
                .ingest(
                    b"\x00garbage",
                    "stdin",
                    Err("no From address".into()),
                    "coredns",
                    at(6)
                )
                .await
                .unwrap(),
            Ingested::Duplicate
        );
        assert_eq!(store.raw_count("SELECT COUNT(*) FROM cases").await, cases);
        assert_eq!(store.raw_count("SELECT COUNT(*) FROM outbox").await, outbox);
        // The PST sees what opened no case; others do not.
        let review = store.inbound_review(&person(&users[0])).await.unwrap();
        let outcomes: Vec<&str> = review.iter().map(|r| r.outcome.as_str()).collect();
        assert_eq!(outcomes, ["quarantined", "automatic", "unverified"]);
        let (outsider, _) = store
            .add_user(
                &"mallory@example.com".parse().unwrap(),
                "mallory",
                false,
                at(0),
            )
            .await
            .unwrap();
        assert!(store.inbound_review(&person(&outsider)).await.is_err());
    }
);

both!(
    a_report_psirt_cannot_open_is_quarantined_not_lost,
    |store: Store| async move {
        setup(&store).await;
        let mut message = inbound("m9@example.net", "rita@example.net", "Bug", &[]);
        message.text = Secret::new(String::new());
        message.attachments.clear();
        let outcome = store
            .ingest(b"empty", "stdin", Ok(message), "coredns", at(0))
            .await
            .unwrap();
        assert!(
            matches!(&outcome, Ingested::Quarantined(why) if why.contains("details")),
            "{outcome:?}"
        );
        assert_eq!(
            store
                .raw_count("SELECT COUNT(*) FROM inbound_mail WHERE outcome = 'quarantined'")
                .await,
            1
        );
        // An unknown project is an error of the caller's configuration: nothing is kept.
        let err = store
            .ingest(
                b"x",
                "stdin",
                Ok(inbound("m10@example.net", "rita@example.net", "Bug", &[])),
                "nope",
                at(0),
            )
            .await;
        assert!(matches!(err, Err(StoreError::NotFound(_))), "{err:?}");
        assert_eq!(
            store.raw_count("SELECT COUNT(*) FROM inbound_mail").await,
            1
        );
    }
);
