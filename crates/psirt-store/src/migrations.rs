//! The embedded migrations, one list per backend, run by sqlx's migrator
//! (which takes a lock first, so several replicas may start at once).

use std::borrow::Cow;

use sqlx::SqlStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::{Backend, Store, StoreError};

const SQLITE: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "access",
        include_str!("../migrations/sqlite/0002_access.sql"),
    ),
    (
        3,
        "audit",
        include_str!("../migrations/sqlite/0003_audit.sql"),
    ),
    (
        4,
        "attachments",
        include_str!("../migrations/sqlite/0004_attachments.sql"),
    ),
    (
        5,
        "instance_key",
        include_str!("../migrations/sqlite/0005_instance_key.sql"),
    ),
    (
        6,
        "mail",
        include_str!("../migrations/sqlite/0006_mail.sql"),
    ),
    (
        7,
        "distributors",
        include_str!("../migrations/sqlite/0007_distributors.sql"),
    ),
    (
        8,
        "named_keys",
        include_str!("../migrations/sqlite/0008_named_keys.sql"),
    ),
    (
        9,
        "invitations",
        include_str!("../migrations/sqlite/0009_invitations.sql"),
    ),
    (
        10,
        "current_members",
        include_str!("../migrations/sqlite/0010_current_members.sql"),
    ),
    (
        11,
        "calendar_links",
        include_str!("../migrations/sqlite/0011_calendar_links.sql"),
    ),
    (
        12,
        "integrations",
        include_str!("../migrations/sqlite/0012_integrations.sql"),
    ),
    (
        13,
        "services",
        include_str!("../migrations/sqlite/0013_services.sql"),
    ),
    (
        14,
        "github_logins",
        include_str!("../migrations/sqlite/0014_github_logins.sql"),
    ),
    (
        15,
        "mail_attachments",
        include_str!("../migrations/sqlite/0015_mail_attachments.sql"),
    ),
    (
        16,
        "case_summaries",
        include_str!("../migrations/sqlite/0016_case_summaries.sql"),
    ),
    (
        17,
        "org_events",
        include_str!("../migrations/sqlite/0017_org_events.sql"),
    ),
    (
        18,
        "triage",
        include_str!("../migrations/sqlite/0018_triage.sql"),
    ),
    (
        19,
        "similar",
        include_str!("../migrations/sqlite/0019_similar.sql"),
    ),
    (
        20,
        "projects",
        include_str!("../migrations/sqlite/0020_projects.sql"),
    ),
];
const POSTGRES: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "access",
        include_str!("../migrations/postgres/0002_access.sql"),
    ),
    (
        3,
        "audit",
        include_str!("../migrations/postgres/0003_audit.sql"),
    ),
    (
        4,
        "attachments",
        include_str!("../migrations/postgres/0004_attachments.sql"),
    ),
    (
        5,
        "instance_key",
        include_str!("../migrations/postgres/0005_instance_key.sql"),
    ),
    (
        6,
        "mail",
        include_str!("../migrations/postgres/0006_mail.sql"),
    ),
    (
        7,
        "distributors",
        include_str!("../migrations/postgres/0007_distributors.sql"),
    ),
    (
        8,
        "named_keys",
        include_str!("../migrations/postgres/0008_named_keys.sql"),
    ),
    (
        9,
        "invitations",
        include_str!("../migrations/postgres/0009_invitations.sql"),
    ),
    (
        10,
        "current_members",
        include_str!("../migrations/postgres/0010_current_members.sql"),
    ),
    (
        11,
        "calendar_links",
        include_str!("../migrations/postgres/0011_calendar_links.sql"),
    ),
    (
        12,
        "integrations",
        include_str!("../migrations/postgres/0012_integrations.sql"),
    ),
    (
        13,
        "services",
        include_str!("../migrations/postgres/0013_services.sql"),
    ),
    (
        14,
        "github_logins",
        include_str!("../migrations/postgres/0014_github_logins.sql"),
    ),
    (
        15,
        "mail_attachments",
        include_str!("../migrations/postgres/0015_mail_attachments.sql"),
    ),
    (
        16,
        "case_summaries",
        include_str!("../migrations/postgres/0016_case_summaries.sql"),
    ),
    (
        17,
        "org_events",
        include_str!("../migrations/postgres/0017_org_events.sql"),
    ),
    (
        18,
        "triage",
        include_str!("../migrations/postgres/0018_triage.sql"),
    ),
    (
        19,
        "similar",
        include_str!("../migrations/postgres/0019_similar.sql"),
    ),
    (
        20,
        "projects",
        include_str!("../migrations/postgres/0020_projects.sql"),
    ),
];

fn migrator(backend: Backend) -> Migrator {
    let list = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    let migrations = list
        .iter()
        .map(|&(version, description, sql)| {
            Migration::new(
                version,
                Cow::Borrowed(description),
                MigrationType::Simple,
                SqlStr::from_static(sql),
                false,
            )
        })
        .collect::<Vec<_>>();
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}

pub(crate) async fn run(store: &Store) -> Result<(), StoreError> {
    migrator(store.backend).run(&store.pool).await?;
    // The organisations that existed before their events did get theirs
    // (see 0017_org_events.sql); a no-op once done.
    crate::distributors::backfill_events(store).await?;
    Ok(())
}

/// Fails unless the database answers and every migration is applied.
pub(crate) async fn check(store: &Store) -> Result<(), StoreError> {
    let latest = migrator(store.backend)
        .migrations
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0);
    let applied: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(&store.pool)
            .await?;
    if applied != Some(latest) {
        return Err(StoreError::Corrupt(format!(
            "schema at version {applied:?}, expected {latest}"
        )));
    }
    Ok(())
}
