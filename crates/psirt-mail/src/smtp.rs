//! SMTP delivery of messages that are already built: [`SmtpConfig`] read
//! from an `smtp://` or `smtps://` URL, and [`Smtp`], which hands one
//! message's bytes to the configured relay and says whether a failure is
//! worth a retry ([`SendError::Transient`]) or not
//! ([`SendError::Permanent`]).
//!
//! This module owns the conversation with the relay and nothing else: it
//! never builds, changes or signs a message (the bytes go out as given, line
//! ends made CRLF), never retries or queues (the outbox decides when to try
//! again), and never puts the password or a message's bytes into an error,
//! a log line or `Debug` output. TLS is required unless the URL turns it
//! off explicitly, and certificates are always verified: against the
//! system's CA store plus an optional extra CA file, never skipped.
//!
//! The client is lettre's, without its message builder, on tokio and rustls
//! with the ring provider. Each [`Smtp::send`] opens its own connection and
//! closes it with `QUIT`; psirt sends a few mails an hour, so a connection
//! pool would only keep idle connections open (and need a runtime when it is
//! made).

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use std::pin::Pin;
use std::task::{Context, Poll};

use lettre::Address;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters,
};
use lettre::transport::smtp::extension::ClientId;
use psirt_core::EmailAddress;
use rustls::pki_types::ServerName;

use crate::Error;
use crate::mime::canonical_crlf;
use crate::tls::SetupError;

/// How the connection to the relay is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    /// `smtps://`: TLS from the first byte (RFC 8314, port 465).
    ImplicitTls,
    /// `smtp://`: `STARTTLS` (RFC 3207), and the message is not sent when the
    /// server does not offer it. The default for `smtp://`.
    StartTls,
    /// `smtp://…?tls=opportunistic`: `STARTTLS` when the server offers it,
    /// plain text otherwise.
    Opportunistic,
    /// `smtp://…?tls=none`: plain text, for a relay on the same machine.
    Plain,
}

/// Where and how to deliver mail. Made from a URL with
/// [`SmtpConfig::from_url`]:
///
/// - `smtp://[user:password@]host[:port]` — `STARTTLS` required, port 587;
/// - `smtps://[user:password@]host[:port]` — implicit TLS, port 465;
/// - `?tls=opportunistic` or `?tls=none` (for `smtp://` only) relax TLS, and
///   `?helo=name` sets the name the client greets with.
///
/// User and password are percent-decoded. A password is refused on a
/// plain-text connection unless the host is a loopback address.
#[derive(Clone)]
pub struct SmtpConfig {
    host: String,
    port: u16,
    tls_mode: TlsMode,
    credentials: Option<(String, String)>,
    ca_file: Option<PathBuf>,
    helo: String,
    timeout: Duration,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls_mode", &self.tls_mode)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("password", &self.credentials.as_ref().map(|_| "<redacted>"))
            .field("ca_file", &self.ca_file)
            .field("helo", &self.helo)
            .field("timeout", &self.timeout)
            .finish()
    }
}

const DEFAULT_HELO: &str = "localhost";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

