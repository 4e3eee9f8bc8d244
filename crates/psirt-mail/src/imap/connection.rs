//! The connection under the mailbox: deadlines on every step, the
//! errors the server's answers become, TLS and STARTTLS, and the stream
//! that is plain or encrypted.

use super::*;

/// Whether an untagged response during IDLE says the mailbox grew.
pub(super) fn announces_mail(response: &Response<'_>) -> bool {
    matches!(
        response,
        Response::MailboxData(MailboxDatum::Exists(_))
            | Response::MailboxData(MailboxDatum::Recent(1..))
    )
}

/// Runs one network step with the configured time limit.
pub(super) async fn within<T>(
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
pub(super) async fn run<T>(
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
pub(super) fn session_error(server: &str, error: async_imap::error::Error) -> ImapError {
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

pub(super) fn login_error(
    config: &ImapConfig,
    server: &str,
    error: async_imap::error::Error,
) -> ImapError {
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
pub(super) fn server_text(error: &async_imap::error::Error) -> String {
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
pub(super) fn tls_connector(config: &ImapConfig) -> Result<TlsConnector, ImapError> {
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

pub(super) async fn handshake(
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
pub(super) enum Transport {
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
