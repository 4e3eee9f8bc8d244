//! Outbox delivery throughput to a real local SMTP server (Python's
//! aiosmtpd, as in the tests), next to a baseline measured in the same run:
//! the same SMTP client sending an already built and signed message with no
//! database and no OpenPGP work. Prints messages per second and the ratio.
//!
//! `cargo bench -p psirt-jobs` (N messages per measurement; `DELIVER_N`
//! overrides it).

use std::time::Instant;

use jiff::{SignedDuration, Timestamp};
use psirt_core::{NewReport, Policy, Reporter, Secret};
use psirt_jobs::deliver::{Delivery, FIRST_RETRY};
use psirt_mail::testing::gpg::Gpg;
use psirt_mail::testing::smtp_sink::{SinkOptions, SmtpSink};
use psirt_mail::{InstanceKey, Mailbox, Message, MessageId, Smtp};
use psirt_store::{Caller, Principal, Store};

fn now() -> Timestamp {
    Timestamp::now()
}

async fn queue(store: &Store, n: usize, tag: &str) {
    for i in 0..n {
        store
            .report(
                NewReport {
                    project: "bench".into(),
                    summary: format!("Bug {i}"),
                    details: Secret::new("x".repeat(2000)),
                    reporter: Some(Reporter {
                        name: None,
                        email: Some(format!("{tag}{i}@example.net").parse().unwrap()),
                    }),
                    public_link: None,
                    already_public: false,
                    ai_assisted: false,
                },
                "bench",
                now(),
            )
            .await
            .unwrap();
    }
}

async fn drain(delivery: &Delivery) -> usize {
    let mut sent = 0;
    loop {
        let round = delivery.round(now()).await.unwrap();
        assert_eq!(round.failed + round.retried, 0, "{round:?}");
        sent += round.sent;
        if round.claimed == 0 {
            return sent;
        }
    }
}

fn main() {
    let n: usize = std::env::var("DELIVER_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sink = SmtpSink::start(SinkOptions::default());
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite://{}/bench.db", dir.path().display()))
            .await
            .unwrap();
        store
            .add_project("bench", "Bench", &Policy::default(), now())
            .await
            .unwrap();
        let key = InstanceKey::generate("psirt bench").unwrap();
        let from = Mailbox::new(Some("psirt"), "security@example.org".parse().unwrap());
        let smtp = Smtp::new(&sink.config()).unwrap();

        // Baseline: the same client, a prebuilt signed message, no database.
        let message = Message {
            from: from.clone(),
            to: vec![Mailbox::new(None, "base@example.net".parse().unwrap())],
            subject: "[PSIRT-2026-0001] Your report was received".into(),
            date: now(),
            message_id: MessageId::new("base@example.org").unwrap(),
            in_reply_to: None,
            body_text: "x".repeat(2000),
            attachments: Vec::new(),
        };
        let signed = psirt_mail::sign(&message, &key).unwrap();
        let rcpt = ["base@example.net".parse().unwrap()];
        let start = Instant::now();
        for _ in 0..n {
            smtp.send(&from.address, &rcpt, &signed).await.unwrap();
        }
        let raw = n as f64 / start.elapsed().as_secs_f64();

        // GnuPG doing the signing instead (one gpg per message, as a script
        // around gpg would), then the same SMTP send.
        let gpg = Gpg::new();
        gpg.gen_key("security@example.org", "0");
        let unsigned = message.to_bytes().unwrap();
        let start = Instant::now();
        for _ in 0..n {
            let signature = gpg.ok(
                &[
                    "--armor",
                    "--detach-sign",
                    "--local-user",
                    "security@example.org",
                ],
                &unsigned,
            );
            let mut mail = unsigned.clone();
            mail.extend_from_slice(&signature);
            smtp.send(&from.address, &rcpt, &mail).await.unwrap();
        }
        let gpg_rate = n as f64 / start.elapsed().as_secs_f64();

        let delivery = Delivery {
            store: store.clone(),
            smtp: Smtp::new(&sink.config()).unwrap(),
            key: key.clone(),
            from: from.clone(),
            worker: "bench".into(),
            lease: SignedDuration::from_mins(5),
            first_retry: FIRST_RETRY,
            clock: now,
        };
        queue(&store, n, "s").await;
        let start = Instant::now();
        assert_eq!(drain(&delivery).await, n);
        let signed_rate = n as f64 / start.elapsed().as_secs_f64();

        // Every recipient with a key on file: each copy encrypted to it.
        let recipient = InstanceKey::generate("recipient").unwrap();
        let armored = recipient.public_key_armored().unwrap();
        let fingerprint = recipient.fingerprint();
        let checked = psirt_store::CheckedKey::new(fingerprint.as_str(), &armored).unwrap();
        for i in 0..n {
            store
                .put_key(
                    &Caller::cli(Principal::System),
                    &format!("e{i}@example.net").parse().unwrap(),
                    &checked,
                    now(),
                )
                .await
                .unwrap();
        }
        queue(&store, n, "e").await;
        let start = Instant::now();
        assert_eq!(drain(&delivery).await, n);
        let encrypted_rate = n as f64 / start.elapsed().as_secs_f64();

        println!("outbox delivery to aiosmtpd on 127.0.0.1, {n} messages each (2 KB body)");
        println!("| measurement | msg/s | ratio |");
        println!("|---|---:|---:|");
        println!("| baseline: prebuilt signed message, SMTP only | {raw:.0} | 1.00 |");
        println!(
            "| gpg signs each message, then the same SMTP send | {gpg_rate:.0} | {:.2} |",
            gpg_rate / raw
        );
        println!(
            "| outbox, signed (claim, build, sign, send, record) | {signed_rate:.0} | {:.2} |",
            signed_rate / raw
        );
        println!(
            "| outbox, signed and encrypted to the key on file | {encrypted_rate:.0} | {:.2} |",
            encrypted_rate / raw
        );
    });
}
