//! `psirt case …`: every case operation of the engine, from a shell.
//!
//! Each subcommand resolves its arguments into a `psirt_core::Command` and
//! hands it to the store, acting as the user named by `--as` (reports are
//! taken in by psirt itself). Output is a short human summary, or with
//! `--json` the same case view the API returns.

use std::io::Read;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use psirt_core::{CaseRef, Command, Credit, CreditKind, DistributorDecision};
use psirt_server::views::{AgendaView, CaseView, MilestoneView, RecordView};
use psirt_store::{Caller, CaseRecord, Principal, Store};

use crate::config::Config;
use crate::term::safe;
use crate::time::parse_instant;

mod lists;
mod print;
mod report;
mod triage;

use lists::PageArgs;
pub(crate) use print::read_stdin;
use print::*;

#[derive(Args)]
pub struct CaseArgs {
    /// Act as this user (their e-mail address).
    #[arg(long = "as", global = true, env = "PSIRT_AS")]
    actor: Option<String>,
    /// Record the command as of this instant instead of the clock (imports,
    /// tests); it may not be earlier than the case's last event.
    #[arg(long, global = true, env = "PSIRT_NOW")]
    now: Option<String>,
    /// Allow `--now` more than 5 minutes ahead of the clock (an import).
    #[arg(long, global = true, env = "PSIRT_IMPORT")]
    import: bool,
    /// Print the result as JSON.
    #[arg(long, global = true)]
    json: bool,
    /// Refuse unless the case is still at this version (its event count).
    #[arg(long, global = true)]
    expect_version: Option<u64>,
    #[command(subcommand)]
    command: CaseCmd,
}

