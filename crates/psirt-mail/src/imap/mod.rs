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

mod connection;
mod mailbox;

use connection::*;
pub use mailbox::*;

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
