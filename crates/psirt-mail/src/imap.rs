//! The IMAP client of psirt's inbound-mail poller: one mailbox on one
//! server, read by UID. It logs in, selects the mailbox, fetches the raw
//! bytes of every message newer than the last UID the poller has handled,
//! marks messages `\Seen`, and waits for new mail with IDLE (RFC 2177) or,
//! on a server without IDLE, with NOOP at intervals.
//!
//! This module owns the connection: the URL that configures it, TLS
//! (implicit TLS for `imaps://`, STARTTLS for `imap://` unless `?tls=none`
//! says otherwise), the login and the IMAP commands. It never parses,
//! stores, deletes or moves messages, never remembers which UIDs were
//! handled (the poller keeps the last UID with the mailbox's UIDVALIDITY),
//! and never logs, prints or `Debug`s the password or a message's bytes.
//!
//! After any error the connection is in an unknown state: drop the
//! [`ImapMailbox`] and [`ImapMailbox::connect`] again, after a back-off when
//! [`ImapError::is_transient`] says so, or stop and tell a person when it
//! does not.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use async_imap::extensions::idle::IdleResponse;
use async_imap::imap_proto::{MailboxDatum, Response, Status};
use async_imap::types::UnsolicitedResponse;
use async_imap::{Client, Session};
use futures_util::StreamExt as _;
use percent_encoding::percent_decode_str;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::tls::SetupError;
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// How long one network step (connecting, a command and its answer) may
/// take before the connection counts as lost, unless the configuration
/// says otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// RFC 2177: a client should end IDLE and issue it again at least every 29
/// minutes, or the server may log it off as inactive.
const IDLE_REISSUE: Duration = Duration::from_secs(28 * 60);

/// How often a server without IDLE is asked (with NOOP) whether mail came.
const NOOP_INTERVAL: Duration = Duration::from_secs(30);

/// Everything that can go wrong when talking to the IMAP server. The
/// messages name the server, the user and the mailbox, never the password.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// The URL (or the rest of the configuration) cannot work.
    #[error("IMAP configuration: {0}")]
    Config(String),
    /// The extra CA file cannot be read or holds no certificate.
    #[error("CA file {path}: {reason}")]
    CaFile { path: PathBuf, reason: String },
    /// No TCP connection (or no greeting) could be had.
    #[error("cannot connect to IMAP server {server}: {reason}")]
    Connect { server: String, reason: String },
    /// TLS failed: the certificate is not trusted or does not name the
    /// server, the server refused STARTTLS, or the handshake was refused.
    #[error("TLS with IMAP server {server}: {reason}")]
    Tls { server: String, reason: String },
    /// The server refused the user name and password.
    #[error("IMAP server {server} refused the login of {user}: {reason}")]
    LoginRefused {
        server: String,
        user: String,
        reason: String,
    },
    /// The server cannot authenticate anyone just now (RFC 5530
    /// `UNAVAILABLE`): try again later.
    #[error("IMAP server {server} cannot log in {user} just now: {reason}")]
    LoginUnavailable {
        server: String,
        user: String,
        reason: String,
    },
    /// SELECT failed: the mailbox does not exist or may not be read.
    #[error("IMAP server {server} has no mailbox {mailbox:?} that {user} may select: {reason}")]
    MailboxMissing {
        server: String,
        user: String,
        mailbox: String,
        reason: String,
    },
    /// The connection broke or was closed by the server.
    #[error("connection to IMAP server {server} lost: {reason}")]
    ConnectionLost { server: String, reason: String },
    /// The server did not answer in time.
    #[error("IMAP server {server} did not answer {step} within {timeout:?}")]
    Timeout {
        server: String,
        step: &'static str,
        timeout: Duration,
    },
    /// The server answered something this client did not expect.
    #[error("IMAP protocol with {server}: {reason}")]
    Protocol { server: String, reason: String },
}

