//! The validated identifiers of the advisory record: package URLs
//! ([`Purl`], the purl spec) and CWE ids ([`CweId`]). Each is checked once,
//! when parsed, so the record and the formats never check them again.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a purl or a CWE id was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RecordValueError(String);

/// A package URL (purl spec: `pkg:type/namespace/name@version?qualifiers#subpath`),
/// checked strictly: a known shape, a valid type, a name, and valid
/// percent-encoding. The type is kept in lower case, as the spec says.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Purl(String);

impl Purl {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The purl without its version, qualifiers and subpath: the package.
    pub fn package(&self) -> &str {
        let end = self.0.find(['@', '?', '#']).unwrap_or(self.0.len());
        // An `@` in the namespace would be percent-encoded, so the first
        // one after the type ends the name.
        &self.0[..end]
    }
}

impl FromStr for Purl {
    type Err = RecordValueError;

    fn from_str(s: &str) -> Result<Purl, RecordValueError> {
        let s = s.trim();
        let bad = |why: &str| RecordValueError(format!("{s:?} is not a purl: {why}"));
        let rest = s
            .strip_prefix("pkg:")
            .ok_or_else(|| bad("it must start with pkg:"))?;
        let rest = rest.trim_start_matches('/');
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("it contains white space"));
        }
        let (rest, subpath) = match rest.split_once('#') {
            Some((r, sp)) => (r, Some(sp)),
            None => (rest, None),
        };
        let (rest, qualifiers) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (path, version) = match rest.rsplit_once('@') {
            Some((p, v)) => (p, Some(v)),
            None => (rest, None),
        };
        let (ty, path) = path
            .split_once('/')
            .ok_or_else(|| bad("it needs a type and a name (pkg:type/name)"))?;
        let type_ok = ty.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && ty
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".+-".contains(c));
        if !type_ok {
            return Err(bad(
                "the type must be letters, digits, . + or -, starting with a letter",
            ));
        }
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        if segments.iter().any(|seg| seg.is_empty()) {
            return Err(bad("it needs a name, and no empty path segment"));
        }
        for seg in &segments {
            check_percent(seg).map_err(&bad)?;
        }
        if let Some(v) = version {
            if v.is_empty() {
                return Err(bad("the version after @ is empty"));
            }
            check_percent(v).map_err(&bad)?;
        }
        if let Some(q) = qualifiers {
            for pair in q.split('&') {
                let (k, v) = pair
                    .split_once('=')
                    .ok_or_else(|| bad("a qualifier must be key=value"))?;
                let key_ok = k.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c));
                if !key_ok || v.is_empty() {
                    return Err(bad(
                        "a qualifier key must be letters, digits, . - or _, with a value",
                    ));
                }
                check_percent(v).map_err(&bad)?;
            }
        }
        if let Some(sp) = subpath {
            for seg in sp.split('/') {
                if seg == "." || seg == ".." {
                    return Err(bad("the subpath must not contain . or .."));
                }
                check_percent(seg).map_err(&bad)?;
            }
        }
        let tail = &s[s.find(ty).unwrap_or(4) + ty.len()..];
        Ok(Purl(format!("pkg:{}{tail}", ty.to_ascii_lowercase())))
    }
}

fn check_percent(s: &str) -> Result<(), &'static str> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .ok_or("a % is not followed by two hex digits")?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return Err("a % is not followed by two hex digits");
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Purl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A CWE id: `CWE-<n>`, n a positive number without leading zeros.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct CweId(String);

impl CweId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn number(&self) -> u32 {
        self.0[4..].parse().unwrap_or(0)
    }
}

impl FromStr for CweId {
    type Err = RecordValueError;

    fn from_str(s: &str) -> Result<CweId, RecordValueError> {
        let s = s.trim();
        let n = s
            .strip_prefix("CWE-")
            .filter(|n| {
                !n.is_empty()
                    && n.len() <= 7
                    && n.bytes().all(|b| b.is_ascii_digit())
                    && !n.starts_with('0')
            })
            .ok_or_else(|| RecordValueError(format!("{s:?} is not a CWE id (CWE-<number>)")))?;
        Ok(CweId(format!("CWE-{n}")))
    }
}

impl fmt::Display for CweId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CweId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    fn purl(input: &str, expected: Expect) {
        let got = match input.parse::<Purl>() {
            Ok(p) => format!("ok {p} package={}", p.package()),
            Err(e) => format!("error {e}"),
        };
        expected.assert_eq(&got);
    }

    #[test]
    fn purls_are_checked_strictly() {
        purl(
            "pkg:golang/github.com/coredns/coredns@v1.11.2",
            expect![
                "ok pkg:golang/github.com/coredns/coredns@v1.11.2 package=pkg:golang/github.com/coredns/coredns"
            ],
        );
        purl(
            "pkg:NPM/%40angular/core@1.0.0?arch=x86_64#lib/x",
            expect![
                "ok pkg:npm/%40angular/core@1.0.0?arch=x86_64#lib/x package=pkg:npm/%40angular/core"
            ],
        );
        purl(
            "pkg:cargo/serde",
            expect!["ok pkg:cargo/serde package=pkg:cargo/serde"],
        );
        purl(
            "npm/left-pad",
            expect![[r#"error "npm/left-pad" is not a purl: it must start with pkg:"#]],
        );
        purl(
            "pkg:left-pad",
            expect![[
                r#"error "pkg:left-pad" is not a purl: it needs a type and a name (pkg:type/name)"#
            ]],
        );
        purl(
            "pkg:1npm/x",
            expect![[
                r#"error "pkg:1npm/x" is not a purl: the type must be letters, digits, . + or -, starting with a letter"#
            ]],
        );
        purl(
            "pkg:npm/x%4",
            expect![[
                r#"error "pkg:npm/x%4" is not a purl: a % is not followed by two hex digits"#
            ]],
        );
        purl(
            "pkg:npm/x@",
            expect![[r#"error "pkg:npm/x@" is not a purl: the version after @ is empty"#]],
        );
        purl(
            "pkg:npm/x?arch",
            expect![[r#"error "pkg:npm/x?arch" is not a purl: a qualifier must be key=value"#]],
        );
        purl(
            "pkg:npm/x#../etc",
            expect![[
                r#"error "pkg:npm/x#../etc" is not a purl: the subpath must not contain . or .."#
            ]],
        );
        purl(
            "pkg:npm/a b",
            expect![[r#"error "pkg:npm/a b" is not a purl: it contains white space"#]],
        );
    }

    #[test]
    fn cwe_ids() {
        let check = |s: &str| match s.parse::<CweId>() {
            Ok(c) => format!("ok {c} {}", c.number()),
            Err(e) => format!("error {e}"),
        };
        expect!["ok CWE-400 400"].assert_eq(&check("CWE-400"));
        expect![[r#"error "CWE-0400" is not a CWE id (CWE-<number>)"#]]
            .assert_eq(&check("CWE-0400"));
        expect![[r#"error "cwe-400" is not a CWE id (CWE-<number>)"#]].assert_eq(&check("cwe-400"));
        expect![[r#"error "CWE-" is not a CWE id (CWE-<number>)"#]].assert_eq(&check("CWE-"));
    }
}
