//! The third-party services a project is connected to, and the secrets
//! psirt uses to act there: GitHub (the forthcoming-fix issue and the
//! repository security advisory), CVE Services (reserving and publishing
//! the project's CVE records) and the host the project's private fix
//! repositories are fetched from.
//!
//! One row per project and service: settings that are not secret, checked
//! when they are set ([`ServiceSettings`]), and the token or key sealed by
//! the [`Vault`], bound to the project and the service. Setting or
//! removing a service is audited with the project and the service's name,
//! never the secret; reading one is the jobs' business and opens the
//! secret only in memory. This module never logs a secret and never hands
//! one out but as a [`ServiceSecret`], whose `Debug` is redacted.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::Row;

pub use crate::vault::{Unsealable, Vault};
use crate::{Store, StoreError, micros};

/// A service a project can be connected to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    GitHub,
    CveServices,
    FixRepositories,
}

impl Service {
    pub const ALL: [Service; 3] = [
        Service::GitHub,
        Service::CveServices,
        Service::FixRepositories,
    ];

    /// The name stored and shown (`github`, `cve`, `git`).
    pub fn as_str(self) -> &'static str {
        match self {
            Service::GitHub => "github",
            Service::CveServices => "cve",
            Service::FixRepositories => "git",
        }
    }

    fn parse(s: &str) -> Result<Service, StoreError> {
        Service::ALL
            .into_iter()
            .find(|service| service.as_str() == s)
            .ok_or_else(|| StoreError::Corrupt(format!("service {s:?}")))
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What psirt needs to know, besides the secret, to act at a service.
/// Made only by the checking constructors; the stored JSON is this shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "service", rename_all = "snake_case", deny_unknown_fields)]
pub enum ServiceSettings {
    /// GitHub's REST API and the project's public repository
    /// (`owner/name`), where the forthcoming-fix issue and the advisory go.
    #[serde(rename = "github")]
    GitHub { api_url: String, repository: String },
    /// CVE Services and the CNA's account there: the organisation's short
    /// name (`CVE-API-ORG`) and the user (`CVE-API-USER`).
    #[serde(rename = "cve")]
    CveServices {
        api_url: String,
        org: String,
        user: String,
    },
    /// The user name psirt fetches the project's fix repositories over
    /// HTTPS with (the secret is its token or password).
    #[serde(rename = "git")]
    FixRepositories { username: String },
}

/// GitHub's public API.
pub const GITHUB_API: &str = "https://api.github.com";
/// The CVE Program's production CVE Services.
pub const CVE_SERVICES_API: &str = "https://cveawg.mitre.org/api";

impl ServiceSettings {
    /// GitHub at `api_url` (default [`GITHUB_API`]) for `owner/name`.
    pub fn github(api_url: Option<&str>, repository: &str) -> Result<Self, StoreError> {
        let api_url = check_url(api_url.unwrap_or(GITHUB_API))?;
        let repository = repository.trim();
        let valid = repository.split_once('/').is_some_and(|(owner, name)| {
            let part = |s: &str| {
                !s.is_empty()
                    && s.len() <= 100
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            };
            part(owner) && part(name) && name != "." && name != ".."
        });
        if !valid {
            return Err(StoreError::Invalid {
                field: "repository",
                reason: format!("{repository:?} must be OWNER/NAME, as in github.com/OWNER/NAME"),
            });
        }
        Ok(ServiceSettings::GitHub {
            api_url,
            repository: repository.to_owned(),
        })
    }

    /// CVE Services at `api_url` (default [`CVE_SERVICES_API`]) as `user`
    /// of the CNA `org`.
    pub fn cve_services(api_url: Option<&str>, org: &str, user: &str) -> Result<Self, StoreError> {
        let api_url = check_url(api_url.unwrap_or(CVE_SERVICES_API))?;
        Ok(ServiceSettings::CveServices {
            api_url,
            org: check_word("org", org)?,
            user: check_word("user", user)?,
        })
    }

    /// Fix repositories fetched over HTTPS as `username`.
    pub fn fix_repositories(username: &str) -> Result<Self, StoreError> {
        Ok(ServiceSettings::FixRepositories {
            username: check_word("username", username)?,
        })
    }

    /// Which service these settings are for.
    pub fn service(&self) -> Service {
        match self {
            ServiceSettings::GitHub { .. } => Service::GitHub,
            ServiceSettings::CveServices { .. } => Service::CveServices,
            ServiceSettings::FixRepositories { .. } => Service::FixRepositories,
        }
    }
}

/// Whether psirt may send a secret (a token, a password) to `url`: over
/// HTTPS, or over plain HTTP only to this machine (a local stand-in or a
/// proxy on loopback). The one rule for service APIs and fix repositories.
pub fn may_carry_secrets(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    };
    matches!(name, "127.0.0.1" | "localhost" | "::1")
}

