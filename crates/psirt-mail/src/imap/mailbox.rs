//! The mailbox: connecting and logging in, fetching by UID, marking
//! `\Seen`, and waiting for new mail with IDLE or NOOP.

use super::*;

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
