//! The `psirt` command: serve, administer, and walk cases through the
//! security release process from a shell.
//!
//! This binary owns argument parsing, configuration, output formatting and
//! exit codes (2: usage error, 1: refused or failed). It calls the same
//! `psirt-store` service layer the server uses, so no rule is written twice.

mod audit_cmd;
mod backup_cmd;
mod case_cmd;
mod config;
mod cvss_cmd;
mod distributor_cmd;
mod kek;
mod mail_cmd;
mod record_cmd;
mod replies_cmd;
mod service_cmd;
mod term;
mod time;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use psirt_core::EmailAddress;
use psirt_store::Store;

use crate::config::Config;

#[derive(Parser)]
#[command(
    name = "psirt",
    version,
    about = "Run an open-source project's security release process"
)]
struct Cli {
    /// Configuration file (default: ./psirt.toml when it exists).
    #[arg(long, global = true, env = "PSIRT_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Top,
}

#[derive(Subcommand)]
enum Top {
    /// Run the server on the configured database and address.
    Serve,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCmd),
    /// Manage projects and their policies.
    #[command(subcommand)]
    Project(ProjectCmd),
    /// Manage a project's Product Security Team.
    #[command(subcommand)]
    Pst(PstCmd),
    /// Walk a case through the process.
    Case(case_cmd::CaseArgs),
    /// Score CVSS vectors (arguments, or one per line on standard input) as JSON lines.
    Cvss { vectors: Vec<String> },
    /// Check the audit log, and see who saw or changed a case.
    #[command(subcommand)]
    Audit(audit_cmd::AuditCmd),
    /// A consistent copy of the whole database, taken while psirt runs
    /// (SQLite: VACUUM INTO; PostgreSQL: pg_dump); never overwrites FILE.
    Backup { file: PathBuf },
    /// Put a backup into the configured database, which must be empty;
    /// the audit log is verified before the restore is recorded.
    Restore { file: PathBuf },
    /// Rebuild the case summaries the lists read, and the likely
    /// duplicates' index, from the cases' events (derived data; run after
    /// restoring or repairing a database).
    Reindex,
    /// Run the background jobs only (outbox delivery, reminders, the IMAP
    /// poller), as a replica beside the servers.
    Worker,
    /// Take in one RFC 5322 message from standard input (for an MTA pipe).
    /// Exit status 0 once it is stored, whatever it was; 75 (try again)
    /// when it could not be.
    Ingest {
        /// The project new reports go to (default: the default project).
        #[arg(long)]
        project: Option<String>,
    },
    /// A case's outbox and drafts, and inbound mail to review.
    Mail {
        /// Who you are.
        #[arg(long = "as", global = true, env = "PSIRT_AS")]
        actor: Option<String>,
        #[command(subcommand)]
        cmd: mail_cmd::MailCmd,
    },
    /// Public keys on file for recipients: mail to them is encrypted.
    #[command(subcommand)]
    Key(KeyCmd),
    /// The private distributors list: applications, members, the embargo
    /// policy, and the distributor's side of a notified case.
    Distributor {
        /// The project whose list (default: the default project).
        #[arg(long, global = true)]
        project: Option<String>,
        /// Who you are.
        #[arg(long = "as", global = true, env = "PSIRT_AS")]
        actor: Option<String>,
        /// Act as if it were this instant (imports, tests; default: now).
        #[arg(long, global = true, env = "PSIRT_NOW")]
        now: Option<String>,
        /// Allow `--now` more than 5 minutes ahead of the clock (an import).
        #[arg(long, global = true, env = "PSIRT_IMPORT")]
        import: bool,
        #[command(subcommand)]
        cmd: distributor_cmd::DistributorCmd,
    },
}

