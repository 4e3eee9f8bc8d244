//! `psirt backup FILE` and `psirt restore FILE`: a consistent copy of the
//! whole database while psirt runs, and that copy put back into an empty
//! database.
//!
//! SQLite is copied by SQLite itself (`VACUUM INTO`, one read transaction,
//! so concurrent writers neither block nor tear the copy); PostgreSQL by
//! `pg_dump --format=custom` (one snapshot) and restored by `pg_restore`
//! in a single transaction. The file is made 0600 before anything is
//! written to it, and an existing file is never overwritten. A backup
//! holds every report in clear but not the key-encryption key: the copy
//! alone can be read but not used to sign or to open sealed secrets, and
//! a restore needs the KEK that goes with it. A database password in the
//! URL reaches `pg_dump` in its environment, never its command line.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};
use psirt_store::private::create_private_file;
use psirt_store::{AuditReport, Store};

use crate::config::Config;

/// What a backup file is, by its first bytes.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Sqlite,
    PgDump,
}

fn kind_of(path: &Path) -> anyhow::Result<Kind> {
    let mut head = [0u8; 16];
    let mut file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let n = file.read(&mut head)?;
    match &head[..n] {
        h if h.starts_with(b"SQLite format 3\0") => Ok(Kind::Sqlite),
        h if h.starts_with(b"PGDMP") => Ok(Kind::PgDump),
        _ => bail!(
            "{} is neither a SQLite database nor a pg_dump archive that psirt backup made",
            path.display()
        ),
    }
}

/// `psirt backup FILE`.
pub async fn backup(store: &Store, config: &Config, file: &Path) -> anyhow::Result<()> {
    if file.exists() {
        bail!(
            "{} exists: psirt backup never overwrites a file",
            file.display()
        );
    }
    store
        .record_backup(false, format!("file {}", file.display()))
        .await?;
    create_private_file(file, b"").with_context(|| format!("creating {}", file.display()))?;
    let made = match store.backend() {
        psirt_store::Backend::Sqlite => store
            .backup_sqlite_into(file)
            .await
            .map_err(anyhow::Error::from),
        psirt_store::Backend::Postgres => run_pg(
            "pg_dump",
            &config.database_url,
            &["--format=custom", "--no-owner", "--file"],
            file,
        ),
    };
    if let Err(e) = made {
        let _ = std::fs::remove_file(file);
        return Err(e.context(format!("backing up into {}", file.display())));
    }
    let size = std::fs::metadata(file)?.len();
    println!(
        "backed up into {} ({size} bytes); keep the key-encryption key apart from it",
        file.display()
    );
    Ok(())
}

/// `psirt restore FILE` into the configured database, which must be empty.
pub async fn restore(config: &Config, file: &Path) -> anyhow::Result<()> {
    let kind = kind_of(file)?;
    let url = &config.database_url;
    let sqlite = url.starts_with("sqlite:");
    match (&kind, sqlite) {
        (Kind::Sqlite, false) => bail!(
            "{} is a SQLite backup and database_url is PostgreSQL: restore it into a sqlite:// database",
            file.display()
        ),
        (Kind::PgDump, true) => bail!(
            "{} is a PostgreSQL backup and database_url is SQLite: restore it into an empty postgres:// database",
            file.display()
        ),
        _ => {}
    }
    if !psirt_store::database_is_empty(url)
        .await
        .context("looking at the database to restore into")?
    {
        bail!(
            "the database at database_url is not empty: psirt restore only fills an empty one (create a new database, or move the SQLite file away)"
        );
    }
    match kind {
        Kind::Sqlite => {
            let target = psirt_store::sqlite_path(url)?;
            if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
                psirt_store::private::ensure_private_dir(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            // An empty file (database_is_empty allowed it) is replaced.
            let _ = std::fs::remove_file(&target);
            create_private_file(&target, b"")
                .with_context(|| format!("creating {}", target.display()))?;
            let copied = File::open(file).and_then(|mut from| {
                let mut to = std::fs::OpenOptions::new().write(true).open(&target)?;
                std::io::copy(&mut from, &mut to)?;
                to.sync_all()
            });
            if let Err(e) = copied {
                let _ = std::fs::remove_file(&target);
                return Err(e).with_context(|| {
                    format!("copying {} to {}", file.display(), target.display())
                });
            }
        }
        Kind::PgDump => run_pg(
            "pg_restore",
            url,
            &[
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
            ],
            file,
        )?,
    }
    // Opening migrates a backup made by an older psirt; the chain must
    // still verify before the restore is recorded on it.
    let store = Store::open(url)
        .await
        .context("opening the restored database")?;
    match store.audit_verify().await? {
        AuditReport::Intact { entries, head } => {
            store
                .record_backup(true, format!("file {}", file.display()))
                .await?;
            println!(
                "restored {}; audit log intact ({entries} entries up to {head}); give psirt the key-encryption key that goes with it",
                file.display()
            );
            Ok(())
        }
        AuditReport::Broken(b) => bail!(
            "restored {}, but its audit log breaks at entry {} ({:?}): do not use it",
            file.display(),
            b.seq,
            b.kind
        ),
    }
}

/// Runs `pg_dump` or `pg_restore` on the database `url` with `file` last.
/// A password in the URL moves to `PGPASSWORD`, out of the process list.
fn run_pg(program: &str, url: &str, args: &[&str], file: &Path) -> anyhow::Result<()> {
    let (url, password) = split_password(url);
    let mut cmd = Command::new(program);
    cmd.args(args)
        .arg(file)
        .arg(format!("--dbname={url}"))
        .env_remove("PGPASSWORD");
    if let Some(password) = password {
        cmd.env("PGPASSWORD", password);
    }
    let out = cmd.output().with_context(|| {
        format!("running {program} (PostgreSQL's client tools must be installed)")
    })?;
    if !out.status.success() {
        bail!(
            "{program} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// `postgres://user:secret@host/db` → (`postgres://user@host/db`, `secret`).
fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return (url.to_owned(), None);
    };
    let Some((user, password)) = userinfo.split_once(':') else {
        return (url.to_owned(), None);
    };
    let password = percent_decode(password);
    (format!("{scheme}://{user}@{host}/{path}"), Some(password))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_leaves_the_url_for_the_environment() {
        assert_eq!(
            split_password("postgres://psirt:s%40cret@db.example:5432/psirt?sslmode=require"),
            (
                "postgres://psirt@db.example:5432/psirt?sslmode=require".into(),
                Some("s@cret".into())
            )
        );
        assert_eq!(
            split_password("postgres://postgres@127.0.0.1:5432/psirt"),
            ("postgres://postgres@127.0.0.1:5432/psirt".into(), None)
        );
        assert_eq!(
            split_password("postgresql://h/db"),
            ("postgresql://h/db".into(), None)
        );
    }
}