impl SmtpConfig {
    pub fn from_url(url: &str) -> Result<SmtpConfig, Error> {
        // The URL itself may hold the password: errors name the part that is
        // wrong, never the whole URL.
        let bad = |reason: &str| Error::SmtpConfig(format!("URL: {reason}"));
        let (scheme, rest) = url
            .trim()
            .split_once("://")
            .ok_or_else(|| bad("expected smtp://host or smtps://host"))?;
        let implicit = match scheme.to_ascii_lowercase().as_str() {
            "smtp" => false,
            "smtps" => true,
            _ => return Err(bad("the scheme must be smtp or smtps")),
        };
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        if rest.contains('#') || query.contains('#') {
            return Err(bad("a fragment (#…) has no meaning here"));
        }
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains('/') {
            return Err(bad("a path has no meaning here"));
        }
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let credentials = match userinfo {
            None => None,
            Some(userinfo) => {
                let (user, password) = userinfo
                    .split_once(':')
                    .ok_or_else(|| bad("user without a password (user:password@host)"))?;
                let user = percent_decode(user).ok_or_else(|| bad("bad %-escape in the user"))?;
                let password =
                    percent_decode(password).ok_or_else(|| bad("bad %-escape in the password"))?;
                if user.is_empty() {
                    return Err(bad("empty user before the password"));
                }
                Some((user, password))
            }
        };
        let (host, port) = split_host_port(hostport)
            .ok_or_else(|| bad("expected host or host:port after the scheme (IPv6 in brackets)"))?;

        let mut tls_mode = if implicit {
            TlsMode::ImplicitTls
        } else {
            TlsMode::StartTls
        };
        let mut helo = DEFAULT_HELO.to_string();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            match (name, value) {
                ("tls", _) if implicit => {
                    return Err(bad("tls= is for smtp:// only; smtps:// is always TLS"));
                }
                ("tls", "required" | "starttls") => tls_mode = TlsMode::StartTls,
                ("tls", "opportunistic") => tls_mode = TlsMode::Opportunistic,
                ("tls", "none") => tls_mode = TlsMode::Plain,
                ("tls", other) => {
                    return Err(bad(&format!(
                        "tls={other:?}: expected required, opportunistic or none"
                    )));
                }
                ("helo", name) => helo = check_helo(name)?,
                (other, _) => return Err(bad(&format!("unknown parameter {other:?}"))),
            }
        }
        let default_port = if implicit { 465 } else { 587 };
        let config = SmtpConfig {
            host,
            port: port.unwrap_or(default_port),
            tls_mode,
            credentials,
            ca_file: None,
            helo,
            timeout: DEFAULT_TIMEOUT,
        };
        config.check_password_protected()?;
        Ok(config)
    }

    /// Trusts the CA certificate(s) in this PEM file as well as the system's,
    /// for a relay with a private CA or a self-signed certificate.
    pub fn with_ca_file(mut self, path: impl Into<PathBuf>) -> SmtpConfig {
        self.ca_file = Some(path.into());
        self
    }

    /// The name the client greets the server with (`EHLO name`); by default
    /// `localhost`. Use the host name psirt's mail comes from.
    pub fn with_helo(mut self, name: &str) -> Result<SmtpConfig, Error> {
        self.helo = check_helo(name)?;
        Ok(self)
    }

    /// How long one delivery (connecting, TLS, the whole SMTP dialogue and
    /// the data) may take before it fails as [`SendError::Transient`]; two
    /// minutes by default. A server that stalls after it received the data
    /// may still deliver it, so a retry after a timeout can duplicate a mail
    /// (RFC 1047); psirt's mails carry a Message-ID for that reason.
    pub fn with_timeout(mut self, timeout: Duration) -> SmtpConfig {
        self.timeout = timeout;
        self
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn tls_mode(&self) -> TlsMode {
        self.tls_mode
    }

    pub fn user(&self) -> Option<&str> {
        self.credentials.as_ref().map(|(user, _)| user.as_str())
    }

    fn check_password_protected(&self) -> Result<(), Error> {
        let plain = matches!(self.tls_mode, TlsMode::Plain | TlsMode::Opportunistic);
        if self.credentials.is_some() && plain && !is_loopback(&self.host) {
            return Err(Error::SmtpConfig(format!(
                "URL: a password may cross the network to {} in plain text only with TLS; \
                 drop ?tls= or use smtps://",
                self.host
            )));
        }
        Ok(())
    }
}

fn check_helo(name: &str) -> Result<String, Error> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if !ok {
        return Err(Error::SmtpConfig(format!(
            "HELO name {name:?} is not a host name such as mail.example.org"
        )));
    }
    Ok(name.to_string())
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(hostport: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        v6.parse::<std::net::Ipv6Addr>().ok()?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?),
        };
        (v6, port)
    } else {
        match hostport.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        }
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:".contains(&b));
    if !host_ok {
        return None;
    }
    let port = match port {
        None => None,
        Some(p) => Some(p.parse::<u16>().ok().filter(|p| *p != 0)?),
    };
    Some((host.to_string(), port))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Why a message was not delivered. Neither variant ever holds the message's
/// bytes; both name the server and what it replied.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later: the server could not be reached or timed
    /// out, TLS could not be set up, or it replied 4xx.
    #[error("temporary SMTP failure, try again later: {0}")]
    Transient(String),
    /// Trying again will fail the same way: the server replied 5xx (a
    /// refused recipient or sender, wrong credentials) or an address cannot
    /// be sent to.
    #[error("permanent SMTP failure: {0}")]
    Permanent(String),
}

impl SendError {
    pub fn is_transient(&self) -> bool {
        matches!(self, SendError::Transient(_))
    }
}

/// A mail relay to deliver to; cheap to share (`&self` everywhere).
///
/// Each delivery opens its own connection, with `TCP_NODELAY` set: lettre
/// writes a message's data and its final `.` separately, and with Nagle's
/// algorithm the second write waits for the server's delayed ACK, some
/// 40 ms per message on Linux. The dialogue itself is lettre's.
pub struct Smtp {
    host: String,
    port: u16,
    server: String,
    hello: ClientId,
    mode: TlsMode,
    /// For STARTTLS (lettre upgrades the connection).
    starttls: Option<TlsParameters>,
    /// For implicit TLS (the connection is TLS from the first byte).
    implicit: Option<tokio_rustls::TlsConnector>,
    credentials: Option<Credentials>,
    timeout: Duration,
}

