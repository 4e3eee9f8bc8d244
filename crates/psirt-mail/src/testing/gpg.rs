//! GnuPG, the real thing, for interoperability tests: a `gpg` in a fresh
//! `--homedir` under a temporary directory, with the few operations the
//! tests need (make, export and import keys, encrypt and sign, and decrypt
//! and verify a PGP/MIME mail that psirt sent).
//!
//! It owns its home directory, which goes away with the [`Gpg`], and never
//! touches the user's own keyring or agent configuration. Keys it makes are
//! unprotected test keys. It panics with what to install when `gpg` is
//! missing and with gpg's own output when a command that must work fails.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::mime::Entity;

/// A GnuPG home directory of its own.
pub struct Gpg {
    dir: tempfile::TempDir,
}

/// What one gpg run gave: its exit status, its output, and its stderr, which
/// carries the `[GNUPG:]` status lines (`--status-fd 2`).
pub struct GpgOutput {
    pub ok: bool,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl GpgOutput {
    /// Whether a status line starts with `line` (without `[GNUPG:] `), e.g.
    /// `VALIDSIG 0123…` or `DECRYPTION_OKAY`.
    pub fn status_has(&self, line: &str) -> bool {
        self.stderr
            .lines()
            .any(|l| l.starts_with(&format!("[GNUPG:] {line}")))
    }

    /// The primary key fingerprint of a good signature (`VALIDSIG`'s last
    /// field), if there is one.
    pub fn valid_signer(&self) -> Option<String> {
        self.stderr
            .lines()
            .filter_map(|l| l.strip_prefix("[GNUPG:] VALIDSIG "))
            .find_map(|rest| rest.split_whitespace().last().map(str::to_string))
    }
}

/// What gpg made of an encrypted PGP/MIME mail.
#[derive(Debug)]
pub struct GpgDecrypted {
    /// The decrypted inner MIME entity.
    pub plaintext: Vec<u8>,
    /// True when gpg reported `GOODSIG` and `VALIDSIG` and no `BADSIG`.
    pub signature_good: bool,
    /// The fingerprint of the primary key that made a good signature.
    pub signer: Option<String>,
}

impl Default for Gpg {
    fn default() -> Gpg {
        Gpg::new()
    }
}

impl Gpg {
    pub fn new() -> Gpg {
        let found = Command::new("gpg").arg("--version").output();
        assert!(
            found.is_ok_and(|o| o.status.success()),
            "these tests need GnuPG: apt-get install gnupg (Debian's gpg 2.2 is expected)"
        );
        let dir = tempfile::tempdir().expect("a temporary directory for GnuPG");
        let home = dir.path().join("gnupg");
        std::fs::create_dir(&home).expect("the GnuPG home directory");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700))
                .expect("GnuPG home directory permissions");
        }
        Gpg { dir }
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("gnupg")
    }

    /// Writes `bytes` to a file called `name` next to the home directory.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).expect("a file for gpg");
        path
    }

    /// Runs gpg in batch mode with `args`, feeding it `stdin`.
    pub fn run(&self, args: &[&str], stdin: &[u8]) -> GpgOutput {
        let mut child = Command::new("gpg")
            .arg("--homedir")
            .arg(self.home())
            .args([
                "--batch",
                "--no-tty",
                "--trust-model",
                "always",
                "--status-fd",
                "2",
            ])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("gpg starts");
        let mut input = child.stdin.take().expect("piped stdin");
        let stdin = stdin.to_vec();
        // Written from a thread: gpg may fill its output pipes before it has
        // read all of a large input.
        let writer = std::thread::spawn(move || {
            let _ = input.write_all(&stdin);
        });
        let out = child.wait_with_output().expect("gpg runs");
        let _ = writer.join();
        GpgOutput {
            ok: out.status.success(),
            stdout: out.stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs gpg and panics with its stderr unless it succeeds.
    pub fn ok(&self, args: &[&str], stdin: &[u8]) -> Vec<u8> {
        let out = self.run(args, stdin);
        assert!(out.ok, "gpg {args:?} failed:\n{}", out.stderr);
        out.stdout
    }

    /// An unprotected ed25519/cv25519 key, as the recipe says; `expire` is
    /// gpg's `Expire-Date` (`0` for never). Returns its fingerprint.
    pub fn gen_key(&self, email: &str, expire: &str) -> String {
        let params = format!(
            "%no-protection\nKey-Type: eddsa\nKey-Curve: ed25519\nKey-Usage: sign\nSubkey-Type: ecdh\nSubkey-Curve: cv25519\nSubkey-Usage: encrypt\nName-Real: Test {email}\nName-Email: {email}\nExpire-Date: {expire}\n%commit\n"
        );
        let path = self.file("params", params.as_bytes());
        self.ok(&["--gen-key", path.to_str().expect("a UTF-8 path")], b"");
        self.fingerprint(email)
    }

    pub fn fingerprint(&self, email: &str) -> String {
        let listing = self.ok(&["--with-colons", "--list-keys", email], b"");
        String::from_utf8_lossy(&listing)
            .lines()
            .find(|l| l.starts_with("fpr:"))
            .and_then(|l| l.split(':').nth(9))
            .expect("a fingerprint")
            .to_string()
    }

    /// The armored public key of `email`.
    pub fn export(&self, email: &str) -> String {
        String::from_utf8(self.ok(&["--armor", "--export", email], b"")).expect("armor is ASCII")
    }

    pub fn import(&self, armored: &str) {
        self.ok(&["--import"], armored.as_bytes());
    }

    /// Encrypts `plaintext` to `recipient` (a fingerprint or an address of an
    /// imported key), signed by `signer` when given; ASCII-armored.
    pub fn encrypt(&self, recipient: &str, signer: Option<&str>, plaintext: &[u8]) -> Vec<u8> {
        let mut args = vec!["--armor", "--encrypt", "--recipient", recipient];
        if let Some(signer) = signer {
            args.extend(["--sign", "--local-user", signer]);
        }
        self.ok(&args, plaintext)
    }

    /// A whole PGP/MIME mail (RFC 3156 §4) as a mail client would send it:
    /// `headers` (CRLF-separated lines such as `From: …`, without
    /// `MIME-Version` or `Content-Type`), then `inner` (a MIME entity with
    /// its own `Content-Type`) encrypted to `recipient` and signed by
    /// `signer` when given.
    pub fn encrypt_pgp_mime(
        &self,
        headers: &str,
        inner: &[u8],
        recipient: &str,
        signer: Option<&str>,
    ) -> Vec<u8> {
        let armored = self.encrypt(recipient, signer, inner);
        let mut mail = headers
            .trim_end()
            .replace("\r\n", "\n")
            .replace('\n', "\r\n");
        mail.push_str(
            "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/encrypted;\r\n protocol=\"application/pgp-encrypted\";\r\n boundary=\"gpg-boundary\"\r\n\r\nThis is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n--gpg-boundary\r\nContent-Type: application/pgp-encrypted\r\nContent-Description: PGP/MIME version identification\r\n\r\nVersion: 1\r\n\r\n--gpg-boundary\r\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\r\nContent-Description: OpenPGP encrypted message\r\nContent-Disposition: inline; filename=\"encrypted.asc\"\r\n\r\n",
        );
        let mut mail = mail.into_bytes();
        mail.extend_from_slice(&crate::mime::canonical_crlf(&armored));
        mail.extend_from_slice(b"\r\n--gpg-boundary--\r\n");
        mail
    }

    /// Decrypts and verifies a PGP/MIME `multipart/encrypted` mail, as a
    /// recipient's mail client would: the armored second part goes to
    /// `gpg --decrypt`, and the status lines say whether the signature
    /// inside is good. `Err` holds why it could not be decrypted (the MIME
    /// structure, or gpg's stderr).
    pub fn decrypt_pgp_mime(&self, mail: &[u8]) -> Result<GpgDecrypted, String> {
        let top = Entity::parse(mail).map_err(|e| e.to_string())?;
        let parts = top.parts("encrypted").map_err(|e| e.to_string())?;
        let second = parts
            .get(1)
            .ok_or("multipart/encrypted without its second part")?;
        let armored = Entity::parse(second).map_err(|e| e.to_string())?.body;
        let out = self.run(&["--decrypt"], armored);
        if !out.ok || !out.status_has("DECRYPTION_OKAY") {
            return Err(format!("gpg --decrypt failed:\n{}", out.stderr));
        }
        let signer = out.valid_signer();
        let signature_good =
            out.status_has("GOODSIG") && signer.is_some() && !out.status_has("BADSIG");
        Ok(GpgDecrypted {
            plaintext: out.stdout,
            signature_good,
            signer: signature_good.then_some(signer).flatten(),
        })
    }

    /// Verifies a PGP/MIME `multipart/signed` mail (RFC 3156 §5) as a
    /// recipient's mail client would: the first part exactly as sent, CRLF
    /// line ends included, against the detached signature in the second.
    /// `Ok` holds the signed part when gpg reports a good, valid signature
    /// from an imported key; `Err` holds why not.
    pub fn verify_pgp_mime(&self, mail: &[u8]) -> Result<Vec<u8>, String> {
        let top = Entity::parse(mail).map_err(|e| e.to_string())?;
        let parts = top.parts("signed").map_err(|e| e.to_string())?;
        let [signed, signature] = parts.as_slice() else {
            return Err(format!(
                "multipart/signed with {} parts, not 2",
                parts.len()
            ));
        };
        let armored = Entity::parse(signature).map_err(|e| e.to_string())?.body;
        let part_path = self.file("signed-part", signed);
        let signature_path = self.file("signed-part.asc", armored);
        let out = self.run(
            &[
                "--verify",
                signature_path.to_str().expect("a UTF-8 temporary path"),
                part_path.to_str().expect("a UTF-8 temporary path"),
            ],
            b"",
        );
        if out.ok && out.status_has("GOODSIG") && out.valid_signer().is_some() {
            Ok(signed.to_vec())
        } else {
            Err(format!("gpg --verify failed:\n{}", out.stderr))
        }
    }
}
