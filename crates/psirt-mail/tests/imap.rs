//! The inbound poller's IMAP client against a real server: a private
//! Dovecot on loopback per test (`psirt_mail::testing::dovecot`). Messages
//! are delivered with IMAP APPEND by a second client, as another mail
//! client or the MTA's delivery would add them.

use std::time::Duration;

use psirt_mail::imap::{Fetched, ImapConfig, ImapError, ImapMailbox};
use psirt_mail::testing::dovecot::{Dovecot, PASSWORD, USER};

/// A report as it would arrive, CRLF line ends as IMAP stores them.
fn report(n: u32, body: &str) -> Vec<u8> {
    format!(
        "From: Reporter {n} <reporter{n}@example.net>\r\n\
         To: security@example.org\r\n\
         Subject: Vulnerability report {n}\r\n\
         Message-ID: <report-{n}@example.net>\r\n\
         Date: Mon, 06 Jan 2025 10:0{n}:00 +0000\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\
         \r\n\
         {body}\r\n"
    )
    .into_bytes()
}

async fn connect(url: &str) -> ImapMailbox {
    let config = ImapConfig::from_url(url).unwrap();
    ImapMailbox::connect(&config)
        .await
        .unwrap_or_else(|e| panic!("connecting to {config}: {e}"))
}

async fn connect_err(config: &ImapConfig) -> ImapError {
    match ImapMailbox::connect(config).await {
        Ok(mailbox) => panic!("connected to {config} against expectations: {mailbox:?}"),
        Err(e) => e,
    }
}

/// Checks an error's message and whether it is transient, with the port
/// and Dovecot's timing note (`(0.001 + 0.000 secs)`) taken out.
fn check_error(error: &ImapError, port: u16, expected: &str) {
    let mut shown = format!("{error} [transient: {}]", error.is_transient());
    shown = shown.replace(&format!(":{port}"), ":PORT");
    if let Some(start) = shown.find(" (0.")
        && let Some(length) = shown[start..].find(" secs)")
    {
        shown.replace_range(start..start + length + " secs)".len(), "");
    }
    assert_eq!(shown, expected);
    assert!(!format!("{error:?}").contains(PASSWORD), "{error:?}");
}

fn uids(fetched: &[Fetched]) -> Vec<u32> {
    fetched.iter().map(|f| f.uid).collect()
}

/// Reads a URL and shows the configuration (or the error) on one line.
fn check_url(url: &str, expected: &str) {
    let actual = match ImapConfig::from_url(url) {
        Ok(config) => format!(
            "{:?} {}:{} user={:?} mailbox={:?}",
            config.security(),
            config.host(),
            config.port(),
            config.user(),
            config.mailbox()
        ),
        Err(e) => format!("error: {e}"),
    };
    assert_eq!(actual, expected, "for {url}");
}

#[test]
fn urls() {
    check_url(
        "imaps://psirt%40example.org:s%3Acret%2F%25@imap.example.org/INBOX",
        r#"ImplicitTls imap.example.org:993 user="psirt@example.org" mailbox="INBOX""#,
    );
    check_url(
        "imap://u:p@imap.example.org",
        r#"StartTls imap.example.org:143 user="u" mailbox="INBOX""#,
    );
    check_url(
        "imap://u:p@imap.example.org:1143/?tls=starttls",
        r#"StartTls imap.example.org:1143 user="u" mailbox="INBOX""#,
    );
    check_url(
        "imap://u:p@127.0.0.1:10143/Lists/psirt%20reports?tls=none",
        r#"None 127.0.0.1:10143 user="u" mailbox="Lists/psirt reports""#,
    );
    check_url(
        "imaps://u:p@[::1]:993/INBOX",
        r#"ImplicitTls ::1:993 user="u" mailbox="INBOX""#,
    );
    check_url(
        "imaps://u:p@host/INBOX?tls=none",
        "error: IMAP configuration: imaps:// always uses TLS from the start; use imap:// for ?tls=",
    );
    check_url(
        "imap://u:p@host/INBOX?tls=off",
        "error: IMAP configuration: tls=off is not known; use tls=starttls (the default) or tls=none",
    );
    check_url(
        "imap://u:p@host/INBOX?tsl=none",
        r#"error: IMAP configuration: unknown URL parameter "tsl"; only tls= is known"#,
    );
    check_url(
        "pop3://u:p@host/",
        "error: IMAP configuration: the URL scheme must be imap or imaps, not pop3",
    );
    check_url(
        "imaps://host/INBOX",
        "error: IMAP configuration: the URL names no user (imap://user:password@host/)",
    );
    check_url(
        "imaps://u@host/INBOX",
        "error: IMAP configuration: the URL gives no password for u (imap://user:password@host/)",
    );
    check_url(
        "imaps://u:p@host/Entw%C3%BCrfe",
        r#"error: IMAP configuration: mailbox "Entwürfe": only printable ASCII mailbox names are supported"#,
    );
    check_url(
        "imaps://u:p%0D%0A@host/",
        "error: IMAP configuration: the user name or password contains a line break",
    );
    check_url(
        "imaps://u:secret@:99/",
        "error: IMAP configuration: not a URL: empty host",
    );
}