impl ImapError {
    /// Whether trying again later may help (a network or server hiccup), as
    /// opposed to a configuration a person has to fix (a refused login, a
    /// missing mailbox, an untrusted certificate, a bad URL).
    pub fn is_transient(&self) -> bool {
        match self {
            ImapError::Connect { .. }
            | ImapError::LoginUnavailable { .. }
            | ImapError::ConnectionLost { .. }
            | ImapError::Timeout { .. }
            | ImapError::Protocol { .. } => true,
            ImapError::Config(_)
            | ImapError::CaFile { .. }
            | ImapError::Tls { .. }
            | ImapError::LoginRefused { .. }
            | ImapError::MailboxMissing { .. } => false,
        }
    }
}

/// How the connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// `imaps://`: TLS from the first byte (RFC 8314), port 993 by default.
    ImplicitTls,
    /// `imap://`: plain TCP upgraded with STARTTLS before the login, which
    /// is required; port 143 by default.
    StartTls,
    /// `imap://…?tls=none`: no TLS at all, the password in clear. Only for
    /// a server on the same host or a test.
    None,
}

/// Where the poller reads mail: server, credentials, mailbox and TLS, from
/// a URL such as `imaps://psirt%40example.org:secret@imap.example.org/INBOX`.
///
/// The user and password are percent-decoded (`%40` for `@`, `%2F` for
/// `/`, `%3A` for `:`); the mailbox is the path, `INBOX` when empty.
/// `imap://` requires STARTTLS unless the query says `?tls=none`.
#[derive(Clone)]
pub struct ImapConfig {
    host: String,
    port: u16,
    security: Security,
    user: String,
    password: String,
    mailbox: String,
    ca_file: Option<PathBuf>,
    timeout: Duration,
}

