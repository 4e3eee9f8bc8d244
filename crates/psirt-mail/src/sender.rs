//! Whether an inbound message's `From:` is who it claims to be.
//!
//! `From:` is a claim anyone can write. psirt believes it only with
//! evidence: an OpenPGP signature made by the key on file for that address
//! ([`crate::Inbound::signed_by`]), or a DKIM or DMARC `pass` aligned with
//! the `From:` domain in an `Authentication-Results` header (RFC 8601) that
//! the operator's own mail server added, recognised by its authserv-id (the
//! `mail_authserv_id` setting). A server that checks DKIM removes any
//! `Authentication-Results` carrying its own authserv-id from the mail it
//! receives (RFC 8601 §5), so a sender cannot forge one; without the
//! setting no header is believed.

use psirt_core::EmailAddress;

/// How the sender of a message was verified, in words for the team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verified {
    /// Signed with the OpenPGP key on file for the `From:` address.
    Signature(crate::Fingerprint),
    /// `method` (`dkim` or `dmarc`) passed for `domain`, as the mail
    /// server named `authserv_id` recorded.
    MailServer {
        method: String,
        domain: String,
        authserv_id: String,
    },
}

impl std::fmt::Display for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verified::Signature(fpr) => write!(f, "OpenPGP signature by the key on file, {fpr}"),
            Verified::MailServer {
                method,
                domain,
                authserv_id,
            } => write!(
                f,
                "{} pass for {domain}, checked by {authserv_id}",
                method.to_ascii_uppercase()
            ),
        }
    }
}

/// The first DKIM or DMARC pass aligned with `from`'s domain among the
/// `Authentication-Results` values (`results`, as the headers read) that
/// carry `authserv_id`. DKIM aligns when its `header.d` (or the domain of
/// `header.i`) is the `From:` domain or a parent of it (relaxed alignment,
/// RFC 7489 §3.1.1); DMARC when its `header.from` is the `From:` domain.
pub fn mail_server_verified(
    results: &[String],
    authserv_id: &str,
    from: &EmailAddress,
) -> Option<Verified> {
    let authserv_id = authserv_id.trim();
    if authserv_id.is_empty() {
        return None;
    }
    let from_domain = from.as_str().rsplit_once('@')?.1.to_ascii_lowercase();
    for value in results {
        let value = strip_comments(value);
        let mut parts = value.split(';');
        let id = parts
            .next()
            .and_then(|first| first.split_whitespace().next())
            .unwrap_or_default();
        if !id.eq_ignore_ascii_case(authserv_id) {
            continue;
        }
        for resinfo in parts {
            let mut words = resinfo.split_whitespace();
            let Some((method, result)) = words.next().and_then(|w| w.split_once('=')) else {
                continue;
            };
            let method = method.to_ascii_lowercase();
            if !result.eq_ignore_ascii_case("pass") {
                continue;
            }
            let properties: Vec<(String, String)> = words
                .filter_map(|w| w.split_once('='))
                .map(|(k, v)| {
                    (
                        k.to_ascii_lowercase(),
                        v.trim_matches('"').to_ascii_lowercase(),
                    )
                })
                .collect();
            let property = |name: &str| {
                properties
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
            };
            let domain = match method.as_str() {
                "dkim" => property("header.d").or_else(|| {
                    property("header.i").and_then(|i| i.rsplit_once('@').map(|(_, d)| d.into()))
                }),
                "dmarc" => property("header.from"),
                _ => None,
            };
            let Some(domain) = domain else { continue };
            let aligned = match method.as_str() {
                "dkim" => from_domain == domain || from_domain.ends_with(&format!(".{domain}")),
                _ => from_domain == domain,
            };
            if aligned {
                return Some(Verified::MailServer {
                    method,
                    domain,
                    authserv_id: authserv_id.to_string(),
                });
            }
        }
    }
    None
}

/// The value without RFC 5322 comments (`(…)`, which may nest).
fn strip_comments(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut depth = 0usize;
    let mut escaped = false;
    for c in value.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if depth > 0 => escaped = true,
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(s: &str) -> EmailAddress {
        s.parse().unwrap()
    }

    fn check(results: &[&str], sender: &str) -> Option<String> {
        let results: Vec<String> = results.iter().map(|s| s.to_string()).collect();
        mail_server_verified(&results, "mx.example.org", &from(sender)).map(|v| v.to_string())
    }

    #[test]
    fn an_aligned_dkim_or_dmarc_pass_from_our_server_verifies() {
        assert_eq!(
            check(
                &["mx.example.org; dkim=pass (2048-bit key) header.d=reporter.example header.s=s1"],
                "eve@reporter.example"
            )
            .as_deref(),
            Some("DKIM pass for reporter.example, checked by mx.example.org")
        );
        assert!(
            check(
                &["mx.example.org 1; spf=fail smtp.mailfrom=x; dmarc=pass header.from=reporter.example"],
                "eve@reporter.example"
            )
            .is_some()
        );
        // Relaxed alignment: a parent domain's signature covers a subdomain.
        assert!(
            check(
                &["MX.example.org; dkim=pass header.i=@reporter.example"],
                "eve@mail.reporter.example"
            )
            .is_some()
        );
    }

    #[test]
    fn anything_else_does_not() {
        // Another server's header, which a sender can write.
        assert_eq!(
            check(
                &["mx.evil.example; dkim=pass header.d=reporter.example"],
                "eve@reporter.example"
            ),
            None
        );
        // A pass for another domain (the sender's own), or a failure.
        assert_eq!(
            check(
                &["mx.example.org; dkim=pass header.d=evil.example"],
                "eve@reporter.example"
            ),
            None
        );
        assert_eq!(
            check(
                &["mx.example.org; dkim=fail header.d=reporter.example"],
                "eve@reporter.example"
            ),
            None
        );
        // A domain that merely ends with the same letters.
        assert_eq!(
            check(
                &["mx.example.org; dkim=pass header.d=porter.example"],
                "eve@reporter.example"
            ),
            None
        );
        // The result hidden in a comment is not a result.
        assert_eq!(
            check(
                &["mx.example.org; (dkim=pass header.d=reporter.example) dkim=none"],
                "eve@reporter.example"
            ),
            None
        );
        // No authserv-id configured: nothing is believed.
        let results = vec!["mx.example.org; dkim=pass header.d=reporter.example".to_string()];
        assert_eq!(
            mail_server_verified(&results, " ", &from("eve@reporter.example")),
            None
        );
    }
}
