//! Mail from the command line: the background jobs (`psirt worker`, and
//! `psirt serve` beside the server), `psirt ingest` for an MTA pipe, the
//! outbox of a case with its drafts, inbound review, and keys on file.

use std::io::Read;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Subcommand;
use psirt_core::{CaseRef, EmailAddress, MailKind};
use psirt_jobs::deliver::Delivery;
use psirt_jobs::inbound::{MAX_MESSAGE_BYTES, Poller};
use psirt_mail::InstanceKey;
use psirt_mail::imap::ImapConfig;
use psirt_mail::smtp::{Smtp, SmtpConfig};
use psirt_store::{Caller, DraftDecision, Ingested, Principal, Store};

use crate::config::Config;

#[derive(Subcommand)]
pub enum MailCmd {
    /// A case's mail: every copy, its recipient and delivery state.
    List {
        reference: String,
        #[arg(long)]
        json: bool,
    },
    /// Approve a case's drafts of one kind (notice, pre-notification,
    /// announcement) for sending.
    Approve { reference: String, kind: String },
    /// Discard a case's drafts of one kind.
    Discard { reference: String, kind: String },
    /// Replace the subject and body of a case's drafts of one kind.
    Edit {
        reference: String,
        kind: String,
        #[arg(long)]
        subject: String,
        /// The new body; `-` reads standard input.
        #[arg(long)]
        body_file: std::path::PathBuf,
    },
    /// Inbound mail that opened no case: quarantined and automatic messages.
    Inbound {
        #[arg(long)]
        json: bool,
    },
}

/// Who runs a mail command: `--as EMAIL` (or `PSIRT_AS`).
async fn person(store: &Store, actor: Option<&str>) -> anyhow::Result<Caller> {
    let actor = actor.context("say who you are: --as EMAIL (or PSIRT_AS)")?;
    let user = store.user_by_email(&actor.parse()?).await?;
    Ok(Caller::cli(Principal::User(user)))
}

fn kind(text: &str) -> anyhow::Result<MailKind> {
    MailKind::parse(&text.replace('-', "_")).with_context(|| {
        let known: Vec<&str> = MailKind::ALL.iter().map(|k| k.as_str()).collect();
        format!("kind: {text:?} is not one of {}", known.join(", "))
    })
}