impl ImapConfig {
    /// Reads `imap://user:password@host[:port][/mailbox][?tls=none|starttls]`
    /// or `imaps://user:password@host[:port][/mailbox]`.
    pub fn from_url(url: &str) -> Result<ImapConfig, ImapError> {
        // The url crate's errors never quote the input, so the password in
        // it cannot leak through them.
        let parsed =
            url::Url::parse(url).map_err(|e| ImapError::Config(format!("not a URL: {e}")))?;
        let (mut security, default_port) = match parsed.scheme() {
            "imap" => (Security::StartTls, 143),
            "imaps" => (Security::ImplicitTls, 993),
            other => {
                return Err(ImapError::Config(format!(
                    "the URL scheme must be imap or imaps, not {other}"
                )));
            }
        };
        for (key, value) in parsed.query_pairs() {
            match (key.as_ref(), value.as_ref(), security) {
                ("tls", "none", Security::StartTls) => security = Security::None,
                ("tls", "starttls", Security::StartTls) => {}
                ("tls", _, Security::ImplicitTls) => {
                    return Err(ImapError::Config(
                        "imaps:// always uses TLS from the start; use imap:// for ?tls=".into(),
                    ));
                }
                ("tls", other, _) => {
                    return Err(ImapError::Config(format!(
                        "tls={other} is not known; use tls=starttls (the default) or tls=none"
                    )));
                }
                (other, _, _) => {
                    return Err(ImapError::Config(format!(
                        "unknown URL parameter {other:?}; only tls= is known"
                    )));
                }
            }
        }
        let host = match parsed.host() {
            Some(url::Host::Domain(name)) if !name.is_empty() => name.to_owned(),
            Some(url::Host::Ipv4(address)) => address.to_string(),
            Some(url::Host::Ipv6(address)) => address.to_string(),
            _ => return Err(ImapError::Config("the URL names no host".into())),
        };
        let user = decode("user name", parsed.username())?;
        if user.is_empty() {
            return Err(ImapError::Config(
                "the URL names no user (imap://user:password@host/)".into(),
            ));
        }
        let Some(password) = parsed.password() else {
            return Err(ImapError::Config(format!(
                "the URL gives no password for {user} (imap://user:password@host/)"
            )));
        };
        let password = decode("password", password)?;
        let mailbox = decode("mailbox", parsed.path().trim_start_matches('/'))?;
        let mailbox = if mailbox.is_empty() {
            "INBOX".to_owned()
        } else {
            mailbox
        };
        // Non-ASCII mailbox names travel in modified UTF-7 (RFC 3501
        // §5.1.3), which this client does not encode; say so rather than
        // select the wrong name.
        if !mailbox
            .chars()
            .all(|c| c.is_ascii() && !c.is_ascii_control())
        {
            return Err(ImapError::Config(format!(
                "mailbox {mailbox:?}: only printable ASCII mailbox names are supported"
            )));
        }
        if user.contains(['\r', '\n']) || password.contains(['\r', '\n']) {
            return Err(ImapError::Config(
                "the user name or password contains a line break".into(),
            ));
        }
        Ok(ImapConfig {
            host,
            port: parsed.port().unwrap_or(default_port),
            security,
            user,
            password,
            mailbox,
            ca_file: None,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// Also trusts the CA certificates in this PEM file, besides the
    /// system's (for a server with a private CA).
    pub fn with_ca_file(mut self, path: impl Into<PathBuf>) -> ImapConfig {
        self.ca_file = Some(path.into());
        self
    }

    /// How long one network step may take before the connection counts as
    /// lost (one minute unless set).
    pub fn with_timeout(mut self, timeout: Duration) -> ImapConfig {
        self.timeout = timeout;
        self
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn security(&self) -> Security {
        self.security
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn mailbox(&self) -> &str {
        &self.mailbox
    }

    pub fn ca_file(&self) -> Option<&Path> {
        self.ca_file.as_deref()
    }

    /// `host:port`, as error messages name the server.
    fn server(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl std::str::FromStr for ImapConfig {
    type Err = ImapError;

    fn from_str(url: &str) -> Result<ImapConfig, ImapError> {
        ImapConfig::from_url(url)
    }
}

/// Never shows the password.
impl fmt::Debug for ImapConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("mailbox", &self.mailbox)
            .field("ca_file", &self.ca_file)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The URL without the password, for logs: `imaps://user@host:993/INBOX`.
impl fmt::Display for ImapConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (scheme, query) = match self.security {
            Security::ImplicitTls => ("imaps", ""),
            Security::StartTls => ("imap", ""),
            Security::None => ("imap", "?tls=none"),
        };
        write!(
            f,
            "{scheme}://{}@{}/{}{query}",
            self.user,
            self.server(),
            self.mailbox
        )
    }
}

fn decode(what: &str, encoded: &str) -> Result<String, ImapError> {
    percent_decode_str(encoded)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| ImapError::Config(format!("the {what} in the URL is not UTF-8")))
}

/// One message as the server stores it.
#[derive(Clone, PartialEq, Eq)]
pub struct Fetched {
    pub uid: u32,
    /// The whole message, `BODY[]`: header and body with CRLF line ends.
    pub raw: Vec<u8>,
}

/// Shows the UID and the size only, never the message.
impl fmt::Debug for Fetched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetched")
            .field("uid", &self.uid)
            .field("raw", &format_args!("<{} bytes>", self.raw.len()))
            .finish()
    }
}

/// A logged-in connection with the configured mailbox selected.
pub struct ImapMailbox {
    /// `None` once the connection is unusable: while IDLE holds it, or
    /// after an IDLE that could not be ended.
    session: Option<Session<Transport>>,
    server: String,
    mailbox: String,
    uid_validity: u32,
    idle: bool,
    timeout: Duration,
}

impl fmt::Debug for ImapMailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapMailbox")
            .field("server", &self.server)
            .field("mailbox", &self.mailbox)
            .field("uid_validity", &self.uid_validity)
            .field("idle", &self.idle)
            .field("connected", &self.session.is_some())
            .finish()
    }
}

