//! `psirt audit …`: checks the audit log's hash chain, against an earlier
//! head or a signed checkpoint when one was kept, prints the head and
//! signed checkpoints, and answers "who saw case X, and when".
//!
//! It only reads the log: checking it leaves no entry. It prints nothing
//! secret because the log holds nothing secret (see `psirt-store`'s
//! `audit.rs`); a checkpoint holds a sequence number, a hash and a time.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;
use psirt_core::CaseRef;
use psirt_store::{AuditReport, Checkpoint, Store, Witnessed};

use crate::config::Config;

#[derive(Subcommand)]
pub enum AuditCmd {
    /// Walk the hash chain; exit 1 naming the first entry that was altered,
    /// removed or reordered, or, with a witness (an earlier head or a
    /// signed checkpoint), when the chain no longer holds what it saw.
    Verify {
        /// An earlier head, SEQ:HASH as `psirt audit head` printed it (or
        /// the hash alone): fails if the log was truncated or rewritten
        /// since.
        #[arg(long, value_name = "SEQ:HASH", conflicts_with = "checkpoint")]
        expect_head: Option<String>,
        /// A checkpoint `psirt audit checkpoint` printed or the daily mail
        /// carried (the saved message will do): its signature is checked,
        /// then the head it states, as with --expect-head.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// The instance's public key to check the checkpoint with, as kept
        /// apart from the database (default: the key in the database).
        #[arg(long, value_name = "FILE", requires = "checkpoint")]
        key: Option<PathBuf>,
    },
    /// Print the chain's head as SEQ:HASH, to keep for `verify --expect-head`.
    Head,
    /// Print the head (sequence, hash, time) as a statement signed with the
    /// instance key, to keep for `verify --checkpoint`.
    Checkpoint,
    /// Who saw or changed a case, and when, oldest first.
    Show {
        /// The case reference (PSIRT-YYYY-NNNN).
        #[arg(long = "case")]
        case: String,
        /// One JSON object per line instead of tab-separated columns.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(store: &Store, config: &Config, cmd: AuditCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        AuditCmd::Verify {
            expect_head,
            checkpoint,
            key,
        } => {
            let witnessed = match (expect_head, checkpoint) {
                (Some(head), _) => Some(head.parse::<Witnessed>()?),
                (None, Some(file)) => Some(checked_checkpoint(store, &file, key.as_deref()).await?),
                (None, None) => None,
            };
            let report = match &witnessed {
                Some(w) => store.audit_verify_against(w).await?,
                None => store.audit_verify().await?,
            };
            match report {
                AuditReport::Intact { entries, head } => {
                    // The head is worth keeping elsewhere: a later verify
                    // against it fails if history was rewritten.
                    println!("ok: {entries} entries, head {head}");
                    if let Some(w) = witnessed {
                        let seen = match w {
                            Witnessed::Head(h) => h.to_string(),
                            Witnessed::Hash(h) => h,
                        };
                        println!("ok: the log still holds the witnessed entry {seen}");
                    }
                    Ok(ExitCode::SUCCESS)
                }
                AuditReport::Broken(at) => {
                    eprintln!("error: the audit log is broken: {at}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        AuditCmd::Head => {
            println!("{}", store.audit_head().await?);
            Ok(ExitCode::SUCCESS)
        }
        AuditCmd::Checkpoint => {
            let key = crate::kek::instance_key(store, &config.kek).await?;
            print!(
                "{}",
                psirt_jobs::checkpoint::signed(store, &key, crate::time::now()).await?
            );
            Ok(ExitCode::SUCCESS)
        }
        AuditCmd::Show { case, json } => {
            let case: CaseRef = case.parse().context("--case")?;
            let records = store.audit_show(case).await?;
            if records.is_empty() {
                eprintln!("no audit entries name {case}");
            }
            for r in records {
                if json {
                    println!(
                        "{}",
                        serde_json::json!({
                            "seq": r.seq,
                            "at": r.at.to_string(),
                            "actor": r.actor,
                            "action": r.action,
                            "case": r.case.map(|c| c.to_string()),
                            "origin": r.origin,
                            "detail": r.detail,
                        })
                    );
                } else {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        r.seq, r.at, r.actor, r.action, r.origin, r.detail
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The head a checkpoint file states, once its signature verifies with the
/// instance's public key (from `key_file`, or the database) and it names
/// that key.
async fn checked_checkpoint(
    store: &Store,
    file: &std::path::Path,
    key_file: Option<&std::path::Path>,
) -> anyhow::Result<Witnessed> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("reading the checkpoint {}", file.display()))?;
    let key = match key_file {
        Some(path) => {
            let armored = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            psirt_mail::PublicKey::from_armored(&armored, crate::time::now())
                .with_context(|| format!("{}", path.display()))?
        }
        None => match store.instance_key().await? {
            Some(armored) => psirt_mail::InstanceKey::public_of_armored_secret(&armored)
                .context("reading the stored instance key")?,
            None => bail!("this instance has no key yet, so it signed no checkpoint"),
        },
    };
    let statement = psirt_mail::verify_cleartext(&text, &key).with_context(|| {
        format!(
            "the checkpoint {} is not signed by the instance key {}: refused",
            file.display(),
            key.fingerprint()
        )
    })?;
    let checkpoint = Checkpoint::parse(&statement)
        .with_context(|| format!("the checkpoint {}", file.display()))?;
    if checkpoint.instance != key.fingerprint().as_str() {
        bail!(
            "the checkpoint {} names the instance key {}, not {}",
            file.display(),
            checkpoint.instance,
            key.fingerprint()
        );
    }
    Ok(Witnessed::Head(checkpoint.head))
}
