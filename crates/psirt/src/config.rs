//! Configuration: a TOML file, then `PSIRT_*` environment overrides.
//!
//! Unknown keys in the file and unknown `PSIRT_*` variables are errors, so a
//! typo never silently falls back to a default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

/// The file's shape; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    database_url: Option<String>,
    listen: Option<String>,
    default_project: Option<String>,
    public_url: Option<String>,
    intake_per_minute: Option<u32>,
    reports_per_email_per_day: Option<u32>,
    status_writes_per_hour: Option<u32>,
    body_memory_mib: Option<u32>,
    header_timeout: Option<String>,
    max_connections: Option<u32>,
    body_idle_timeout: Option<String>,
    body_timeout: Option<String>,
    mail_from: Option<String>,
    smtp_url: Option<String>,
    smtp_ca_file: Option<PathBuf>,
    imap_url: Option<String>,
    imap_ca_file: Option<PathBuf>,
    mail_authserv_id: Option<String>,
    outbox_lease: Option<String>,
    outbox_retry: Option<String>,
    key_file: Option<PathBuf>,
    git_dir: Option<PathBuf>,
    cna_org_id: Option<String>,
    metrics_token_file: Option<PathBuf>,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub listen: SocketAddr,
    /// The project reports go to unless they name one; created on first run.
    pub default_project: String,
    /// The address people reach psirt at; `https://` marks cookies `Secure`.
    pub public_url: String,
    /// The CNA's `orgId` (a UUID) that CVE JSON exports name as their
    /// provider; without it the `cve5` export is refused.
    pub cna_org_id: Option<String>,
    /// The token Prometheus scrapes `/metrics` with, besides an
    /// administrator's; read from `metrics_token_file`. Redacted in `Debug`.
    pub metrics_token: Option<MetricsToken>,
    /// Reports accepted per minute from one client address.
    pub intake_per_minute: std::num::NonZeroU32,
    /// Reports accepted per UTC day from one reporter e-mail address
    /// (counted in the database, across replicas).
    pub reports_per_email_per_day: std::num::NonZeroU32,
    /// Writes through a reporter's status link per hour, per case and per
    /// client address.
    pub status_writes_per_hour: std::num::NonZeroU32,
    /// The bytes of request bodies held at once, all requests together.
    pub body_memory: usize,
    /// How long a client has to send its headers (and a kept-alive
    /// connection may stay idle).
    pub header_timeout: std::time::Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// The longest pause while a request body arrives.
    pub body_idle_timeout: std::time::Duration,
    /// The longest a whole request body may take.
    pub body_timeout: std::time::Duration,
    /// The address psirt's mail comes from (and replies go to), such as
    /// `security@example.org`; its domain names the Message-IDs.
    pub mail_from: Option<psirt_core::EmailAddress>,
    /// Where the outbox is delivered: `smtp://[user:pass@]host[:port]`
    /// (STARTTLS), `smtps://…` (TLS); unset, mail waits in the outbox.
    pub smtp_url: Option<String>,
    /// An extra CA certificate (PEM) to trust for the SMTP server.
    pub smtp_ca_file: Option<PathBuf>,
    /// The mailbox to read reports from: `imap[s]://user:pass@host[:port]/MAILBOX`.
    pub imap_url: Option<String>,
    pub imap_ca_file: Option<PathBuf>,
    /// The authserv-id of the operator's mail server: its
    /// `Authentication-Results` (DKIM, DMARC) verify who a reply is from.
    pub mail_authserv_id: Option<String>,
    /// How long a delivery worker's claim on a batch lasts.
    pub outbox_lease: jiff::SignedDuration,
    /// The delay before a failed delivery's first retry (then doubling).
    pub outbox_retry: jiff::SignedDuration,
    /// Where the key that locks the instance's OpenPGP secret key comes
    /// from (see `kek.rs`).
    pub kek: crate::kek::KekSource,
    /// Where psirt keeps its private mirrors of the cases' fix
    /// repositories (one per case, 0700).
    pub git_dir: PathBuf,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://psirt-data/psirt.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The in-flight body budget: one report form at its largest (55 MiB)
/// and room for the API's small bodies beside it.
const DEFAULT_BODY_MEMORY_MIB: u32 = 64;
/// Below this, a report form with its five largest files never fits.
const MIN_BODY_MEMORY_MIB: u32 = 56;

