//! The key-encryption key (KEK): the passphrase that locks the instance's
//! OpenPGP secret key in the database, kept where the operator decides and
//! never in the database itself.
//!
//! It comes from `PSIRT_INSTANCE_KEY_PASSPHRASE`, or from a file:
//! `key_file` (`PSIRT_KEY_FILE`), by default `instance.kek` beside the
//! SQLite database (`psirt-data/instance.kek` with PostgreSQL). On first
//! run, and when an older psirt left a clear key in the database, a file
//! that does not exist yet is made: 32 random bytes in hexadecimal, mode
//! 0600, so `psirt serve` needs no new step on a fresh machine. Once the
//! stored key is locked, a missing or wrong KEK is an error naming where it
//! was looked for; psirt never makes a new one then.
//!
//! This module never logs, prints or `Debug`s the KEK.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use psirt_mail::InstanceKey;
use psirt_store::Store;
use psirt_store::private::{create_private_file, ensure_private_dir, tighten};

/// The shortest passphrase `PSIRT_INSTANCE_KEY_PASSPHRASE` may hold.
const MIN_PASSPHRASE: usize = 16;
/// The file's name beside the SQLite database by default.
pub const DEFAULT_FILE_NAME: &str = "instance.kek";

/// The KEK itself. Its `Debug` is redacted.
#[derive(Clone)]
pub struct Kek(Vec<u8>);

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Kek(<redacted>)")
    }
}

/// Where the KEK comes from.
#[derive(Clone, Debug)]
pub enum KekSource {
    /// A file; `configured` when `key_file`/`PSIRT_KEY_FILE` named it.
    File { path: PathBuf, configured: bool },
    /// `PSIRT_INSTANCE_KEY_PASSPHRASE`.
    Passphrase(Kek),
}

impl KekSource {
    /// From the configuration: a passphrase in the environment, or a key
    /// file (configured, or the default beside the database). Both at once
    /// is refused: psirt would have to guess which one locked the key.
    pub fn from_settings(
        key_file: Option<PathBuf>,
        passphrase: Option<String>,
        database_url: &str,
    ) -> anyhow::Result<KekSource> {
        match (key_file, passphrase) {
            (Some(_), Some(_)) => bail!(
                "key_file (PSIRT_KEY_FILE) and PSIRT_INSTANCE_KEY_PASSPHRASE are both set: set one of them"
            ),
            (None, Some(p)) if p.len() < MIN_PASSPHRASE => bail!(
                "PSIRT_INSTANCE_KEY_PASSPHRASE: must be at least {MIN_PASSPHRASE} characters (a random one: openssl rand -hex 32)"
            ),
            (None, Some(p)) => Ok(KekSource::Passphrase(Kek(p.into_bytes()))),
            (Some(path), None) if path.as_os_str().is_empty() => {
                bail!("key_file: must name a file")
            }
            (Some(path), None) => Ok(KekSource::File {
                path,
                configured: true,
            }),
            (None, None) => Ok(KekSource::File {
                path: default_path(database_url),
                configured: false,
            }),
        }
    }

    /// Where the KEK is, for error messages.
    fn describe(&self) -> String {
        match self {
            KekSource::File {
                path,
                configured: true,
            } => format!("the key file {} (key_file, PSIRT_KEY_FILE)", path.display()),
            KekSource::File {
                path,
                configured: false,
            } => format!(
                "the key file {} (the default; or set key_file, PSIRT_KEY_FILE, or PSIRT_INSTANCE_KEY_PASSPHRASE)",
                path.display()
            ),
            KekSource::Passphrase(_) => "PSIRT_INSTANCE_KEY_PASSPHRASE".into(),
        }
    }

