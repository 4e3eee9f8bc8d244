//! Mail end to end, with real parts: `psirt worker` delivers the outbox to a
//! real SMTP server (Python's aiosmtpd), GnuPG decrypts and verifies what
//! arrives, `psirt ingest` takes messages from a pipe, and the worker's
//! poller reads a real IMAP server (Dovecot). The fault tests take the SMTP
//! server down and kill a worker with SIGKILL in the middle of a batch.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use psirt_mail::testing::dovecot::Dovecot;
use psirt_mail::testing::gpg::Gpg;
use psirt_mail::testing::smtp_sink::{Received, SinkOptions, SmtpSink};
use serde_json::Value;

mod support;
use support::PgDatabase;

const FROM: &str = "security@example.org";

struct World {
    dir: tempfile::TempDir,
    database_url: String,
    sink: SmtpSink,
    workers: Vec<Child>,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Drop for World {
    fn drop(&mut self) {
        for worker in &mut self.workers {
            let _ = worker.kill();
            let _ = worker.wait();
        }
    }
}

impl World {
    fn new(options: SinkOptions) -> World {
        let dir = tempfile::Builder::new()
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir()
            .unwrap();
        let database_url = format!("sqlite://{}/psirt.db", dir.path().display());
        World::with_database(dir, database_url, options)
    }

    fn with_database(dir: tempfile::TempDir, database_url: String, options: SinkOptions) -> World {
        let w = World {
            dir,
            database_url,
            sink: SmtpSink::start(options),
            workers: Vec::new(),
        };
        for (email, role) in [("alice@example.org", "pst"), ("bob@example.org", "pst")] {
            let name = email.split('@').next().unwrap();
            w.ok(&[
                "user", "add", "--email", email, "--name", name, "--role", role,
            ]);
        }
        w
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_psirt"));
        cmd.current_dir(self.dir.path())
            .env_clear()
            .env("PSIRT_DATABASE_URL", &self.database_url)
            .env("PSIRT_MAIL_FROM", FROM)
            // The mail server in front of psirt, whose DKIM results count.
            .env("PSIRT_MAIL_AUTHSERV_ID", "mx.example.org")
            .args(args);
        cmd
    }

