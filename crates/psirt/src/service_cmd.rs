//! `psirt project service`: connecting a project to GitHub, CVE Services
//! and the host of its fix repositories.
//!
//! The token or key is read from a file (or standard input with `-`),
//! never from the command line, where other users of the machine could
//! read it in the process list; it is sealed by the store's vault before
//! it is written and is never printed back.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use psirt_store::{Service, ServiceSecret, ServiceSettings, Store};

use crate::config::Config;

#[derive(Subcommand)]
pub enum ServiceCmd {
    /// Connect the project to GitHub: its public repository gets the
    /// forthcoming-fix issue and the repository security advisory.
    Github {
        #[arg(long)]
        slug: String,
        /// The public repository, OWNER/NAME.
        #[arg(long)]
        repository: String,
        /// GitHub's REST API (default https://api.github.com; a GitHub
        /// Enterprise Server's is https://HOST/api/v3).
        #[arg(long)]
        api_url: Option<String>,
        /// A file holding the token (fine-grained: issues and repository
        /// security advisories of that repository); `-` reads standard input.
        #[arg(long)]
        secret_file: PathBuf,
    },
    /// Connect the project to CVE Services as a user of its CNA.
    Cve {
        #[arg(long)]
        slug: String,
        /// The CNA's short name (CVE-API-ORG).
        #[arg(long)]
        org: String,
        /// The CVE Services user (CVE-API-USER).
        #[arg(long)]
        user: String,
        /// CVE Services (default https://cveawg.mitre.org/api).
        #[arg(long)]
        api_url: Option<String>,
        /// A file holding the user's API key (CVE-API-KEY); `-` reads
        /// standard input.
        #[arg(long)]
        secret_file: PathBuf,
    },
    /// The credentials psirt fetches the project's private fix
    /// repositories with over HTTPS.
    Git {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        username: String,
        /// A file holding the token or password; `-` reads standard input.
        #[arg(long)]
        secret_file: PathBuf,
    },
    /// Disconnect the project from a service (github, cve or git).
    Remove {
        #[arg(long)]
        slug: String,
        #[arg(long, value_parser = parse_service)]
        service: Service,
    },
    /// List the services the project is connected to (never their secrets).
    List {
        #[arg(long)]
        slug: String,
    },
}

fn parse_service(s: &str) -> Result<Service, String> {
    Service::ALL
        .into_iter()
        .find(|service| service.as_str() == s)
        .ok_or_else(|| format!("{s:?} is not a service: github, cve or git"))
}

/// Runs one `psirt project service` command.
pub async fn run(store: &Store, config: &Config, cmd: ServiceCmd) -> anyhow::Result<()> {
    let (slug, settings, secret_file) = match cmd {
        ServiceCmd::Remove { slug, service } => {
            store.remove_service(&slug, service).await?;
            println!("{slug} is no longer connected to {service}");
            return Ok(());
        }
        ServiceCmd::List { slug } => {
            for entry in store.services(&slug).await? {
                println!("{}\t{}", describe(&entry.settings), entry.updated_at);
            }
            return Ok(());
        }
        ServiceCmd::Github {
            slug,
            repository,
            api_url,
            secret_file,
        } => (
            slug,
            ServiceSettings::github(api_url.as_deref(), &repository)?,
            secret_file,
        ),
        ServiceCmd::Cve {
            slug,
            org,
            user,
            api_url,
            secret_file,
        } => (
            slug,
            ServiceSettings::cve_services(api_url.as_deref(), &org, &user)?,
            secret_file,
        ),
        ServiceCmd::Git {
            slug,
            username,
            secret_file,
        } => (
            slug,
            ServiceSettings::fix_repositories(&username)?,
            secret_file,
        ),
    };
    let secret = ServiceSecret::new(&read_secret(&secret_file)?)
        .with_context(|| format!("reading {}", secret_file.display()))?;
    let vault = crate::kek::vault(store, &config.kek).await?;
    store
        .put_service(&slug, &settings, &secret, &vault, crate::time::now())
        .await?;
    println!("{slug} is connected to {}", describe(&settings));
    Ok(())
}

fn describe(settings: &ServiceSettings) -> String {
    match settings {
        ServiceSettings::GitHub {
            api_url,
            repository,
        } => format!("github {repository} at {api_url}"),
        ServiceSettings::CveServices { api_url, org, user } => {
            format!("cve {org} as {user} at {api_url}")
        }
        ServiceSettings::FixRepositories { username } => format!("git as {username}"),
    }
}

fn read_secret(path: &Path) -> anyhow::Result<String> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the secret from standard input")?;
        return Ok(text);
    }
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}