pub async fn run(
    store: &Store,
    actor: Option<&str>,
    cmd: MailCmd,
    now: jiff::Timestamp,
) -> anyhow::Result<ExitCode> {
    let caller = person(store, actor).await?;
    let reference = |s: &str| -> anyhow::Result<CaseRef> { Ok(s.parse()?) };
    match cmd {
        MailCmd::List { reference: r, json } => {
            for m in store.case_mail(&caller, reference(&r)?).await? {
                if json {
                    println!(
                        "{}",
                        serde_json::json!({
                            "id": m.id, "kind": m.kind.as_str(), "message_id": m.message_id,
                            "recipient": m.recipient, "subject": m.subject, "state": m.state.as_str(),
                            "attempts": m.attempts, "last_error": m.last_error, "encrypted": m.encrypted,
                            "created_at": m.created_at.to_string(),
                            "sent_at": m.sent_at.map(|t| t.to_string()),
                        })
                    );
                } else {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        m.id,
                        m.kind.as_str(),
                        m.recipient,
                        m.state.as_str(),
                        m.last_error.unwrap_or_default()
                    );
                }
            }
        }
        MailCmd::Approve {
            reference: r,
            kind: k,
        } => {
            let n = review(store, &caller, &r, &k, DraftDecision::Approve, now).await?;
            println!("approved {n} {} for sending", copies(n));
        }
        MailCmd::Discard {
            reference: r,
            kind: k,
        } => {
            let n = review(store, &caller, &r, &k, DraftDecision::Discard, now).await?;
            println!("discarded {n} {}", copies(n));
        }
        MailCmd::Edit {
            reference: r,
            kind: k,
            subject,
            body_file,
        } => {
            let body = if body_file.as_os_str() == "-" {
                let mut body = String::new();
                std::io::stdin().read_to_string(&mut body)?;
                body
            } else {
                std::fs::read_to_string(&body_file)
                    .with_context(|| format!("reading {}", body_file.display()))?
            };
            let decision = DraftDecision::Edit { subject, body };
            let n = review(store, &caller, &r, &k, decision, now).await?;
            println!("edited {n} draft {}", copies(n));
        }
        MailCmd::Inbound { json } => {
            for m in store.inbound_review(&caller).await? {
                let case = m.case.map(|c| c.to_string());
                if json {
                    println!(
                        "{}",
                        serde_json::json!({
                            "id": m.id, "source": m.source, "received_at": m.received_at.to_string(),
                            "outcome": m.outcome, "reason": m.reason, "case": case, "size": m.size,
                        })
                    );
                } else {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        m.id,
                        m.received_at,
                        m.outcome,
                        m.reason.unwrap_or_default(),
                        case.unwrap_or_default()
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Approves, discards or edits the case's drafts of one kind; how many.
async fn review(
    store: &Store,
    caller: &Caller,
    reference: &str,
    kind_: &str,
    decision: DraftDecision,
    now: jiff::Timestamp,
) -> anyhow::Result<u64> {
    let reference: CaseRef = reference.parse()?;
    Ok(store
        .review_drafts(caller, reference, kind(kind_)?, decision, now)
        .await?)
}

fn copies(n: u64) -> &'static str {
    if n == 1 { "copy" } else { "copies" }
}

/// The exit status an MTA takes as "try again later" (sysexits EX_TEMPFAIL).
const TEMPFAIL: u8 = 75;

/// `psirt ingest`: one message from standard input. Whatever the message
/// is, once it is stored the exit status is 0, so the MTA never bounces it
/// to a reporter; only a failure to store it is 75, and the MTA retries.
pub async fn ingest(store: &Store, config: &Config, project: Option<String>) -> ExitCode {
    let mut raw = Vec::new();
    let read = std::io::stdin()
        .take(MAX_MESSAGE_BYTES as u64 + 1)
        .read_to_end(&mut raw);
    if let Err(e) = read {
        eprintln!("error: reading the message from standard input: {e}");
        return ExitCode::from(TEMPFAIL);
    }
    let project = project.unwrap_or_else(|| config.default_project.clone());
    let outcome = async {
        let key = instance_key(store, config).await?;
        Ok::<_, anyhow::Error>(
            psirt_jobs::inbound::ingest(
                store,
                &key,
                &raw,
                "stdin",
                &project,
                config.mail_authserv_id.as_deref(),
                crate::time::now(),
            )
            .await?,
        )
    }
    .await;
    match outcome {
        Ok(outcome) => {
            println!("{}", describe(&outcome));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: the message was not stored: {e:#}");
            ExitCode::from(TEMPFAIL)
        }
    }
}

fn describe(outcome: &Ingested) -> String {
    match outcome {
        Ingested::Opened(r) => format!("opened {r} and acknowledged the reporter"),
        Ingested::ReporterReplied(r) => format!("added the reporter's reply to {r}"),
        Ingested::Threaded(r) => format!("kept with {r}"),
        Ingested::Unverified(r) => format!(
            "kept with {r} as unverified: From: names the reporter, but nothing proves they sent it"
        ),
        Ingested::Automatic(why) => format!("automatic message, kept and not answered: {why}"),
        Ingested::Quarantined(why) => format!("kept for review: {why}"),
        Ingested::Duplicate => "already taken in; nothing done".into(),
    }
}

/// The instance's key with its secret part, unlocked (see `kek.rs`).
pub async fn instance_key(store: &Store, config: &Config) -> anyhow::Result<InstanceKey> {
    crate::kek::instance_key(store, &config.kek).await
}

/// `psirt key add`: puts a recipient's public key on file, after checking
/// that it can be encrypted to.
pub async fn add_key(store: &Store, email: &str, file: &std::path::Path) -> anyhow::Result<()> {
    let email: EmailAddress = email.parse()?;
    let armored =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let key = psirt_mail::PublicKey::from_armored(&armored, crate::time::now())
        .with_context(|| format!("{}", file.display()))?;
    let checked = psirt_store::CheckedKey::new(key.fingerprint().as_str(), &armored)?;
    // The local administrator acts as psirt itself, which may put keys.
    store
        .put_key(
            &Caller::cli(Principal::System),
            &email,
            &checked,
            crate::time::now(),
        )
        .await?;
    println!("key {} on file for {email}", key.fingerprint());
    Ok(())
}

/// Runs the background jobs the configuration asks for until `stop`:
/// reminders, checkpoints, publication, following fix branches and the
/// CVE Services steps (each project with its own CNA account) and GitHub
/// steps always; delivery when an SMTP server is configured; the mailbox
/// poller when an IMAP mailbox is.
pub async fn jobs(store: Store, config: &Config, stop: Stop) -> anyhow::Result<()> {
    let key = instance_key(&store, config).await?;
    let mut jobs = Jobs {
        tasks: tokio::task::JoinSet::new(),
        store: store.clone(),
        stop,
    };
    let now = crate::time::now;
    jobs.spawn(|store, stop| async move {
        psirt_jobs::remind::run(&store, now, psirt_jobs::remind::EVERY, stop.wait()).await
    });
    let (public_url, cna_org_id) = (config.public_url.clone(), config.cna_org_id.clone());
    jobs.spawn(|store, stop| async move {
        let every = psirt_jobs::publish::EVERY;
        psirt_jobs::publish::run(&store, public_url, cna_org_id, now, every, stop.wait()).await
    });
    let checkpoint_key = key.clone();
    jobs.spawn(|store, stop| async move {
        let every = psirt_jobs::checkpoint::EVERY;
        psirt_jobs::checkpoint::run(&store, &checkpoint_key, now, every, stop.wait()).await
    });
    // The services' secrets (fix-repository credentials, CNA keys, GitHub
    // tokens), opened in memory only by the jobs that use them.
    let vault = crate::kek::vault(&store, &config.kek).await?;
    let fix_repos = psirt_jobs::fix_repo::FixRepositories::new(store.clone(), &config.git_dir)
        .with_vault(vault.clone());
    jobs.spawn(|_, stop| async move {
        psirt_jobs::fix_repo::run(&fix_repos, now, Duration::from_secs(15), stop.wait()).await
    });
    // The CVE Services steps run whether or not a project is connected
    // yet: a Fix Lead's request on a project without an account then
    // shows why it waits (on the step) instead of waiting silently.
    let connected = store
        .projects_with(psirt_store::Service::CveServices)
        .await?;
    tracing::info!(projects = connected.len(), "CVE Services steps");
    let cve_steps = psirt_jobs::cve::CveSteps {
        store: store.clone(),
        accounts: std::sync::Arc::new(psirt_jobs::cve::ProjectAccounts::new(
            store.clone(),
            vault.clone(),
        )),
        container: std::sync::Arc::new(psirt_jobs::cve::Cve5 {
            public_url: config.public_url.clone(),
            cna_org_id: config.cna_org_id.clone(),
        }),
    };
    jobs.spawn(|_, stop| async move {
        psirt_jobs::cve::run(&cve_steps, now, psirt_jobs::cve::EVERY, stop.wait()).await
    });
    // The GitHub steps of the projects connected to GitHub; the vault
    // opens their tokens in memory only.
    let github = psirt_jobs::github::GitHubSteps::connected(store.clone(), vault);
    jobs.spawn(|_, stop| async move {
        psirt_jobs::github::run(&github, now, Duration::from_secs(15), stop.wait()).await
    });
    match (&config.smtp_url, &config.mail_from) {
        (Some(url), Some(from)) => {
            let mut smtp = SmtpConfig::from_url(url).context("smtp_url")?;
            if let Some(ca) = &config.smtp_ca_file {
                smtp = smtp.with_ca_file(ca);
            }
            let delivery = Delivery {
                store: store.clone(),
                smtp: Smtp::new(&smtp).context("smtp_url")?,
                key: key.clone(),
                from: psirt_mail::Mailbox::new(Some("psirt"), from.clone()),
                worker: format!("{}:{}", hostname(), std::process::id()),
                lease: config.outbox_lease,
                first_retry: config.outbox_retry,
                clock: now,
            };
            tracing::info!(server = %url_host(url), "delivering the outbox");
            jobs.spawn(
                |_, stop| async move { delivery.run(Duration::from_secs(1), stop.wait()).await },
            );
        }
        _ => tracing::warn!("no smtp_url: mail waits in the outbox until one is configured"),
    }
    if let Some(url) = &config.imap_url {
        let mut imap = ImapConfig::from_url(url).context("imap_url")?;
        if let Some(ca) = &config.imap_ca_file {
            imap = imap.with_ca_file(ca);
        }
        let poller = Poller {
            store: store.clone(),
            key,
            config: imap,
            project: config.default_project.clone(),
            authserv_id: config.mail_authserv_id.clone(),
            clock: now,
            wait: Duration::from_secs(25 * 60),
        };
        tracing::info!(server = %url_host(url), "reading inbound mail");
        jobs.spawn(|_, stop| async move { poller.run(stop.wait()).await });
    }
    while jobs.tasks.join_next().await.is_some() {}
    Ok(())
}

/// The background jobs under way: each is handed its own handle on the
/// store and on the stop signal it runs until.
struct Jobs {
    tasks: tokio::task::JoinSet<()>,
    store: Store,
    stop: Stop,
}

impl Jobs {
    fn spawn<F>(&mut self, job: impl FnOnce(Store, Stop) -> F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.tasks.spawn(job(self.store.clone(), self.stop.clone()));
    }
}

/// A stop signal that the server and every job wait on: Ctrl-C (SIGINT).
#[derive(Clone)]
pub struct Stop(tokio::sync::watch::Receiver<bool>);

impl Stop {
    pub fn on_ctrl_c() -> Stop {
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            let _ = tx.send(true);
        });
        Stop(rx)
    }

    pub async fn wait(mut self) {
        let _ = self.0.wait_for(|stopped| *stopped).await;
    }
}

/// The host part of a mail server URL, for logs (never the credentials).
fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    rest.split(['/', '?']).next().unwrap_or("")
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "psirt".into())
}

#[cfg(test)]
mod tests {
    use super::url_host;

    #[test]
    fn logs_name_the_server_never_the_credentials() {
        assert_eq!(
            url_host("smtp://user:secret@mail.example.org:587"),
            "mail.example.org:587"
        );
        assert_eq!(
            url_host("imaps://u:p%40ss@imap.example.org/INBOX"),
            "imap.example.org"
        );
        assert_eq!(url_host("smtp://127.0.0.1:2525?tls=none"), "127.0.0.1:2525");
    }
}
