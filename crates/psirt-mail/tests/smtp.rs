//! SMTP delivery against a real server (aiosmtpd on loopback, see
//! `psirt_mail::testing::smtp_sink`): plain and STARTTLS with AUTH, bytes
//! that arrive exactly as sent, and failures sorted into "try again later"
//! and "give up".

use std::time::Duration;

use psirt_core::EmailAddress;
use psirt_mail::testing::smtp_sink::{SinkOptions, SmtpSink};
use psirt_mail::{SendError, Smtp, SmtpConfig};

fn addr(s: &str) -> EmailAddress {
    s.parse().unwrap()
}

/// A small message with the things SMTP transparency must keep: a line
/// that starts with a dot, a lone dot line, trailing spaces, 8-bit text.
fn message(n: usize) -> Vec<u8> {
    format!(
        "From: psirt <security@example.org>\r\nTo: dana@example.net\r\nSubject: Test {n}\r\nMessage-ID: <n{n}@psirt.example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nLine one.\r\n.starts with a dot\r\n.\r\n..two dots\r\ntrailing  \r\nGrüße\r\n"
    )
    .into_bytes()
}

async fn send(config: &SmtpConfig, to: &[&str], bytes: &[u8]) -> Result<(), SendError> {
    let smtp = Smtp::new(config).unwrap();
    let to: Vec<EmailAddress> = to.iter().map(|a| addr(a)).collect();
    smtp.send(&addr("bounces@example.org"), &to, bytes).await
}

fn check_error(result: Result<(), SendError>, transient: bool, words: &[&str]) {
    let err = result.expect_err("the send should fail");
    assert_eq!(err.is_transient(), transient, "{err}");
    let text = err.to_string();
    for w in words {
        assert!(text.contains(w), "expected {w:?} in {text:?}");
    }
    assert!(
        !text.contains("Line one") && !text.contains("hunter2"),
        "{text}"
    );
}

#[tokio::test]
async fn plain_delivery_over_loopback_is_byte_exact() {
    let sink = SmtpSink::start(SinkOptions::default());
    assert!(sink.url().ends_with("?tls=none"), "{}", sink.url());
    let config = sink.config();
    for n in 0..3 {
        send(
            &config,
            &["dana@example.net", "erin@example.com"],
            &message(n),
        )
        .await
        .unwrap();
    }
    let got = sink.wait_for(3, Duration::from_secs(10));
    assert_eq!(got.len(), 3);
    for (n, received) in got.iter().enumerate() {
        assert_eq!(received.mail_from, "bounces@example.org");
        assert_eq!(received.rcpt_to, ["dana@example.net", "erin@example.com"]);
        assert_eq!(
            String::from_utf8_lossy(&received.bytes),
            String::from_utf8_lossy(&message(n))
        );
        assert_eq!(received.bytes, message(n));
    }
}

#[tokio::test]
async fn bare_line_feeds_go_out_as_crlf() {
    let sink = SmtpSink::start(SinkOptions::default());
    let lf = b"From: a@example.org\nSubject: lf\n\nbody\n.dot\n";
    send(&sink.config(), &["dana@example.net"], lf)
        .await
        .unwrap();
    let got = sink.wait_for(1, Duration::from_secs(10));
    assert_eq!(
        got[0].bytes,
        b"From: a@example.org\r\nSubject: lf\r\n\r\nbody\r\n.dot\r\n"
    );
}

#[tokio::test]
async fn starttls_and_auth_with_a_private_ca() {
    let sink = SmtpSink::start(SinkOptions {
        starttls: true,
        auth: Some(("psirt".into(), "s3cret pass".into())),
        ..SinkOptions::default()
    });
    let config = sink.config();
    assert!(
        !sink.url().contains('?'),
        "STARTTLS is the default: {}",
        sink.url()
    );
    send(&config, &["dana@example.net"], &message(1))
        .await
        .unwrap();
    let got = sink.wait_for(1, Duration::from_secs(10));
    assert_eq!(got[0].bytes, message(1));

    // Without the sink's CA the certificate is not trusted: nothing is sent,
    // and it is worth another try once the configuration is fixed.
    let untrusted = SmtpConfig::from_url(&sink.url())
        .unwrap()
        .with_timeout(Duration::from_secs(10));
    check_error(
        send(&untrusted, &["dana@example.net"], &message(2)).await,
        true,
        &[&format!("127.0.0.1:{}", sink.port())],
    );

    // Plain text to a server that requires STARTTLS before anything else.
    let plain = SmtpConfig::from_url(&format!("smtp://127.0.0.1:{}?tls=none", sink.port()))
        .unwrap()
        .with_timeout(Duration::from_secs(10));
    check_error(
        send(&plain, &["dana@example.net"], &message(3)).await,
        false,
        &["530"],
    );
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test]
async fn a_wrong_password_is_permanent() {
    let sink = SmtpSink::start(SinkOptions {
        starttls: true,
        auth: Some(("psirt".into(), "right".into())),
        ..SinkOptions::default()
    });
    let url = format!("smtp://psirt:hunter2@127.0.0.1:{}", sink.port());
    let config = SmtpConfig::from_url(&url)
        .unwrap()
        .with_ca_file(sink.ca_file().unwrap());
    check_error(
        send(&config, &["dana@example.net"], &message(1)).await,
        false,
        &["535", "Authentication"],
    );
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn refused_recipients_are_transient_or_permanent_by_reply_code() {
    let sink = SmtpSink::start(SinkOptions {
        reject: vec![
            ("full@example.net".into(), 452),
            ("gone@example.net".into(), 550),
        ],
        ..SinkOptions::default()
    });
    let config = sink.config();
    check_error(
        send(&config, &["full@example.net"], &message(1)).await,
        true,
        &["452", "full@example.net"],
    );
    check_error(
        send(&config, &["gone@example.net"], &message(2)).await,
        false,
        &["550", "gone@example.net"],
    );
    check_error(send(&config, &[], &message(3)).await, false, &["recipient"]);
    send(&config, &["dana@example.net"], &message(4))
        .await
        .unwrap();
    assert_eq!(sink.wait_for(1, Duration::from_secs(10)).len(), 1);
}

#[tokio::test]
async fn server_down_is_transient_and_delivery_resumes_when_it_is_back() {
    let mut sink = SmtpSink::start(SinkOptions::default());
    let config = sink.config();
    let port = sink.port();
    send(&config, &["dana@example.net"], &message(1))
        .await
        .unwrap();

    sink.stop();
    check_error(
        send(&config, &["dana@example.net"], &message(2)).await,
        true,
        &[&format!("127.0.0.1:{port}")],
    );

    sink.restart();
    assert_eq!(sink.port(), port);
    send(&config, &["dana@example.net"], &message(2))
        .await
        .unwrap();
    let got = sink.wait_for(2, Duration::from_secs(10));
    assert_eq!(got[1].bytes, message(2));
}

#[tokio::test]
async fn a_silent_server_times_out_as_transient() {
    // A listener that accepts and never greets.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = SmtpConfig::from_url(&format!("smtp://127.0.0.1:{port}?tls=none"))
        .unwrap()
        .with_timeout(Duration::from_millis(500));
    check_error(
        send(&config, &["dana@example.net"], &message(1)).await,
        true,
        &[&format!("127.0.0.1:{port}")],
    );
    drop(listener);
}

#[test]
fn a_bad_ca_file_is_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("ca.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    for (path, words) in [
        (not_pem.clone(), "no PEM certificate"),
        (dir.path().join("missing.pem"), "missing.pem"),
    ] {
        let config = SmtpConfig::from_url("smtp://mail.example.org")
            .unwrap()
            .with_ca_file(path);
        let err = Smtp::new(&config).unwrap_err();
        assert!(
            err.to_string().starts_with("SMTP configuration: CA file"),
            "{err}"
        );
        assert!(err.to_string().contains(words), "{err}");
    }
}