#[test]
fn debug_and_display_never_show_the_password() {
    let config = ImapConfig::from_url("imap://u:hunter2@127.0.0.1:1143/INBOX?tls=none")
        .unwrap()
        .with_ca_file("/etc/psirt/ca.pem");
    let shown = format!("{config:?} {config}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert_eq!(config.to_string(), "imap://u@127.0.0.1:1143/INBOX?tls=none");
}

#[tokio::test]
async fn fetch_after_zero_returns_every_message_byte_exact_in_uid_order() {
    let dovecot = Dovecot::start();
    let messages = [
        report(1, "A heap overflow in the parser."),
        report(2, "Ünïcödé in the body, 8 bit: naïve café."),
        report(3, &"A long line of evidence. ".repeat(400)),
        report(4, "Lines\r\n.\r\n..with dots\r\n\r\nand blank lines\r\n"),
    ];
    let appended: Vec<u32> = messages.iter().map(|m| dovecot.append(m)).collect();

    let mut mailbox = connect(&dovecot.url("INBOX")).await;
    let fetched = mailbox.fetch_after(0).await.unwrap();

    assert_eq!(uids(&fetched), appended);
    for (got, sent) in fetched.iter().zip(&messages) {
        assert_eq!(
            String::from_utf8_lossy(&got.raw),
            String::from_utf8_lossy(sent),
            "UID {}",
            got.uid
        );
        assert_eq!(&got.raw, sent, "UID {}", got.uid);
    }
    mailbox.logout().await.unwrap();
}

#[tokio::test]
async fn fetch_after_the_last_uid_returns_nothing_when_nothing_is_new() {
    let dovecot = Dovecot::start();
    let mut mailbox = connect(&dovecot.url("INBOX")).await;
    // An empty mailbox first, then one message at a time: `UID n:*` names
    // the last message even when its UID is below n, which must not count.
    assert_eq!(uids(&mailbox.fetch_after(0).await.unwrap()), [0_u32; 0]);
    let first = dovecot.append(&report(1, "first"));
    let second = dovecot.append(&report(2, "second"));

    let cases: [(u32, Vec<u32>); 5] = [
        (0, vec![first, second]),
        (first, vec![second]),
        (second, vec![]),
        (second + 100, vec![]),
        (u32::MAX, vec![]),
    ];
    for (last_uid, expected) in cases {
        let fetched = mailbox.fetch_after(last_uid).await.unwrap();
        assert_eq!(uids(&fetched), expected, "fetch_after({last_uid})");
    }
}

#[tokio::test]
async fn fetching_does_not_mark_seen_and_mark_seen_does() {
    let dovecot = Dovecot::start();
    let uid = dovecot.append(&report(1, "read me"));
    let mut mailbox = connect(&dovecot.url("INBOX")).await;

    mailbox.fetch_after(0).await.unwrap();
    assert!(
        !dovecot.flags(uid).contains("\\Seen"),
        "{}",
        dovecot.flags(uid)
    );
    mailbox.mark_seen(uid).await.unwrap();
    assert!(
        dovecot.flags(uid).contains("\\Seen"),
        "{}",
        dovecot.flags(uid)
    );
}

#[tokio::test]
async fn wait_returns_when_mail_arrives() {
    let dovecot = Dovecot::start();
    let mut mailbox = connect(&dovecot.url("INBOX")).await;
    assert!(mailbox.supports_idle());
    assert_eq!(uids(&mailbox.fetch_after(0).await.unwrap()), [0_u32; 0]);

    let waiter = tokio::spawn(async move {
        mailbox.wait(Duration::from_secs(600)).await.unwrap();
        mailbox.fetch_after(0).await.unwrap()
    });
    // Give the waiter time to be idling, so that the server's notice during
    // IDLE is what wakes it (arriving earlier would wake it too).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let message = report(1, "arrived while idling");
    let uid = dovecot.append(&message);

    // Far below the wait's own ten minutes: only the new mail can have
    // ended it in this time.
    let fetched = tokio::time::timeout(Duration::from_secs(60), waiter)
        .await
        .expect("wait() did not return when mail arrived")
        .unwrap();
    assert_eq!(fetched, vec![Fetched { uid, raw: message }]);
}

#[tokio::test]
async fn wait_counts_mail_that_arrived_before_it_was_called() {
    let dovecot = Dovecot::start();
    let mut mailbox = connect(&dovecot.url("INBOX")).await;
    assert_eq!(uids(&mailbox.fetch_after(0).await.unwrap()), [0_u32; 0]);
    let uid = dovecot.append(&report(1, "arrived between fetch and wait"));

    tokio::time::timeout(
        Duration::from_secs(60),
        mailbox.wait(Duration::from_secs(600)),
    )
    .await
    .expect("wait() did not return for mail already there")
    .unwrap();
    assert_eq!(uids(&mailbox.fetch_after(0).await.unwrap()), [uid]);
}

#[tokio::test]
async fn wait_returns_after_its_timeout_when_nothing_comes() {
    let dovecot = Dovecot::start();
    let mut mailbox = connect(&dovecot.url("INBOX")).await;
    mailbox.wait(Duration::from_millis(300)).await.unwrap();
    // The connection is still usable after an IDLE that timed out.
    assert_eq!(uids(&mailbox.fetch_after(0).await.unwrap()), [0_u32; 0]);
    mailbox.logout().await.unwrap();
}

#[tokio::test]
async fn without_idle_wait_asks_with_noop_and_mail_is_found() {
    let dovecot = Dovecot::start_without_idle();
    let mut mailbox = connect(&dovecot.url("INBOX")).await;
    assert!(!mailbox.supports_idle());
    assert_eq!(uids(&mailbox.fetch_after(0).await.unwrap()), [0_u32; 0]);
    let uid = dovecot.append(&report(1, "for a server without IDLE"));

    mailbox.wait(Duration::from_millis(500)).await.unwrap();
    assert_eq!(uids(&mailbox.fetch_after(0).await.unwrap()), [uid]);
    mailbox.logout().await.unwrap();
}

#[tokio::test]
async fn uid_validity_is_stable_across_reconnects() {
    let dovecot = Dovecot::start();
    let first = connect(&dovecot.url("INBOX")).await;
    dovecot.append(&report(1, "between the connections"));
    let second = connect(&dovecot.url("INBOX")).await;
    assert_eq!(first.uid_validity(), second.uid_validity());
    assert_ne!(first.uid_validity(), 0);
}

#[tokio::test]
async fn a_mailbox_other_than_inbox_is_read_when_the_url_names_it() {
    let dovecot = Dovecot::start();
    dovecot.create_mailbox("psirt reports");
    let uid = dovecot.append_to("psirt reports", &report(1, "filed by a sieve rule"));
    dovecot.append(&report(2, "in INBOX, not to be read"));

    let mut mailbox = connect(&dovecot.url("psirt reports")).await;
    assert_eq!(uids(&mailbox.fetch_after(0).await.unwrap()), [uid]);
}

#[tokio::test]
async fn a_wrong_password_is_a_refused_login_which_is_permanent() {
    let dovecot = Dovecot::start();
    let wrong = "not-the-Password-42";
    let config = ImapConfig::from_url(&dovecot.url_with_password(wrong, "INBOX")).unwrap();
    let error = connect_err(&config).await;

    assert!(matches!(error, ImapError::LoginRefused { .. }), "{error:?}");
    check_error(
        &error,
        dovecot.port(),
        &format!(
            "IMAP server 127.0.0.1:PORT refused the login of {USER}: \
             [AUTHENTICATIONFAILED] Authentication failed. [transient: false]"
        ),
    );
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(wrong), "the password was echoed: {shown}");
}