/// Variables psirt reads; any other `PSIRT_*` is refused as a likely typo.
const KNOWN_ENV: &[&str] = &[
    "PSIRT_CONFIG",
    "PSIRT_DATABASE_URL",
    "PSIRT_LISTEN",
    "PSIRT_DEFAULT_PROJECT",
    "PSIRT_PUBLIC_URL",
    "PSIRT_CNA_ORG_ID",
    "PSIRT_METRICS_TOKEN_FILE",
    "PSIRT_INTAKE_PER_MINUTE",
    "PSIRT_REPORTS_PER_EMAIL_PER_DAY",
    "PSIRT_STATUS_WRITES_PER_HOUR",
    "PSIRT_BODY_MEMORY_MIB",
    "PSIRT_HEADER_TIMEOUT",
    "PSIRT_MAX_CONNECTIONS",
    "PSIRT_BODY_IDLE_TIMEOUT",
    "PSIRT_BODY_TIMEOUT",
    "PSIRT_MAIL_FROM",
    "PSIRT_SMTP_URL",
    "PSIRT_SMTP_CA_FILE",
    "PSIRT_IMAP_URL",
    "PSIRT_IMAP_CA_FILE",
    "PSIRT_MAIL_AUTHSERV_ID",
    "PSIRT_OUTBOX_LEASE",
    "PSIRT_OUTBOX_RETRY",
    "PSIRT_KEY_FILE",
    "PSIRT_GIT_DIR",
    "PSIRT_INSTANCE_KEY_PASSPHRASE",
    "PSIRT_AS",
    "PSIRT_NOW",
    "PSIRT_IMPORT",
    "PSIRT_LOG",
    "PSIRT_LOG_FORMAT",
];

