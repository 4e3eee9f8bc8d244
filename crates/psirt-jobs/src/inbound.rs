//! Inbound mail: one message from an MTA pipe ([`ingest`]), or every new
//! message of an IMAP mailbox ([`Poller`]), parsed and decrypted by
//! psirt-mail and handed to the store, which opens, threads or sets it
//! aside, once per Message-ID.
//!
//! The poller remembers the last UID it handed over (per mailbox, with the
//! mailbox's UIDVALIDITY) in the store, and moves it only after the store
//! has the message; a poller that dies in between fetches the message again
//! and the store ignores the duplicate. A message that cannot be read is
//! kept as it arrived, never dropped.

use std::time::Duration;

use jiff::Timestamp;
use psirt_mail::imap::{ImapConfig, ImapMailbox};
use psirt_mail::{Automatic, InstanceKey};
use psirt_store::{InboundMessage, Ingested, NewAttachment, Store};

use crate::JobError;

/// The largest message taken in: five attachments of 10 MiB, base64-encoded,
/// with room for the text.
pub const MAX_MESSAGE_BYTES: usize = 72 * 1024 * 1024;

/// Takes in one message as it arrived from `source` (`stdin`, `imap:INBOX`);
/// new reports go to `project`. `authserv_id` names the operator's mail
/// server, whose `Authentication-Results` verify a sender
/// ([`psirt_mail::sender`]); a signature by the key on file for the
/// `From:` address verifies one too.
pub async fn ingest(
    store: &Store,
    key: &InstanceKey,
    raw: &[u8],
    source: &str,
    project: &str,
    authserv_id: Option<&str>,
    now: Timestamp,
) -> Result<Ingested, JobError> {
    let parsed = if raw.len() > MAX_MESSAGE_BYTES {
        Err(format!(
            "{} bytes, more than the {MAX_MESSAGE_BYTES} bytes taken in",
            raw.len()
        ))
    } else {
        let senders = sender_keys(store, raw, now).await?;
        match psirt_mail::inbound::parse(raw, key, &senders) {
            Ok(message) => Ok(InboundMessage {
                verified: message
                    .signed_by
                    .clone()
                    .map(psirt_mail::sender::Verified::Signature)
                    .or_else(|| {
                        authserv_id.and_then(|id| {
                            psirt_mail::sender::mail_server_verified(
                                &message.authentication_results,
                                id,
                                &message.from.address,
                            )
                        })
                    })
                    .map(|v| v.to_string()),
                message_id: message.message_id,
                from: message.from.address,
                from_name: message.from.name,
                subject: message.subject,
                text: psirt_core::Secret::new(message.text),
                attachments: message
                    .attachments
                    .into_iter()
                    .map(|a| NewAttachment {
                        name: a.name,
                        content_type: a.content_type,
                        data: a.bytes,
                    })
                    .collect(),
                thread: message
                    .in_reply_to
                    .into_iter()
                    .chain(message.references.into_iter().rev())
                    .collect(),
                automatic: message.automatic.as_ref().map(automatic),
            }),
            Err(malformed) => Err(malformed.reason),
        }
    };
    // An oversized message is kept up to the limit (its header and the
    // start of its body) for the person who reviews it.
    let stored = &raw[..raw.len().min(MAX_MESSAGE_BYTES)];
    Ok(store.ingest(stored, source, parsed, project, now).await?)
}

/// The key on file for the message's `From:` address, if there is a
/// usable one: the only key whose signature verifies the sender.
async fn sender_keys(
    store: &Store,
    raw: &[u8],
    now: Timestamp,
) -> Result<Vec<psirt_mail::PublicKey>, JobError> {
    let Some(from) = psirt_mail::inbound::sender(raw) else {
        return Ok(Vec::new());
    };
    let Some(armored) = store.key_for(&from).await? else {
        return Ok(Vec::new());
    };
    Ok(psirt_mail::PublicKey::from_armored(&armored, now)
        .into_iter()
        .collect())
}

