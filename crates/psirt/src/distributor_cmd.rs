//! `psirt distributor`: the private distributors list from the command
//! line — applications, vouching, the embargo policy, the PST's decisions,
//! the people of an organisation, and the distributor's side of a case
//! (the cases notified, the notice, feedback, leaks, help).
//!
//! Every command but `found` acts as the person `--as` names, through the
//! same `Store` functions the server calls; this module decides nothing.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;
use psirt_core::{CaseRef, EmailAddress};
use psirt_store::{
    Application, Caller, CheckedKey, Delivery, DistributorOrg, FeedbackKind, HelpTopic, NewLeak,
    NewPerson, OrgDecision, Outcome, Principal, Store,
};
use serde::Deserialize;

use crate::config::Config;
use crate::term::safe;
use crate::time::parse_instant;

#[derive(Subcommand)]
pub enum DistributorCmd {
    /// Apply for the list from a TOML file: the organisation, one answer
    /// per membership criterion, the people (each with a key file) and the
    /// member who vouches.
    Apply {
        #[arg(long)]
        file: PathBuf,
    },
    /// As the member named as voucher: confirm the application.
    Vouch {
        org: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// As the member named as voucher: decline, with a reason.
    Decline {
        org: String,
        #[arg(long)]
        reason: String,
    },
    /// As a person of the organisation: accept the embargo policy.
    Accept { org: String },
    /// As the PST: approve an application the voucher confirmed.
    Approve { org: String },
    /// As the PST: reject an application, with the reason the applicant sees.
    Reject {
        org: String,
        #[arg(long)]
        reason: String,
    },
    /// As the PST: suspend an organisation (it receives and sees nothing).
    Suspend {
        org: String,
        #[arg(long)]
        reason: String,
    },
    /// As the PST: lift a suspension.
    Reinstate {
        org: String,
        #[arg(long)]
        reason: String,
    },
    /// As the PST: remove an organisation from the list, at once.
    Remove {
        org: String,
        #[arg(long)]
        reason: String,
    },
    /// As a member: add a person of your own team (they accept the policy themselves).
    AddPerson {
        org: String,
        #[command(flatten)]
        person: PersonArgs,
    },
    /// As a member of the organisation or the PST: remove a person.
    RemovePerson {
        org: String,
        #[arg(long)]
        email: String,
    },
    /// As the local administrator: enrol a founding member, someone already
    /// on the list before psirt (approved, acceptance given before psirt).
    Found {
        org: String,
        #[command(flatten)]
        person: PersonArgs,
    },
    /// As the PST: the project's organisations.
    List,
    /// An organisation, its people and its timeline.
    Show { org: String },
    /// As the PST: leaks per organisation.
    Leaks,
    /// As a distributor: the cases notified to your organisation, under embargo.
    Cases,
    /// As a distributor or on the case: the pre-notification.
    Notice { reference: String },
    /// As a notified distributor: record a review or test result.
    Feedback {
        reference: String,
        /// review or test
        #[arg(long, default_value = "test")]
        kind: String,
        /// issues-found or no-issues-found
        #[arg(long)]
        outcome: String,
        #[arg(long)]
        text: String,
    },
    /// Report a leak: what, to whom, when (opens the embargo-break assessment).
    Leak {
        reference: String,
        #[arg(long)]
        what: String,
        #[arg(long)]
        to_whom: String,
        /// When it leaked (an instant, or -2h style offsets); default now.
        #[arg(long)]
        when: Option<String>,
        /// The organisation responsible, where known.
        #[arg(long)]
        responsible: Option<String>,
    },
    /// As the PST or Fix Lead: ask the notified distributors for help.
    AskHelp {
        reference: String,
        /// announcement-draft or release-notes
        #[arg(long)]
        topic: String,
        #[arg(long)]
        text: String,
    },
    /// As a notified distributor: answer a request for help.
    Answer {
        reference: String,
        #[arg(long)]
        request: i64,
        #[arg(long)]
        text: String,
    },
    /// On the case: what distributors sent back, and who was notified.
    Status { reference: String },
}

/// The application file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApplicationFile {
    organisation: String,
    /// One answer per membership criterion, in the seed's order.
    answers: Vec<String>,
    list_address: Option<String>,
    voucher: String,
    people: Vec<PersonFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonFile {
    name: String,
    email: String,
    /// An ASCII-armored public key, relative to the application file.
    key_file: Option<PathBuf>,
}

/// A person of an organisation as the command line names them.
#[derive(clap::Args)]
pub struct PersonArgs {
    #[arg(long)]
    email: String,
    #[arg(long)]
    name: String,
    /// Their ASCII-armored OpenPGP public key.
    #[arg(long)]
    key: Option<PathBuf>,
}

impl PersonArgs {
    /// The person with their address checked and their key read.
    fn read(&self, now: jiff::Timestamp) -> anyhow::Result<NewPerson> {
        Ok(NewPerson {
            name: self.name.clone(),
            email: self.email.parse()?,
            key: self.key.as_deref().map(|k| read_key(k, now)).transpose()?,
        })
    }
}

fn read_key(path: &Path, now: jiff::Timestamp) -> anyhow::Result<CheckedKey> {
    let armored =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let key = psirt_mail::PublicKey::from_armored(&armored, now)
        .with_context(|| format!("{}", path.display()))?;
    CheckedKey::new(key.fingerprint().as_str(), &armored)
        .with_context(|| format!("{}", path.display()))
}

fn print_org(org: &DistributorOrg) {
    println!(
        "{} ({}): {}",
        safe(&org.name),
        org.project,
        org.state.as_str()
    );
    if let Some(reason) = &org.reason {
        println!("reason: {}", safe(reason));
    }
    if let Some(list) = &org.list_address {
        println!("list address: {list}");
    }
    if let Some(v) = &org.voucher {
        println!("voucher: {}", v.email);
    }
    for (i, answer) in org.answers.iter().enumerate() {
        println!("criterion {}: {}", i + 1, safe(answer));
    }
    for p in &org.people {
        let accepted = match (p.accepted_at, &p.accepted_via) {
            (Some(at), Some(via)) if via == "founding" => format!("accepted before psirt ({at})"),
            (Some(at), _) => format!("accepted {at}"),
            (None, _) => "has not accepted the embargo policy".into(),
        };
        let removed = p
            .removed_at
            .map(|at| format!(", removed {at}"))
            .unwrap_or_default();
        let key = match (&p.has_key, &p.key_pending) {
            (true, _) => "key on file".to_string(),
            (false, Some(fpr)) => format!("key {fpr} named, confirmed when they accept"),
            (false, None) => "no key".to_string(),
        };
        println!(
            "person: {} <{}>: {accepted}, {key}{removed}",
            safe(&p.name),
            p.user.email
        );
    }
    for e in &org.timeline {
        println!(
            "{}\t{}\t{}\t{}",
            e.at,
            safe(&e.actor),
            e.kind,
            safe(&e.detail)
        );
    }
}

pub async fn run(
    store: &Store,
    config: &Config,
    project: Option<String>,
    actor: Option<&str>,
    cmd: DistributorCmd,
    now: jiff::Timestamp,
) -> anyhow::Result<ExitCode> {
    let project = project.unwrap_or_else(|| config.default_project.clone());
    if let DistributorCmd::Found { org, person } = &cmd {
        let email = &person.email;
        let org = store
            .found_distributor(&project, org, person.read(now)?, now)
            .await?;
        println!(
            "{email} is a founding member of {} on {project}'s list",
            org.name
        );
        return Ok(ExitCode::SUCCESS);
    }
    let caller = match actor {
        Some(a) => Caller::cli(Principal::User(store.user_by_email(&a.parse()?).await?)),
        // Applying needs no account: the form is public.
        None if matches!(cmd, DistributorCmd::Apply { .. }) => Caller::cli(Principal::Anonymous),
        None => bail!("say who you are: --as EMAIL (or PSIRT_AS)"),
    };
    let org_id = |name: String| {
        let project = project.clone();
        async move { store.distributor_org_id(&project, &name).await }
    };
    let reference = |s: &str| -> anyhow::Result<CaseRef> { Ok(s.parse()?) };
    match cmd {
        DistributorCmd::Found { .. } => unreachable!("handled above"),
        DistributorCmd::Apply { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let parsed: ApplicationFile = toml::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{}: {}", file.display(), e.message()))?;
            let dir = file.parent().unwrap_or(Path::new("."));
            let mut people = Vec::new();
            for p in parsed.people {
                let key = p
                    .key_file
                    .map(|k| read_key(&dir.join(k), now))
                    .transpose()?;
                people.push(NewPerson {
                    name: p.name,
                    email: p
                        .email
                        .parse()
                        .with_context(|| format!("person_email {:?}", p.email))?,
                    key,
                });
            }
            let application = Application {
                project: project.clone(),
                organisation: parsed.organisation,
                answers: parsed.answers,
                list_address: parsed
                    .list_address
                    .map(|a| a.parse::<EmailAddress>())
                    .transpose()
                    .context("list_address")?,
                people,
                voucher: parsed.voucher.parse().context("voucher")?,
            };
            let org = store.apply_distributor(&caller, application, now).await?;
            println!(
                "{} applied to {project}'s distributors list; {} is asked to vouch",
                org.name,
                org.voucher.map(|v| v.email.to_string()).unwrap_or_default()
            );
        }
        DistributorCmd::Vouch { org, reason } => {
            let org = store
                .vouch_distributor(&caller, org_id(org).await?, reason.as_deref(), now)
                .await?;
            println!("you vouched for {}", org.name);
        }
        DistributorCmd::Decline { org, reason } => {
            let org = store
                .decline_distributor(&caller, org_id(org).await?, &reason, now)
                .await?;
            println!("you declined to vouch for {}", org.name);
        }
        DistributorCmd::Accept { org } => {
            let org = store
                .accept_embargo_policy(&caller, org_id(org).await?, now)
                .await?;
            println!("you accepted the embargo policy of {}", org.name);
        }
        cmd @ (DistributorCmd::Approve { .. }
        | DistributorCmd::Reject { .. }
        | DistributorCmd::Suspend { .. }
        | DistributorCmd::Reinstate { .. }
        | DistributorCmd::Remove { .. }) => {
            let (org, decision) = cmd.decision().expect("a PST's decision");
            let org = store
                .decide_distributor(&caller, org_id(org).await?, decision, now)
                .await?;
            println!("{} is {}", org.name, org.state.as_str());
        }
        DistributorCmd::AddPerson { org, person } => {
            let org = store
                .add_distributor_person(&caller, org_id(org).await?, person.read(now)?, now)
                .await?;
            println!(
                "{} added to {}; they see nothing until they accept the embargo policy",
                person.email, org.name
            );
        }
        DistributorCmd::RemovePerson { org, email } => {
            let org = store
                .remove_distributor_person(&caller, org_id(org).await?, &email.parse()?, now)
                .await?;
            println!("{email} removed from {}", org.name);
        }
        DistributorCmd::List => {
            for org in store.distributor_orgs(&caller, &project).await? {
                let current = org
                    .people
                    .iter()
                    .filter(|p| p.accepted_at.is_some() && p.removed_at.is_none())
                    .count();
                println!(
                    "{}\t{}\t{} of {} people accepted",
                    org.name,
                    org.state.as_str(),
                    current,
                    org.people.iter().filter(|p| p.removed_at.is_none()).count()
                );
            }
        }
        DistributorCmd::Show { org } => {
            print_org(&store.distributor_org(&caller, org_id(org).await?).await?);
        }
        DistributorCmd::Leaks => {
            for l in store.leak_counts(&caller, &project).await? {
                println!(
                    "{}\t{}\t{}",
                    safe(&l.organisation),
                    l.state.as_str(),
                    l.leaks
                );
            }
        }
        DistributorCmd::Cases => {
            for c in store.notified_cases(&caller, &project).await? {
                let until = c
                    .embargo_end
                    .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default();
                println!(
                    "{}\tembargoed until {until}\t{}",
                    c.reference,
                    safe(&c.summary)
                );
            }
        }
        DistributorCmd::Notice { reference: r } => {
            let notice = store.pre_notification(&caller, reference(&r)?).await?;
            println!("Subject: {}\n", safe(notice.subject.expose()));
            print!("{}", safe(notice.body.expose()));
        }
        DistributorCmd::Feedback {
            reference: r,
            kind,
            outcome,
            text,
        } => {
            let kind = FeedbackKind::parse(&kind)
                .with_context(|| format!("kind: {kind:?} is not review or test"))?;
            let outcome = Outcome::parse(&outcome).with_context(|| {
                format!("outcome: {outcome:?} is not issues-found or no-issues-found")
            })?;
            store
                .record_distributor_feedback(&caller, reference(&r)?, kind, outcome, &text, now)
                .await?;
            println!("{} result recorded on {r}", kind.as_str());
        }
        DistributorCmd::Leak {
            reference: r,
            what,
            to_whom,
            when,
            responsible,
        } => {
            let when = match when {
                Some(w) => parse_instant(&w, now).context("--when")?,
                None => now,
            };
            let record = store
                .report_leak(
                    &caller,
                    reference(&r)?,
                    NewLeak {
                        what,
                        to_whom,
                        when,
                        responsible,
                    },
                    now,
                )
                .await?;
            println!(
                "leak reported on {r}: the PST assesses the embargo break ({} reported)",
                record.case.embargo_breaks.len()
            );
        }
        DistributorCmd::AskHelp {
            reference: r,
            topic,
            text,
        } => {
            let topic = HelpTopic::parse(&topic).with_context(|| {
                format!("topic: {topic:?} is not announcement-draft or release-notes")
            })?;
            let id = store
                .ask_distributors_for_help(&caller, reference(&r)?, topic, &text, now)
                .await?;
            println!("request {id} on {r}");
        }
        DistributorCmd::Answer {
            reference: r,
            request,
            text,
        } => {
            store
                .answer_help_request(&caller, reference(&r)?, request, &text, now)
                .await?;
            println!("answer to request {request} recorded on {r}");
        }
        DistributorCmd::Status { reference: r } => {
            let r = reference(&r)?;
            for n in store.distributor_notifications(&caller, r).await? {
                let state = match n.delivery {
                    Delivery::Notified => "notified".to_string(),
                    Delivery::Pending => "pending".to_string(),
                    Delivery::NotNotified(why) => format!("not notified: {why}"),
                };
                println!("{}\t{}\t{state}", n.organisation, n.email);
            }
            for f in store.distributor_feedback(&caller, r).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    f.organisation,
                    f.by,
                    f.kind,
                    f.outcome.map(|o| o.as_str()).unwrap_or(""),
                    f.text.expose()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

impl DistributorCmd {
    /// The PST's decision this command asks for, on which organisation.
    fn decision(self) -> Option<(String, OrgDecision)> {
        Some(match self {
            DistributorCmd::Approve { org } => (org, OrgDecision::Approve),
            DistributorCmd::Reject { org, reason } => (org, OrgDecision::Reject { reason }),
            DistributorCmd::Suspend { org, reason } => (org, OrgDecision::Suspend { reason }),
            DistributorCmd::Reinstate { org, reason } => (org, OrgDecision::Reinstate { reason }),
            DistributorCmd::Remove { org, reason } => (org, OrgDecision::Remove { reason }),
            _ => return None,
        })
    }
}
