//! Identifiers and values that are validated once, when constructed.
//!
//! Every type here has a private field and a fallible constructor, so a
//! function that takes a `CveId` never has to check it again.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why an identifier was refused; names the kind of value and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {reason}")]
pub struct IdError {
    pub kind: &'static str,
    pub reason: String,
}

fn id_error(kind: &'static str, reason: impl Into<String>) -> IdError {
    IdError {
        kind,
        reason: reason.into(),
    }
}

/// A psirt account, as the store numbers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(i64);

impl UserId {
    pub const fn new(id: i64) -> UserId {
        UserId(id)
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "user {}", self.0)
    }
}

/// psirt's own, stable, human-friendly case reference: `PSIRT-2026-0007`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CaseRef {
    year: i16,
    number: u32,
}

impl CaseRef {
    pub fn new(year: i16, number: u32) -> Result<CaseRef, IdError> {
        if !(1970..=9999).contains(&year) {
            return Err(id_error(
                "case reference",
                format!("year {year} is out of range"),
            ));
        }
        if number == 0 {
            return Err(id_error("case reference", "numbers start at 1"));
        }
        Ok(CaseRef { year, number })
    }

    pub fn year(self) -> i16 {
        self.year
    }

    pub fn number(self) -> u32 {
        self.number
    }
}

impl fmt::Display for CaseRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PSIRT-{}-{:04}", self.year, self.number)
    }
}

impl FromStr for CaseRef {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            id_error(
                "case reference",
                format!("{s:?} is not of the form PSIRT-2026-0007"),
            )
        };
        let rest = s.trim().strip_prefix("PSIRT-").ok_or_else(bad)?;
        let (year, number) = rest.split_once('-').ok_or_else(bad)?;
        if year.len() != 4 || number.len() < 4 || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        CaseRef::new(
            year.parse().map_err(|_| bad())?,
            number.parse().map_err(|_| bad())?,
        )
    }
}

impl Serialize for CaseRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CaseRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $validate:path) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $validate(s.trim()).map($name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

string_id!(
    /// A git commit id: 7 to 64 hexadecimal digits, kept in lower case.
    CommitId,
    validate_commit
);
string_id!(
    /// A CVE identifier, `CVE-YYYY-NNNN` with four or more digits.
    CveId,
    validate_cve
);
string_id!(
    /// An e-mail address with one `@`, a local part and a dotted domain.
    EmailAddress,
    validate_email
);

string_id!(
    /// A GitHub account's login: letters, digits and single inner
    /// hyphens, at most 39 characters, kept in lower case (GitHub's logins
    /// are case-insensitive).
    GitHubLogin,
    validate_github_login
);

fn validate_github_login(s: &str) -> Result<String, IdError> {
    let ok = (1..=39).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--");
    if !ok {
        return Err(id_error(
            "GitHub login",
            format!(
                "{s:?} is not a GitHub login (letters, digits and single inner hyphens, at most 39)"
            ),
        ));
    }
    Ok(s.to_ascii_lowercase())
}

fn validate_commit(s: &str) -> Result<String, IdError> {
    if !(7..=64).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(id_error(
            "commit",
            format!("{s:?} is not a commit id (7 to 64 hexadecimal digits)"),
        ));
    }
    Ok(s.to_ascii_lowercase())
}

fn validate_cve(s: &str) -> Result<String, IdError> {
    let bad = || id_error("CVE id", format!("{s:?} is not of the form CVE-2026-12345"));
    let rest = s.strip_prefix("CVE-").ok_or_else(bad)?;
    let (year, number) = rest.split_once('-').ok_or_else(bad)?;
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if year.len() != 4 || !digits(year) || number.len() < 4 || !digits(number) {
        return Err(bad());
    }
    Ok(s.to_string())
}

fn validate_email(s: &str) -> Result<String, IdError> {
    let bad = |why: &str| id_error("e-mail address", format!("{s:?} {why}"));
    let (local, domain) = s.rsplit_once('@').ok_or_else(|| bad("has no @"))?;
    if local.is_empty() || local.len() > 64 {
        return Err(bad("has no local part before the @"));
    }
    if domain.len() > 253
        || !domain.contains('.')
        || domain
            .split('.')
            .any(|label| label.is_empty() || label.starts_with('-') || label.ends_with('-'))
        || !domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
    {
        return Err(bad("does not have a valid domain after the @"));
    }
    if s.chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == ',')
    {
        return Err(bad(
            "contains spaces or characters not allowed in an address",
        ));
    }
    Ok(s.to_string())
}