impl ImapMailbox {
    /// Connects, secures the connection as configured, logs in and selects
    /// the mailbox.
    pub async fn connect(config: &ImapConfig) -> Result<ImapMailbox, ImapError> {
        let server = config.server();
        let tls = match config.security {
            Security::None => None,
            Security::ImplicitTls | Security::StartTls => Some(tls_connector(config)?),
        };
        let tcp = within(
            config.timeout,
            &server,
            "the TCP connection",
            TcpStream::connect((config.host.as_str(), config.port)),
        )
        .await?
        .map_err(|e| ImapError::Connect {
            server: server.clone(),
            reason: e.to_string(),
        })?;
        let transport = match (config.security, &tls) {
            (Security::ImplicitTls, Some(tls)) => handshake(config, &server, tls, tcp).await?,
            _ => Transport::Plain(tcp),
        };
        let mut client = Client::new(transport);
        let greeting = within(
            config.timeout,
            &server,
            "the greeting",
            client.read_response(),
        )
        .await?
        .map_err(|e| ImapError::Connect {
            server: server.clone(),
            reason: e.to_string(),
        })?;
        let Some(greeting) = greeting else {
            return Err(ImapError::Connect {
                server,
                reason: "the server closed the connection before its greeting".into(),
            });
        };
        match greeting.parsed() {
            Response::Data {
                status: Status::Ok, ..
            } => {}
            other => {
                return Err(ImapError::Connect {
                    server,
                    reason: format!("unexpected greeting {other:?}"),
                });
            }
        }
        if let (Security::StartTls, Some(tls)) = (config.security, &tls) {
            within(
                config.timeout,
                &server,
                "STARTTLS",
                client.run_command_and_check_ok("STARTTLS", None),
            )
            .await?
            .map_err(|e| match e {
                async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_) => {
                    ImapError::Tls {
                        server: server.clone(),
                        reason: format!(
                            "the server refused STARTTLS ({}); use imaps:// if it offers \
                             implicit TLS",
                            server_text(&e)
                        ),
                    }
                }
                other => session_error(&server, other),
            })?;
            // Whatever the server sent after its OK is dropped with the old
            // client, as RFC 3501 §6.2.1 asks against injection.
            let Transport::Plain(tcp) = client.into_inner() else {
                unreachable!("STARTTLS is only sent on a plain connection");
            };
            client = Client::new(handshake(config, &server, tls, tcp).await?);
        }

        let login = within(
            config.timeout,
            &server,
            "LOGIN",
            client.login_with_capabilities(&config.user, &config.password),
        )
        .await?;
        let (mut session, capabilities) = match login {
            Ok(logged_in) => logged_in,
            Err((error, _client)) => return Err(login_error(config, &server, error)),
        };
        let capabilities = match capabilities {
            Some(capabilities) => capabilities,
            None => {
                run(
                    config.timeout,
                    &server,
                    "CAPABILITY",
                    session.capabilities(),
                )
                .await?
            }
        };
        let idle = capabilities.has_str("IDLE");

