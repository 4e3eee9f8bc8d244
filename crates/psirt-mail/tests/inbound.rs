//! Reading inbound mail: a table of small raw messages, each with the
//! summary it must read as (`UPDATE_EXPECT=1 cargo test` rewrites the
//! expectations), GnuPG-made encrypted mail, and a few thousand mangled
//! inputs that must come back as `Ok` or `Malformed`, never as a panic.

use std::sync::LazyLock;

use expect_test::{Expect, expect};
use jiff::Timestamp;
use psirt_mail::testing::gpg::Gpg;
use psirt_mail::{
    Encryption, Inbound, InstanceKey, Mailbox, Message, MessageId, PublicKey, inbound,
    sign_and_encrypt,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

static KEY: LazyLock<InstanceKey> =
    LazyLock::new(|| InstanceKey::generate("psirt <security@example.org>").unwrap());

fn summary(result: &Result<Inbound, inbound::Malformed>) -> String {
    let m = match result {
        Ok(m) => m,
        Err(e) => return format!("{e}\n"),
    };
    let mut out = String::new();
    let name = m
        .from
        .name
        .as_deref()
        .map(|n| format!("{n:?} "))
        .unwrap_or_default();
    out.push_str(&format!("from: {name}<{}>\n", m.from.address));
    let to: Vec<&str> = m.to.iter().map(|a| a.as_str()).collect();
    out.push_str(&format!("to: {}\n", to.join(", ")));
    out.push_str(&format!("subject: {:?}\n", m.subject));
    if let Some(id) = &m.message_id {
        out.push_str(&format!("message-id: {id}\n"));
    }
    if !m.in_reply_to.is_empty() {
        out.push_str(&format!("in-reply-to: {}\n", m.in_reply_to.join(" ")));
    }
    if !m.references.is_empty() {
        out.push_str(&format!("references: {}\n", m.references.join(" ")));
    }
    if let Some(date) = m.date {
        out.push_str(&format!("date: {date}\n"));
    }
    if let Some(why) = &m.automatic {
        out.push_str(&format!("automatic: {why:?}\n"));
    }
    if m.encryption != Encryption::Plain {
        out.push_str(&format!("encryption: {:?}\n", m.encryption));
    }
    out.push_str(&format!("text: {:?}\n", m.text));
    for a in &m.attachments {
        out.push_str(&format!(
            "attachment: {:?} {} {} bytes\n",
            a.name,
            a.content_type,
            a.bytes.len()
        ));
    }
    out
}

fn check(raw: &str, expected: Expect) {
    let result = inbound::parse(raw.as_bytes(), &KEY, &[]);
    if let Ok(m) = &result {
        let debug = format!("{m:?}");
        assert!(
            !debug.contains(&m.text) || m.text.is_empty(),
            "Debug shows the text: {debug}"
        );
        assert!(
            m.subject.is_empty() || !debug.contains(&m.subject),
            "Debug shows the subject: {debug}"
        );
    }
    expected.assert_eq(&summary(&result));
}

#[test]
fn plain_text() {
    check(
        "From: \"Rita Reporter\" <rita@reporter.example>\r\nTo: security@example.org\r\nSubject: Heap overflow in parse_header()\r\nDate: Sun, 1 Mar 2026 13:00:00 +0100\r\nMessage-ID: <r1@reporter.example>\r\n\r\nHello,\r\nthe parser overflows.\r\n",
        expect![[r#"
            from: "Rita Reporter" <rita@reporter.example>
            to: security@example.org
            subject: "Heap overflow in parse_header()"
            message-id: r1@reporter.example
            date: 2026-03-01T12:00:00Z
            text: "Hello,\nthe parser overflows.\n"
        "#]],
    );
}

#[test]
fn encoded_headers_and_every_recipient_header() {
    check(
        "From: =?utf-8?q?J=C3=BCrgen?= <juergen@example.de>\nTo: Security <Security@Example.org>, x@example.net\nCc: security@example.org, group: a@example.com, b@example.com;\nDelivered-To: psirt+case-7@example.org\nX-Original-To: <psirt@example.org>\nSubject: =?utf-8?B?w5xiZXJsYXVm?= in the parser\nDate: garbage\n\nText\n",
        expect![[r#"
            from: "Jürgen" <juergen@example.de>
            to: Security@Example.org, x@example.net, a@example.com, b@example.com, psirt+case-7@example.org, psirt@example.org
            subject: "Überlauf in the parser"
            text: "Text\n"
        "#]],
    );
}

#[test]
fn a_reply_threads_by_in_reply_to_and_references() {
    check(
        "From: dana@example.net\nTo: security@example.org\nSubject: Re: Pre-notification PSIRT-2026-0001\nMessage-ID: <d2@example.net>\nIn-Reply-To: <case-1.n1@psirt.example.org>\nReferences: <report-1@reporter.example>\n <case-1.n1@psirt.example.org>\n\n> quoted\nAck.\n",
        expect![[r#"
            from: <dana@example.net>
            to: security@example.org
            subject: "Re: Pre-notification PSIRT-2026-0001"
            message-id: d2@example.net
            in-reply-to: case-1.n1@psirt.example.org
            references: report-1@reporter.example case-1.n1@psirt.example.org
            text: "> quoted\nAck.\n"
        "#]],
    );
}

#[test]
fn multipart_with_attachments() {
    check(
        "From: rita@reporter.example\nTo: security@example.org\nSubject: PoC\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nGr=FC=DFe, PoC attached.\n--b1\nContent-Type: application/octet-stream; name=\"poc.bin\"\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"poc.bin\"\n\nAAECA/8=\n--b1\nContent-Type: text/x-diff; charset=iso-8859-1\nContent-Disposition: attachment; filename=\"fix.patch\"\nContent-Transfer-Encoding: base64\n\nLS0tIGEKKysrIGIKLfwK\n--b1\nContent-Type: message/rfc822\n\nFrom: x@example.com\nSubject: forwarded\n\nInner.\n--b1--\n",
        expect![[r#"
            from: <rita@reporter.example>
            to: security@example.org
            subject: "PoC"
            text: "Grüße, PoC attached."
            attachment: "poc.bin" application/octet-stream 5 bytes
            attachment: "fix.patch" text/x-diff 15 bytes
            attachment: "message-3.eml" message/rfc822 46 bytes
        "#]],
    );
    // The patch keeps its own bytes (ISO-8859-1 ü, 0xFC), not UTF-8 text.
    let raw = "From: r@reporter.example\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee patch\n--b\nContent-Type: text/x-diff; charset=iso-8859-1\nContent-Disposition: attachment; filename=fix.patch\nContent-Transfer-Encoding: base64\n\nLS0tIGEKKysrIGIKLfwK\n--b--\n";
    let m = inbound::parse(raw.as_bytes(), &KEY, &[]).unwrap();
    assert_eq!(m.attachments[0].bytes, b"--- a\n+++ b\n-\xfc\n");
}

#[test]
fn html_only_and_alternatives() {
    check(
        "From: rita@reporter.example\nTo: security@example.org\nSubject: html\nContent-Type: text/html; charset=utf-8\n\n<html><head><style>p{color:red}</style></head><body><p>Steps:</p><p>1. run <b>poc</b><br>2. crash &amp; burn</p></body></html>\n",
        expect![[r#"
            from: <rita@reporter.example>
            to: security@example.org
            subject: "html"
            text: "Steps:\n1. run poc\n2. crash & burn\n"
        "#]],
    );
    check(
        "From: rita@reporter.example\nTo: security@example.org\nSubject: alt\nContent-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain\n\nplain version\n--a\nContent-Type: text/html\n\n<p>html version</p>\n--a--\n",
        expect![[r#"
            from: <rita@reporter.example>
            to: security@example.org
            subject: "alt"
            text: "plain version"
        "#]],
    );
}

/// Each kind of machine-made mail, and look-alikes that are not.
#[test]
fn automatic_mail() {
    let with = |headers: &str| {
        format!(
            "From: someone@example.net\nTo: security@example.org\nSubject: s\n{headers}\nbody\n"
        )
    };
    let cases: &[(&str, Expect)] = &[
        (
            "Auto-Submitted: auto-replied\n",
            expect![[r#"AutoSubmitted("auto-replied")"#]],
        ),
        (
            "Auto-Submitted: auto-generated; owner-email=x@example.net\n",
            expect![[r#"AutoSubmitted("auto-generated")"#]],
        ),
        ("Auto-Submitted: no\n", expect!["None"]),
        ("Precedence: bulk\n", expect![[r#"Precedence("bulk")"#]]),
        ("Precedence: JUNK\n", expect![[r#"Precedence("junk")"#]]),
        ("Precedence: list\n", expect![[r#"Precedence("list")"#]]),
        (
            "Precedence: auto_reply\n",
            expect![[r#"Precedence("auto_reply")"#]],
        ),
        ("Precedence: first-class\n", expect!["None"]),
        (
            "X-Autoreply: yes\n",
            expect![[r#"AutoReplyHeader("X-Autoreply")"#]],
        ),
        (
            "X-Autorespond: Out of office\n",
            expect![[r#"AutoReplyHeader("X-Autorespond")"#]],
        ),
        (
            "X-Auto-Response-Suppress: All\n",
            expect![[r#"ResponseSuppressed("All")"#]],
        ),
        (
            "X-Auto-Response-Suppress: DR, OOF\n",
            expect![[r#"ResponseSuppressed("DR, OOF")"#]],
        ),
        ("X-Auto-Response-Suppress: DR, RN, NRN\n", expect!["None"]),
        (
            "List-Id: Security discussion <oss-security.lists.example.org>\n",
            expect![[r#"MailingList("Security discussion <oss-security.lists.example.org>")"#]],
        ),
        (
            "List-Unsubscribe: <mailto:leave@example.net>\n",
            expect![[r#"MailingList("List-Unsubscribe")"#]],
        ),
        ("Return-Path: <>\n", expect!["NullReturnPath"]),
        ("Return-Path: <bounce@example.net>\n", expect!["None"]),
        ("", expect!["None"]),
    ];
    for (headers, expected) in cases {
        let m = inbound::parse(with(headers).as_bytes(), &KEY, &[]).unwrap();
        expected.assert_eq(&m.automatic.map_or("None".to_string(), |a| format!("{a:?}")));
    }
}

#[test]
fn bounces_and_system_senders() {
    check(
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\nTo: security@example.org\nSubject: Undelivered Mail Returned to Sender\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\n\n--r\nContent-Type: text/plain\n\nI'm sorry to have to inform you that your message could not be delivered.\n--r\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; gone@example.net\nAction: failed\nStatus: 5.1.1\n--r\nContent-Type: text/rfc822-headers\n\nFrom: security@example.org\nSubject: Encrypted message\n--r--\n",
        expect![[r#"
            from: "Mail Delivery System" <MAILER-DAEMON@mx.example.net>
            to: security@example.org
            subject: "Undelivered Mail Returned to Sender"
            automatic: Report("delivery-status")
            text: "I'm sorry to have to inform you that your message could not be delivered."
            attachment: "attachment-1" message/delivery-status 106 bytes
            attachment: "attachment-2" text/rfc822-headers 53 bytes
        "#]],
    );
    check(
        "From: mx.example.net <mailer-daemon@mx.example.net>\nTo: security@example.org\nSubject: failure\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n",
        expect![[r#"
            from: "mx.example.net" <mailer-daemon@mx.example.net>
            to: security@example.org
            subject: "failure"
            automatic: Report("delivery-status")
            text: ""
            attachment: "attachment-1" message/delivery-status 35 bytes
        "#]],
    );
    check(
        "From: postmaster@example.net\nTo: security@example.org\nSubject: Delay\n\nStill trying.\n",
        expect![[r#"
            from: <postmaster@example.net>
            to: security@example.org
            subject: "Delay"
            automatic: SystemSender("postmaster")
            text: "Still trying.\n"
        "#]],
    );
    check(
        "From: rita@reporter.example\nSubject: Read: report\nContent-Type: multipart/report; report-type=disposition-notification; boundary=m\n\n--m\nContent-Type: text/plain\n\nDisplayed.\n--m--\n",
        expect![[r#"
            from: <rita@reporter.example>
            to: 
            subject: "Read: report"
            automatic: Report("disposition-notification")
            text: "Displayed."
        "#]],
    );
}

#[test]
fn malformed_messages() {
    let cases: &[(&[u8], Expect)] = &[
        (b"", expect![[r#"
            malformed message: the message is empty
        "#]]),
        (b" \r\n\r\n\t", expect![[r#"
            malformed message: the message is empty
        "#]]),
        (b"garbage without any structure", expect![[r#"
            malformed message: no From header
        "#]]),
        (b"\x00\x01\x02\xff\xfe\r\n\r\n\x00", expect![[r#"
            malformed message: no header fields: this is not an RFC 5322 message
        "#]]),
        (b"To: security@example.org\nSubject: who?\n\nbody\n", expect![[r#"
            malformed message: no From header
        "#]]),
        (b"From: undisclosed-recipients:;\nSubject: s\n\nbody\n", expect![[r#"
            malformed message: the From header holds no address
        "#]]),
        (b"From: Rita <rita@>\nSubject: s\n\nbody\n", expect![[r#"
            malformed message: the From header's address is invalid: e-mail address: "rita@" does not have a valid domain after the @
        "#]]),
        (b"From: rita@reporter.example\nSubject: s\n\n-----BEGIN PGP MESSAGE-----\n\nnot really\n-----END PGP MESSAGE-----\n", expect![[r#"
            malformed message: armored OpenPGP block in the text: cannot decrypt: not an OpenPGP message: IO error: failed reading: armor footer
        "#]]),
    ];
    for (raw, expected) in cases {
        expected.assert_eq(&summary(&inbound::parse(raw, &KEY, &[])));
    }
    // A quoted armored block is somebody's old mail, not one to decrypt.
    check(
        "From: rita@reporter.example\nSubject: Re: s\n\n> -----BEGIN PGP MESSAGE-----\n> hQEMA\n> -----END PGP MESSAGE-----\nSee above.\n",
        expect![[r#"
            from: <rita@reporter.example>
            to: 
            subject: "Re: s"
            text: "> -----BEGIN PGP MESSAGE-----\n> hQEMA\n> -----END PGP MESSAGE-----\nSee above.\n"
        "#]],
    );
}

/// The inner entity of a PGP/MIME mail as Thunderbird sends it: protected
/// headers, a text part and a binary attachment.
fn inner_entity() -> Vec<u8> {
    let blob: Vec<u8> = (0..=255u8).collect();
    let b64 = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(&blob)
    };
    format!(
        "Content-Type: multipart/mixed; boundary=\"inner\"; protected-headers=\"v1\"\r\nSubject: Heap overflow in parse_header()\r\nFrom: rita@reporter.example\r\n\r\n--inner\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nReproducer attached.\r\nÜmlauts survive.\r\n--inner\r\nContent-Type: application/octet-stream; name=\"poc.bin\"\r\nContent-Disposition: attachment; filename=\"poc.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--inner--\r\n"
    )
    .into_bytes()
}

struct Interop {
    gpg: Gpg,
    rita: PublicKey,
    rita_fpr: String,
    instance: String,
}

fn interop() -> Interop {
    let gpg = Gpg::new();
    let rita_fpr = gpg.gen_key("rita@reporter.example", "0");
    gpg.import(&KEY.public_key_armored().unwrap());
    let rita =
        PublicKey::from_armored(&gpg.export("rita@reporter.example"), Timestamp::now()).unwrap();
    Interop {
        gpg,
        rita,
        rita_fpr,
        instance: KEY.fingerprint().to_string(),
    }
}

const OUTER: &str = "From: Rita <rita@reporter.example>\nTo: security@example.org\nSubject: ...\nMessage-ID: <enc-1@reporter.example>\nDate: Mon, 2 Mar 2026 09:00:00 +0000";

#[test]
fn gnupg_pgp_mime_is_decrypted_with_its_attachment_and_signer() {
    let t = interop();
    let signed = t.gpg.encrypt_pgp_mime(
        OUTER,
        &inner_entity(),
        &t.instance,
        Some("rita@reporter.example"),
    );
    let unsigned = t
        .gpg
        .encrypt_pgp_mime(OUTER, &inner_entity(), &t.instance, None);
    // (mail, known senders, expected signer, expected valid)
    let table = [
        (
            &signed,
            vec![t.rita.clone()],
            Some(t.rita_fpr.as_str()),
            true,
        ),
        (&signed, vec![], Some(t.rita_fpr.as_str()), false),
        (&unsigned, vec![t.rita.clone()], None, false),
    ];
    for (mail, known, signer, valid) in table {
        let m = inbound::parse(mail, &KEY, &known).unwrap();
        let Encryption::Decrypted {
            signer: got_signer,
            signature_valid,
        } = &m.encryption
        else {
            panic!("not decrypted: {m:?}");
        };
        assert_eq!(got_signer.as_ref().map(|f| f.as_str()), signer);
        assert_eq!(*signature_valid, valid);
        // The outer headers, except the protected subject from inside.
        assert_eq!(m.subject, "Heap overflow in parse_header()");
        assert_eq!(m.message_id.as_deref(), Some("enc-1@reporter.example"));
        assert_eq!(m.from.name.as_deref(), Some("Rita"));
        assert_eq!(m.text, "Reproducer attached.\nÜmlauts survive.");
        assert_eq!(m.attachments.len(), 1);
        assert_eq!(m.attachments[0].name, "poc.bin");
        assert_eq!(m.attachments[0].bytes, (0..=255u8).collect::<Vec<_>>());
    }
}

#[test]
fn gnupg_inline_armor_is_decrypted_to_the_text() {
    let t = interop();
    let report = "Heap overflow in parse_header(), reproducer below.\nÜmlauts survive.\n";
    let armored = t.gpg.encrypt(
        &t.instance,
        Some("rita@reporter.example"),
        report.as_bytes(),
    );
    let mut mail =
        format!("{OUTER}\nContent-Type: text/plain; charset=utf-8\n\nHello, my report:\n\n")
            .into_bytes();
    mail.extend_from_slice(&armored);
    mail.extend_from_slice(b"\nThanks\n");
    let m = inbound::parse(&mail, &KEY, std::slice::from_ref(&t.rita)).unwrap();
    assert_eq!(m.text, report);
    assert_eq!(
        m.encryption,
        Encryption::Decrypted {
            signer: Some(t.rita.fingerprint()),
            signature_valid: true
        }
    );
    // The subject was never encrypted; it stays what the outer header says.
    assert_eq!(m.subject, "...");
}

#[test]
fn mail_encrypted_to_another_key_is_malformed() {
    let t = interop();
    let other = t.gpg.gen_key("other@example.net", "0");
    let pgp_mime = t.gpg.encrypt_pgp_mime(OUTER, &inner_entity(), &other, None);
    let mut inline = format!("{OUTER}\n\n").into_bytes();
    inline.extend_from_slice(&t.gpg.encrypt(&other, None, b"secret"));
    for (mail, prefix) in [
        (
            pgp_mime,
            "malformed message: PGP/MIME message: cannot decrypt: not encrypted to the instance key",
        ),
        (
            inline,
            "malformed message: armored OpenPGP block in the text: cannot decrypt: not encrypted to the instance key",
        ),
    ] {
        let err = inbound::parse(&mail, &KEY, &[]).unwrap_err().to_string();
        assert!(err.starts_with(prefix), "{err}");
        assert!(err.contains(&t.instance), "{err}");
        assert!(
            !err.contains("secret") && !err.contains("Reproducer"),
            "{err}"
        );
    }
}

#[test]
fn what_psirt_encrypts_reads_back_with_the_recipients_key() {
    let recipient = InstanceKey::generate("other psirt <security@other.example>").unwrap();
    let message = Message {
        from: Mailbox::new(Some("psirt"), "security@example.org".parse().unwrap()),
        to: vec![Mailbox::new(
            None,
            "security@other.example".parse().unwrap(),
        )],
        subject: "Pre-notification PSIRT-2026-0001".into(),
        date: "2026-03-01T12:00:00Z".parse().unwrap(),
        message_id: MessageId::new("case-1.n1@psirt.example.org").unwrap(),
        in_reply_to: Some(MessageId::new("report-1@reporter.example").unwrap()),
        body_text: "Embargo ends Tuesday.\n".into(),
        attachments: vec![psirt_mail::Attachment {
            name: "fix.patch".into(),
            content_type: "text/x-diff".into(),
            bytes: b"--- a\n+++ b\n".to_vec(),
        }],
    };
    let mail = sign_and_encrypt(&message, &KEY, &recipient.public_key()).unwrap();
    let m = inbound::parse(&mail, &recipient, &[KEY.public_key()]).unwrap();
    expect![[r#"
        from: "psirt" <security@example.org>
        to: security@other.example
        subject: "Pre-notification PSIRT-2026-0001"
        message-id: case-1.n1@psirt.example.org
        in-reply-to: report-1@reporter.example
        references: report-1@reporter.example
        date: 2026-03-01T12:00:00Z
        encryption: Decrypted { signer: Some(Fingerprint(FPR)), signature_valid: true }
        text: "Embargo ends Tuesday.\n"
        attachment: "fix.patch" text/x-diff 12 bytes
    "#]]
    .assert_eq(&summary(&Ok(m)).replace(KEY.fingerprint().as_str(), "FPR"));
}

/// Random bytes and mangled copies of real messages: every one is read or
/// refused, none panics.
#[test]
fn no_input_makes_it_panic() {
    let t = interop();
    let mut seeds: Vec<Vec<u8>> = vec![
        t.gpg
            .encrypt_pgp_mime(OUTER, &inner_entity(), &t.instance, Some("rita@reporter.example")),
        b"From: a@example.org\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nx\n--b\nContent-Type: message/rfc822\n\nFrom: c@example.org\nContent-Type: multipart/alternative; boundary=c\n\n--c\n\n--c--\n--b--\n".to_vec(),
        b"From: =?utf-8?B?w5w=?= <a@example.org>\nSubject: =?iso-8859-1?q?=FC?=\nReferences: <a@b> <c@d>\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\n\n--r\n\n--r--".to_vec(),
        inner_entity(),
    ];
    let mut armored_text = b"From: a@example.org\n\n".to_vec();
    armored_text.extend_from_slice(&t.gpg.encrypt(&t.instance, None, b"hello"));
    seeds.push(armored_text);
    let tokens: &[&[u8]] = &[
        b"\r\n",
        b"\n\n",
        b"--",
        b"--b--",
        b"=?utf-8?B?",
        b"?=",
        b":",
        b";",
        b"\"",
        b"<",
        b">",
        b"\0",
        b"boundary=",
        b"Content-Type: multipart/mixed; boundary=x\n",
        b"Content-Transfer-Encoding: base64\n",
        b"=\r\n",
        b"-----BEGIN PGP MESSAGE-----",
        b"-----END PGP MESSAGE-----",
        b"\xff\xfe",
    ];
    let mut rng = StdRng::seed_from_u64(0x5051_5254);
    let mut parsed = 0;
    for i in 0..3000 {
        let input: Vec<u8> = if i % 5 == 0 {
            let len = rng.gen_range(0..600);
            (0..len).map(|_| rng.r#gen::<u8>()).collect()
        } else {
            let mut bytes = seeds[i % seeds.len()].clone();
            for _ in 0..rng.gen_range(1..8) {
                let at = rng.gen_range(0..=bytes.len());
                match rng.gen_range(0..4) {
                    0 if !bytes.is_empty() => {
                        let at = at.min(bytes.len() - 1);
                        bytes[at] = rng.r#gen();
                    }
                    1 => bytes.truncate(at),
                    2 => {
                        let end = rng.gen_range(at..=bytes.len());
                        bytes.drain(at..end);
                    }
                    _ => {
                        let token = tokens[rng.gen_range(0..tokens.len())];
                        bytes.splice(at..at, token.iter().copied());
                    }
                }
            }
            bytes
        };
        match inbound::parse(&input, &KEY, std::slice::from_ref(&t.rita)) {
            Ok(_) => parsed += 1,
            Err(e) => assert!(
                !e.reason.contains("input: [") && e.reason.len() < 600,
                "{e}"
            ),
        }
    }
    // Most mangled mails still have a From line and are read.
    assert!(parsed > 500, "only {parsed} of 3000 inputs were read");
}
