//! Interoperability with GnuPG, the real thing: gpg decrypts and verifies
//! what psirt sends, psirt decrypts and verifies what gpg encrypts and
//! signs, and keys that must not be used are refused with a clear error.
//! Each test runs gpg in a fresh `--homedir` under a temporary directory.

use jiff::{SignedDuration, Timestamp};
use psirt_core::EmailAddress;
use psirt_mail::testing::gpg::Gpg;
use psirt_mail::{
    Attachment, Error, InstanceKey, Mailbox, Message, MessageId, PublicKey, decrypt, sign,
    sign_and_encrypt, verify,
};

fn addr(s: &str) -> EmailAddress {
    s.parse().unwrap()
}

fn now() -> Timestamp {
    Timestamp::now()
}

fn message(subject: &str, body: &str, attachments: Vec<Attachment>) -> Message {
    Message {
        from: Mailbox::new(Some("psirt"), addr("security@example.org")),
        to: vec![Mailbox::new(
            Some("Dana Distributor"),
            addr("dana@example.net"),
        )],
        subject: subject.to_string(),
        date: "2026-03-01T12:00:00Z".parse().unwrap(),
        message_id: MessageId::new("case-1.n1@psirt.example.org").unwrap(),
        in_reply_to: Some(MessageId::new("report-1@reporter.example").unwrap()),
        body_text: body.to_string(),
        attachments,
    }
}

fn cases() -> Vec<Message> {
    vec![
        message(
            "Pre-notification PSIRT-2026-0001",
            "Embargo ends Tuesday.\n",
            vec![],
        ),
        message(
            "Überlauf in der Zerlegung — CVE-2026-12345",
            "Grüße,\nFrom the team\n.\n-- \ntrailing space \nand a very long line that goes on and on well past seventy-six characters for sure\n",
            vec![],
        ),
        message(
            "Patches",
            "Two patches attached.",
            vec![
                Attachment {
                    name: "0001-fix.patch".into(),
                    content_type: "text/x-diff".into(),
                    bytes: b"--- a/x\n+++ b/x\n@@ -1 +1 @@\n-bad\n+good\n".to_vec(),
                },
                Attachment {
                    name: "blob ü.bin".into(),
                    content_type: "application/octet-stream".into(),
                    bytes: (0..=255u8).collect(),
                },
            ],
        ),
    ]
}

/// The bytes between two markers, exactly.
fn between<'a>(haystack: &'a [u8], start: &[u8], end: &[u8]) -> &'a [u8] {
    let from = haystack
        .windows(start.len())
        .position(|w| w == start)
        .expect("start marker")
        + start.len();
    let len = haystack[from..]
        .windows(end.len())
        .position(|w| w == end)
        .expect("end marker");
    &haystack[from..from + len]
}

fn status_has(stderr: &str, line: &str) -> bool {
    stderr
        .lines()
        .any(|l| l.starts_with(&format!("[GNUPG:] {line}")))
}

#[test]
fn gpg_verifies_what_psirt_signs() {
    let gpg = Gpg::new();
    let key = InstanceKey::generate("psirt <security@example.org>").unwrap();
    gpg.import(&key.public_key_armored().unwrap());
    for msg in cases() {
        let mail = sign(&msg, &key).unwrap();
        assert!(
            mail.windows(2).all(|w| w[1] != b'\n' || w[0] == b'\r'),
            "bare LF"
        );
        assert!(mail.iter().all(u8::is_ascii), "the signed mail is 7-bit");
        let text = String::from_utf8_lossy(&mail);
        assert!(text.contains("protocol=\"application/pgp-signature\"; micalg=pgp-sha256"));
        // The first part exactly as sent, CRLF included, and the signature.
        let part = between(&mail, b"--=_psirt-signed\r\n", b"\r\n--=_psirt-signed\r\n");
        let signature = between(
            &mail,
            b"filename=\"signature.asc\"\r\n\r\n",
            b"\r\n--=_psirt-signed--",
        );
        let part_path = gpg.file("part", part);
        let sig_path = gpg.file("part.asc", signature);
        let out = gpg.run(
            &[
                "--verify",
                sig_path.to_str().unwrap(),
                part_path.to_str().unwrap(),
            ],
            b"",
        );
        assert!(out.ok, "{}\n{text}", out.stderr);
        assert!(
            status_has(&out.stderr, &format!("VALIDSIG {}", key.fingerprint())),
            "{}",
            out.stderr
        );

        // A changed byte in the part breaks the signature.
        let mut tampered = part.to_vec();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        let part_path = gpg.file("part", &tampered);
        let out = gpg.run(
            &[
                "--verify",
                sig_path.to_str().unwrap(),
                part_path.to_str().unwrap(),
            ],
            b"",
        );
        assert!(
            !out.ok && status_has(&out.stderr, "BADSIG"),
            "{}",
            out.stderr
        );

        // psirt's own verify agrees.
        assert_eq!(verify(&mail, &key.public_key()).unwrap(), key.fingerprint());
    }
}

