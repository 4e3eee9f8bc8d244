//! Likely duplicates: what a report is made of for comparison (its terms
//! and its exact keys) and how alike two reports are.
//!
//! The store keeps each case's [`Likeness`] material in the databases'
//! full-text indexes and a table of exact keys, and asks them for a
//! bounded set of candidates; the score that ranks those candidates is
//! computed here, the same on SQLite and PostgreSQL, from 0 (nothing in
//! common) to 1. This module never reads a database or the clock.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use crate::case::Case;

/// The kinds of exact key a report can share with another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyKind {
    /// A CVE id (`CVE-2026-12345`), upper-cased.
    Cve,
    /// A URL, scheme and host lower-cased, without fragment or final `/`.
    Url,
    /// A package and version, `name@1.2.3`, lower-cased: written that way,
    /// as `name 1.2.3` or `name v1.2.3`, or taken from a purl.
    Package,
    /// A package URL (`pkg:npm/foo@1.2.3`), lower-cased, without
    /// qualifiers.
    Purl,
}

impl KeyKind {
    pub const ALL: [KeyKind; 4] = [KeyKind::Cve, KeyKind::Url, KeyKind::Package, KeyKind::Purl];

    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Cve => "cve",
            KeyKind::Url => "url",
            KeyKind::Package => "package",
            KeyKind::Purl => "purl",
        }
    }

    pub fn parse(s: &str) -> Option<KeyKind> {
        KeyKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// How much one shared key of this kind says on its own: a CVE id
    /// names the vulnerability, a URL may be the project's home page.
    fn weight(self) -> f64 {
        match self {
            KeyKind::Cve => 0.6,
            KeyKind::Purl => 0.5,
            KeyKind::Package => 0.4,
            KeyKind::Url => 0.3,
        }
    }
}

/// One exact key of a report.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub kind: KeyKind,
    pub value: String,
}

/// What a case is compared by: the normalised terms of its summary, its
/// details and its advisory's title and description, and its exact keys
/// (those in the text, its CVE ids and its advisory's aliases).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Material {
    pub terms: BTreeSet<String>,
    pub keys: BTreeSet<Key>,
}

/// How alike two cases are.
#[derive(Clone, Debug, PartialEq)]
pub struct Likeness {
    /// The combined score, 0..=1: the text's and the keys' together.
    pub score: f64,
    /// The text's part alone, 0..=1: the cosine of the two term sets.
    pub text: f64,
    /// The kinds of key both share, each once, in [`KeyKind`] order.
    pub matched: Vec<KeyKind>,
}

/// How many suggestions are shown, at most.
pub const SHOWN: usize = 5;

/// Below this a candidate is not shown: a few common words in common.
pub const MIN_SCORE: f64 = 0.12;

/// A key that more earlier cases of the project than this carry names the
/// project (its home page, its current release), not a vulnerability: it
/// is neither a candidate's reason nor part of a score.
pub const COMMON_KEY: usize = 20;

/// How many terms of a report are sent to the full-text index as its
/// query, at most: the rarest ones.
pub const QUERY_TERMS: usize = 32;

/// How many postings (a case carrying a term) a query's terms may have
/// together: the bound on what one query reads of the full-text index.
pub const POSTINGS: u64 = 1_000;

/// What `case` is compared by.
pub fn material(case: &Case) -> Material {
    let mut text = String::new();
    for part in [
        Some(case.summary.as_str()),
        Some(case.details.expose().as_str()),
        case.record.title.as_deref(),
        case.record.description.as_deref(),
    ]
    .into_iter()
    .flatten()
    {
        text.push_str(part);
        text.push('\n');
    }
    let mut keys = keys(&text);
    for cve in &case.cves {
        keys.insert(Key {
            kind: KeyKind::Cve,
            value: cve.to_string().to_uppercase(),
        });
    }
    for alias in &case.record.aliases {
        keys.extend(self::keys(alias));
    }
    Material {
        terms: terms(&text),
        keys,
    }
}