#[tokio::test]
async fn a_missing_mailbox_is_a_clear_permanent_error() {
    let dovecot = Dovecot::start();
    let config = ImapConfig::from_url(&dovecot.url("No Such Folder")).unwrap();
    let error = connect_err(&config).await;

    assert!(
        matches!(error, ImapError::MailboxMissing { .. }),
        "{error:?}"
    );
    check_error(
        &error,
        dovecot.port(),
        &format!(
            "IMAP server 127.0.0.1:PORT has no mailbox \"No Such Folder\" that {USER} may \
             select: Mailbox doesn't exist: No Such Folder. [transient: false]"
        ),
    );
}

#[tokio::test]
async fn no_server_listening_is_a_transient_connect_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = ImapConfig::from_url(&format!("imap://u:p@127.0.0.1:{port}/?tls=none")).unwrap();
    let error = connect_err(&config).await;

    assert!(matches!(error, ImapError::Connect { .. }), "{error:?}");
    check_error(
        &error,
        port,
        "cannot connect to IMAP server 127.0.0.1:PORT: Connection refused (os error 111) \
         [transient: true]",
    );
}

#[tokio::test]
async fn tls_implicit_and_starttls_work_with_the_servers_ca() {
    let dovecot = Dovecot::start_with_tls();
    let uid = dovecot.append(&report(1, "over TLS"));

    for url in [dovecot.imaps_url("INBOX"), dovecot.starttls_url("INBOX")] {
        let config = ImapConfig::from_url(&url)
            .unwrap()
            .with_ca_file(dovecot.ca_file());
        let mut mailbox = ImapMailbox::connect(&config)
            .await
            .unwrap_or_else(|e| panic!("{config}: {e}"));
        assert_eq!(
            uids(&mailbox.fetch_after(0).await.unwrap()),
            [uid],
            "{config}"
        );
        mailbox.logout().await.unwrap();
    }
}