/// An API URL psirt will send a secret to: HTTPS, or plain HTTP only to
/// this machine (a local stand-in or a proxy on loopback).
fn check_url(url: &str) -> Result<String, StoreError> {
    let url = url.trim().trim_end_matches('/');
    let invalid = |reason: &str| StoreError::Invalid {
        field: "api_url",
        reason: format!("{url:?} {reason}"),
    };
    let rest = if let Some(rest) = url.strip_prefix("https://") {
        rest
    } else if let Some(rest) = url.strip_prefix("http://") {
        if !may_carry_secrets(url) {
            return Err(invalid(
                "must use https:// (plain http:// only to 127.0.0.1, localhost or [::1]): the token would cross the network in clear",
            ));
        }
        rest
    } else {
        return Err(invalid("must start with https://"));
    };
    if rest.is_empty() || rest.contains(char::is_whitespace) || rest.contains('@') {
        return Err(invalid(
            "is not a URL psirt can call (a host, an optional port and path; no user in it)",
        ));
    }
    Ok(url.to_owned())
}

fn check_word(field: &'static str, value: &str) -> Result<String, StoreError> {
    let value = value.trim();
    if value.is_empty()
        || value.len() > 256
        || value.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(StoreError::Invalid {
            field,
            reason: "must be 1 to 256 characters without spaces".into(),
        });
    }
    Ok(value.to_owned())
}

/// A service's token or key, opened in memory. Its `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct ServiceSecret(String);

impl fmt::Debug for ServiceSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServiceSecret(<redacted>)")
    }
}

impl ServiceSecret {
    /// A token or key as given (a file's trailing newline is dropped). It
    /// goes into HTTP headers, so it must be printable ASCII without
    /// spaces: anything else would be a header injection or a paste error.
    pub fn new(secret: &str) -> Result<ServiceSecret, StoreError> {
        let secret = secret.trim_end_matches(['\r', '\n']);
        if secret.is_empty() || secret.len() > 4096 || !secret.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(StoreError::Invalid {
                field: "secret",
                reason: "must be 1 to 4096 printable ASCII characters without spaces".into(),
            });
        }
        Ok(ServiceSecret(secret.to_owned()))
    }

    /// The secret itself, to put in a request.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

/// A project's connection to a service, with its secret opened.
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    pub project: String,
    pub settings: ServiceSettings,
    pub secret: ServiceSecret,
    pub updated_at: Timestamp,
}

/// A project's connection to a service as listed: no secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceEntry {
    pub settings: ServiceSettings,
    pub updated_at: Timestamp,
}

/// What the seal is bound to.
fn aad(project: &str, service: Service) -> Vec<u8> {
    format!("psirt/service/v1\0{project}\0{}", service.as_str()).into_bytes()
}

impl Store {
    /// Connects `project` to a service, or replaces its settings and
    /// secret. The operator's act (the command line), audited as
    /// `project.service.set` with the project and service only.
    pub async fn put_service(
        &self,
        project: &str,
        settings: &ServiceSettings,
        secret: &ServiceSecret,
        vault: &Vault,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.project(project).await?;
        let service = settings.service();
        let json =
            serde_json::to_string(settings).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let sealed = hex::encode(vault.seal(&aad(project, service), secret.reveal().as_bytes()));
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO project_services (project, service, settings, sealed, updated_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (project, service) DO UPDATE SET settings = excluded.settings, \
             sealed = excluded.sealed, updated_at = excluded.updated_at",
        )
        .bind(project)
        .bind(service.as_str())
        .bind(json)
        .bind(sealed)
        .bind(micros(now))
        .execute(&mut *tx)
        .await?;
        self.commit_audited(
            tx,
            "project.service.set",
            format!("project {project} service {service}"),
        )
        .await
    }

    /// Disconnects `project` from a service; `NotFound` when it was not
    /// connected. Audited as `project.service.remove`.
    pub async fn remove_service(&self, project: &str, service: Service) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let done = sqlx::query("DELETE FROM project_services WHERE project = $1 AND service = $2")
            .bind(project)
            .bind(service.as_str())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "service {service} of project {project:?}"
            )));
        }
        self.commit_audited(
            tx,
            "project.service.remove",
            format!("project {project} service {service}"),
        )
        .await
    }

    /// A project's connection to `service` with its secret opened, or
    /// `None` when the project is not connected to it. A secret that does
    /// not open (another KEK, a row moved) is an error, never `None`.
    pub async fn service(
        &self,
        project: &str,
        service: Service,
        vault: &Vault,
    ) -> Result<Option<ServiceConfig>, StoreError> {
        let row = sqlx::query(
            "SELECT settings, sealed, updated_at FROM project_services WHERE project = $1 AND service = $2",
        )
        .bind(project)
        .bind(service.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let settings = settings_of(row.try_get("settings")?, service)?;
        let sealed = hex::decode(row.try_get::<String, _>("sealed")?)
            .map_err(|e| StoreError::Corrupt(format!("sealed secret: {e}")))?;
        let opened = vault.open(&aad(project, service), &sealed).map_err(|e| {
            StoreError::Corrupt(format!("the {service} secret of project {project}: {e}"))
        })?;
        let secret = String::from_utf8(opened).map_err(|_| {
            StoreError::Corrupt(format!("the {service} secret of project {project}"))
        })?;
        Ok(Some(ServiceConfig {
            project: project.to_owned(),
            settings,
            secret: ServiceSecret(secret),
            updated_at: timestamp(row.try_get("updated_at")?)?,
        }))
    }

    /// The services a project is connected to, without their secrets.
    pub async fn services(&self, project: &str) -> Result<Vec<ServiceEntry>, StoreError> {
        self.project(project).await?;
        let rows = sqlx::query(
            "SELECT service, settings, updated_at FROM project_services WHERE project = $1 ORDER BY service",
        )
        .bind(project)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let service = Service::parse(&row.try_get::<String, _>("service")?)?;
                Ok(ServiceEntry {
                    settings: settings_of(row.try_get("settings")?, service)?,
                    updated_at: timestamp(row.try_get("updated_at")?)?,
                })
            })
            .collect()
    }

    /// The projects connected to `service`, by slug: what a job walks.
    pub async fn projects_with(&self, service: Service) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT project FROM project_services WHERE service = $1 ORDER BY project",
        )
        .bind(service.as_str())
        .fetch_all(&self.pool)
        .await?)
    }
}

