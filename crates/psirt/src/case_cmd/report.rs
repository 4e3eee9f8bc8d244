//! `psirt case report`: a report taken in from the shell as psirt's
//! intake takes one in, by psirt itself rather than a person, and
//! acknowledged; the reporter's status token is shown once.

use anyhow::{Context, bail};
use clap::Args;
use psirt_core::{NewReport, Reporter, Secret};
use psirt_store::{Intake, Store};

use super::print::read_stdin;
use crate::config::Config;

/// The report: its summary and details, the project, and who reported it.
#[derive(Args)]
pub struct ReportArgs {
    #[arg(long)]
    summary: String,
    /// The details; `-` reads them from standard input.
    #[arg(long, conflicts_with = "details_file")]
    details: Option<String>,
    #[arg(long)]
    details_file: Option<std::path::PathBuf>,
    #[arg(long)]
    project: Option<String>,
    #[arg(long)]
    reporter_name: Option<String>,
    #[arg(long)]
    reporter_email: Option<String>,
    /// The vulnerability is already public (all due times become ASAP).
    #[arg(long)]
    already_public: bool,
    /// Where it was made public.
    #[arg(long, requires = "already_public")]
    public_link: Option<String>,
}

impl ReportArgs {
    /// Takes the report in at `now` (on the configured default project
    /// unless `--project` names one) and tells the status token on stderr.
    pub(super) async fn take_in(
        self,
        store: &Store,
        config: &Config,
        now: jiff::Timestamp,
    ) -> anyhow::Result<Intake> {
        let details = match (self.details, self.details_file) {
            (Some(d), _) if d == "-" => read_stdin()?,
            (Some(d), _) => d,
            (None, Some(path)) => std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?,
            (None, None) => bail!("--details or --details-file is required"),
        };
        let reporter = match (self.reporter_name, self.reporter_email) {
            (None, None) => None,
            (name, email) => Some(Reporter {
                name,
                email: email.map(|e| e.parse()).transpose()?,
            }),
        };
        let report = NewReport {
            project: self
                .project
                .unwrap_or_else(|| config.default_project.clone()),
            summary: self.summary,
            details: Secret::new(details),
            reporter,
            public_link: self.public_link,
            already_public: self.already_public,
            ai_assisted: false,
        };
        let intake = store.report(report, "cli", now).await?;
        eprintln!(
            "the reporter's status token (shown once; their link is /api/v1/status/TOKEN): {}",
            intake.status_token.reveal()
        );
        Ok(intake)
    }
}