#[test]
fn gpg_decrypts_and_verifies_what_psirt_encrypts() {
    let gpg = Gpg::new();
    let dana = gpg.gen_key("dana@example.net", "0");
    let key = InstanceKey::generate("psirt <security@example.org>").unwrap();
    gpg.import(&key.public_key_armored().unwrap());
    let recipient = PublicKey::from_armored(&gpg.export("dana@example.net"), now()).unwrap();
    assert_eq!(recipient.fingerprint().as_str(), dana);
    assert_eq!(
        recipient.user_ids(),
        vec!["Test dana@example.net <dana@example.net>"]
    );

    for msg in cases() {
        let mail = sign_and_encrypt(&msg, &key, &recipient).unwrap();
        let text = String::from_utf8(mail.clone()).unwrap();
        assert!(text.contains("Subject: Encrypted message\r\n"), "{text}");
        assert!(text.contains("multipart/encrypted; boundary=\"=_psirt-encrypted\";\r\n protocol=\"application/pgp-encrypted\""));
        assert!(text.contains("Content-Type: application/pgp-encrypted\r\n"));
        assert!(
            !text.contains(&msg.subject) && !text.contains("CVE-") && !text.contains("Embargo")
        );
        let armored = between(
            &mail,
            b"filename=\"encrypted.asc\"\r\n\r\n",
            b"\r\n--=_psirt-encrypted--",
        );
        let out = gpg.run(&["--decrypt"], armored);
        assert!(out.ok, "{}", out.stderr);
        assert!(status_has(&out.stderr, "DECRYPTION_OKAY"), "{}", out.stderr);
        assert!(
            status_has(&out.stderr, &format!("VALIDSIG {}", key.fingerprint())),
            "{}",
            out.stderr
        );
        let inner = String::from_utf8(out.stdout).unwrap();
        assert!(inner.contains("protected-headers=\"v1\""), "{inner}");
        let subject_line = inner.lines().find(|l| l.starts_with("Subject: ")).unwrap();
        if msg.subject.is_ascii() {
            assert_eq!(subject_line, format!("Subject: {}", msg.subject));
        }
        // What gpg decrypted is what psirt itself reads back with dana's key
        // absent: psirt cannot decrypt a message it encrypted to dana.
        assert!(matches!(decrypt(&mail, &key, &[]), Err(Error::Decrypt(_))));
    }
}

#[test]
fn psirt_decrypts_and_verifies_what_gpg_encrypts_and_signs() {
    let gpg = Gpg::new();
    let reporter = gpg.gen_key("rita@reporter.example", "0");
    let key = InstanceKey::generate("psirt <security@example.org>").unwrap();
    gpg.import(&key.public_key_armored().unwrap());
    let rita = PublicKey::from_armored(&gpg.export("rita@reporter.example"), now()).unwrap();
    let instance = key.fingerprint().to_string();
    let report =
        "Heap overflow in parse_header(), reproducer below.\nÜmlauts survive.\n".as_bytes();

    // (signed?, known sender?, expected signer, expected valid)
    let table: [(&[&str], bool, Option<&str>, bool); 4] = [
        (
            &["--sign", "--local-user", "rita@reporter.example"],
            true,
            Some(&reporter),
            true,
        ),
        (
            &["--sign", "--local-user", "rita@reporter.example"],
            false,
            Some(&reporter),
            false,
        ),
        (&[], true, None, false),
        (
            &[
                "--sign",
                "--local-user",
                "rita@reporter.example",
                "--compress-algo",
                "none",
            ],
            true,
            Some(&reporter),
            true,
        ),
    ];
    for (extra, known, signer, valid) in table {
        let mut args = vec!["--armor", "--encrypt", "--recipient", &instance];
        args.extend_from_slice(extra);
        let armored = gpg.ok(&args, report);
        let known_senders = if known { vec![rita.clone()] } else { vec![] };

        // (a) pasted into the web form, with text around it.
        let mut pasted = b"Hello, here is my report:\r\n\r\n".to_vec();
        pasted.extend_from_slice(&armored);
        pasted.extend_from_slice(b"\nThanks\n");
        // (b) a PGP/MIME mail around gpg's output, LF line ends as an MTA
        // might deliver it.
        let mut mail = b"From: rita@reporter.example\nTo: security@example.org\nSubject: Encrypted message\nMIME-Version: 1.0\nContent-Type: multipart/encrypted;\n protocol=\"application/pgp-encrypted\";\n boundary=\"XyZ\"\n\nPGP/MIME\n--XyZ\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n--XyZ\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\n\n".to_vec();
        mail.extend_from_slice(&armored);
        mail.extend_from_slice(b"\n--XyZ--\n");

        for input in [&armored, &pasted, &mail] {
            let got = decrypt(input, &key, &known_senders).unwrap();
            assert_eq!(got.plaintext, report, "{extra:?}");
            assert_eq!(got.signer.as_ref().map(|f| f.as_str()), signer, "{extra:?}");
            assert_eq!(got.signature_valid, valid, "{extra:?}");
            assert!(format!("{got:?}").contains("redacted"));
        }
    }
}