impl Config {
    /// Reads `path` (or `./psirt.toml` when it exists), then the environment.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Config> {
        let vars: Vec<(String, String)> = std::env::vars()
            .filter(|(k, _)| k.starts_with("PSIRT_"))
            .collect();
        Config::from_sources(path, &vars)
    }

    fn from_sources(path: Option<&Path>, env: &[(String, String)]) -> anyhow::Result<Config> {
        for (key, _) in env {
            if !KNOWN_ENV.contains(&key.as_str()) && !key.starts_with("PSIRT_TEST_") {
                bail!(
                    "unknown environment variable {key} (known: {})",
                    KNOWN_ENV.join(", ")
                );
            }
        }
        let implicit = PathBuf::from("psirt.toml");
        let path = match path {
            Some(p) => Some(p.to_path_buf()),
            None => implicit.exists().then_some(implicit),
        };
        let file = match &path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading {}", p.display()))?;
                let file = toml::from_str::<File>(&text)
                    .map_err(|e| anyhow::anyhow!("{}: {}", p.display(), e.message()))?;
                warn_if_readable_secrets(p, &file);
                file
            }
            None => File::default(),
        };
        let get = |key: &str| env.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let database_url = get("PSIRT_DATABASE_URL")
            .or(file.database_url)
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            bail!("database_url: {database_url:?} must start with sqlite:// or postgres://");
        }
        let listen_text = get("PSIRT_LISTEN")
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.into());
        let listen = listen_text.parse().map_err(|_| {
            anyhow::anyhow!(
                "listen: {listen_text:?} is not an address and port such as 127.0.0.1:8080"
            )
        })?;
        let default_project = get("PSIRT_DEFAULT_PROJECT")
            .or(file.default_project)
            .unwrap_or_else(|| "default".into());
        let public_url = get("PSIRT_PUBLIC_URL")
            .or(file.public_url)
            .unwrap_or_else(|| format!("http://{listen}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            bail!("public_url: {public_url:?} must start with http:// or https://");
        }
        let cna_org_id = get("PSIRT_CNA_ORG_ID").or(file.cna_org_id);
        if let Some(id) = &cna_org_id
            && !psirt_formats::cve5::is_uuid(id)
        {
            bail!("cna_org_id: {id:?} is not a UUID (8-4-4-4-12 hexadecimal digits)");
        }
        let metrics_token = get("PSIRT_METRICS_TOKEN_FILE")
            .map(PathBuf::from)
            .or(file.metrics_token_file)
            .map(|path| MetricsToken::read(&path))
            .transpose()?;
        let number = |key: &str, value: Option<String>, from_file: Option<u32>| match value {
            Some(v) => v
                .parse::<u32>()
                .map(Some)
                .map_err(|_| anyhow::anyhow!("{key}: {v:?} is not a whole number")),
            None => Ok(from_file),
        };
        // A count the file or the environment may set, at least 1.
        let at_least_one = |key: &str, value: Option<String>, from_file: Option<u32>, default| {
            let count = number(key, value, from_file)?.unwrap_or(default);
            std::num::NonZeroU32::new(count)
                .ok_or_else(|| anyhow::anyhow!("{key}: must be at least 1"))
        };
        let intake_per_minute = at_least_one(
            "intake_per_minute",
            get("PSIRT_INTAKE_PER_MINUTE"),
            file.intake_per_minute,
            30,
        )?;
        let reports_per_email_per_day = at_least_one(
            "reports_per_email_per_day",
            get("PSIRT_REPORTS_PER_EMAIL_PER_DAY"),
            file.reports_per_email_per_day,
            10,
        )?;
        let status_writes_per_hour = at_least_one(
            "status_writes_per_hour",
            get("PSIRT_STATUS_WRITES_PER_HOUR"),
            file.status_writes_per_hour,
            20,
        )?;
        let body_memory_mib = number(
            "body_memory_mib",
            get("PSIRT_BODY_MEMORY_MIB"),
            file.body_memory_mib,
        )?
        .unwrap_or(DEFAULT_BODY_MEMORY_MIB);
        let max_connections = at_least_one(
            "max_connections",
            get("PSIRT_MAX_CONNECTIONS"),
            file.max_connections,
            1024,
        )?
        .get() as usize;
        if body_memory_mib < MIN_BODY_MEMORY_MIB {
            bail!(
                "body_memory_mib: must be at least {MIN_BODY_MEMORY_MIB}, room for one report form with its files"
            );
        }
        let mail_from = get("PSIRT_MAIL_FROM")
            .or(file.mail_from)
            .map(|a| {
                a.parse::<psirt_core::EmailAddress>()
                    .map_err(|e| anyhow::anyhow!("mail_from: {e}"))
            })
            .transpose()?;
        let smtp_url = get("PSIRT_SMTP_URL").or(file.smtp_url);
        if smtp_url.is_some() && mail_from.is_none() {
            bail!("mail_from: needed when smtp_url is set (the address psirt's mail comes from)");
        }
        let smtp_ca_file = get("PSIRT_SMTP_CA_FILE")
            .map(PathBuf::from)
            .or(file.smtp_ca_file);
        let imap_url = get("PSIRT_IMAP_URL").or(file.imap_url);
        let imap_ca_file = get("PSIRT_IMAP_CA_FILE")
            .map(PathBuf::from)
            .or(file.imap_ca_file);
        let mail_authserv_id = get("PSIRT_MAIL_AUTHSERV_ID")
            .or(file.mail_authserv_id)
            .map(|id| id.trim().to_string());
        if mail_authserv_id
            .as_deref()
            .is_some_and(|id| id.is_empty() || id.contains([';', ' ', '\t']))
        {
            bail!(
                "mail_authserv_id: one host name, such as mx.example.org (the authserv-id your mail server writes in Authentication-Results)"
            );
        }
        let duration = |key: &str, value: Option<String>, default: &str| {
            let text = value.unwrap_or_else(|| default.into());
            text.parse::<jiff::SignedDuration>()
                .ok()
                .filter(|d| d.is_positive())
                .ok_or_else(|| {
                    anyhow::anyhow!("{key}: {text:?} is not a duration such as 5m or 30s")
                })
        };
        let outbox_lease = duration(
            "outbox_lease",
            get("PSIRT_OUTBOX_LEASE").or(file.outbox_lease),
            "5m",
        )?;
        let outbox_retry = duration(
            "outbox_retry",
            get("PSIRT_OUTBOX_RETRY").or(file.outbox_retry),
            "30s",
        )?;
        let std_duration = |key: &str, value: Option<String>, default: &str| {
            duration(key, value, default)
                .and_then(|d| d.try_into().map_err(|e| anyhow::anyhow!("{key}: {e}")))
        };
        let header_timeout = std_duration(
            "header_timeout",
            get("PSIRT_HEADER_TIMEOUT").or(file.header_timeout),
            "15s",
        )?;
        let body_idle_timeout = std_duration(
            "body_idle_timeout",
            get("PSIRT_BODY_IDLE_TIMEOUT").or(file.body_idle_timeout),
            "20s",
        )?;
        let body_timeout = std_duration(
            "body_timeout",
            get("PSIRT_BODY_TIMEOUT").or(file.body_timeout),
            "5m",
        )?;
        let key_file = get("PSIRT_KEY_FILE").map(PathBuf::from).or(file.key_file);
        let kek = crate::kek::KekSource::from_settings(
            key_file,
            get("PSIRT_INSTANCE_KEY_PASSPHRASE"),
            &database_url,
        )?;
        Ok(Config {
            database_url,
            listen,
            default_project,
            public_url,
            cna_org_id,
            metrics_token,
            intake_per_minute,
            reports_per_email_per_day,
            status_writes_per_hour,
            body_memory: body_memory_mib as usize * 1024 * 1024,
            header_timeout,
            max_connections,
            body_idle_timeout,
            body_timeout,
            mail_from,
            smtp_url,
            smtp_ca_file,
            imap_url,
            imap_ca_file,
            mail_authserv_id,
            outbox_lease,
            outbox_retry,
            kek,
            git_dir: get("PSIRT_GIT_DIR")
                .map(PathBuf::from)
                .or(file.git_dir)
                .unwrap_or_else(|| PathBuf::from("psirt-data/git")),
        })
    }
}