/// The terms of `text`: its words but URLs and purls, lower-cased,
/// without the words every report has, lightly stemmed so that
/// "requests" meets "request".
pub fn terms(text: &str) -> BTreeSet<String> {
    // URLs and purls are keys: their pieces ("github", "blob", "master")
    // would only add the same words to every report that links code.
    let prose: Vec<&str> = text
        .split_whitespace()
        .filter(|w| !w.contains("://") && !w.to_lowercase().contains("pkg:"))
        .collect();
    prose
        .join(" ")
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 3 && w.chars().count() <= 40)
        .filter(|w| !STOP_SET.contains(w.as_str()))
        .map(|w| stem(&w))
        .filter(|w| !STOP_SET.contains(w.as_str()))
        .collect()
}

/// How rare each term is in a project: how many of its cases there are,
/// and how many carry each term (a term absent carries none). Common
/// words weigh little, a function's name much: the inverse document
/// frequency.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rarity {
    pub cases: u64,
    pub carrying: std::collections::BTreeMap<String, u64>,
}

impl Rarity {
    /// The smoothed inverse document frequency, at least 1.
    pub fn weight(&self, term: &str) -> f64 {
        let carrying = self.carrying.get(term).copied().unwrap_or(0);
        ((1 + self.cases) as f64 / (1 + carrying.min(self.cases)) as f64).ln() + 1.0
    }
}

/// The terms of `material` to query the full-text index with: the
/// rarest first (then alphabetically, so the query is the same every
/// time), at most [`QUERY_TERMS`], and only while the cases carrying them
/// add up to at most [`POSTINGS`], so that the query reads a bounded part
/// of the index however many cases the project has (a term most cases
/// carry finds no duplicate anyway).
pub fn query_terms<'m>(material: &'m Material, rarity: &Rarity) -> Vec<&'m str> {
    let mut terms: Vec<&str> = material.terms.iter().map(String::as_str).collect();
    let carrying = |t: &str| rarity.carrying.get(t).copied().unwrap_or(0);
    terms.sort_by(|a, b| carrying(a).cmp(&carrying(b)).then(a.cmp(b)));
    let mut postings = 0;
    terms
        .into_iter()
        .take(QUERY_TERMS)
        .take_while(|t| {
            postings += carrying(t);
            postings <= POSTINGS
        })
        .collect()
}

/// `material` without the keys that `carried` (how many earlier cases of
/// the project carry each key, counted up to `COMMON_KEY + 1`) says are
/// common.
pub fn without_common_keys(mut material: Material, carried: impl Fn(&Key) -> usize) -> Material {
    material.keys.retain(|k| carried(k) <= COMMON_KEY);
    material
}