impl fmt::Debug for Smtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Smtp")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl Smtp {
    /// Prepares delivery; reads the CA file, but connects to nothing until
    /// [`Smtp::send`]. Needs no async runtime.
    pub fn new(config: &SmtpConfig) -> Result<Smtp, Error> {
        let server = format!("{}:{}", config.host, config.port);
        let starttls = match config.tls_mode {
            TlsMode::StartTls | TlsMode::Opportunistic => {
                let mut builder = TlsParameters::builder(config.host.clone());
                if let Some(path) = &config.ca_file {
                    builder = builder.add_root_certificate(read_ca_file(path)?);
                }
                Some(
                    builder
                        .build_rustls()
                        .map_err(|e| Error::SmtpConfig(format!("TLS setup for {server}: {e}")))?,
                )
            }
            TlsMode::ImplicitTls | TlsMode::Plain => None,
        };
        let implicit = match config.tls_mode {
            TlsMode::ImplicitTls => {
                let tls = crate::tls::client_config(config.ca_file.as_deref()).map_err(|e| {
                    Error::SmtpConfig(match (e, &config.ca_file) {
                        (SetupError::CaFile(reason), Some(path)) => {
                            format!("CA file {}: {reason}", path.display())
                        }
                        (SetupError::CaFile(reason) | SetupError::Tls(reason), _) => {
                            format!("TLS setup for {server}: {reason}")
                        }
                    })
                })?;
                Some(tokio_rustls::TlsConnector::from(tls))
            }
            _ => None,
        };
        Ok(Smtp {
            host: config.host.clone(),
            port: config.port,
            server,
            hello: ClientId::Domain(config.helo.clone()),
            mode: config.tls_mode,
            starttls,
            implicit,
            credentials: config
                .credentials
                .as_ref()
                .map(|(user, password)| Credentials::new(user.clone(), password.clone())),
            timeout: config.timeout,
        })
    }

    /// Delivers `message` (RFC 5322 bytes, as built and signed) to
    /// `recipients` with `envelope_from` as the return path. Bare LF line
    /// ends are sent as CRLF, as SMTP requires; a message that already has
    /// CRLF line ends arrives byte for byte.
    pub async fn send(
        &self,
        envelope_from: &EmailAddress,
        recipients: &[EmailAddress],
        message: &[u8],
    ) -> Result<(), SendError> {
        if recipients.is_empty() {
            return Err(SendError::Permanent(
                "a message needs at least one recipient".into(),
            ));
        }
        let address = |a: &EmailAddress| {
            a.as_str().parse::<Address>().map_err(|e| {
                SendError::Permanent(format!("{a} cannot be used in an SMTP envelope: {e}"))
            })
        };
        let from = address(envelope_from)?;
        let to = recipients
            .iter()
            .map(address)
            .collect::<Result<Vec<_>, _>>()?;
        let envelope = lettre::address::Envelope::new(Some(from), to)
            .map_err(|e| SendError::Permanent(format!("SMTP envelope: {e}")))?;

        let mut bytes = canonical_crlf(message);
        // The client ends the data with CRLF "." CRLF, which supplies the
        // message's final line break; without this, one that ends in CRLF
        // would arrive with an extra empty line.
        if bytes.ends_with(b"\r\n") {
            bytes.truncate(bytes.len() - 2);
        }
        // The whole dialogue has one deadline: a server that accepts and
        // then stalls must not hold the outbox forever.
        match tokio::time::timeout(self.timeout, self.dialogue(&envelope, &bytes)).await {
            Ok(result) => result,
            Err(_) => Err(SendError::Transient(format!(
                "{} (no complete SMTP dialogue within {:?})",
                self.server, self.timeout
            ))),
        }
    }

    async fn dialogue(
        &self,
        envelope: &lettre::address::Envelope,
        bytes: &[u8],
    ) -> Result<(), SendError> {
        let transient = |what: &str, e: &dyn fmt::Display| {
            SendError::Transient(format!("{} ({what}: {e})", self.server))
        };
        let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| transient("cannot connect", &e))?;
        tcp.set_nodelay(true)
            .map_err(|e| transient("cannot set TCP_NODELAY", &e))?;
        let stream: Box<dyn AsyncTokioStream> = match &self.implicit {
            Some(connector) => {
                let name = ServerName::try_from(self.host.clone())
                    .map_err(|e| SendError::Permanent(format!("{} ({e})", self.server)))?;
                let tls = connector
                    .connect(name, tcp)
                    .await
                    .map_err(|e| transient("TLS", &e))?;
                Box::new(TlsTcp(tls))
            }
            None => Box::new(tcp),
        };
        let mut connection = AsyncSmtpConnection::connect_with_transport(stream, &self.hello)
            .await
            .map_err(|e| self.classify(&e))?;
        self.transaction(&mut connection, envelope, bytes).await?;
        // After a failure the connection is dropped, not told QUIT: a
        // failed STARTTLS leaves lettre's stream unusable.
        let _ = connection.quit().await;
        Ok(())
    }

    async fn transaction(
        &self,
        connection: &mut AsyncSmtpConnection,
        envelope: &lettre::address::Envelope,
        bytes: &[u8],
    ) -> Result<(), SendError> {
        if let Some(parameters) = &self.starttls {
            if connection.can_starttls() {
                connection
                    .starttls(parameters.clone(), &self.hello)
                    .await
                    .map_err(|e| self.classify(&e))?;
            } else if self.mode == TlsMode::StartTls {
                return Err(SendError::Permanent(format!(
                    "{} does not offer STARTTLS, which the URL requires",
                    self.server
                )));
            }
        }
        if let Some(credentials) = &self.credentials {
            connection
                .auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(|e| self.classify(&e))?;
        }
        connection
            .send(envelope, bytes)
            .await
            .map_err(|e| self.classify(&e))?;
        Ok(())
    }

    fn classify(&self, e: &lettre::transport::smtp::Error) -> SendError {
        // lettre's errors carry the server's reply text and I/O causes, never
        // the message data.
        let text = format!("{} ({})", self.server, error_chain(e));
        if e.is_permanent() || e.is_client() {
            SendError::Permanent(text)
        } else {
            SendError::Transient(text)
        }
    }
}