#[derive(Subcommand)]
enum KeyCmd {
    /// Print the instance's own public key (made on first use), ASCII-armored.
    Instance,
    /// Put an ASCII-armored public key on file for an address.
    Add {
        #[arg(long)]
        email: String,
        /// The armored key file.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create an account and print its API token (shown once).
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: Role,
        /// The project whose PST a `pst` user joins.
        #[arg(long)]
        project: Option<String>,
    },
    /// Issue another API token for an account.
    Token {
        #[arg(long)]
        email: String,
    },
    /// Revoke every API token of an account.
    Revoke {
        #[arg(long)]
        email: String,
    },
    /// Set an account's password for signing in on the web (read from standard input).
    Passwd {
        #[arg(long)]
        email: String,
    },
    /// Set the account's GitHub login (what makes them a collaborator on
    /// the draft GitHub advisory of a case whose Fix Team they are on);
    /// without LOGIN, clear it.
    GithubLogin {
        #[arg(long)]
        email: String,
        login: Option<String>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Role {
    /// Manages accounts and projects; sees no case unless also on a PST.
    Admin,
    /// On the Product Security Team of `--project`.
    Pst,
    /// An engineer who can be brought onto a Fix Team, case by case.
    Member,
}

#[derive(Subcommand)]
enum ProjectCmd {
    /// Create a project, with the seed's policy, a preset (`--policy
    /// kubernetes`) or one read from a TOML file.
    Add {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// `seed`, `kubernetes`, or a policy TOML file.
        #[arg(long)]
        policy: Option<PathBuf>,
    },
    /// Replace a project's policy for new cases (open cases keep theirs).
    Policy {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        policy: PathBuf,
    },
    /// Print a project's policy as TOML.
    ShowPolicy {
        #[arg(long)]
        slug: String,
    },
    /// Set where forthcoming-fix notices and release announcements go
    /// (the project's announcement list); without --address, nowhere.
    Announce {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        address: Option<String>,
    },
    /// List the project's canned replies to reporters (as a member of its
    /// PST, --as).
    Replies {
        project: String,
        #[command(flatten)]
        acting: replies_cmd::Acting,
    },
    /// Set the project's wording of one canned reply (accepted,
    /// not_a_vulnerability, out_of_scope, need_more_information,
    /// known_issue, duplicate, public_issue, unanswered) from a file, or
    /// go back to psirt's default with --reset (as a member of its PST).
    Reply {
        project: String,
        kind: String,
        #[arg(long)]
        text_file: Option<PathBuf>,
        #[arg(long)]
        reset: bool,
        #[command(flatten)]
        acting: replies_cmd::Acting,
    },
    /// Publish the project's security policy (its pages under
    /// `/p/{slug}/` and a line on the front page), or with --withdraw keep
    /// the project private (its pages answer 404).
    Publish {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        withdraw: bool,
    },
    /// Connect the project to GitHub, CVE Services or its fix
    /// repositories' host; secrets are read from a file and kept sealed.
    #[command(subcommand)]
    Service(service_cmd::ServiceCmd),
    /// Deprecated: use `psirt distributor found`. Enrols the address as a
    /// founding member of the list, in an organisation named after its
    /// domain.
    Distributor {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Subcommand)]
enum PstCmd {
    /// Add an existing user to a project's PST.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        project: Option<String>,
    },
    /// Mark a PST member available or unavailable for the Fix Lead rotation.
    Available {
        #[arg(long)]
        email: String,
        #[arg(long)]
        project: Option<String>,
        #[arg(long, action = clap::ArgAction::Set)]
        available: bool,
    },
    /// List a project's PST in rotation order.
    List {
        #[arg(long)]
        project: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = std::env::var("PSIRT_LOG").ok();
    let default_level = if matches!(cli.command, Top::Serve | Top::Worker) {
        "info"
    } else {
        "warn"
    };
    let level = level
        .as_deref()
        .unwrap_or(default_level)
        .parse()
        .unwrap_or(tracing::Level::INFO);
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false);
    // One JSON object per line for log collectors; the same fields (the
    // request log never has headers or bodies).
    match std::env::var("PSIRT_LOG_FORMAT").as_deref() {
        Ok("json") => logs.json().init(),
        Ok("text") | Err(_) => logs.init(),
        Ok(other) => {
            logs.init();
            eprintln!("error: PSIRT_LOG_FORMAT: {other:?} is neither text nor json");
            return ExitCode::from(2);
        }
    }

    if !matches!(cli.command, Top::Serve | Top::Worker) {
        // Rust ignores SIGPIPE, so printing to a closed pipe (`psirt case
        // dues | head`) would panic with a backtrace. A one-shot command
        // ends quietly instead, as other command-line tools do. The server
        // and the worker keep ignoring it: their sockets report errors.
        // SAFETY: called before any thread starts; SIG_DFL is a valid
        // disposition for SIGPIPE.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    if matches!(cli.command, Top::Serve | Top::Worker) && std::env::var_os("PSIRT_NOW").is_some() {
        eprintln!(
            "warning: PSIRT_NOW is set, but the server and the worker always use the clock: it is ignored"
        );
    }
    if let Top::Cvss { vectors } = &cli.command {
        return match cvss_cmd::run(vectors) {
            Ok(code) => code,
            // `psirt cvss … | head` closes the pipe early; that is not a failure.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn open(config: &Config) -> anyhow::Result<Store> {
    let store = Store::open(&config.database_url)
        .await
        .context("opening the database")?;
    store
        .ensure_project(
            &config.default_project,
            "Default project",
            crate::time::now(),
        )
        .await?;
    // Message-IDs are made in the domain psirt's mail comes from; links in
    // mail (invitations) point to where people reach psirt.
    let store = store.with_public_url(&config.public_url);
    Ok(match &config.mail_from {
        Some(from) => store.with_mail_domain(from.as_str().rsplit_once('@').map_or("", |(_, d)| d)),
        None => store,
    })
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = Config::load(cli.config.as_deref())?;
    let now = crate::time::now();
    match cli.command {
        Top::Serve => {
            let store = open(&config).await?;
            let listener = tokio::net::TcpListener::bind(config.listen)
                .await
                .with_context(|| format!("listening on {}", config.listen))?;
            let stop = mail_cmd::Stop::on_ctrl_c();
            let key = mail_cmd::instance_key(&store, &config).await?;
            let settings = psirt_server::Settings {
                default_project: config.default_project.clone(),
                intake_per_minute: config.intake_per_minute,
                reports_per_email_per_day: config.reports_per_email_per_day,
                status_writes_per_hour: config.status_writes_per_hour,
                body_memory: config.body_memory,
                header_timeout: config.header_timeout,
                max_connections: config.max_connections,
                body_idle_timeout: config.body_idle_timeout,
                body_timeout: config.body_timeout,
                secure_cookies: config.public_url.starts_with("https://"),
                openpgp: Some(psirt_server::OpenPgpKey {
                    fingerprint: key.fingerprint().as_str().to_string(),
                    armored_public: key.public_key_armored()?,
                }),
                instance_key: Some(std::sync::Arc::new(key.clone())),
                publication: psirt_server::advisories::Publication {
                    public_url: config.public_url.clone(),
                    cna_org_id: config.cna_org_id.clone(),
                },
                metrics_token: config
                    .metrics_token
                    .as_ref()
                    .map(|t| psirt_server::metrics::ScrapeToken::new(&t.0)),
                job_runs: Some(psirt_server::metrics::JobRunsSource(std::sync::Arc::new(
                    || {
                        psirt_jobs::runs::snapshot()
                            .into_iter()
                            .map(|r| psirt_server::metrics::JobRunsFigure {
                                job: r.job.name(),
                                runs: r.runs,
                                failures: r.failures,
                            })
                            .collect()
                    },
                ))),
                ..psirt_server::Settings::default()
            };
            let jobs = tokio::spawn({
                let (store, config, stop) = (store.clone(), config.clone(), stop.clone());
                async move { mail_cmd::jobs(store, &config, stop).await }
            });
            psirt_server::serve(store, settings, listener, stop.wait()).await?;
            jobs.await??;
        }
        Top::Worker => {
            let store = open(&config).await?;
            mail_cmd::jobs(store, &config, mail_cmd::Stop::on_ctrl_c()).await?;
        }
        Top::Ingest { project } => {
            let store = match open(&config).await {
                Ok(store) => store,
                Err(e) => {
                    eprintln!("error: the message was not stored: {e:#}");
                    return Ok(ExitCode::from(75));
                }
            };
            return Ok(mail_cmd::ingest(&store, &config, project).await);
        }
        Top::Mail { actor, cmd } => {
            let store = open(&config).await?;
            return mail_cmd::run(&store, actor.as_deref(), cmd, now).await;
        }
        Top::Key(KeyCmd::Add { email, file }) => {
            let store = open(&config).await?;
            mail_cmd::add_key(&store, &email, &file).await?;
        }
        Top::Key(KeyCmd::Instance) => {
            let store = open(&config).await?;
            print!(
                "{}",
                kek::instance_public_key(&store, &config.kek)
                    .await?
                    .to_armored()?
            );
        }
        Top::User(cmd) => {
            let store = open(&config).await?;
            match cmd {
                UserCmd::Add {
                    email,
                    name,
                    role,
                    project,
                } => {
                    let email: EmailAddress = email.parse()?;
                    let project = project.unwrap_or_else(|| config.default_project.clone());
                    if matches!(role, Role::Pst) {
                        store.project_policy(&project).await?;
                    }
                    let (user, token) = store
                        .add_user(&email, &name, matches!(role, Role::Admin), now)
                        .await?;
                    if matches!(role, Role::Pst) {
                        store.add_pst_member(&project, user.id, now).await?;
                    }
                    eprintln!(
                        "created {} <{}> ({}); the API token below is shown only once",
                        user.name, user.email, user.id
                    );
                    println!("{}", token.reveal());
                }
                UserCmd::Token { email } => {
                    let user = store.user_by_email(&email.parse()?).await?;
                    println!("{}", store.issue_token(user.id, now).await?.reveal());
                }
                UserCmd::Passwd { email } => {
                    let user = store.user_by_email(&email.parse()?).await?;
                    let mut password = String::new();
                    std::io::stdin()
                        .read_line(&mut password)
                        .context("reading the password")?;
                    store
                        .set_password(user.id, password.trim_end_matches(['\r', '\n']))
                        .await?;
                    println!("password of {} set", user.email);
                }
                UserCmd::GithubLogin { email, login } => {
                    let user = store.user_by_email(&email.parse()?).await?;
                    let login: Option<psirt_core::GitHubLogin> =
                        login.map(|l| l.parse()).transpose()?;
                    store.set_github_login(user.id, login.as_ref(), now).await?;
                    match login {
                        Some(l) => println!("GitHub login of {} set to {l}", user.email),
                        None => println!("GitHub login of {} cleared", user.email),
                    }
                }
                UserCmd::Revoke { email } => {
                    let user = store.user_by_email(&email.parse()?).await?;
                    let n = store.revoke_tokens(user.id, now).await?;
                    println!(
                        "revoked {} token(s) and ended {} session(s) of {}",
                        n.tokens, n.sessions, user.email
                    );
                }
            }
        }
        Top::Project(cmd) => {
            let store = open(&config).await?;
            match cmd {
                ProjectCmd::Add { slug, name, policy } => {
                    let policy = match policy {
                        Some(path) => read_policy(&path)?,
                        None => psirt_core::Policy::default(),
                    };
                    store.add_project(&slug, &name, &policy, now).await?;
                    println!("created project {slug}");
                }
                ProjectCmd::Policy { slug, policy } => {
                    store
                        .set_project_policy(&slug, &read_policy(&policy)?)
                        .await?;
                    println!(
                        "policy of {slug} replaced; open cases keep the policy they started with"
                    );
                }
                ProjectCmd::ShowPolicy { slug } => {
                    print!("{}", toml::to_string(&store.project_policy(&slug).await?)?);
                }
                ProjectCmd::Announce { slug, address } => {
                    let address: Option<EmailAddress> = address.map(|a| a.parse()).transpose()?;
                    store.set_announce_address(&slug, address.as_ref()).await?;
                    match address {
                        Some(a) => println!("{slug}'s notices and announcements go to {a}"),
                        None => println!("{slug} has no announcement list"),
                    }
                }
                ProjectCmd::Replies { project, acting } => {
                    replies_cmd::list(&store, &project, &acting).await?
                }
                ProjectCmd::Reply {
                    project,
                    kind,
                    text_file,
                    reset,
                    acting,
                } => replies_cmd::set(&store, &project, &kind, text_file, reset, &acting).await?,
                ProjectCmd::Publish { slug, withdraw } => {
                    store.set_policy_published(&slug, !withdraw).await?;
                    match withdraw {
                        false => println!("{slug} publishes its policy, at /p/{slug}/"),
                        true => println!("{slug} is private: its pages answer 404"),
                    }
                }
                ProjectCmd::Service(cmd) => service_cmd::run(&store, &config, cmd).await?,
                ProjectCmd::Distributor { slug, email, name } => {
                    eprintln!(
                        "warning: `psirt project distributor` is deprecated; use `psirt distributor found`"
                    );
                    let email: EmailAddress = email.parse()?;
                    let (local, domain) = email.as_str().rsplit_once('@').unwrap_or(("", ""));
                    let person = psirt_store::NewPerson {
                        name: name.unwrap_or_else(|| local.to_string()),
                        email: email.clone(),
                        key: None,
                    };
                    store.found_distributor(&slug, domain, person, now).await?;
                    println!("{email} joined {slug}'s distributors list as a founding member");
                }
            }
        }
        Top::Pst(cmd) => {
            let store = open(&config).await?;
            match cmd {
                PstCmd::Add { email, project } => {
                    let project = project.unwrap_or_else(|| config.default_project.clone());
                    let user = store.user_by_email(&email.parse()?).await?;
                    store.add_pst_member(&project, user.id, now).await?;
                    println!("{} joined the PST of {project}", user.email);
                }
                PstCmd::Available {
                    email,
                    project,
                    available,
                } => {
                    let project = project.unwrap_or_else(|| config.default_project.clone());
                    let user = store.user_by_email(&email.parse()?).await?;
                    store.set_available(&project, user.id, available).await?;
                    println!(
                        "{} is {} for the Fix Lead rotation",
                        user.email,
                        if available {
                            "available"
                        } else {
                            "unavailable"
                        }
                    );
                }
                PstCmd::List { project, json } => {
                    let project = project.unwrap_or_else(|| config.default_project.clone());
                    let members = store.pst(&project).await?;
                    for m in members {
                        if json {
                            println!(
                                "{}",
                                serde_json::json!({"id": m.user.id.get(), "email": m.user.email.as_str(), "name": m.user.name, "available": m.available, "last_turn": m.last_turn})
                            );
                        } else {
                            println!(
                                "{}\t{}\t{}",
                                m.user.email,
                                m.user.name,
                                if m.available {
                                    "available"
                                } else {
                                    "unavailable"
                                }
                            );
                        }
                    }
                }
            }
        }
        Top::Case(args) => {
            let store = open(&config).await?;
            return case_cmd::run(&store, &config, args).await;
        }
        Top::Backup { file } => {
            let store = open(&config).await?;
            backup_cmd::backup(&store, &config, &file).await?;
        }
        // Not `open`: that would migrate (and so fill) the empty database
        // first, and make the default project in it.
        Top::Restore { file } => backup_cmd::restore(&config, &file).await?,
        Top::Reindex => {
            let store = open(&config).await?;
            let n = store.reindex().await?;
            println!(
                "rebuilt the summaries and the duplicates index of {n} cases from their events"
            );
        }
        Top::Audit(cmd) => {
            let store = open(&config).await?;
            return audit_cmd::run(&store, &config, cmd).await;
        }
        Top::Distributor {
            project,
            actor,
            now: at,
            import,
            cmd,
        } => {
            let store = open(&config).await?;
            let now = crate::time::command_instant(at.as_deref(), import, now).context("--now")?;
            return distributor_cmd::run(&store, &config, project, actor.as_deref(), cmd, now)
                .await;
        }
        Top::Cvss { .. } => unreachable!("handled before the runtime starts"),
    }
    Ok(ExitCode::SUCCESS)
}

/// A policy: a preset's name (`seed`, `kubernetes`) or a TOML file. A
/// file's `[calendar]` may name an iCalendar file of holidays (`ics_file`,
/// relative to the policy file), read here into dates.
fn read_policy(path: &std::path::Path) -> anyhow::Result<psirt_core::Policy> {
    if let Some(policy) = path.to_str().and_then(psirt_core::preset) {
        return Ok(policy);
    }
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "reading {} (a policy is a TOML file or one of the presets {})",
            path.display(),
            psirt_core::PRESETS.join(", ")
        )
    })?;
    let mut table: toml::Table = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message()))?;
    let ics_file = table
        .get_mut("calendar")
        .and_then(|c| c.as_table_mut())
        .and_then(|c| c.remove("ics_file"));
    let text = match ics_file {
        None => text,
        Some(file) => {
            let file = file.as_str().ok_or_else(|| {
                anyhow::anyhow!("{}: calendar.ics_file must be a path", path.display())
            })?;
            let ics = path
                .parent()
                .unwrap_or(std::path::Path::new("."))
                .join(file);
            let ics_text = std::fs::read_to_string(&ics)
                .with_context(|| format!("reading calendar.ics_file {}", ics.display()))?;
            let dates = psirt_formats::holidays::read(&ics_text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", ics.display()))?;
            let calendar = table
                .get_mut("calendar")
                .and_then(|c| c.as_table_mut())
                .expect("the calendar table held ics_file");
            let holidays = calendar
                .entry("holidays")
                .or_insert_with(|| toml::Value::Array(Vec::new()));
            if let Some(list) = holidays.as_array_mut() {
                list.extend(dates.iter().map(|d| toml::Value::String(d.to_string())));
            }
            toml::to_string(&table)?
        }
    };
    let policy: psirt_core::Policy = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message()))?;
    policy.validate()?;
    Ok(policy)
}