    fn run_with(&self, args: &[&str], stdin: &[u8]) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        let Output {
            status,
            stdout,
            stderr,
        } = child.wait_with_output().unwrap();
        Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8(stdout).unwrap(),
            stderr: String::from_utf8(stderr).unwrap(),
        }
    }

    fn ok(&self, args: &[&str]) -> String {
        let run = self.run_with(args, b"");
        assert_eq!(run.code, 0, "psirt {args:?} failed: {}", run.stderr);
        run.stdout
    }

    fn as_user(&self, who: &str, args: &[&str]) -> String {
        let mut all = vec!["--as"];
        let email = format!("{who}@example.org");
        all.push(&email);
        // `--as` belongs to the subcommand; put it after the first word.
        let mut full: Vec<&str> = vec![args[0]];
        full.extend(all);
        full.extend(&args[1..]);
        self.ok(&full)
    }

    fn report(&self, summary: &str, reporter: &str) -> String {
        let out = self.ok(&[
            "case",
            "report",
            "--summary",
            summary,
            "--details",
            "Send the attached packet to port 53.",
            "--reporter-email",
            reporter,
            "--json",
        ]);
        serde_json::from_str::<Value>(&out).unwrap()["reference"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Starts `psirt worker` delivering to the sink, with `env` added.
    fn start_worker(&mut self, env: &[(&str, &str)]) {
        let mut cmd = self.command(&["worker"]);
        cmd.env("PSIRT_SMTP_URL", self.sink.url())
            .env("PSIRT_OUTBOX_RETRY", "1s")
            .env("PSIRT_OUTBOX_LEASE", "3s")
            .stdout(Stdio::null())
            .stderr(
                std::fs::File::create(
                    self.dir
                        .path()
                        .join(format!("worker{}.log", self.workers.len())),
                )
                .unwrap(),
            );
        for (k, v) in env {
            cmd.env(k, v);
        }
        self.workers.push(cmd.spawn().unwrap());
    }

    /// The case's mail as `psirt mail list --json` shows it to alice.
    fn mail(&self, reference: &str) -> Vec<Value> {
        self.as_user("alice", &["mail", "list", reference, "--json"])
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Waits until `done` holds for the case's mail.
    fn wait_mail(
        &self,
        reference: &str,
        what: &str,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let mail = self.mail(reference);
            if done(&mail) {
                return mail;
            }
            assert!(
                Instant::now() < deadline,
                "waited a minute for {what}: {mail:#?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn instance_key(&self) -> String {
        self.ok(&["key", "instance"])
    }
}

/// The messages the sink received for `rcpt`.
fn to(messages: &[Received], rcpt: &str) -> Vec<Received> {
    messages
        .iter()
        .filter(|m| m.rcpt_to.iter().any(|r| r == rcpt))
        .cloned()
        .collect()
}

fn header(bytes: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    head.lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with(&format!("{}:", name.to_ascii_lowercase()))
        })
        .map(|l| l[name.len() + 1..].trim().to_string())
}

/// How many copies of each Message-ID the sink received.
fn copies(messages: &[Received]) -> BTreeMap<String, usize> {
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    for m in messages {
        *ids.entry(header(&m.bytes, "Message-ID").unwrap())
            .or_default() += 1;
    }
    ids
}

/// Waits until each of `reporters` got a message; returns everything.
fn wait_each(sink: &SmtpSink, reporters: &[String]) -> Vec<Received> {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let messages = sink.messages();
        let missing = reporters
            .iter()
            .filter(|r| to(&messages, r).is_empty())
            .count();
        if missing == 0 {
            return messages;
        }
        assert!(
            Instant::now() < deadline,
            "{missing} reporter(s) got nothing"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until the sink has at least `n` messages for `rcpt`.
fn wait_to(sink: &SmtpSink, rcpt: &str, n: usize) -> Vec<Received> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = to(&sink.messages(), rcpt);
        if got.len() >= n {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "{rcpt} got {} message(s), expected {n}",
            got.len()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_acknowledgement_goes_out_signed_and_gpg_verifies_it() {
    let mut w = World::new(SinkOptions::default());
    let case = w.report("Cache poisoning via crafted EDNS", "rita@example.net");
    w.start_worker(&[]);
    let got = wait_to(&w.sink, "rita@example.net", 1);
    let ack = &got[0];
    assert_eq!(ack.mail_from, FROM);
    assert_eq!(
        header(&ack.bytes, "Subject").unwrap(),
        format!("[{case}] Your report was received")
    );
    let mail = w.wait_mail(&case, "the acknowledgement marked sent", |m| {
        m[0]["state"] == "sent"
    });
    assert_eq!(mail[0]["encrypted"], false);
    assert_eq!(
        header(&ack.bytes, "Message-ID").unwrap(),
        format!("<{}>", mail[0]["message_id"].as_str().unwrap())
    );
    // gpg, given the instance's public key, verifies the PGP/MIME signature.
    let gpg = Gpg::new();
    gpg.import(&w.instance_key());
    let verified = gpg
        .verify_pgp_mime(&ack.bytes)
        .expect("gpg verifies the signature");
    assert!(String::from_utf8_lossy(&verified).contains(&case));
}

#[test]
fn a_recipient_with_a_key_on_file_gets_the_message_encrypted_to_it() {
    let mut w = World::new(SinkOptions::default());
    let rita = Gpg::new();
    rita.gen_key("rita@example.net", "0");
    let key_file = w.dir.path().join("rita.asc");
    std::fs::write(&key_file, rita.export("rita@example.net")).unwrap();
    w.ok(&[
        "key",
        "add",
        "--email",
        "rita@example.net",
        key_file.to_str().unwrap(),
    ]);
    rita.import(&w.instance_key());
    let case = w.report("Heap overflow in the cache plugin", "rita@example.net");
    w.start_worker(&[]);
    let got = wait_to(&w.sink, "rita@example.net", 1);
    let text = String::from_utf8_lossy(&got[0].bytes).to_string();
    assert!(text.contains("multipart/encrypted"), "{text}");
    // Nothing of the case is readable on the way: not the summary, not even
    // the subject.
    assert!(
        !text.contains("Heap overflow") && !text.contains("Your report"),
        "{text}"
    );
    let decrypted = rita
        .decrypt_pgp_mime(&got[0].bytes)
        .expect("rita decrypts it");
    assert!(decrypted.signature_good, "signed by the instance key");
    let inner = String::from_utf8_lossy(&decrypted.plaintext);
    assert!(
        inner.contains("Heap overflow in the cache plugin") && inner.contains(&case),
        "{inner}"
    );
    let mail = w.wait_mail(&case, "sent", |m| m[0]["state"] == "sent");
    assert_eq!(mail[0]["encrypted"], true);
}

#[test]
fn the_pre_notification_is_reviewed_then_encrypted_to_each_distributor_or_not_sent() {
    let mut w = World::new(SinkOptions::default());
    let distro = Gpg::new();
    distro.gen_key("security@distro.example", "0");
    let key_file = w.dir.path().join("distro.asc");
    std::fs::write(&key_file, distro.export("security@distro.example")).unwrap();
    w.ok(&[
        "key",
        "add",
        "--email",
        "security@distro.example",
        key_file.to_str().unwrap(),
    ]);
    distro.import(&w.instance_key());
    w.ok(&[
        "project",
        "distributor",
        "--slug",
        "default",
        "--email",
        "security@distro.example",
    ]);
    w.ok(&[
        "project",
        "distributor",
        "--slug",
        "default",
        "--email",
        "nokey@vendor.example",
    ]);
    let case = w.report("Remote crash", "rita@example.net");
    w.as_user(
        "bob",
        &[
            "case",
            "assign",
            &case,
            "--lead",
            "alice@example.org",
            "--reason",
            "knows it",
        ],
    );
    w.as_user(
        "alice",
        &["case", "commit", &case, "a1b2c3d4", "--author", "alice"],
    );
    w.as_user("bob", &["case", "lgtm", &case, "a1b2c3d4"]);
    w.as_user("alice", &["case", "fix-ready", &case]);
    w.as_user(
        "alice",
        &[
            "case",
            "distributors",
            &case,
            "--notify",
            "--rationale",
            "remote",
            "--embargo-end",
            "+7d",
        ],
    );
    w.as_user(
        "alice",
        &[
            "case",
            "notify-distributors",
            &case,
            "--patch",
            "diff --git a/x b/x",
        ],
    );
    w.start_worker(&[]);
    // The drafts wait for review: nothing goes to distributors meanwhile.
    w.wait_mail(&case, "the acknowledgement sent", |m| {
        m.iter()
            .any(|x| x["kind"] == "acknowledgement" && x["state"] == "sent")
    });
    let drafts: Vec<String> = w
        .mail(&case)
        .iter()
        .filter(|m| m["kind"] == "pre_notification")
        .map(|m| {
            format!(
                "{} {}",
                m["recipient"].as_str().unwrap(),
                m["state"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        drafts,
        [
            "nokey@vendor.example draft",
            "security@distro.example draft"
        ]
    );
    w.as_user("alice", &["mail", "approve", &case, "pre-notification"]);
    let mail = w.wait_mail(&case, "both copies settled", |m| {
        m.iter()
            .filter(|x| x["kind"] == "pre_notification")
            .all(|x| x["state"] == "sent" || x["state"] == "failed")
    });
    let settled: BTreeMap<String, (String, String)> = mail
        .iter()
        .filter(|m| m["kind"] == "pre_notification")
        .map(|m| {
            (
                m["recipient"].as_str().unwrap().to_string(),
                (
                    m["state"].as_str().unwrap().to_string(),
                    m["last_error"].as_str().unwrap_or("").to_string(),
                ),
            )
        })
        .collect();
    assert_eq!(settled["security@distro.example"].0, "sent");
    assert_eq!(
        settled["nokey@vendor.example"],
        (
            "failed".to_string(),
            "never sent in clear, and no key is on file for the recipient".to_string()
        )
    );
    // Without a key they are sent nothing embargoed: only the invitation
    // to sign in (and put a key on file), which carries no case.
    assert!(
        to(&w.sink.messages(), "nokey@vendor.example")
            .iter()
            .all(|m| header(&m.bytes, "Subject").is_some_and(|s| s.starts_with("Your invitation"))),
        "only the invitation"
    );
    // Their invitation and the pre-notification, each encrypted to them.
    let got = wait_to(&w.sink, "security@distro.example", 2);
    let inner: Vec<String> = got
        .iter()
        .map(|m| {
            let decrypted = distro.decrypt_pgp_mime(&m.bytes).unwrap();
            assert!(decrypted.signature_good);
            String::from_utf8_lossy(&decrypted.plaintext).into_owned()
        })
        .collect();
    assert!(
        inner
            .iter()
            .any(|i| i.contains("EMBARGOED until") && i.contains("diff --git a/x b/x")),
        "{inner:?}"
    );
}

#[test]
fn a_message_queued_while_the_smtp_server_is_down_arrives_once_when_it_is_back() {
    let mut w = World::new(SinkOptions::default());
    w.sink.stop();
    let case = w.report("Cache poisoning", "rita@example.net");
    w.start_worker(&[]);
    let mail = w.wait_mail(&case, "a failed attempt", |m| {
        m[0]["attempts"].as_u64().unwrap_or(0) >= 1
    });
    assert_eq!(
        mail[0]["state"], "queued",
        "a connection refused is tried again"
    );
    assert!(
        mail[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("temporary"),
        "{mail:#?}"
    );
    w.sink.restart();
    w.wait_mail(&case, "sent", |m| m[0]["state"] == "sent");
    // Give a stray second delivery time to show up before counting.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(to(&w.sink.messages(), "rita@example.net").len(), 1);
}

#[test]
fn a_worker_killed_in_the_middle_of_a_batch_loses_nothing_and_sends_nothing_twice() {
    // The sink takes its time over each message and marks the one it is
    // receiving, so the kill lands while a message is on the wire.
    let mut w = World::new(SinkOptions {
        data_delay: Some(Duration::from_millis(300)),
        ..SinkOptions::default()
    });
    let n = 12;
    let reporters: Vec<String> = (0..n).map(|i| format!("r{i}@example.net")).collect();
    for r in &reporters {
        w.report("Bug", r);
    }
    w.start_worker(&[]);
    w.sink.wait_for(4, Duration::from_secs(60));
    w.sink.wait_receiving(Duration::from_secs(60));
    let mut killed = w.workers.remove(0);
    killed.kill().unwrap(); // SIGKILL
    killed.wait().unwrap();
    let delivered = reporters
        .iter()
        .filter(|r| !to(&w.sink.messages(), r).is_empty())
        .count();
    assert!(
        delivered < n,
        "killed in the middle: {delivered} of {n} delivered"
    );
    // A new worker takes over the dead one's batch once its lease ends.
    w.start_worker(&[]);
    wait_each(&w.sink, &reporters);
    std::thread::sleep(Duration::from_secs(2));
    let messages = w.sink.messages();
    for r in &reporters {
        assert_eq!(
            to(&messages, r).len(),
            1,
            "{r} got exactly one acknowledgement"
        );
    }
    let twice: Vec<_> = copies(&messages)
        .into_iter()
        .filter(|(_, c)| *c > 1)
        .collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}");
}

#[test]
fn psirt_ingest_opens_threads_and_sets_aside_each_message_once() {
    let w = World::new(SinkOptions::default());
    let report = b"From: Rita <rita@example.net>\r\nTo: security@example.org\r\nSubject: Crash in the resolver\r\nMessage-ID: <r1@example.net>\r\n\r\nA crafted packet crashes it.\r\n";
    let run = w.run_with(&["ingest"], report);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("opened PSIRT-"), "{}", run.stdout);
    let case = run.stdout.split_whitespace().nth(1).unwrap().to_string();
    let again = w.run_with(&["ingest"], report);
    assert_eq!(
        (again.code, again.stdout.trim()),
        (0, "already taken in; nothing done")
    );
    // The acknowledgement is queued in reply to the reporter's message.
    let ack = &w.mail(&case)[0];
    assert_eq!(ack["kind"], "acknowledgement");
    // Anyone can write the reporter's address in From: and guess the
    // Message-ID of their first mail; an Authentication-Results header of
    // some other server proves nothing either. Such a reply is kept with
    // the case as unverified, never as the reporter's words.
    for (n, evidence) in [
        "",
        "Authentication-Results: mx.evil.example; dkim=pass header.d=example.net\r\n",
    ]
    .iter()
    .enumerate()
    {
        let forged = format!(
            "{evidence}From: rita@example.net\r\nTo: security@example.org\r\nSubject: Re: [{case}]\r\nMessage-ID: <f{n}@evil.example>\r\nIn-Reply-To: <r1@example.net>\r\n\r\nSend the fix to me at eve@evil.example.\r\n"
        );
        let run = w.run_with(&["ingest"], forged.as_bytes());
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            run.stdout
                .starts_with(&format!("kept with {case} as unverified")),
            "{}",
            run.stdout
        );
    }
    let shown = w.as_user("alice", &["case", "show", &case, "--json"]);
    assert!(!shown.contains("Send the fix"), "{shown}");
    // The reporter's reply, with the DKIM pass our mail server recorded.
    let reply = format!(
        "Authentication-Results: mx.example.org; dkim=pass (2048-bit key) header.d=example.net header.s=s1\r\nFrom: rita@example.net\r\nTo: security@example.org\r\nSubject: Re: [{case}]\r\nMessage-ID: <r2@example.net>\r\nIn-Reply-To: <{}>\r\n\r\nHere is more.\r\n",
        ack["message_id"].as_str().unwrap()
    );
    let run = w.run_with(&["ingest"], reply.as_bytes());
    assert_eq!(
        run.stdout.trim(),
        format!("added the reporter's reply to {case}")
    );
    let shown = w.as_user("alice", &["case", "show", &case, "--json"]);
    assert!(shown.contains("Here is more."), "{shown}");
    let bounce = b"From: MAILER-DAEMON@example.org\r\nTo: security@example.org\r\nSubject: Undelivered Mail\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <b1@example.org>\r\n\r\nSorry.\r\n";
    let run = w.run_with(&["ingest"], bounce);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout
            .starts_with("automatic message, kept and not answered"),
        "{}",
        run.stdout
    );
    let garbage = b"\x00\x01 this is not mail";
    let run = w.run_with(&["ingest"], garbage);
    assert_eq!(run.code, 0, "kept, so the MTA must not bounce it");
    assert!(run.stdout.starts_with("kept for review"), "{}", run.stdout);
    let review = w.as_user("alice", &["mail", "inbound", "--json"]);
    let outcomes: Vec<String> = review
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["outcome"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        outcomes,
        ["quarantined", "automatic", "unverified", "unverified"]
    );
    // Only the one report opened a case.
    assert_eq!(
        w.as_user("alice", &["case", "list", "--json"])
            .lines()
            .count(),
        1
    );
}

#[test]
fn an_encrypted_report_by_mail_is_decrypted_on_intake() {
    let w = World::new(SinkOptions::default());
    let gpg = Gpg::new();
    gpg.gen_key("rita@example.net", "0");
    gpg.import(&w.instance_key());
    let inner = b"Content-Type: text/plain; charset=utf-8\r\n\r\nThe secret details: port 53, crafted EDNS.\r\n";
    let mail = gpg.encrypt_pgp_mime(
        "From: rita@example.net\r\nTo: security@example.org\r\nSubject: Encrypted report\r\nMessage-ID: <e1@example.net>",
        inner,
        "psirt (instance key)",
        Some("rita@example.net"),
    );
    let run = w.run_with(&["ingest"], &mail);
    assert!(
        run.stdout.starts_with("opened "),
        "{}{}",
        run.stdout,
        run.stderr
    );
    let case = run.stdout.split_whitespace().nth(1).unwrap();
    let shown = w.as_user("alice", &["case", "show", case, "--json"]);
    assert!(
        shown.contains("The secret details: port 53, crafted EDNS."),
        "{shown}"
    );
    // With Rita's key on file, her signature is what shows a reply is
    // hers; one signed by another key is not, whatever From: says.
    let key = w.dir.path().join("rita.asc");
    std::fs::write(&key, gpg.export("rita@example.net")).unwrap();
    w.ok(&[
        "key",
        "add",
        "--email",
        "rita@example.net",
        key.to_str().unwrap(),
    ]);
    gpg.gen_key("eve@evil.example", "0");
    let ack = w.mail(case)[0]["message_id"].as_str().unwrap().to_string();
    for (signer, id, expected) in [
        (
            "eve@evil.example",
            "e2@evil.example",
            format!("kept with {case} as unverified"),
        ),
        (
            "rita@example.net",
            "e3@example.net",
            format!("added the reporter's reply to {case}"),
        ),
    ] {
        let reply = gpg.encrypt_pgp_mime(
            &format!("From: rita@example.net\r\nTo: security@example.org\r\nSubject: Re: [{case}]\r\nMessage-ID: <{id}>\r\nIn-Reply-To: <{ack}>"),
            b"Content-Type: text/plain; charset=utf-8\r\n\r\nA second crafted packet.\r\n",
            "psirt (instance key)",
            Some(signer),
        );
        let run = w.run_with(&["ingest"], &reply);
        assert!(
            run.stdout.starts_with(&expected),
            "{}{}",
            run.stdout,
            run.stderr
        );
    }
}

#[test]
fn the_worker_reads_an_imap_mailbox_as_it_fills() {
    let mut w = World::new(SinkOptions::default());
    let dovecot = Dovecot::start();
    dovecot.append(b"From: rita@example.net\r\nTo: security@example.org\r\nSubject: First report\r\nMessage-ID: <i1@example.net>\r\n\r\nOne.\r\n");
    w.start_worker(&[("PSIRT_IMAP_URL", &dovecot.url("INBOX"))]);
    let count = |w: &World| {
        // One JSON line per case.
        w.as_user("alice", &["case", "list", "--json"])
            .lines()
            .count()
    };
    let wait = |w: &World, n: usize| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while count(w) < n {
            assert!(
                Instant::now() < deadline,
                "the poller took in fewer than {n} reports"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    wait(&w, 1);
    // New mail while the poller waits (IDLE) is taken in too.
    dovecot.append(b"From: sam@example.com\r\nTo: security@example.org\r\nSubject: Second report\r\nMessage-ID: <i2@example.com>\r\n\r\nTwo.\r\n");
    wait(&w, 2);
    // A restarted worker starts where the last one stopped: nothing twice.
    let mut old = w.workers.remove(0);
    old.kill().unwrap();
    old.wait().unwrap();
    w.start_worker(&[("PSIRT_IMAP_URL", &dovecot.url("INBOX"))]);
    dovecot.append(b"From: tom@example.com\r\nTo: security@example.org\r\nSubject: Third report\r\nMessage-ID: <i3@example.com>\r\n\r\nThree.\r\n");
    wait(&w, 3);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(count(&w), 3);
}

#[test]
fn two_workers_on_postgresql_deliver_each_message_exactly_once() {
    let db = PgDatabase::create();
    let mut w = World::with_database(
        tempfile::tempdir().unwrap(),
        db.url(),
        SinkOptions::default(),
    );
    let reporters: Vec<String> = (0..40).map(|i| format!("r{i}@example.net")).collect();
    for r in &reporters {
        w.report("Bug", r);
    }
    w.start_worker(&[]);
    w.start_worker(&[]);
    wait_each(&w.sink, &reporters);
    std::thread::sleep(Duration::from_secs(2));
    let messages = w.sink.messages();
    for r in &reporters {
        assert_eq!(
            to(&messages, r).len(),
            1,
            "{r} got exactly one acknowledgement"
        );
    }
    let twice: Vec<_> = copies(&messages)
        .into_iter()
        .filter(|(_, c)| *c > 1)
        .collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}");
    drop(w);
}
