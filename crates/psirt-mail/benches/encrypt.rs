//! Issue 7's figure: sign and encrypt a 100 KiB message to 50 recipients,
//! one ciphertext each (as the distributor pre-notification is sent), with
//! psirt and, in the same run, with gpg as spawned processes doing the same
//! 50 sign-and-encrypt operations with the same key types (ed25519 signing,
//! cv25519 encryption) and no compression, as psirt does not compress.
//!
//! `cargo bench -p psirt-mail --bench encrypt`

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use psirt_mail::{InstanceKey, Mailbox, Message, MessageId, PublicKey, sign_and_encrypt};

const RECIPIENTS: usize = 50;

struct Setup {
    _dir: tempfile::TempDir,
    home: String,
    signer: String,
    fingerprints: Vec<String>,
    recipients: Vec<PublicKey>,
    key: InstanceKey,
    message: Message,
}

fn gpg(home: &str, args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let mut child = Command::new("gpg")
        .args([
            "--homedir",
            home,
            "--batch",
            "--no-tty",
            "--trust-model",
            "always",
        ])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gpg is installed (apt-get install gnupg)");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "gpg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("gnupg");
    std::fs::create_dir(&home).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let home = home.to_str().unwrap().to_string();
    let mut params = String::new();
    for i in 0..=RECIPIENTS {
        params.push_str(&format!(
            "%no-protection\nKey-Type: eddsa\nKey-Curve: ed25519\nKey-Usage: sign\nSubkey-Type: ecdh\nSubkey-Curve: cv25519\nSubkey-Usage: encrypt\nName-Email: member{i}@example.net\nExpire-Date: 0\n%commit\n"
        ));
    }
    gpg(&home, &["--gen-key"], params.as_bytes());
    let listing = String::from_utf8(gpg(&home, &["--with-colons", "--list-keys"], b"")).unwrap();
    let mut fingerprints: Vec<String> = Vec::new();
    let mut primary = true;
    for line in listing.lines() {
        if line.starts_with("pub:") {
            primary = true;
        } else if line.starts_with("sub:") {
            primary = false;
        } else if line.starts_with("fpr:") && primary {
            fingerprints.push(line.split(':').nth(9).unwrap().to_string());
        }
    }
    assert_eq!(fingerprints.len(), RECIPIENTS + 1);
    // The first key signs for gpg; the other fifty are the members.
    let signer = fingerprints.remove(0);
    let now = jiff::Timestamp::now();
    let recipients = fingerprints
        .iter()
        .map(|fp| {
            let armored = String::from_utf8(gpg(&home, &["--armor", "--export", fp], b"")).unwrap();
            PublicKey::from_armored(&armored, now).unwrap()
        })
        .collect();
    let line = "The vulnerability is in parse_header(); the fix is attached below.\n";
    let body: String = line.repeat(100 * 1024 / line.len() + 1)[..100 * 1024].to_string();
    let message = Message {
        from: Mailbox::new(Some("psirt"), "security@example.org".parse().unwrap()),
        to: vec![Mailbox::new(None, "member@example.net".parse().unwrap())],
        subject: "Pre-notification PSIRT-2026-0001".into(),
        date: now,
        message_id: MessageId::new("bench@psirt.example.org").unwrap(),
        in_reply_to: None,
        body_text: body,
        attachments: Vec::new(),
    };
    let key = InstanceKey::generate("psirt <security@example.org>").unwrap();
    Setup {
        _dir: dir,
        home,
        signer,
        fingerprints,
        recipients,
        key,
        message,
    }
}

fn psirt_round(s: &Setup) -> usize {
    s.recipients
        .iter()
        .map(|r| sign_and_encrypt(&s.message, &s.key, r).unwrap().len())
        .sum()
}

fn gpg_round(s: &Setup) -> usize {
    s.fingerprints
        .iter()
        .map(|fp| {
            gpg(
                &s.home,
                &[
                    "--armor",
                    "--compress-algo",
                    "none",
                    "--sign",
                    "--local-user",
                    &s.signer,
                    "--encrypt",
                    "--recipient",
                    fp,
                ],
                s.message.body_text.as_bytes(),
            )
            .len()
        })
        .sum()
}

fn rate(round: impl Fn() -> usize) -> f64 {
    let rounds = 3;
    let start = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(round());
    }
    (rounds * RECIPIENTS) as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let s = setup();
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8))
        .configure_from_args();
    let mut group = c.benchmark_group("sign_and_encrypt_100KiB_to_50");
    group.throughput(Throughput::Elements(RECIPIENTS as u64));
    group.bench_function("psirt", |b| b.iter(|| psirt_round(&s)));
    group.bench_function("gpg", |b| b.iter(|| gpg_round(&s)));
    group.finish();
    c.final_summary();

    let psirt = rate(|| psirt_round(&s));
    let gpg = rate(|| gpg_round(&s));
    println!(
        "summary: psirt {psirt:.1} messages/s, gpg {gpg:.1} messages/s, psirt/gpg = {:.2}",
        psirt / gpg
    );
}