#[test]
fn psirt_verifies_what_gpg_signs_as_pgp_mime() {
    let gpg = Gpg::new();
    gpg.gen_key("rita@reporter.example", "0");
    let rita = PublicKey::from_armored(&gpg.export("rita@reporter.example"), now()).unwrap();
    let other = InstanceKey::generate("other <other@example.org>")
        .unwrap()
        .public_key();
    let part = b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nThe fix looks right. LGTM=\r\n for 1a2b3c4.";
    let signature = gpg.ok(
        &["--armor", "--detach-sign", "--digest-algo", "SHA256"],
        part,
    );
    let mut mail = b"From: rita@reporter.example\r\nSubject: Re: fix\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed; micalg=pgp-sha256;\r\n protocol=\"application/pgp-signature\"; boundary=\"sig-b\"\r\n\r\n--sig-b\r\n".to_vec();
    mail.extend_from_slice(part);
    mail.extend_from_slice(b"\r\n--sig-b\r\nContent-Type: application/pgp-signature\r\n\r\n");
    mail.extend_from_slice(&signature);
    mail.extend_from_slice(b"\r\n--sig-b--\r\n");

    assert_eq!(verify(&mail, &rita).unwrap(), rita.fingerprint());
    // Delivered with LF line ends, it still verifies.
    let lf = String::from_utf8(mail.clone())
        .unwrap()
        .replace("\r\n", "\n");
    assert_eq!(verify(lf.as_bytes(), &rita).unwrap(), rita.fingerprint());

    let tampered = String::from_utf8(mail.clone())
        .unwrap()
        .replace("1a2b3c4", "9f9f9f9");
    let wrong_key = verify(&mail, &other);
    let tampered = verify(tampered.as_bytes(), &rita);
    for result in [wrong_key, tampered] {
        let err = result.unwrap_err();
        assert!(matches!(err, Error::BadSignature(_)), "{err}");
        assert!(
            err.to_string().contains("does not verify with key"),
            "{err}"
        );
    }
    let not_signed = verify(b"Content-Type: text/plain\r\n\r\nhi", &rita).unwrap_err();
    assert_eq!(
        not_signed.to_string(),
        "MIME: expected a multipart/signed message, found text/plain"
    );
}

#[test]
fn a_message_encrypted_to_a_cannot_be_decrypted_by_b() {
    let a = InstanceKey::generate("a <a@example.org>").unwrap();
    let b = InstanceKey::generate("b <b@example.org>").unwrap();
    let sender = InstanceKey::generate("psirt <security@example.org>").unwrap();
    let msg = message("Pre-notification", "secret details", vec![]);
    let mail = sign_and_encrypt(&msg, &sender, &a.public_key()).unwrap();

    let read = decrypt(&mail, &a, &[sender.public_key()]).unwrap();
    assert!(read.signature_valid);
    assert_eq!(read.signer, Some(sender.fingerprint()));
    let inner = String::from_utf8(read.plaintext).unwrap();
    assert!(inner.contains("Subject: Pre-notification\r\n") && inner.contains("secret details"));

    let err = decrypt(&mail, &b, &[sender.public_key()]).unwrap_err();
    assert!(matches!(err, Error::Decrypt(_)), "{err}");
    assert!(
        err.to_string().contains(&b.fingerprint().to_string()),
        "{err}"
    );
}