    /// The KEK, or `None` when its file does not exist.
    fn read(&self) -> anyhow::Result<Option<Kek>> {
        let path = match self {
            KekSource::Passphrase(kek) => return Ok(Some(kek.clone())),
            KekSource::File { path, .. } => path,
        };
        match std::fs::read(path) {
            Ok(bytes) => {
                tighten(path);
                let text = bytes.trim_ascii();
                if text.is_empty() {
                    bail!("{} is empty", self.describe());
                }
                Ok(Some(Kek(text.to_vec())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", self.describe())),
        }
    }

    /// The KEK, made now (a new file, 0600) if its file does not exist.
    fn read_or_create(&self) -> anyhow::Result<Kek> {
        if let Some(kek) = self.read()? {
            return Ok(kek);
        }
        let KekSource::File { path, .. } = self else {
            unreachable!("a passphrase is always there")
        };
        if let Some(dir) = path.parent() {
            ensure_private_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let mut random = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut random);
        let text: String = random.iter().map(|b| format!("{b:02x}")).collect();
        match create_private_file(path, format!("{text}\n").as_bytes()) {
            Ok(()) => {
                tracing::info!(file = %path.display(), "made the instance key's key-encryption key (keep it, and back it up apart from the database)");
                Ok(Kek(text.into_bytes()))
            }
            // Another process made it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => self
                .read()?
                .with_context(|| format!("{} vanished", self.describe())),
            Err(e) => Err(e).with_context(|| format!("creating {}", self.describe())),
        }
    }
}

/// `instance.kek` beside a SQLite database; `psirt-data/instance.kek` for
/// PostgreSQL (whose replicas must share one: set the same key file or
/// passphrase on each).
fn default_path(database_url: &str) -> PathBuf {
    let Some(rest) = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
    else {
        return Path::new("psirt-data").join(DEFAULT_FILE_NAME);
    };
    let file = rest.split_once('?').map_or(rest, |(p, _)| p);
    match Path::new(file).parent() {
        Some(dir) => dir.join(DEFAULT_FILE_NAME),
        None => PathBuf::from(DEFAULT_FILE_NAME),
    }
}

/// The instance's key with its secret part, unlocked in memory: made and
/// stored locked on first run, read and unlocked afterwards; a clear key
/// an older psirt stored is locked in place first (audited).
pub async fn instance_key(store: &Store, source: &KekSource) -> anyhow::Result<InstanceKey> {
    let armored = match store.instance_key().await? {
        Some(armored) => armored,
        None => {
            let kek = source.read_or_create()?;
            let key = InstanceKey::generate("psirt (instance key)")?;
            tracing::info!(
                fingerprint = key.fingerprint().as_str(),
                "made the instance's OpenPGP key"
            );
            store
                .keep_instance_key(
                    &key.to_armored_protected(&kek.0)?,
                    key.fingerprint().as_str(),
                    crate::time::now(),
                )
                .await?
        }
    };
    let protected =
        InstanceKey::is_protected(&armored).context("reading the stored instance key")?;
    if !protected {
        let kek = source.read_or_create()?;
        let key = InstanceKey::from_armored_secret(&armored)
            .context("reading the stored instance key")?;
        if store
            .protect_instance_key(&armored, &key.to_armored_protected(&kek.0)?)
            .await?
        {
            tracing::warn!(
                fingerprint = key.fingerprint().as_str(),
                "the instance key was stored in clear by an older psirt; it is now locked with the key-encryption key"
            );
        }
        return Box::pin(instance_key(store, source)).await;
    }
    let Some(kek) = source.read()? else {
        bail!(
            "the instance key in the database is locked, and {} does not exist: restore it from your backup (psirt never makes a new one for a locked key)",
            source.describe()
        );
    };
    match InstanceKey::from_armored_protected(&armored, &kek.0) {
        Ok(key) => Ok(key),
        Err(psirt_mail::Error::Passphrase) => bail!(
            "the instance key in the database cannot be unlocked with {}: it is not the key-encryption key that locked it",
            source.describe()
        ),
        Err(e) => Err(e).context("reading the stored instance key"),
    }
}

/// The vault that seals the projects' service credentials, opened with
/// the same KEK as the instance key. The KEK is settled the way the
/// instance key settles it (made on first run, never made anew once
/// something is locked with it), so the two can never disagree.
pub async fn vault(store: &Store, source: &KekSource) -> anyhow::Result<psirt_store::Vault> {
    instance_key(store, source).await?;
    let kek = source
        .read()?
        .with_context(|| format!("{} vanished", source.describe()))?;
    store
        .open_vault(&kek.0, crate::time::now())
        .await
        .with_context(|| format!("opening the vault with {}", source.describe()))
}

/// The instance's public key: read from the stored key without the KEK
/// when there is one, otherwise the key made now.
pub async fn instance_public_key(
    store: &Store,
    source: &KekSource,
) -> anyhow::Result<psirt_mail::PublicKey> {
    match store.instance_key().await? {
        Some(armored) => InstanceKey::public_of_armored_secret(&armored)
            .context("reading the stored instance key"),
        None => Ok(instance_key(store, source).await?.public_key()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_key_file_sits_beside_the_database() {
        let check = |url: &str| default_path(url).display().to_string();
        assert_eq!(
            check("sqlite://psirt-data/psirt.db"),
            "psirt-data/instance.kek"
        );
        assert_eq!(
            check("sqlite:///var/lib/psirt/p.db?mode=rwc"),
            "/var/lib/psirt/instance.kek"
        );
        assert_eq!(check("sqlite://p.db"), "instance.kek");
        assert_eq!(check("postgres://u@h/db"), "psirt-data/instance.kek");
    }

    #[test]
    fn settings_name_what_is_wrong() {
        let err = |k: Option<&str>, p: Option<&str>| {
            KekSource::from_settings(k.map(PathBuf::from), p.map(String::from), "sqlite://a.db")
                .map(|s| s.describe())
                .unwrap_or_else(|e| format!("error: {e}"))
        };
        assert_eq!(
            err(Some("k"), Some("0123456789abcdef")),
            "error: key_file (PSIRT_KEY_FILE) and PSIRT_INSTANCE_KEY_PASSPHRASE are both set: set one of them"
        );
        assert_eq!(
            err(None, Some("short")),
            "error: PSIRT_INSTANCE_KEY_PASSPHRASE: must be at least 16 characters (a random one: openssl rand -hex 32)"
        );
        assert_eq!(
            err(None, Some("0123456789abcdef")),
            "PSIRT_INSTANCE_KEY_PASSPHRASE"
        );
        assert_eq!(
            err(Some("/etc/psirt/kek"), None),
            "the key file /etc/psirt/kek (key_file, PSIRT_KEY_FILE)"
        );
        let debug = format!(
            "{:?}",
            KekSource::Passphrase(Kek(b"0123456789abcdef".to_vec()))
        );
        assert!(!debug.contains("0123"), "{debug}");
    }
}