#[tokio::test]
async fn tls_refuses_a_certificate_from_an_untrusted_ca() {
    let dovecot = Dovecot::start_with_tls();

    let cases = [
        (dovecot.imaps_url("INBOX"), dovecot.imaps_port()),
        (dovecot.starttls_url("INBOX"), dovecot.port()),
    ];
    for (url, port) in cases {
        let config = ImapConfig::from_url(&url).unwrap();
        let error = connect_err(&config).await;
        assert!(
            matches!(error, ImapError::Tls { .. }),
            "{config}: {error:?}"
        );
        check_error(
            &error,
            port,
            "TLS with IMAP server 127.0.0.1:PORT: invalid peer certificate: UnknownIssuer; \
             if the server's certificate is right, trust the CA that signed it (a CA file in \
             the configuration) [transient: false]",
        );
    }
}

#[tokio::test]
async fn starttls_is_required_unless_the_url_says_tls_none() {
    // A server without TLS: the default imap:// URL must not log in in
    // clear.
    let dovecot = Dovecot::start();
    let url = dovecot.url("INBOX").replace("?tls=none", "");
    let config = ImapConfig::from_url(&url).unwrap();
    let error = connect_err(&config).await;

    assert!(matches!(error, ImapError::Tls { .. }), "{error:?}");
    check_error(
        &error,
        dovecot.port(),
        "TLS with IMAP server 127.0.0.1:PORT: the server refused STARTTLS (TLS support isn't \
         enabled.); use imaps:// if it offers implicit TLS [transient: false]",
    );
}