fn settings_of(json: String, service: Service) -> Result<ServiceSettings, StoreError> {
    let settings: ServiceSettings = serde_json::from_str(&json)
        .map_err(|e| StoreError::Corrupt(format!("settings of service {service}: {e}")))?;
    if settings.service() != service {
        return Err(StoreError::Corrupt(format!(
            "settings of service {service} are for {}",
            settings.service()
        )));
    }
    Ok(settings)
}

fn timestamp(us: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(us).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(r: Result<ServiceSettings, StoreError>) -> String {
        r.map(|s| format!("{s:?}"))
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn settings_are_checked_when_made() {
        assert_eq!(
            error(ServiceSettings::github(None, "coredns/coredns")),
            r#"GitHub { api_url: "https://api.github.com", repository: "coredns/coredns" }"#
        );
        assert_eq!(
            error(ServiceSettings::github(
                Some("http://127.0.0.1:9999/"),
                "a/b"
            )),
            r#"GitHub { api_url: "http://127.0.0.1:9999", repository: "a/b" }"#
        );
        assert_eq!(
            error(ServiceSettings::github(
                Some("http://github.example/api"),
                "a/b"
            )),
            r#"api_url: "http://github.example/api" must use https:// (plain http:// only to 127.0.0.1, localhost or [::1]): the token would cross the network in clear"#
        );
        assert_eq!(
            error(ServiceSettings::github(
                Some("http://127.0.0.1.evil.example/"),
                "a/b"
            )),
            r#"api_url: "http://127.0.0.1.evil.example" must use https:// (plain http:// only to 127.0.0.1, localhost or [::1]): the token would cross the network in clear"#
        );
        assert_eq!(
            error(ServiceSettings::github(Some("ftp://x"), "a/b")),
            r#"api_url: "ftp://x" must start with https://"#
        );
        assert_eq!(
            error(ServiceSettings::github(Some("https://u@x"), "a/b")),
            r#"api_url: "https://u@x" is not a URL psirt can call (a host, an optional port and path; no user in it)"#
        );
        for bad in ["coredns", "a/b/c", "/b", "a/", "a/..", "a b/c"] {
            assert!(
                error(ServiceSettings::github(None, bad)).starts_with("repository: "),
                "{bad}"
            );
        }
        assert_eq!(
            error(ServiceSettings::cve_services(None, "coredns", "")),
            "user: must be 1 to 256 characters without spaces"
        );
        assert_eq!(
            error(ServiceSettings::cve_services(None, "core dns", "a@b")),
            "org: must be 1 to 256 characters without spaces"
        );
    }

    #[test]
    fn a_secret_is_one_header_value_and_never_debugged() {
        assert_eq!(ServiceSecret::new("ghp_abc\n").unwrap().reveal(), "ghp_abc");
        for bad in ["", "a b", "a\r\nX-Injected: 1", "é"] {
            assert!(ServiceSecret::new(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            format!("{:?}", ServiceSecret::new("ghp_abc").unwrap()),
            "ServiceSecret(<redacted>)"
        );
    }

    #[test]
    fn stored_settings_name_their_service() {
        let s = ServiceSettings::cve_services(
            Some("https://cve.example/api"),
            "acme",
            "u@acme.example",
        )
        .unwrap();
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(
            json,
            r#"{"service":"cve","api_url":"https://cve.example/api","org":"acme","user":"u@acme.example"}"#
        );
        assert!(settings_of(json, Service::GitHub).is_err());
    }

    #[test]
    fn credentials_go_over_https_or_to_this_machine_only() {
        for (location, sends) in [
            ("https://git.example/coredns.git", true),
            ("http://127.0.0.1:8000/repo.git", true),
            ("http://[::1]:8000/repo.git", true),
            ("http://git.example/repo.git", false),
            ("http://127.0.0.1.evil.example/repo.git", false),
            ("ssh://git@git.example/repo.git", false),
            ("git://git.example/repo.git", false),
            ("/srv/git/repo.git", false),
            ("file:///srv/git/repo.git", false),
        ] {
            assert_eq!(may_carry_secrets(location), sends, "{location}");
        }
    }
}