/// What other crates' tests do: psirt encrypts a mail to a recipient's key,
/// sends it through the sink, and the recipient's GnuPG reads it.
#[tokio::test]
async fn an_encrypted_mail_arrives_and_gnupg_decrypts_and_verifies_it() {
    use psirt_mail::testing::gpg::Gpg;
    use psirt_mail::{InstanceKey, Mailbox, Message, MessageId, PublicKey, sign_and_encrypt};

    let gpg = Gpg::new();
    gpg.gen_key("dana@example.net", "0");
    let dana =
        PublicKey::from_armored(&gpg.export("dana@example.net"), jiff::Timestamp::now()).unwrap();
    let key = InstanceKey::generate("psirt <security@example.org>").unwrap();
    gpg.import(&key.public_key_armored().unwrap());
    let message = Message {
        from: Mailbox::new(Some("psirt"), addr("security@example.org")),
        to: vec![Mailbox::new(None, addr("dana@example.net"))],
        subject: "Pre-notification PSIRT-2026-0001".into(),
        date: jiff::Timestamp::now(),
        message_id: MessageId::new("case-1.n1@psirt.example.org").unwrap(),
        in_reply_to: None,
        body_text: "Embargo ends Tuesday.\n".into(),
        attachments: vec![],
    };
    let mail = sign_and_encrypt(&message, &key, &dana).unwrap();

    let sink = SmtpSink::start(SinkOptions::default());
    send(&sink.config(), &["dana@example.net"], &mail)
        .await
        .unwrap();
    let got = sink.wait_for(1, Duration::from_secs(10));
    assert_eq!(got[0].bytes, mail);
    let read = gpg.decrypt_pgp_mime(&got[0].bytes).unwrap();
    assert!(read.signature_good);
    assert_eq!(read.signer.as_deref(), Some(key.fingerprint().as_str()));
    let inner = String::from_utf8(read.plaintext).unwrap();
    assert!(
        inner.contains("Subject: Pre-notification PSIRT-2026-0001\r\n"),
        "{inner}"
    );
    assert!(inner.contains("Embargo ends Tuesday."), "{inner}");

    // A mail not encrypted to dana's key is refused with gpg's reason.
    let other = InstanceKey::generate("x <x@example.org>")
        .unwrap()
        .public_key();
    let not_hers = sign_and_encrypt(&message, &key, &other).unwrap();
    let err = gpg.decrypt_pgp_mime(&not_hers).unwrap_err();
    assert!(err.contains("gpg --decrypt failed"), "{err}");
}

#[tokio::test]
async fn implicit_tls_with_a_private_ca() {
    let sink = SmtpSink::start(SinkOptions {
        implicit_tls: true,
        auth: Some(("psirt".into(), "s3cret pass".into())),
        ..SinkOptions::default()
    });
    assert!(sink.url().starts_with("smtps://"), "{}", sink.url());
    send(&sink.config(), &["dana@example.net"], &message(1))
        .await
        .unwrap();
    let got = sink.wait_for(1, Duration::from_secs(10));
    assert_eq!(got[0].bytes, message(1));
    // Without the CA the server is not trusted, and nothing is sent.
    let untrusted = SmtpConfig::from_url(&sink.url())
        .unwrap()
        .with_timeout(Duration::from_secs(10));
    check_error(
        send(&untrusted, &["dana@example.net"], &message(2)).await,
        true,
        &[&format!("127.0.0.1:{}", sink.port())],
    );
    assert_eq!(sink.messages().len(), 1);
}
