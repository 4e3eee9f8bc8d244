//! Files only psirt's own user may read: the SQLite database (every report
//! in clear), its `-wal` and `-shm` companions, and anything else the
//! binary keeps beside them (the instance key's key-encryption key).
//!
//! Whatever the process umask, a directory psirt creates is `0700` and a
//! file `0600`. SQLite creates `-wal` and `-shm` with the database file's
//! own mode, so creating the database `0600` before SQLite opens it covers
//! them too. Files psirt owns that an older version left readable by
//! others are tightened, with a warning; a directory that already existed
//! is the operator's choice (it may be shared), so an open one is only
//! warned about. This module never reads or logs what a file holds.

use std::path::Path;

use crate::StoreError;

/// The permission bits psirt gives its directories and files.
pub const DIR_MODE: u32 = 0o700;
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and its parents) as `0700` when it does not exist, and
/// warns when an existing one lets group or others in.
pub fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.as_os_str().is_empty() {
        return Ok(());
    }
    match std::fs::metadata(dir) {
        Ok(meta) => {
            warn_if_open_dir(dir, &meta);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_dir(dir),
        Err(e) => Err(e),
    }
}

#[cfg(unix)]
fn create_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)?;
    // The umask may only take bits away; make sure of the mode anyway.
    set_mode(dir, DIR_MODE)
}

#[cfg(not(unix))]
fn create_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn warn_if_open_dir(dir: &Path, meta: &std::fs::Metadata) {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        tracing::warn!(
            directory = %dir.display(),
            mode = format!("{mode:o}"),
            "psirt's data directory is open to other local users; they cannot read the files psirt keeps there (0600), but make it 0700 (chmod 700)"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_open_dir(_: &Path, _: &std::fs::Metadata) {}

/// Creates `path` empty as `0600` unless it exists; an existing file that
/// others may read is tightened to `0600`.
pub fn ensure_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    match options.open(path) {
        Ok(_) => set_mode(path, FILE_MODE),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            tighten(path);
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Writes `contents` to a new file `path`, `0600` from the start (never
/// readable by others, not even for a moment). Fails with `AlreadyExists`
/// if it exists; the file appears whole or not at all (written beside it,
/// then linked into place), so a process that finds it never reads it
/// half-written.
pub fn create_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(std::io::Error::other)?;
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".{}.tmp", hex::encode(random)));
    let temporary = std::path::PathBuf::from(temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    let written = (|| {
        let mut file = options.open(&temporary)?;
        set_mode(&temporary, FILE_MODE)?;
        file.write_all(contents)?;
        file.sync_all()?;
        // A hard link never replaces an existing file: of two processes,
        // one links and the other gets AlreadyExists.
        std::fs::hard_link(&temporary, path)
    })();
    let _ = std::fs::remove_file(&temporary);
    written
}

/// Makes an existing file psirt owns `0600` if group or others may read or
/// write it, and says so. A file it cannot change (another owner) is
/// warned about instead.
pub fn tighten(path: &Path) {
    let Some(mode) = mode_of(path) else { return };
    if mode & 0o077 == 0 {
        return;
    }
    match set_mode(path, FILE_MODE) {
        Ok(()) => tracing::warn!(
            file = %path.display(),
            was = format!("{mode:o}"),
            "the file was readable by other local users; made it 0600"
        ),
        Err(e) => tracing::warn!(
            file = %path.display(),
            mode = format!("{mode:o}"),
            error = %e,
            "the file is readable by other local users and psirt cannot change that: make it 0600"
        ),
    }
}

/// The database's directory and file, before SQLite opens it.
pub(crate) fn prepare_sqlite_file(path: &Path) -> Result<(), StoreError> {
    if let Some(dir) = path.parent() {
        ensure_private_dir(dir).map_err(|e| StoreError::Invalid {
            field: "database_url",
            reason: format!("cannot create directory {}: {e}", dir.display()),
        })?;
    }
    ensure_private_file(path).map_err(|e| StoreError::Invalid {
        field: "database_url",
        reason: format!("cannot create {}: {e}", path.display()),
    })
}

/// The database and its companions, once SQLite has them.
pub(crate) fn tighten_sqlite_files(path: &Path) {
    tighten(path);
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut companion = path.as_os_str().to_owned();
        companion.push(suffix);
        tighten(Path::new(&companion));
    }
}

#[cfg(unix)]
fn mode_of(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    Some(std::fs::metadata(path).ok()?.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn mode_of(_: &Path) -> Option<u32> {
    None
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}