/// Keys a recipient might put on file that must be refused, each with the
/// words of its error.
#[test]
fn unusable_keys_are_refused_with_a_clear_error() {
    let gpg = Gpg::new();
    let expiring = gpg.gen_key("exp@example.net", "1d");
    let revoked = gpg.gen_key("rev@example.net", "0");
    let rev_cert = std::fs::read_to_string(
        gpg.home()
            .join("openpgp-revocs.d")
            .join(format!("{revoked}.rev")),
    )
    .unwrap()
    .replace(":-----BEGIN", "-----BEGIN");
    gpg.import(&rev_cert);
    let no_passphrase = ["--pinentry-mode", "loopback", "--passphrase", ""];
    let mut args = no_passphrase.to_vec();
    args.extend([
        "--quick-gen-key",
        "sign-only@example.net",
        "ed25519",
        "sign",
        "never",
    ]);
    gpg.ok(&args, b"");
    // A key whose only encryption subkey expires in a day.
    let mut args = no_passphrase.to_vec();
    args.extend([
        "--quick-gen-key",
        "sub@example.net",
        "ed25519",
        "sign",
        "never",
    ]);
    gpg.ok(&args, b"");
    let sub = gpg.fingerprint("sub@example.net");
    let mut args = no_passphrase.to_vec();
    args.extend(["--quick-add-key", &sub, "cv25519", "encr", "1d"]);
    gpg.ok(&args, b"");
    let instance = InstanceKey::generate("psirt <security@example.org>").unwrap();

    let in_two_days = now() + SignedDuration::from_hours(48);
    let check = |armored: &str, at: Timestamp, expected: &str| {
        let got = match PublicKey::from_armored(armored, at) {
            Ok(k) => format!("ok {}", k.fingerprint()),
            Err(e) => format!("error {e}"),
        };
        assert!(got.contains(expected), "expected {expected:?} in {got:?}");
    };
    check(
        "garbage",
        now(),
        "error key: not an armored OpenPGP public key",
    );
    check(
        &gpg.export("exp@example.net"),
        now(),
        &format!("ok {expiring}"),
    );
    check(
        &gpg.export("exp@example.net"),
        in_two_days,
        &format!("error key: key {expiring} expired at "),
    );
    check(
        &gpg.export("rev@example.net"),
        now(),
        &format!("error key: key {revoked} is revoked"),
    );
    check(
        &gpg.export("sign-only@example.net"),
        now(),
        "cannot be encrypted to: it has no subkey that may encrypt",
    );
    check(&gpg.export("sub@example.net"), now(), &format!("ok {sub}"));
    check(
        &gpg.export("sub@example.net"),
        in_two_days,
        &format!("error key: key {sub} cannot be encrypted to: encryption subkey "),
    );
    check(&gpg.export("sub@example.net"), in_two_days, "expired at");
    check(
        &instance.to_armored_secret().unwrap(),
        now(),
        "error key: not an armored OpenPGP public key",
    );

    // A key valid when put on file but expired by the time of sending.
    let on_file = PublicKey::from_armored(&gpg.export("exp@example.net"), now()).unwrap();
    let mut msg = message("Pre-notification", "body", vec![]);
    msg.date = in_two_days;
    let err = sign_and_encrypt(&msg, &instance, &on_file).unwrap_err();
    assert!(err.to_string().contains("expired at"), "{err}");

    // Secret keys: garbage and a public key are not an instance key.
    for bad in ["garbage", instance.public_key_armored().unwrap().as_str()] {
        let err = InstanceKey::from_armored_secret(bad).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("key: not an armored OpenPGP secret key"),
            "{err}"
        );
    }
}

#[test]
fn headers_are_encoded_and_plain_mail_is_crlf() {
    let msg = &cases()[1];
    let bytes = msg.to_bytes().unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let headers = text.split("\r\n\r\n").next().unwrap();
    assert!(headers.starts_with("From: \"psirt\" <security@example.org>\r\nTo: \"Dana Distributor\" <dana@example.net>\r\nSubject: =?utf-8?B?"), "{headers}");
    assert!(
        headers.contains("Date: Sun, 01 Mar 2026 12:00:00 +0000\r\n"),
        "{headers}"
    );
    assert!(headers.contains(
        "Message-ID: <case-1.n1@psirt.example.org>\r\nIn-Reply-To: <report-1@reporter.example>\r\n"
    ));
    assert!(text.is_ascii() && !text.replace("\r\n", "").contains('\n'));
    assert!(!format!("{msg:?}").contains("Grüße") && !format!("{msg:?}").contains("Überlauf"));
}