/// How alike `a` and `b` are: the cosine of their term sets, each term
/// weighed by its [`Rarity`], raised by each kind of key they share (a
/// CVE id most, a URL least), so that two reports with one CVE id and
/// nothing else in common score 0.6 and two paraphrases of one report
/// score by their words; different CVE ids halve the text's part.
pub fn likeness(a: &Material, b: &Material, rarity: &Rarity) -> Likeness {
    let norm = |m: &Material| -> f64 {
        m.terms
            .iter()
            .map(|t| rarity.weight(t).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let common: f64 = a
        .terms
        .intersection(&b.terms)
        .map(|t| rarity.weight(t).powi(2))
        .sum();
    let text = if common == 0.0 {
        0.0
    } else {
        common / (norm(a) * norm(b))
    };
    // Two reports that name CVE ids, none of them the same, are about
    // different vulnerabilities however alike their words ("is CVE-X
    // fixed?", "is CVE-Y fixed?"): their text counts half.
    let cves = |m: &Material| m.keys.iter().filter(|k| k.kind == KeyKind::Cve).count();
    let other_cves = cves(a) > 0
        && cves(b) > 0
        && !a
            .keys
            .iter()
            .any(|k| k.kind == KeyKind::Cve && b.keys.contains(k));
    let text = if other_cves { text / 2.0 } else { text };
    let matched: Vec<KeyKind> = KeyKind::ALL
        .into_iter()
        .filter(|kind| {
            a.keys
                .iter()
                .filter(|k| k.kind == *kind)
                .any(|k| b.keys.contains(k))
        })
        .collect();
    let unexplained: f64 = matched.iter().map(|k| 1.0 - k.weight()).product();
    let score = 1.0 - (1.0 - text) * unexplained;
    Likeness {
        score: score.clamp(0.0, 1.0),
        text: text.clamp(0.0, 1.0),
        matched,
    }
}

/// Ranks `candidates` by their likeness to `of`: the best [`SHOWN`] with
/// a score of at least [`MIN_SCORE`], best first (ties: the earlier
/// candidate first, as given).
pub fn rank<T>(
    of: &Material,
    candidates: Vec<(T, Material)>,
    rarity: &Rarity,
) -> Vec<(T, Likeness)> {
    let mut ranked: Vec<(usize, T, Likeness)> = candidates
        .into_iter()
        .enumerate()
        .map(|(i, (t, m))| {
            let l = likeness(of, &m, rarity);
            (i, t, l)
        })
        .filter(|(_, _, l)| l.score >= MIN_SCORE)
        .collect();
    ranked.sort_by(|a, b| b.2.score.total_cmp(&a.2.score).then(a.0.cmp(&b.0)));
    ranked.truncate(SHOWN);
    ranked.into_iter().map(|(_, t, l)| (t, l)).collect()
}

/// The exact keys written in `text`.
pub fn keys(text: &str) -> BTreeSet<Key> {
    let mut keys = BTreeSet::new();
    let words: Vec<&str> = text.split_whitespace().collect();
    for (i, raw) in words.iter().enumerate() {
        let word = raw.trim_matches(|c: char| "\"'`()[]{}<>,;!?".contains(c));
        let word = word.trim_end_matches(['.', ':']);
        if let Some(cve) = cve(word) {
            keys.insert(Key {
                kind: KeyKind::Cve,
                value: cve,
            });
        }
        if let Some(url) = url(word) {
            keys.insert(Key {
                kind: KeyKind::Url,
                value: url,
            });
            continue;
        }
        if let Some((purl, package)) = purl(word) {
            keys.insert(Key {
                kind: KeyKind::Purl,
                value: purl,
            });
            keys.extend(package.map(|value| Key {
                kind: KeyKind::Package,
                value,
            }));
            continue;
        }
        if let Some(package) = at_version(word) {
            keys.insert(Key {
                kind: KeyKind::Package,
                value: package,
            });
            continue;
        }
        let next = words
            .get(i + 1)
            .map(|w| w.trim_end_matches(['.', ',', ';', ':', ')']));
        if let (Some(name), Some(version)) = (package_name(word), next.and_then(version)) {
            keys.insert(Key {
                kind: KeyKind::Package,
                value: format!("{name}@{version}"),
            });
        }
    }
    keys
}

fn cve(word: &str) -> Option<String> {
    let upper = word.to_uppercase();
    let start = upper.find("CVE-")?;
    let rest = &upper[start + 4..];
    let (year, number) = rest.split_once('-')?;
    let number: String = number.chars().take_while(char::is_ascii_digit).collect();
    (year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()) && number.len() >= 4)
        .then(|| format!("CVE-{year}-{number}"))
}

fn url(word: &str) -> Option<String> {
    let lower = word.to_lowercase();
    let start = lower.find("https://").or_else(|| lower.find("http://"))?;
    let word = &word[start..];
    let (scheme, rest) = word.split_once("://")?;
    let rest = rest.split('#').next().unwrap_or_default();
    let (host, path) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if host.is_empty() {
        return None;
    }
    let path = path.trim_end_matches('/');
    Some(format!(
        "{}://{}{path}",
        scheme.to_lowercase(),
        host.to_lowercase()
    ))
}

/// A purl and the `name@version` it names, if it has a version.
fn purl(word: &str) -> Option<(String, Option<String>)> {
    let lower = word.to_lowercase();
    let rest = lower.strip_prefix("pkg:")?;
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    if !rest.contains('/') {
        return None;
    }
    let package = rest.rsplit_once('@').and_then(|(path, version)| {
        let name = path.rsplit('/').next()?;
        let version = version.strip_prefix('v').unwrap_or(version);
        (!name.is_empty() && !version.is_empty()).then(|| format!("{name}@{version}"))
    });
    Some((format!("pkg:{rest}"), package))
}

/// `name@1.2.3` (not an e-mail address: the version starts with a digit).
fn at_version(word: &str) -> Option<String> {
    let at = word.rfind('@').filter(|&i| i > 0)?;
    let (name, version) = (&word[..at], &word[at + 1..]);
    let name = package_name(name)?;
    Some(format!("{name}@{}", self::version(version)?))
}

/// A package's name as people write it: letters, digits and `-_./@`,
/// with at least one letter, and not a word that precedes version numbers
/// in prose ("version 1.2.3", "before 2.0").
fn package_name(word: &str) -> Option<String> {
    let ok = word.len() >= 2
        && word.chars().any(|c| c.is_ascii_alphabetic())
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./@".contains(c))
        && !word.ends_with('.');
    let lower = word.to_lowercase();
    (ok && !NOT_NAMES_SET.contains(lower.as_str())).then_some(lower)
}

/// A version: digits and dots with at least one dot, after an optional
/// `v`, with an optional pre-release or build suffix.
fn version(word: &str) -> Option<String> {
    let word = word.strip_prefix(['v', 'V']).unwrap_or(word);
    let core: String = word
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let rest = &word[core.len()..];
    let core = core.trim_end_matches('.');
    let parts: Vec<&str> = core.split('.').collect();
    let ok = parts.len() >= 2 && parts.iter().all(|p| !p.is_empty());
    let suffix_ok = rest.is_empty()
        || (rest.starts_with(['-', '+'])
            && rest[1..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.'));
    (ok && suffix_ok).then(|| format!("{core}{}", rest.to_lowercase()))
}

/// A light suffix-stripping stemmer: plurals and the common verb endings.
fn stem(word: &str) -> String {
    let n = word.chars().count();
    if n > 5
        && let Some(s) = word.strip_suffix("ies")
    {
        return format!("{s}y");
    }
    for suffix in ["ing", "ed"] {
        if n > suffix.len() + 3
            && let Some(s) = word.strip_suffix(suffix)
        {
            return s.to_string();
        }
    }
    if n > 4 && word.ends_with('s') && !word.ends_with("ss") {
        return word[..word.len() - 1].to_string();
    }
    word.to_string()
}

static NOT_NAMES_SET: LazyLock<BTreeSet<&str>> =
    LazyLock::new(|| NOT_NAMES.split_whitespace().collect());
static STOP_SET: LazyLock<BTreeSet<&str>> = LazyLock::new(|| STOP.split_whitespace().collect());

/// Words that precede a version number without naming a package.
const NOT_NAMES: &str = "version versions release releases from since before after and or to in \
     on at of is the than through until up prior including fixed affected \
     affects tested with ver v. rev tag";

/// Words every report has, and the process's own words: they say nothing
/// about which vulnerability a report is about.
const STOP: &str = "the and for are but not you all any can had her was one our out has have \
     his how its may new now old see two way who did get got let put say she \
     too use used using with this that from they will would there their what \
     when where which while about into than then them these those some such \
     only also been being were your yours each other more most very just like \
     does doing done should could must here hello dear team thanks thank \
     regard regards best please hi found find think believe seem seems able \
     following below above attached report reported reporting issue issues \
     problem vulnerability vulnerabilitie vulnerable security attacker attack \
     exploit impact step steps reproduce version versions latest affected \
     affect affects allow allows possible because without within through \
     after before again same way make makes made via per etc let know any \
     many much well still even both";

#[cfg(test)]
mod tests {
    use super::*;

    fn check_keys(text: &str, expected: &[(&str, &str)]) {
        let got: Vec<(String, String)> = keys(text)
            .into_iter()
            .map(|k| (k.kind.as_str().to_string(), k.value))
            .collect();
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(got, expected, "{text}");
    }

    #[test]
    fn keys_in_text() {
        check_keys("see cve-2024-12345.", &[("cve", "CVE-2024-12345")]);
        check_keys(
            "at https://Example.COM/a/b/#frag, and (http://x.org/)",
            &[("url", "http://x.org"), ("url", "https://example.com/a/b")],
        );
        check_keys(
            "pkg:npm/%40scope/Left-Pad@1.2.3?arch=x",
            &[
                ("package", "left-pad@1.2.3"),
                ("purl", "pkg:npm/%40scope/left-pad@1.2.3"),
            ],
        );
        check_keys(
            "in foo@1.2.3 and bar v2.0.1-rc.1;",
            &[("package", "bar@2.0.1-rc.1"), ("package", "foo@1.2.3")],
        );
        check_keys("version 1.2.3, before 2.0, mail me@example.org", &[]);
        check_keys("libfoo 3 and CVE-24-1", &[]);
    }

    #[test]
    fn the_query_takes_the_rarest_terms_within_the_postings_bound() {
        let m = Material {
            terms: terms("alpha bravo charlie delta"),
            keys: BTreeSet::new(),
        };
        let mut rarity = Rarity {
            cases: 10_000,
            ..Rarity::default()
        };
        for (term, cases) in [
            ("alpha", 900),
            ("bravo", 3),
            ("charlie", 90),
            ("delta", 5_000),
        ] {
            rarity.carrying.insert(term.into(), cases);
        }
        // 3 + 90 + 900 postings fit; delta's 5,000 would not.
        assert_eq!(query_terms(&m, &rarity), ["bravo", "charlie", "alpha"]);
        rarity.carrying.insert("alpha".into(), 950);
        assert_eq!(query_terms(&m, &rarity), ["bravo", "charlie"]);
    }

    #[test]
    fn terms_drop_common_words_and_stem() {
        let t: Vec<String> = terms("The attacker sends Requests; parsing request headers")
            .into_iter()
            .collect();
        assert_eq!(t, ["header", "pars", "request", "send"]);
    }

    #[test]
    fn likeness_combines_text_and_keys() {
        let a = Material {
            terms: terms("heap overflow in the header parser"),
            keys: keys("CVE-2025-0001"),
        };
        let r = Rarity::default();
        let same = likeness(&a, &a, &r);
        assert!((same.score - 1.0).abs() < 1e-9);
        let b = Material {
            terms: terms("unrelated markdown renderer escapes"),
            keys: keys("cve-2025-0001"),
        };
        let l = likeness(&a, &b, &r);
        assert_eq!(l.matched, [KeyKind::Cve]);
        assert_eq!(l.text, 0.0);
        assert!((l.score - 0.6).abs() < 1e-9);
        let c = Material {
            terms: terms("overflow of the header parser on the heap"),
            keys: BTreeSet::new(),
        };
        let l = likeness(&a, &c, &r);
        assert!(l.matched.is_empty());
        assert!(l.text > 0.99, "{l:?}");
        let other_cve = Material {
            terms: c.terms.clone(),
            keys: keys("CVE-2025-0002"),
        };
        let halved = likeness(&a, &other_cve, &r);
        assert!((halved.text - 0.5).abs() < 0.01, "{halved:?}");
        // A term most cases carry weighs less than one only these two do.
        let mut rare = Rarity {
            cases: 100,
            ..Rarity::default()
        };
        rare.carrying.insert("heap".into(), 90);
        assert!(rare.weight("heap") < rare.weight("overflow"));
        let d = Material {
            terms: terms("heap spray"),
            keys: BTreeSet::new(),
        };
        let e = Material {
            terms: terms("overflow spray"),
            keys: BTreeSet::new(),
        };
        assert!(likeness(&a, &d, &rare).text < likeness(&a, &e, &rare).text);
        let ranked = rank(
            &a,
            vec![("b", b), ("c", c), ("none", Material::default())],
            &r,
        );
        let order: Vec<&str> = ranked.iter().map(|(t, _)| *t).collect();
        assert_eq!(order, ["c", "b"]);
    }
}