/// The scrape token for `/metrics`, as read from its file.
#[derive(Clone)]
pub struct MetricsToken(pub String);

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(<redacted>)")
    }
}

impl MetricsToken {
    /// At least 16 printable characters without spaces (a random one:
    /// `openssl rand -hex 32`).
    fn read(path: &Path) -> anyhow::Result<MetricsToken> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("metrics_token_file: reading {}", path.display()))?;
        let token = text.trim();
        if token.len() < 16 || !token.bytes().all(|b| b.is_ascii_graphic()) {
            bail!(
                "metrics_token_file: {} must hold one token of at least 16 printable characters without spaces (openssl rand -hex 32)",
                path.display()
            );
        }
        Ok(MetricsToken(token.to_owned()))
    }
}

/// The file holds the mail passwords when `smtp_url` or `imap_url` has
/// credentials: say so when other local users may read it. psirt does not
/// change the operator's file itself.
#[cfg(unix)]
fn warn_if_readable_secrets(path: &Path, file: &File) {
    use std::os::unix::fs::PermissionsExt;
    let has_password = |url: &Option<String>| {
        url.as_deref()
            .and_then(|u| u.split_once("://"))
            .is_some_and(|(_, rest)| rest.split('/').next().unwrap_or("").contains('@'))
    };
    if !(has_password(&file.smtp_url) || has_password(&file.imap_url)) {
        return;
    }
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        tracing::warn!(
            file = %path.display(),
            mode = format!("{mode:o}"),
            "the configuration holds mail passwords (smtp_url, imap_url) and other local users may read it: make it 0600"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_secrets(_: &Path, _: &File) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(file: &str, env: &[(&str, &str)], expected: &str) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("psirt.toml");
        std::fs::write(&path, file).unwrap();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let got = match Config::from_sources(Some(&path), &env) {
            Ok(c) => format!("{} {} {}", c.database_url, c.listen, c.default_project),
            Err(e) => format!("error: {e}").replace(&path.display().to_string(), "FILE"),
        };
        assert_eq!(got, expected);
    }

    #[test]
    fn defaults_file_and_environment() {
        check(
            "",
            &[],
            "sqlite://psirt-data/psirt.db 127.0.0.1:8080 default",
        );
        check(
            "listen = \"0.0.0.0:9000\"\ndefault_project = \"coredns\"\n",
            &[],
            "sqlite://psirt-data/psirt.db 0.0.0.0:9000 coredns",
        );
        check(
            "database_url = \"sqlite://a.db\"\n",
            &[("PSIRT_DATABASE_URL", "postgres://u@h/db")],
            "postgres://u@h/db 127.0.0.1:8080 default",
        );
    }

    /// Every key of the file can be set from the environment too: the
    /// file's keys are read from serde's own list of them, so a key added
    /// to the file without its variable fails here.
    #[test]
    fn every_file_key_has_its_environment_variable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("psirt.toml");
        std::fs::write(&path, "no_such_key = 1\n").unwrap();
        let message = Config::from_sources(Some(&path), &[])
            .unwrap_err()
            .to_string();
        let keys: Vec<&str> = message
            .split_once("expected one of ")
            .expect("serde lists the keys")
            .1
            .split(", ")
            .map(|k| k.trim_matches('`'))
            .collect();
        assert!(keys.len() > 20, "{keys:?}");
        for key in keys {
            let var = format!("PSIRT_{}", key.to_uppercase());
            assert!(KNOWN_ENV.contains(&var.as_str()), "{var} is not known");
        }
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_key() {
        check(
            "listn = \"x\"\n",
            &[],
            "error: FILE: unknown field `listn`, expected one of `database_url`, `listen`, `default_project`, `public_url`, `intake_per_minute`, `reports_per_email_per_day`, `status_writes_per_hour`, `body_memory_mib`, `header_timeout`, `max_connections`, `body_idle_timeout`, `body_timeout`, `mail_from`, `smtp_url`, `smtp_ca_file`, `imap_url`, `imap_ca_file`, `mail_authserv_id`, `outbox_lease`, `outbox_retry`, `key_file`, `git_dir`, `cna_org_id`, `metrics_token_file`",
        );
        check(
            "",
            &[("PSIRT_LISTN", "x")],
            "error: unknown environment variable PSIRT_LISTN (known: PSIRT_CONFIG, PSIRT_DATABASE_URL, PSIRT_LISTEN, PSIRT_DEFAULT_PROJECT, PSIRT_PUBLIC_URL, PSIRT_CNA_ORG_ID, PSIRT_METRICS_TOKEN_FILE, PSIRT_INTAKE_PER_MINUTE, PSIRT_REPORTS_PER_EMAIL_PER_DAY, PSIRT_STATUS_WRITES_PER_HOUR, PSIRT_BODY_MEMORY_MIB, PSIRT_HEADER_TIMEOUT, PSIRT_MAX_CONNECTIONS, PSIRT_BODY_IDLE_TIMEOUT, PSIRT_BODY_TIMEOUT, PSIRT_MAIL_FROM, PSIRT_SMTP_URL, PSIRT_SMTP_CA_FILE, PSIRT_IMAP_URL, PSIRT_IMAP_CA_FILE, PSIRT_MAIL_AUTHSERV_ID, PSIRT_OUTBOX_LEASE, PSIRT_OUTBOX_RETRY, PSIRT_KEY_FILE, PSIRT_GIT_DIR, PSIRT_INSTANCE_KEY_PASSPHRASE, PSIRT_AS, PSIRT_NOW, PSIRT_IMPORT, PSIRT_LOG, PSIRT_LOG_FORMAT)",
        );
        check(
            "listen = \"localhost\"\n",
            &[],
            "error: listen: \"localhost\" is not an address and port such as 127.0.0.1:8080",
        );
        check(
            "",
            &[("PSIRT_DATABASE_URL", "mysql://x")],
            "error: database_url: \"mysql://x\" must start with sqlite:// or postgres://",
        );
        check(
            "listen = 8080\n",
            &[],
            "error: FILE: invalid type: integer `8080`, expected a string",
        );
        check(
            "",
            &[("PSIRT_SMTP_URL", "smtp://127.0.0.1:2525")],
            "error: mail_from: needed when smtp_url is set (the address psirt's mail comes from)",
        );
        check(
            "mail_from = \"security\"\n",
            &[],
            "error: mail_from: e-mail address: \"security\" has no @",
        );
        check(
            "outbox_lease = \"soon\"\n",
            &[],
            "error: outbox_lease: \"soon\" is not a duration such as 5m or 30s",
        );
        check(
            "header_timeout = \"-1s\"\n",
            &[],
            "error: header_timeout: \"-1s\" is not a duration such as 5m or 30s",
        );
        check(
            "",
            &[("PSIRT_BODY_MEMORY_MIB", "16")],
            "error: body_memory_mib: must be at least 56, room for one report form with its files",
        );
        check(
            "status_writes_per_hour = 0\n",
            &[],
            "error: status_writes_per_hour: must be at least 1",
        );
    }
}
