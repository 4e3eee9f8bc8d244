//! `psirt case product|cwe|describe|reference|alias …` (the advisory
//! record, one edit each, with `-remove` twins) and `psirt case export`.
//!
//! Each edit becomes a `Command::EditRecord` that the store decides like
//! any other command; the export reads the case through `Store::case`
//! (authorized, audited) and renders it with `psirt-formats`.

use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;
use psirt_core::{
    AffectedProduct, Command, RangeKind, RecordEdit, Reference, ReferenceKind, VersionRange,
    Weakness,
};
use psirt_formats::{Format, Publisher};
use psirt_store::{Caller, Store};

use crate::config::Config;

#[derive(Subcommand)]
pub enum RecordCmd {
    /// Add (or replace) an affected product of the advisory record.
    Product {
        reference: String,
        /// The package's name in its ecosystem.
        #[arg(long)]
        package: String,
        /// An OSV ecosystem: Go, npm, PyPI, crates.io, Maven, …
        #[arg(long)]
        ecosystem: String,
        /// A package URL without a version (pkg:golang/github.com/…).
        #[arg(long)]
        purl: Option<String>,
        /// KIND:INTRODUCED..FIXED, KIND:INTRODUCED..=LAST_AFFECTED or
        /// KIND:INTRODUCED.. with KIND semver, ecosystem or git; `0` is
        /// the first version (repeatable).
        #[arg(long = "range", required = true)]
        ranges: Vec<String>,
        /// The repository of the git ranges.
        #[arg(long)]
        repo: Option<String>,
        /// A release branch that needs the fix (repeatable).
        #[arg(long = "branch")]
        branches: Vec<String>,
    },
    /// Remove an affected product.
    ProductRemove {
        reference: String,
        #[arg(long)]
        package: String,
        #[arg(long)]
        ecosystem: String,
    },
    /// Record a weakness: `CWE-400 --name "Uncontrolled Resource Consumption"`.
    Cwe {
        reference: String,
        cwe: String,
        /// The weakness's name as MITRE's CWE list gives it.
        #[arg(long)]
        name: String,
    },
    CweRemove {
        reference: String,
        cwe: String,
    },
    /// The advisory's public title, description (Markdown) and impact.
    Describe {
        reference: String,
        #[arg(long)]
        title: Option<String>,
        /// `-` reads it from standard input.
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        impact: Option<String>,
    },
    /// Add a typed reference: fix_commit, pull_request, issue, report,
    /// advisory, announcement or web.
    Reference {
        reference: String,
        #[arg(long = "type")]
        kind: String,
        url: String,
    },
    ReferenceRemove {
        reference: String,
        url: String,
    },
    /// An id given elsewhere: GHSA, a distribution's tracker.
    Alias {
        reference: String,
        alias: String,
    },
    AliasRemove {
        reference: String,
        alias: String,
    },
}

impl RecordCmd {
    /// The case it edits and the command.
    pub fn into_command(self) -> anyhow::Result<(String, Command)> {
        let (reference, edit) = match self {
            RecordCmd::Product {
                reference,
                package,
                ecosystem,
                purl,
                ranges,
                repo,
                branches,
            } => {
                let purl = purl.map(|p| p.parse()).transpose().context("--purl")?;
                let ranges = ranges
                    .iter()
                    .map(|r| range(r, repo.as_deref()))
                    .collect::<anyhow::Result<_>>()?;
                (
                    reference,
                    RecordEdit::SetProduct(AffectedProduct {
                        package,
                        ecosystem,
                        purl,
                        ranges,
                        branches,
                    }),
                )
            }
            RecordCmd::ProductRemove {
                reference,
                package,
                ecosystem,
            } => (reference, RecordEdit::RemoveProduct { package, ecosystem }),
            RecordCmd::Cwe {
                reference,
                cwe,
                name,
            } => (
                reference,
                RecordEdit::AddWeakness(Weakness {
                    cwe: cwe.parse().context("CWE")?,
                    name,
                }),
            ),
            RecordCmd::CweRemove { reference, cwe } => (
                reference,
                RecordEdit::RemoveWeakness {
                    cwe: cwe.parse().context("CWE")?,
                },
            ),
            RecordCmd::Describe {
                reference,
                title,
                description,
                impact,
            } => {
                let description = match description.as_deref() {
                    Some("-") => Some(crate::case_cmd::read_stdin()?),
                    _ => description,
                };
                (
                    reference,
                    RecordEdit::Describe {
                        title,
                        description,
                        impact,
                    },
                )
            }
            RecordCmd::Reference {
                reference,
                kind,
                url,
            } => {
                let kind = ReferenceKind::parse(&kind).with_context(|| {
                    let all: Vec<&str> = ReferenceKind::ALL.iter().map(|k| k.as_str()).collect();
                    format!("--type: {kind:?} is not one of {}", all.join(", "))
                })?;
                (reference, RecordEdit::AddReference(Reference { kind, url }))
            }
            RecordCmd::ReferenceRemove { reference, url } => {
                (reference, RecordEdit::RemoveReference { url })
            }
            RecordCmd::Alias { reference, alias } => (reference, RecordEdit::AddAlias { alias }),
            RecordCmd::AliasRemove { reference, alias } => {
                (reference, RecordEdit::RemoveAlias { alias })
            }
        };
        Ok((reference, Command::EditRecord(edit)))
    }
}

/// `semver:1.9.0..1.11.2`, `git:0..COMMIT` (with `--repo`).
fn range(text: &str, repo: Option<&str>) -> anyhow::Result<VersionRange> {
    let (kind, rest) = text.split_once(':').with_context(|| {
        format!("--range {text:?}: write KIND:RANGE, e.g. semver:1.9.0..1.11.2")
    })?;
    let Some(kind) = RangeKind::parse(kind) else {
        bail!("--range {text:?}: {kind:?} is not one of semver, ecosystem, git");
    };
    let repo = (kind == RangeKind::Git)
        .then(|| repo.map(str::to_string))
        .flatten();
    VersionRange::parse(kind, repo, rest).map_err(|e| anyhow::anyhow!("--range: {e}"))
}

/// `psirt case export REF --format F`: the advisory on standard output.
pub async fn export(
    store: &Store,
    config: &Config,
    caller: &Caller,
    reference: psirt_core::CaseRef,
    format: &str,
    now: jiff::Timestamp,
) -> anyhow::Result<ExitCode> {
    let Some(format) = Format::parse(format) else {
        bail!("--format: {format:?} is not one of osv, cve5, csaf, markdown");
    };
    let record = store.case(caller, reference).await?;
    let publisher = Publisher {
        name: &record.case.project,
        namespace: &config.public_url,
        cna_org_id: config.cna_org_id.as_deref(),
    };
    let body = psirt_formats::export(&record.case, format, &publisher, now)?;
    println!("{}", body.trim_end());
    Ok(ExitCode::SUCCESS)
}
