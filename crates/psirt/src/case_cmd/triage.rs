//! `psirt case triage` and `psirt case request-information`: the triage
//! commands from the shell, read the way the API reads them
//! (`psirt_server::triage`), with the project's canned reply unless
//! `--message` gives this case's own wording.

use anyhow::anyhow;
use clap::Args;
use psirt_core::{CannedReply, CaseRef, Command, TriageDecision};
use psirt_server::error::ApiError;
use psirt_store::Store;

/// The triage decision.
#[derive(Debug, Args)]
pub struct TriageArgs {
    pub reference: String,
    /// accepted, not_a_vulnerability, duplicate, moved_to_public_issue.
    #[arg(long)]
    pub outcome: String,
    /// confirmed (with accepted), out_of_scope, expected_behaviour,
    /// not_reproducible, hardening, known_issue, unsubstantiated.
    #[arg(long)]
    pub reason: String,
    /// The team's words, for the timeline and the reporter.
    #[arg(long)]
    pub text: String,
    /// What it duplicates: a case reference, a CVE or a GHSA id.
    #[arg(long)]
    pub duplicate_of: Option<String>,
    #[arg(long)]
    pub duplicate_url: Option<String>,
    /// The public issue the team filed (the reporter's consent recorded);
    /// without it, the reporter is offered the text to file it.
    #[arg(long)]
    pub issue_url: Option<String>,
    /// The reporter's message for this case (default: the project's
    /// canned reply).
    #[arg(long)]
    pub message: Option<String>,
}

fn api(e: ApiError) -> anyhow::Error {
    match e {
        ApiError::Invalid { field, reason } => {
            anyhow!(
                "--{}: {reason}",
                field.trim_start_matches("command.").replace('_', "-")
            )
        }
        other => anyhow!("{other:?}"),
    }
}

async fn template(
    store: &Store,
    reference: &str,
    reply: CannedReply,
    message: Option<String>,
) -> anyhow::Result<Option<String>> {
    if message.is_some() {
        return Ok(message);
    }
    let reference: CaseRef = reference.parse().map_err(|e| anyhow!("{e}"))?;
    Ok(store.reply_template_for_case(reference, reply).await?)
}

impl TriageArgs {
    pub async fn into_command(self, store: &Store) -> anyhow::Result<(String, Command)> {
        let outcome = psirt_server::triage::outcome(
            &self.outcome,
            self.duplicate_of,
            self.duplicate_url,
            self.issue_url,
        )
        .map_err(api)?;
        let reason = psirt_server::triage::reason(&self.reason).map_err(api)?;
        let reply = CannedReply::for_decision(&outcome, reason);
        let template = template(store, &self.reference, reply, self.message).await?;
        Ok((
            self.reference,
            Command::Triage(TriageDecision {
                outcome,
                reason,
                text: self.text,
                template,
            }),
        ))
    }
}

/// "Need more information": the case's clock stops until the reporter
/// answers.
pub async fn request_information(
    store: &Store,
    reference: String,
    questions: String,
    message: Option<String>,
) -> anyhow::Result<(String, Command)> {
    let template = template(store, &reference, CannedReply::NeedMoreInformation, message).await?;
    Ok((
        reference,
        Command::RequestInformation {
            questions,
            template,
        },
    ))
}
