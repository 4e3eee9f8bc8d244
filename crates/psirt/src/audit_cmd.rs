//! `psirt audit …`: checks the audit log's hash chain and answers "who saw
//! case X, and when".
//!
//! It only reads the log: checking it leaves no entry. It prints nothing
//! secret because the log holds nothing secret (see `psirt-store`'s
//! `audit.rs`).

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use psirt_core::CaseRef;
use psirt_store::{AuditReport, Store};

#[derive(Subcommand)]
pub enum AuditCmd {
    /// Walk the hash chain; exit 1 naming the first entry that was altered,
    /// removed or reordered.
    Verify,
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

pub async fn run(store: &Store, cmd: AuditCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        AuditCmd::Verify => match store.audit_verify().await? {
            AuditReport::Intact { entries, head } => {
                // The head is worth keeping elsewhere: a later verify that
                // ends in a different head means history was rewritten.
                println!("ok: {entries} entries, head {head}");
                Ok(ExitCode::SUCCESS)
            }
            AuditReport::Broken(at) => {
                eprintln!("error: the audit log is broken: {at}");
                Ok(ExitCode::FAILURE)
            }
        },
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