        let selected = within(
            config.timeout,
            &server,
            "SELECT",
            session.select(&config.mailbox),
        )
        .await?
        .map_err(|e| match e {
            async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_) => {
                ImapError::MailboxMissing {
                    server: server.clone(),
                    user: config.user.clone(),
                    mailbox: config.mailbox.clone(),
                    reason: server_text(&e),
                }
            }
            other => session_error(&server, other),
        })?;
        let Some(uid_validity) = selected.uid_validity else {
            return Err(ImapError::Protocol {
                server,
                reason: format!(
                    "SELECT {:?} gave no UIDVALIDITY, so UIDs cannot be trusted",
                    config.mailbox
                ),
            });
        };
        // What SELECT reported is known; only news after it should wake
        // `wait`.
        while session.unsolicited_responses.try_recv().is_ok() {}

        Ok(ImapMailbox {
            session: Some(session),
            server,
            mailbox: config.mailbox.clone(),
            uid_validity,
            idle,
            timeout: config.timeout,
        })
    }

    /// The mailbox's UIDVALIDITY: while it stays the same, a UID names the
    /// same message; when it changes, UIDs the poller remembers are void.
    pub fn uid_validity(&self) -> u32 {
        self.uid_validity
    }

    /// Whether the server offers IDLE; without it [`ImapMailbox::wait`]
    /// asks with NOOP every 30 seconds.
    pub fn supports_idle(&self) -> bool {
        self.idle
    }

    /// Every message whose UID is greater than `last_uid`, in UID order,
    /// without marking it `\Seen`. The bytes are what the server stores,
    /// which for IMAP means CRLF line ends.
    pub async fn fetch_after(&mut self, last_uid: u32) -> Result<Vec<Fetched>, ImapError> {
        let Some(first) = last_uid.checked_add(1) else {
            return Ok(Vec::new());
        };
        let fetched = self.fetch_bodies(first).await;
        let bodies = self.forget_if_broken(fetched)?;
        bodies
            .into_iter()
            .map(|(uid, raw)| match raw {
                Some(raw) => Ok(Fetched { uid, raw }),
                None => Err(ImapError::Protocol {
                    server: self.server.clone(),
                    reason: format!("the server sent no body for UID {uid}"),
                }),
            })
            .collect()
    }

    /// Marks one message `\Seen`, so a person reading the mailbox sees it
    /// was handled.
    pub async fn mark_seen(&mut self, uid: u32) -> Result<(), ImapError> {
        let (server, timeout) = (self.server.clone(), self.timeout);
        let session = self.session()?;
        let stored = async {
            let store = session.uid_store(uid.to_string(), "+FLAGS.SILENT (\\Seen)");
            let mut responses = run(timeout, &server, "UID STORE", store).await?;
            while let Some(response) =
                within(timeout, &server, "UID STORE", responses.next()).await?
            {
                response.map_err(|e| session_error(&server, e))?;
            }
            Ok(())
        }
        .await;
        self.forget_if_broken(stored)
    }

    /// Returns when the server reports new mail, or when `timeout` has
    /// passed, whichever is first. Mail that arrived since the last command
    /// counts as new. With IDLE the wait is ended and issued again every
    /// 28 minutes (RFC 2177); without it, NOOP asks every 30 seconds.
    ///
    /// A return says nothing certain: follow it with
    /// [`ImapMailbox::fetch_after`], which may find nothing.
    pub async fn wait(&mut self, timeout: Duration) -> Result<(), ImapError> {
        let deadline = Instant::now() + timeout;
        if self.idle {
            self.wait_idle(deadline).await
        } else {
            self.wait_noop(deadline).await
        }
    }

    /// Says LOGOUT and closes the connection.
    pub async fn logout(mut self) -> Result<(), ImapError> {
        let (server, timeout) = (self.server.clone(), self.timeout);
        let session = self.session()?;
        run(timeout, &server, "LOGOUT", session.logout()).await
    }

    /// The bodies of the messages from UID `first` on, by UID.
    async fn fetch_bodies(
        &mut self,
        first: u32,
    ) -> Result<BTreeMap<u32, Option<Vec<u8>>>, ImapError> {
        let (server, timeout) = (self.server.clone(), self.timeout);
        let session = self.session()?;
        // A session sees messages that arrived since its last command only
        // after the server has told it so, which Dovecot does at the end
        // of a command; without this NOOP the FETCH would miss them. What
        // the NOOP announces, the FETCH covers, so those notices must not
        // wake `wait` again.
        run(timeout, &server, "NOOP", session.noop()).await?;
        while session.unsolicited_responses.try_recv().is_ok() {}
        let fetch = session.uid_fetch(format!("{first}:*"), "(UID BODY.PEEK[])");
        let mut responses = run(timeout, &server, "UID FETCH", fetch).await?;
        // A UID may come twice (a flag update the server slips in), so the
        // body is gathered per UID. The time limit is for each message, so
        // that a large first fetch is not cut short while it progresses.
        let mut bodies: BTreeMap<u32, Option<Vec<u8>>> = BTreeMap::new();
        while let Some(response) = within(timeout, &server, "UID FETCH", responses.next()).await? {
            let response = response.map_err(|e| session_error(&server, e))?;
            // `n:*` always includes the mailbox's last message, even when
            // its UID is below `n` (RFC 3501 §6.4.8): skip it.
            let Some(uid) = response.uid.filter(|uid| *uid >= first) else {
                continue;
            };
            let body = bodies.entry(uid).or_default();
            if let Some(raw) = response.body() {
                *body = Some(raw.to_vec());
            }
        }
        Ok(bodies)
    }

    async fn wait_idle(&mut self, deadline: Instant) -> Result<(), ImapError> {
        loop {
            if self.take_new_mail_notice()? || Instant::now() >= deadline {
                return Ok(());
            }
            let round_end = deadline.min(Instant::now() + IDLE_REISSUE);
            let session = self.session.take().ok_or_else(|| self.lost())?;
            let mut handle = session.idle();
            run(self.timeout, &self.server, "IDLE", handle.init()).await?;
            let mut new_mail = false;
            while !new_mail {
                let (response, _interrupt) =
                    handle.wait_with_timeout(round_end.saturating_duration_since(Instant::now()));
                // The stop source `_interrupt` lives until the answer is
                // in; only the deadline or a closed connection ends the
                // wait early.
                match tokio::time::timeout_at(round_end, response).await {
                    Err(_) | Ok(Ok(IdleResponse::Timeout)) => break,
                    Ok(Ok(IdleResponse::NewData(data))) => new_mail = announces_mail(data.parsed()),
                    Ok(Ok(IdleResponse::ManualInterrupt)) => {
                        return Err(ImapError::ConnectionLost {
                            server: self.server.clone(),
                            reason: "the server closed the connection during IDLE".into(),
                        });
                    }
                    Ok(Err(e)) => return Err(session_error(&self.server, e)),
                }
            }
            let session = run(self.timeout, &self.server, "DONE", handle.done()).await?;
            self.session = Some(session);
            if new_mail {
                return Ok(());
            }
        }
    }

    async fn wait_noop(&mut self, deadline: Instant) -> Result<(), ImapError> {
        loop {
            if self.take_new_mail_notice()? || Instant::now() >= deadline {
                return Ok(());
            }
            tokio::time::sleep_until(deadline.min(Instant::now() + NOOP_INTERVAL)).await;
            let (server, timeout) = (self.server.clone(), self.timeout);
            let session = self.session()?;
            let asked = run(timeout, &server, "NOOP", session.noop()).await;
            self.forget_if_broken(asked)?;
        }
    }

    /// Whether the server said, in an answer to an earlier command, that
    /// the mailbox grew. Reading it consumes it.
    fn take_new_mail_notice(&mut self) -> Result<bool, ImapError> {
        let session = self.session()?;
        let mut grew = false;
        while let Ok(notice) = session.unsolicited_responses.try_recv() {
            grew |= matches!(
                notice,
                UnsolicitedResponse::Exists(_) | UnsolicitedResponse::Recent(1..)
            );
        }
        Ok(grew)
    }

    fn session(&mut self) -> Result<&mut Session<Transport>, ImapError> {
        match self.session {
            Some(ref mut session) => Ok(session),
            None => Err(self.lost()),
        }
    }

    fn lost(&self) -> ImapError {
        ImapError::ConnectionLost {
            server: self.server.clone(),
            reason: "an earlier error left the connection unusable; connect again".into(),
        }
    }

    /// Forgets the session when a command timed out, the connection broke
    /// or the server answered nonsense, since its state is then unknown.
    fn forget_if_broken<T>(&mut self, outcome: Result<T, ImapError>) -> Result<T, ImapError> {
        if outcome.as_ref().is_err_and(ImapError::is_transient) {
            self.session = None;
        }
        outcome
    }
}