/// A TLS connection as lettre takes an existing stream.
#[derive(Debug)]
struct TlsTcp(tokio_rustls::client::TlsStream<tokio::net::TcpStream>);

impl tokio::io::AsyncRead for TlsTcp {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for TlsTcp {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for TlsTcp {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn read_ca_file(path: &Path) -> Result<Certificate, Error> {
    let pem = std::fs::read(path)
        .map_err(|e| Error::SmtpConfig(format!("CA file {}: {e}", path.display())))?;
    if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
        return Err(Error::SmtpConfig(format!(
            "CA file {}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it",
            path.display()
        )));
    }
    Certificate::from_pem(&pem)
        .map_err(|e| Error::SmtpConfig(format!("CA file {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, expected: &str) {
        let got = match SmtpConfig::from_url(url) {
            Ok(c) => format!(
                "{:?} {}:{} user={:?} helo={}",
                c.tls_mode(),
                c.host(),
                c.port(),
                c.user(),
                c.helo
            ),
            Err(e) => format!("error {e}"),
        };
        assert_eq!(got, expected, "{url}");
    }

    #[test]
    fn urls() {
        check(
            "smtp://mail.example.org",
            "StartTls mail.example.org:587 user=None helo=localhost",
        );
        check(
            "smtps://psirt:s%40cret@mail.example.org:2465/",
            "ImplicitTls mail.example.org:2465 user=Some(\"psirt\") helo=localhost",
        );
        check(
            "smtp://127.0.0.1:2525?tls=none&helo=psirt.example.org",
            "Plain 127.0.0.1:2525 user=None helo=psirt.example.org",
        );
        check(
            "smtp://u:p@[::1]:25?tls=opportunistic",
            "Opportunistic ::1:25 user=Some(\"u\") helo=localhost",
        );
        check(
            "smtp://u:p@mail.example.org?tls=none",
            "error SMTP configuration: URL: a password may cross the network to mail.example.org in plain text only with TLS; drop ?tls= or use smtps://",
        );
        check(
            "smtps://h.example?tls=none",
            "error SMTP configuration: URL: tls= is for smtp:// only; smtps:// is always TLS",
        );
        check(
            "http://h.example",
            "error SMTP configuration: URL: the scheme must be smtp or smtps",
        );
        check(
            "smtp://h.example:0",
            "error SMTP configuration: URL: expected host or host:port after the scheme (IPv6 in brackets)",
        );
        check(
            "smtp://h.example?tls=maybe",
            "error SMTP configuration: URL: tls=\"maybe\": expected required, opportunistic or none",
        );
        check(
            "smtp://user@h.example",
            "error SMTP configuration: URL: user without a password (user:password@host)",
        );
        check(
            "smtp://h.example/path",
            "error SMTP configuration: URL: a path has no meaning here",
        );
    }

    #[test]
    fn debug_redacts_the_password() {
        let c = SmtpConfig::from_url("smtps://psirt:hunter2@mail.example.org").unwrap();
        let debug = format!("{c:?}");
        assert!(
            !debug.contains("hunter2") && debug.contains("<redacted>"),
            "{debug}"
        );
        let err = SmtpConfig::from_url("smtp://psirt:hunter2@mail.example.org?x=1").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
