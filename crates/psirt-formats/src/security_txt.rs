//! `/.well-known/security.txt` (RFC 9116), from the project's policy: how
//! to report (Contact), the instance's OpenPGP key (Encryption), the
//! security policy (Policy), the published advisories (Acknowledgments),
//! its own URL (Canonical), Preferred-Languages and Expires. The caller
//! signs it (an OpenPGP cleartext signature, as RFC 9116 §2.3 allows).

use std::fmt::Write as _;

use jiff::Timestamp;

/// What a security.txt says.
#[derive(Clone, Debug)]
pub struct SecurityTxt<'a> {
    /// The instance's public base URL.
    pub base: &'a str,
    /// Further contacts (a `mailto:` URI), after the report form.
    pub contacts: &'a [String],
    /// Whether the instance has an OpenPGP key at `/openpgp-key.asc`.
    pub encryption: bool,
    pub languages: &'a [&'a str],
    /// When the file stops being valid (RFC 9116: less than a year ahead).
    pub expires: Timestamp,
}

pub fn render(s: &SecurityTxt<'_>) -> String {
    let base = s.base.trim_end_matches('/');
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# The security contact of this project, from its psirt instance."
    );
    let _ = writeln!(out, "Contact: {base}/report");
    for c in s.contacts {
        let _ = writeln!(out, "Contact: {c}");
    }
    if s.encryption {
        let _ = writeln!(out, "Encryption: {base}/openpgp-key.asc");
    }
    let _ = writeln!(out, "Policy: {base}/");
    let _ = writeln!(out, "Acknowledgments: {base}/advisories");
    let _ = writeln!(out, "Preferred-Languages: {}", s.languages.join(", "));
    let _ = writeln!(out, "Canonical: {base}/.well-known/security.txt");
    let _ = writeln!(out, "Expires: {}", s.expires.strftime("%Y-%m-%dT%H:%M:%SZ"));
    out
}