/// Why a message is taken to be machine-made, in words for the reviewer.
fn automatic(why: &Automatic) -> String {
    match why {
        Automatic::Report(kind) => format!("a {kind} report (bounce or notification)"),
        Automatic::NullReturnPath => "null return path (Return-Path: <>)".into(),
        Automatic::SystemSender(local) => format!("sent by {local}"),
        Automatic::AutoSubmitted(value) => format!("Auto-Submitted: {value}"),
        Automatic::Precedence(value) => format!("Precedence: {value}"),
        Automatic::AutoReplyHeader(name) => format!("auto-reply header {name}"),
        Automatic::ResponseSuppressed(value) => format!("X-Auto-Response-Suppress: {value}"),
        Automatic::MailingList(list) => format!("mailing list {list}"),
    }
}

/// Reads an IMAP mailbox as it fills.
pub struct Poller {
    pub store: Store,
    pub key: InstanceKey,
    pub config: ImapConfig,
    pub project: String,
    /// The operator's mail server's authserv-id (see [`ingest`]).
    pub authserv_id: Option<String>,
    pub clock: fn() -> Timestamp,
    /// How long one wait for new mail lasts before the mailbox is read
    /// again anyway.
    pub wait: Duration,
}

/// What one pass over the mailbox did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pass {
    pub fetched: usize,
    pub outcomes: Vec<Ingested>,
}

impl Poller {
    /// Takes in every message after the stored position, in UID order.
    pub async fn pass(&self, mailbox: &mut ImapMailbox) -> Result<Pass, JobError> {
        let name = self.config.mailbox().to_string();
        let validity = mailbox.uid_validity();
        let last = match self.store.mailbox_cursor(&name).await? {
            Some((v, last)) if v == validity => last,
            // A new UIDVALIDITY renumbers the mailbox: read it all again;
            // what was taken in before is recognised by its Message-ID.
            _ => 0,
        };
        let fetched = mailbox.fetch_after(last).await?;
        let mut pass = Pass {
            fetched: fetched.len(),
            ..Pass::default()
        };
        let source = format!("imap:{name}");
        for message in fetched {
            let outcome = ingest(
                &self.store,
                &self.key,
                &message.raw,
                &source,
                &self.project,
                self.authserv_id.as_deref(),
                (self.clock)(),
            )
            .await?;
            self.store
                .set_mailbox_cursor(&name, validity, message.uid)
                .await?;
            // Seen is a courtesy to people reading the same mailbox; the
            // stored position is what counts.
            if let Err(e) = mailbox.mark_seen(message.uid).await {
                tracing::warn!(uid = message.uid, error = %e, "could not mark a message seen");
            }
            pass.outcomes.push(outcome);
        }
        Ok(pass)
    }

    /// Connects, takes in what is there, then waits for new mail (IDLE
    /// where the server has it) and takes that in, until `stop` resolves.
    /// A lost connection is made again with backoff; a refused login is
    /// tried again every five minutes, as somebody must fix it.
    pub async fn run(&self, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        let mut delay = Duration::from_secs(1);
        loop {
            let session = async {
                let mut mailbox = ImapMailbox::connect(&self.config).await?;
                loop {
                    let pass = self.pass(&mut mailbox).await?;
                    crate::runs::record(crate::runs::Job::Inbound, true);
                    if pass.fetched > 0 {
                        tracing::info!(messages = pass.fetched, "inbound mail taken in");
                    }
                    mailbox.wait(self.wait).await?;
                }
                #[allow(unreachable_code)]
                Ok::<(), JobError>(())
            };
            let error = tokio::select! {
                _ = &mut stop => return,
                result = session => match result {
                    Ok(()) => continue,
                    Err(e) => e,
                },
            };
            // A session that ended in an error counts as a failed pass.
            crate::runs::record(crate::runs::Job::Inbound, false);
            let permanent = matches!(&error, JobError::Imap(e) if !e.is_transient());
            tracing::error!(error = %error, "IMAP poller stopped; connecting again");
            let wait = if permanent {
                Duration::from_secs(300)
            } else {
                delay = (delay * 2).min(Duration::from_secs(60));
                delay
            };
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}
