//! What the HTTP tests share: a fresh database of either kind (a SQLite
//! file, or a new database on the real PostgreSQL server,
//! `PSIRT_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`), dropped when the test
//! is done, the project and people a test starts with ([`Team`]), and
//! the app served on 127.0.0.1.

#![allow(dead_code)]

use std::net::SocketAddr;

use psirt_core::Policy;
use psirt_store::{Store, User};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

pub fn admin_url() -> String {
    std::env::var("PSIRT_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh store: a SQLite file in a temporary directory, or a new
/// PostgreSQL database named `{prefix}_` and random hex (its name is
/// returned, for [`close`]).
pub async fn open(
    postgres: bool,
    prefix: &str,
) -> (Store, Option<String>, Option<tempfile::TempDir>) {
    if !postgres {
        let (store, dir) = sqlite().await;
        return (store, None, Some(dir));
    }
    sqlx::any::install_default_drivers();
    let admin = admin_url();
    let mut conn = sqlx::AnyConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL must be running for the HTTP tests ({admin}): {e}"));
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).unwrap();
    let name = format!("{prefix}_{}", hex::encode(suffix));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    (
        Store::open(&format!("{base}/{name}")).await.unwrap(),
        Some(name),
        None,
    )
}

/// A fresh SQLite store, in a temporary directory that lives as long as
/// the handle returned with it.
pub async fn sqlite() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite://{}/psirt.db", dir.path().display()))
        .await
        .unwrap();
    (store, dir)
}

/// Closes the store and drops its PostgreSQL database, if it has one.
pub async fn close(store: &Store, pg: Option<String>) {
    store.close().await;
    if let Some(name) = pg {
        let mut conn = sqlx::AnyConnection::connect(&admin_url()).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await
        .unwrap();
    }
}

/// What a person of a [`Team`] is on the instance.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// On the project's Product Security Team.
    Pst,
    /// An account neither on the PST nor an administrator: a developer,
    /// a maintainer.
    Developer,
    /// An administrator of the instance, not on the PST.
    Admin,
}

/// The project and people a test starts with, written to the store as
/// `psirt project add` and `psirt user add` would: the project with the
/// seed's policy, then each person in order (an account with its API
/// token, the password if the team has one, the PST if they are on it).
pub struct Team {
    project: Option<(String, String)>,
    password: Option<String>,
    people: Vec<(String, String, Role)>,
}

/// A person added by [`Team::add`]: their account and API token.
pub struct Person {
    pub user: User,
    pub token: String,
}

impl Team {
    /// The project `slug`, named `name`.
    pub fn on(slug: &str, name: &str) -> Team {
        Team {
            project: Some((slug.into(), name.into())),
            password: None,
            people: Vec::new(),
        }
    }

    /// People only: the test makes its project itself (through the API).
    pub fn without_project() -> Team {
        Team {
            project: None,
            password: None,
            people: Vec::new(),
        }
    }

    /// A person whose display name is their e-mail address.
    pub fn person(self, email: &str, role: Role) -> Team {
        self.named(email, email, role)
    }

    /// A person with a display name of their own.
    pub fn named(mut self, email: &str, name: &str, role: Role) -> Team {
        self.people.push((email.into(), name.into(), role));
        self
    }

    /// Everyone signs in to the pages with `password`.
    pub fn password(mut self, password: &str) -> Team {
        self.password = Some(password.into());
        self
    }

    /// Writes the project and the people at `now`; the people in the
    /// order they were named (`N` of them, or this panics).
    pub async fn add<const N: usize>(self, store: &Store, now: jiff::Timestamp) -> [Person; N] {
        if let Some((slug, name)) = &self.project {
            store
                .add_project(slug, name, &Policy::default(), now)
                .await
                .unwrap();
        }
        let mut people = Vec::new();
        for (email, name, role) in &self.people {
            let (user, token) = store
                .add_user(&email.parse().unwrap(), name, *role == Role::Admin, now)
                .await
                .unwrap();
            if let Some(password) = &self.password {
                store.set_password(user.id, password).await.unwrap();
            }
            if *role == Role::Pst {
                let (slug, _) = self.project.as_ref().expect("a PST needs a project");
                store.add_pst_member(slug, user.id, now).await.unwrap();
            }
            people.push(Person {
                user,
                token: token.reveal().to_string(),
            });
        }
        people
            .try_into()
            .unwrap_or_else(|p: Vec<Person>| panic!("{} people named, {N} taken", p.len()))
    }
}

/// Serves `router` (with the client's address, as `psirt serve` does) on
/// a free port of 127.0.0.1; its base URL, `http://127.0.0.1:PORT`.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    format!("http://{addr}")
}

/// A client of the API at `base`; an empty token is no token.
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

impl Api {
    pub fn new(base: String) -> Api {
        Api {
            base,
            http: reqwest::Client::new(),
        }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base));
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn command(&self, token: &str, case: &str, command: Value) -> (StatusCode, Value) {
        let path = format!("/api/v1/cases/{case}/commands");
        self.call("POST", &path, token, Some(json!({ "command": command })))
            .await
    }

    pub async fn ok(&self, token: &str, case: &str, command: Value) -> Value {
        let (status, body) = self.command(token, case, command.clone()).await;
        assert_eq!(status, StatusCode::OK, "{command}: {body}");
        body
    }

    pub async fn case(&self, token: &str, case: &str) -> (StatusCode, Value) {
        self.call("GET", &format!("/api/v1/cases/{case}"), token, None)
            .await
    }
}