/// Whether an untagged response during IDLE says the mailbox grew.
fn announces_mail(response: &Response<'_>) -> bool {
    matches!(
        response,
        Response::MailboxData(MailboxDatum::Exists(_))
            | Response::MailboxData(MailboxDatum::Recent(1..))
    )
}

/// Runs one network step with the configured time limit.
async fn within<T>(
    timeout: Duration,
    server: &str,
    step: &'static str,
    future: impl Future<Output = T>,
) -> Result<T, ImapError> {
    tokio::time::timeout(timeout, future)
        .await
        .map_err(|_| ImapError::Timeout {
            server: server.to_owned(),
            step,
            timeout,
        })
}

/// Runs one IMAP command with the configured time limit.
async fn run<T>(
    timeout: Duration,
    server: &str,
    step: &'static str,
    command: impl Future<Output = Result<T, async_imap::error::Error>>,
) -> Result<T, ImapError> {
    within(timeout, server, step, command)
        .await?
        .map_err(|e| session_error(server, e))
}

/// An async-imap error from an established session, as this module's.
fn session_error(server: &str, error: async_imap::error::Error) -> ImapError {
    use async_imap::error::Error;
    let server = server.to_owned();
    match error {
        Error::Io(e) => ImapError::ConnectionLost {
            server,
            reason: e.to_string(),
        },
        Error::ConnectionLost => ImapError::ConnectionLost {
            server,
            reason: "the server closed the connection".into(),
        },
        other => ImapError::Protocol {
            server,
            reason: server_text(&other),
        },
    }
}