#[derive(Subcommand)]
enum CaseCmd {
    /// Take in a new report (as psirt's intake does) and acknowledge it.
    Report(report::ReportArgs),
    /// Show a case with its milestones and timeline.
    Show { reference: String },
    /// List the cases you may see, one page at a time (oldest first).
    List {
        /// Include closed cases (the same as `--state all`).
        #[arg(long)]
        all: bool,
        /// `open` (the default), `closed`, `released` or `all`.
        #[arg(long, conflicts_with = "all")]
        state: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// What is overdue, due soon and next on the open cases, one page at a
    /// time (most pressing first).
    Dues {
        /// The instant to evaluate at (default: now).
        #[arg(long)]
        at: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Assign the Fix Lead: the next in the round-robin, or `--lead` with a reason.
    Assign {
        reference: String,
        #[arg(long)]
        lead: Option<String>,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Form the Fix Team (Fix Lead only); the lead is always on it.
    Team {
        reference: String,
        #[arg(long = "member")]
        members: Vec<String>,
    },
    /// Add one person to the Fix Team.
    TeamAdd {
        reference: String,
        #[arg(long)]
        member: String,
    },
    /// Remove one person from the Fix Team.
    TeamRemove {
        reference: String,
        #[arg(long)]
        member: String,
        #[arg(long)]
        reason: String,
    },
    /// Propose a CVSS vector.
    CvssPropose { reference: String, vector: String },
    /// Make a CVSS vector final (Fix Lead only).
    CvssFinalize { reference: String, vector: String },
    /// Record a fix commit.
    Commit {
        reference: String,
        commit: String,
        #[arg(long)]
        author: String,
        #[arg(long)]
        url: Option<String>,
    },
    /// Give your LGTM on a fix commit (as the maintainer named by --as).
    Lgtm { reference: String, commit: String },
    /// Tell the Fix Lead the fix branch is complete (every commit has an LGTM).
    FixReady { reference: String },
    /// Take back "fix ready", with a reason.
    ReopenFix {
        reference: String,
        #[arg(long)]
        reason: String,
    },
    /// Record mitigation steps users can take before the fix.
    Mitigation {
        reference: String,
        #[arg(long)]
        steps: String,
    },
    /// Publish the forthcoming-fix notice.
    Notice {
        reference: String,
        #[arg(long)]
        release_date: String,
        #[arg(long)]
        mitigation: String,
        #[arg(long)]
        link: Option<String>,
    },
    /// Record the decision on pre-notifying distributors.
    Distributors {
        reference: String,
        #[arg(long, conflicts_with = "skip", required_unless_present = "skip")]
        notify: bool,
        #[arg(long)]
        skip: bool,
        #[arg(long)]
        rationale: String,
        /// When the embargo ends; with a policy that has an announcement
        /// time, the suggested instant by default.
        #[arg(long)]
        embargo_end: Option<String>,
        #[arg(long)]
        long_embargo_reason: Option<String>,
        /// Why the embargo ends off the policy's announcement time.
        #[arg(long)]
        off_slot_reason: Option<String>,
    },
    /// Send the pre-notification with the patches (files or text).
    NotifyDistributors {
        reference: String,
        #[arg(long = "patch", required = true)]
        patches: Vec<String>,
        /// The affected versions, as the notice shows them (e.g. ">= 1.9.0, < 1.11.2").
        #[arg(long = "affected")]
        affected_versions: Option<String>,
        /// The fixed versions, as the notice shows them.
        #[arg(long = "fixed")]
        fixed_versions: Option<String>,
    },
    /// Follow an upstream project's embargo date for the release.
    UpstreamEmbargo {
        reference: String,
        #[arg(long)]
        upstream: String,
        #[arg(long)]
        until: String,
    },
    /// Record that the vulnerability is public: every due time becomes ASAP.
    Public {
        reference: String,
        #[arg(long)]
        link: Option<String>,
    },
    /// Record that the reporter was asked to handle a public report privately.
    AskPrivate { reference: String },
    /// Record the reporter's answer to that request.
    PrivateAnswer {
        reference: String,
        #[arg(long, conflicts_with = "refused", required_unless_present = "refused")]
        agreed: bool,
        #[arg(long)]
        refused: bool,
    },
    /// Slow a low-severity case down (recorded decision).
    SlowDown {
        reference: String,
        #[arg(long)]
        reason: String,
        /// Link to the discussion (URL, mailto: or <Message-ID>).
        #[arg(long)]
        discussion: String,
        /// How far to move the pending due times (default: the policy's).
        #[arg(long, conflicts_with = "holidays")]
        extension: Option<String>,
        /// Slow down for the holidays of the project's calendar before the
        /// release is due: one day per holiday.
        #[arg(long)]
        holidays: bool,
    },
    /// Report an embargo break: what leaked, to whom, when.
    EmbargoBreak {
        reference: String,
        #[arg(long)]
        what: String,
        #[arg(long)]
        to_whom: String,
        #[arg(long)]
        when: String,
    },
    /// The PST's assessment of the break: --release-early (at --release-at,
    /// default now; the notified distributors are told) or --keep-plan.
    #[command(group(clap::ArgGroup::new("choice").required(true).args(["release_early", "keep_plan"])))]
    AssessBreak {
        reference: String,
        /// Release earlier than planned.
        #[arg(long)]
        release_early: bool,
        /// The new public date when releasing early (an instant or +2h).
        #[arg(long, requires = "release_early")]
        release_at: Option<String>,
        /// Continue with the plan: no earlier release.
        #[arg(long)]
        keep_plan: bool,
        #[arg(long)]
        reason: String,
    },
    /// Record a CVE id.
    Cve { reference: String, cve: String },
    /// Release without a CVE, with the reason.
    CveWaive {
        reference: String,
        #[arg(long)]
        reason: String,
    },
    /// Draft the release announcement (`--text -` reads standard input).
    Announce {
        reference: String,
        #[arg(long)]
        text: String,
    },
    /// Release: the new version, the last release it is built on, the commits picked onto it.
    Release {
        reference: String,
        #[arg(long)]
        version: String,
        #[arg(long)]
        base: String,
        #[arg(long = "pick", required = true)]
        picks: Vec<String>,
        /// The agreed public instant (an instant or +2h), if not now or the
        /// embargo's end: the case is published then.
        #[arg(long)]
        public_at: Option<String>,
    },
    /// Credit someone (or the reporter, anonymously).
    Credit {
        reference: String,
        #[arg(
            long,
            conflicts_with = "anonymous",
            required_unless_present = "anonymous"
        )]
        name: Option<String>,
        #[arg(long)]
        anonymous: bool,
        /// finder, reporter, analyst, coordinator, remediation_developer, …
        #[arg(long = "type", default_value = "reporter")]
        kind: String,
    },
    /// Record an exported advisory (format and where it lives).
    Advisory {
        reference: String,
        #[arg(long)]
        format: String,
        #[arg(long)]
        location: String,
    },
    /// Record the retrospective (where the policy has one).
    Retrospective {
        reference: String,
        #[arg(long)]
        notes: String,
    },
    /// Close a released case.
    Close { reference: String },
    /// Triage the report: accept it, close it (not a vulnerability, a
    /// duplicate) or move it to a public issue, with a reason.
    Triage(triage::TriageArgs),
    /// Record that the reporter agreed that the team files the report as a
    /// public issue (--how: where they said so).
    PublicFilingConsent {
        reference: String,
        #[arg(long)]
        how: String,
    },
    /// Ask the reporter for more information: the case's clock stops until
    /// they answer, and it closes without an answer after the policy's
    /// information_window.
    RequestInformation {
        reference: String,
        #[arg(long)]
        questions: String,
        #[arg(long)]
        message: Option<String>,
    },
    #[command(flatten)]
    Record(crate::record_cmd::RecordCmd),
    /// Print the case's advisory: osv, cve5, csaf or markdown.
    Export {
        reference: String,
        #[arg(long)]
        format: String,
    },
}

pub async fn run(store: &Store, config: &Config, args: CaseArgs) -> anyhow::Result<ExitCode> {
    let clock = crate::time::now();
    let now =
        crate::time::command_instant(args.now.as_deref(), args.import, clock).context("--now")?;
    let json = args.json;
    let expect = args.expect_version;

    // Intake is psirt's own act; everything else is done as a person.
    if let CaseCmd::Report(report) = args.command {
        let intake = report.take_in(store, config, now).await?;
        return output(store, &intake.record, json, "reported and acknowledged").await;
    }

    let actor = args
        .actor
        .as_deref()
        .context("say who you are: --as EMAIL (or PSIRT_AS)")?;
    let user = store.user_by_email(&actor.parse()?).await?;
    let principal = Caller::cli(Principal::User(user));
    let r = |s: &str| -> anyhow::Result<CaseRef> { Ok(s.parse()?) };
    let user_id =
        |email: String| async move { anyhow::Ok(store.user_by_email(&email.parse()?).await?.id) };

    let (reference, command) = match args.command {
        CaseCmd::Report(_) => unreachable!("handled above"),
        CaseCmd::List { all, state, page } => {
            lists::list(store, &principal, all, state, page, json).await?;
            return Ok(ExitCode::SUCCESS);
        }
        CaseCmd::Dues { at, page } => {
            let at = match at {
                Some(t) => parse_instant(&t, clock)?,
                None => now,
            };
            lists::dues(store, &principal, at, page, json).await?;
            return Ok(ExitCode::SUCCESS);
        }
        CaseCmd::Show { reference } => {
            let record = store.case(&principal, r(&reference)?).await?;
            return output(store, &record, json, "").await;
        }
        CaseCmd::Assign {
            reference,
            lead,
            reason,
        } => {
            let lead = match lead {
                Some(email) => Some(user_id(email).await?),
                None => None,
            };
            (
                reference,
                Command::AssignFixLead {
                    lead,
                    override_reason: reason,
                },
            )
        }
        CaseCmd::Team { reference, members } => {
            let mut ids = Vec::new();
            for m in members {
                ids.push(user_id(m).await?);
            }
            (reference, Command::FormFixTeam { members: ids })
        }
        CaseCmd::TeamAdd { reference, member } => (
            reference,
            Command::AddFixTeamMember {
                member: user_id(member).await?,
            },
        ),
        CaseCmd::TeamRemove {
            reference,
            member,
            reason,
        } => (
            reference,
            Command::RemoveFixTeamMember {
                member: user_id(member).await?,
                reason,
            },
        ),
        CaseCmd::CvssPropose { reference, vector } => (
            reference,
            Command::ProposeCvss {
                vector: vector.parse()?,
            },
        ),
        CaseCmd::CvssFinalize { reference, vector } => (
            reference,
            Command::FinalizeCvss {
                vector: vector.parse()?,
            },
        ),
        CaseCmd::Commit {
            reference,
            commit,
            author,
            url,
        } => {
            let author_user = store.identify(&author).await?;
            (
                reference,
                Command::AddFixCommit {
                    commit: commit.parse()?,
                    author,
                    author_user,
                    url,
                },
            )
        }
        CaseCmd::Lgtm { reference, commit } => (
            reference,
            Command::ApproveCommit {
                commit: commit.parse()?,
            },
        ),
        CaseCmd::FixReady { reference } => (reference, Command::MarkFixReady),
        CaseCmd::ReopenFix { reference, reason } => (reference, Command::ReopenFix { reason }),
        CaseCmd::Mitigation { reference, steps } => {
            (reference, Command::RecordMitigation { steps })
        }
        CaseCmd::Notice {
            reference,
            release_date,
            mitigation,
            link,
        } => (
            reference,
            Command::PublishNotice {
                estimated_release: parse_instant(&release_date, now).context("--release-date")?,
                mitigation,
                link,
            },
        ),
        CaseCmd::Distributors {
            reference,
            notify,
            skip: _,
            rationale,
            embargo_end,
            long_embargo_reason,
            off_slot_reason,
        } => {
            let embargo_end = embargo_end
                .map(|t| parse_instant(&t, now))
                .transpose()
                .context("--embargo-end")?;
            (
                reference,
                Command::DecideDistributors(DistributorDecision {
                    notify,
                    rationale,
                    embargo_end,
                    long_embargo_reason,
                    off_slot_reason,
                }),
            )
        }
        CaseCmd::NotifyDistributors {
            reference,
            patches,
            affected_versions,
            fixed_versions,
        } => {
            let patches = patches
                .into_iter()
                .map(|p| match std::fs::read_to_string(&p) {
                    Ok(text) => text,
                    Err(_) => p,
                })
                .collect();
            (
                reference,
                Command::NotifyDistributors {
                    patches,
                    affected_versions,
                    fixed_versions,
                },
            )
        }
        CaseCmd::UpstreamEmbargo {
            reference,
            upstream,
            until,
        } => (
            reference,
            Command::SetUpstreamEmbargo {
                upstream,
                until: parse_instant(&until, now).context("--until")?,
            },
        ),
        CaseCmd::Public { reference, link } => (reference, Command::MarkPubliclyDisclosed { link }),
        CaseCmd::AskPrivate { reference } => (reference, Command::RequestPrivateHandling),
        CaseCmd::PrivateAnswer {
            reference,
            agreed,
            refused: _,
        } => (reference, Command::RecordPrivateHandlingAnswer { agreed }),
        CaseCmd::SlowDown {
            reference,
            reason,
            discussion,
            holidays: true,
            ..
        } => (
            reference,
            Command::SlowDownForHolidays { reason, discussion },
        ),
        CaseCmd::SlowDown {
            reference,
            reason,
            discussion,
            extension,
            holidays: false,
        } => {
            let extension = extension
                .map(|e| e.parse())
                .transpose()
                .context("--extension")?;
            (
                reference,
                Command::SlowDown {
                    reason,
                    discussion,
                    extension,
                },
            )
        }
        CaseCmd::EmbargoBreak {
            reference,
            what,
            to_whom,
            when,
        } => (
            reference,
            Command::ReportEmbargoBreak {
                what,
                to_whom,
                when: parse_instant(&when, now).context("--when")?,
            },
        ),
        CaseCmd::AssessBreak {
            reference,
            release_early,
            release_at,
            keep_plan: _,
            reason,
        } => (
            reference,
            Command::AssessEmbargoBreak {
                release_early,
                reason,
                release_at: release_at
                    .map(|t| parse_instant(&t, now))
                    .transpose()
                    .context("--release-at")?,
            },
        ),
        CaseCmd::Cve { reference, cve } => (reference, Command::RecordCve { cve: cve.parse()? }),
        CaseCmd::CveWaive { reference, reason } => (reference, Command::WaiveCve { reason }),
        CaseCmd::Announce { reference, text } => {
            let text = if text == "-" { read_stdin()? } else { text };
            (reference, Command::DraftAnnouncement { text })
        }
        CaseCmd::Release {
            reference,
            version,
            base,
            picks,
            public_at,
        } => {
            let cherry_picks = picks.iter().map(|p| p.parse()).collect::<Result<_, _>>()?;
            let public_at = public_at
                .map(|t| parse_instant(&t, now))
                .transpose()
                .context("--public-at")?;
            (
                reference,
                Command::Release {
                    version,
                    base_release: base,
                    cherry_picks,
                    public_at,
                },
            )
        }
        CaseCmd::Credit {
            reference,
            name,
            anonymous: _,
            kind,
        } => {
            let kind = CreditKind::parse(&kind).with_context(|| {
                let all: Vec<&str> = CreditKind::ALL.iter().map(|k| k.as_str()).collect();
                format!("--type: {kind:?} is not one of {}", all.join(", "))
            })?;
            (reference, Command::RecordCredit(Credit { name, kind }))
        }
        CaseCmd::Advisory {
            reference,
            format,
            location,
        } => (reference, Command::RecordAdvisory { format, location }),
        CaseCmd::Retrospective { reference, notes } => {
            (reference, Command::HoldRetrospective { notes })
        }
        CaseCmd::Close { reference } => (reference, Command::Close),
        CaseCmd::Triage(args) => args.into_command(store).await?,
        CaseCmd::PublicFilingConsent { reference, how } => {
            (reference, Command::RecordPublicFilingConsent { how })
        }
        CaseCmd::RequestInformation {
            reference,
            questions,
            message,
        } => triage::request_information(store, reference, questions, message).await?,
        CaseCmd::Record(edit) => edit.into_command()?,
        CaseCmd::Export { reference, format } => {
            return crate::record_cmd::export(
                store,
                config,
                &principal,
                r(&reference)?,
                &format,
                now,
            )
            .await;
        }
    };
    let reference = r(&reference)?;
    let name = command.operation().as_str();
    let record = store
        .execute(&principal, reference, command, expect, now)
        .await?;
    output(store, &record, json, name).await
}