/// Text that must never appear in logs or `Debug` output: report bodies,
/// reproduction steps, tokens.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Secret<T> {
        Secret(value)
    }

    /// The secret value. Callers that read it are responsible for auditing
    /// the read where the value is embargoed.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T: FromStr<Err = IdError> + fmt::Display>(input: &str, expected: &str) {
        let got = match input.parse::<T>() {
            Ok(v) => format!("ok {v}"),
            Err(e) => format!("error {e}"),
        };
        assert_eq!(got, expected, "input {input:?}");
    }

    #[test]
    fn case_references() {
        check::<CaseRef>("PSIRT-2026-0007", "ok PSIRT-2026-0007");
        check::<CaseRef>("PSIRT-2026-12345", "ok PSIRT-2026-12345");
        check::<CaseRef>(
            "PSIRT-2026-7",
            "error case reference: \"PSIRT-2026-7\" is not of the form PSIRT-2026-0007",
        );
        check::<CaseRef>(
            "CVE-2026-0007",
            "error case reference: \"CVE-2026-0007\" is not of the form PSIRT-2026-0007",
        );
        check::<CaseRef>(
            "PSIRT-2026-0000",
            "error case reference: numbers start at 1",
        );
    }

    #[test]
    fn github_logins_are_lower_case_letters_digits_and_inner_hyphens() {
        check::<GitHubLogin>("Octo-Cat", "ok octo-cat");
        check::<GitHubLogin>(&"a".repeat(39), &format!("ok {}", "a".repeat(39)));
        for bad in [
            "-cat",
            "cat-",
            "oc--cat",
            "oct cat",
            "a/b",
            "",
            &"a".repeat(40),
        ] {
            let got = bad.parse::<GitHubLogin>().unwrap_err().to_string();
            assert!(got.starts_with("GitHub login: "), "{bad:?}: {got}");
        }
    }

    #[test]
    fn commits_are_lowercase_hex() {
        check::<CommitId>("ABCDEF1", "ok abcdef1");
        check::<CommitId>(
            "abc",
            "error commit: \"abc\" is not a commit id (7 to 64 hexadecimal digits)",
        );
        check::<CommitId>(
            "zzzzzzzz",
            "error commit: \"zzzzzzzz\" is not a commit id (7 to 64 hexadecimal digits)",
        );
    }

    #[test]
    fn cve_ids() {
        check::<CveId>("CVE-2026-1234", "ok CVE-2026-1234");
        check::<CveId>("CVE-2026-1234567", "ok CVE-2026-1234567");
        check::<CveId>(
            "CVE-26-1234",
            "error CVE id: \"CVE-26-1234\" is not of the form CVE-2026-12345",
        );
        check::<CveId>(
            "cve-2026-1234",
            "error CVE id: \"cve-2026-1234\" is not of the form CVE-2026-12345",
        );
        check::<CveId>(
            "CVE-2026-123",
            "error CVE id: \"CVE-2026-123\" is not of the form CVE-2026-12345",
        );
    }

    #[test]
    fn email_addresses() {
        check::<EmailAddress>("alice@example.org", "ok alice@example.org");
        check::<EmailAddress>("alice", "error e-mail address: \"alice\" has no @");
        check::<EmailAddress>(
            "@example.org",
            "error e-mail address: \"@example.org\" has no local part before the @",
        );
        check::<EmailAddress>(
            "a@localhost",
            "error e-mail address: \"a@localhost\" does not have a valid domain after the @",
        );
        check::<EmailAddress>(
            "a b@example.org",
            "error e-mail address: \"a b@example.org\" contains spaces or characters not allowed in an address",
        );
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let s = Secret::new("exploit: send 0xdeadbeef".to_string());
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert_eq!(s.expose(), "exploit: send 0xdeadbeef");
    }
}