fn login_error(config: &ImapConfig, server: &str, error: async_imap::error::Error) -> ImapError {
    use async_imap::error::Error;
    let reason = server_text(&error).replace(config.password.as_str(), "<redacted>");
    let (server, user) = (server.to_owned(), config.user.clone());
    match error {
        Error::No(_) if reason.contains("[UNAVAILABLE]") => ImapError::LoginUnavailable {
            server,
            user,
            reason,
        },
        Error::No(_) | Error::Bad(_) => ImapError::LoginRefused {
            server,
            user,
            reason,
        },
        other => session_error(&server, other),
    }
}

/// What the server said, without async-imap's `code: …, info: …` framing
/// when it is there.
fn server_text(error: &async_imap::error::Error) -> String {
    use async_imap::error::Error;
    let (Error::No(text) | Error::Bad(text)) = error else {
        return error.to_string();
    };
    // async-imap frames the text as `code: …, info: Some("…")` after a
    // command, and as `… information: Some("…") }` after SELECT.
    let info = ["info: Some(\"", "information: Some(\""]
        .iter()
        .find_map(|marker| text.split_once(marker))
        .and_then(|(_, rest)| rest.rsplit_once("\")"));
    match info {
        Some((info, _)) => info.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => text.clone(),
    }
}

/// A client TLS configuration trusting the system's CA store and the
/// configured CA file, with ring as the only crypto provider.
fn tls_connector(config: &ImapConfig) -> Result<TlsConnector, ImapError> {
    let tls = crate::tls::client_config(config.ca_file.as_deref()).map_err(|e| match e {
        SetupError::CaFile(reason) => ImapError::CaFile {
            path: config.ca_file.clone().unwrap_or_default(),
            reason,
        },
        SetupError::Tls(reason) => ImapError::Tls {
            server: config.server(),
            reason,
        },
    })?;
    Ok(TlsConnector::from(tls))
}

async fn handshake(
    config: &ImapConfig,
    server: &str,
    tls: &TlsConnector,
    tcp: TcpStream,
) -> Result<Transport, ImapError> {
    let name = ServerName::try_from(config.host.clone()).map_err(|e| ImapError::Tls {
        server: server.to_owned(),
        reason: format!(
            "{:?} cannot be checked against a certificate: {e}",
            config.host
        ),
    })?;
    let stream = within(
        config.timeout,
        server,
        "the TLS handshake",
        tls.connect(name, tcp),
    )
    .await?
    .map_err(|e| {
        // A refused certificate (or another TLS-level refusal) needs a
        // person; a connection that broke during the handshake does not.
        let is_tls = e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>());
        let untrusted = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .is_some_and(|tls| matches!(tls, rustls::Error::InvalidCertificate(_)));
        if untrusted {
            ImapError::Tls {
                server: server.to_owned(),
                reason: format!(
                    "{e}; if the server's certificate is right, trust the CA that signed it \
                     (a CA file in the configuration)"
                ),
            }
        } else if is_tls {
            ImapError::Tls {
                server: server.to_owned(),
                reason: e.to_string(),
            }
        } else {
            ImapError::Connect {
                server: server.to_owned(),
                reason: format!("during the TLS handshake: {e}"),
            }
        }
    })?;
    Ok(Transport::Tls(Box::new(stream)))
}

/// The byte stream under the IMAP session: TCP, or TLS over TCP.
#[derive(Debug)]
enum Transport {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Transport::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Transport::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Transport::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Transport::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Transport::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}
