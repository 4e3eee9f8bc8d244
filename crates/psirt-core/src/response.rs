//! Response-time targets by severity, and the pings of stale cases.
//!
//! A policy may answer faster for worse vulnerabilities: per severity, a
//! target for the first response to the reporter, for triage (the triage
//! decision), for the fix and for the release. Once a case has a
//! severity (its final CVSS, or until then its highest proposal), the
//! target replaces the policy's general due time for that milestone;
//! `dues.rs` asks [`target`] and stays the one place due times are
//! computed. A case with no activity for longer than its severity allows
//! is pinged ([`stale_ping`]), once per quiet spell.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::case::Case;
use crate::dues::Milestone;
use crate::duration::Duration;
use crate::notify::{Audience, Mail, MailKind, Protection, Review};

/// The severity ratings targets are set for (CVSS qualitative ratings
/// without "none").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    fn of(vector: &psirt_cvss::Vector) -> Option<Severity> {
        match vector.severity() {
            psirt_cvss::Severity::None => None,
            psirt_cvss::Severity::Low => Some(Severity::Low),
            psirt_cvss::Severity::Medium => Some(Severity::Medium),
            psirt_cvss::Severity::High => Some(Severity::High),
            psirt_cvss::Severity::Critical => Some(Severity::Critical),
        }
    }
}

/// The targets for one severity; a missing one falls back to the policy's
/// general due time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Targets {
    /// A person on the team answers the reporter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_response: Option<Duration>,
    /// The report is triaged: accepted, closed or moved to a public issue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub triage: Option<Duration>,
    /// The fix is ready (an LGTM on every commit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Duration>,
    /// The fix is released.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<Duration>,
}

impl Targets {
    fn get(&self, m: Milestone) -> Option<Duration> {
        match m {
            Milestone::FirstResponse => self.first_response,
            Milestone::Triaged => self.triage,
            Milestone::FixReady => self.fix,
            Milestone::Released => self.release,
            _ => None,
        }
    }
}

/// Response-time targets, per severity.
pub type ResponseTargets = BTreeMap<Severity, Targets>;

/// How long a case may go without any event before it is pinged, per
/// severity (Kubernetes: 2 days critical, 7 high, a month medium).
pub type StalePings = BTreeMap<Severity, Duration>;

impl Case {
    /// The severity targets and pings go by: the final CVSS vector's, or
    /// until there is one the highest proposed.
    pub fn target_severity(&self) -> Option<Severity> {
        match &self.cvss_final {
            Some(v) => Severity::of(v),
            None => self
                .cvss_proposals
                .iter()
                .filter_map(|(_, v, _)| Severity::of(v))
                .max(),
        }
    }
}

/// The response target for milestone `m` of `case`, with the severity it
/// is for, if its policy sets one.
pub(crate) fn target(case: &Case, m: Milestone) -> Option<(Duration, Severity)> {
    let severity = case.target_severity()?;
    let within = case.policy.response_targets.get(&severity)?.get(m)?;
    Some((within, severity))
}

/// Whether the policy has a first-response target anywhere (the
/// milestone applies then).
pub(crate) fn has_first_response(policy: &crate::policy::Policy) -> bool {
    policy.first_response_within.is_some()
        || policy
            .response_targets
            .values()
            .any(|t| t.first_response.is_some())
}

/// Whether the policy times triage anywhere (the milestone applies then).
pub(crate) fn has_triage(policy: &crate::policy::Policy) -> bool {
    policy.triage_within.is_some() || policy.response_targets.values().any(|t| t.triage.is_some())
}

/// The ping of an open case that has been quiet for longer than its
/// severity allows: to the Fix Lead (the PST while there is none), once
/// per quiet spell (the key names the last event).
pub(crate) fn stale_ping(case: &Case, now: Timestamp) -> Option<Mail> {
    if !case.is_open() || case.release().is_some() {
        return None;
    }
    let severity = case.target_severity()?;
    let after = *case.policy.stale_after.get(&severity)?;
    let quiet_since = case.last_event_at;
    let stale_at = quiet_since
        .saturating_add(after.to_signed())
        .unwrap_or(Timestamp::MAX);
    if now < stale_at {
        return None;
    }
    let reference = case.reference;
    let mut body = format!(
        "{reference} ({}) is a {} case with no activity since {} ({after} or more).\n\n\
         The policy asks for a ping after {after} without activity at this severity. \
         Record where the case stands, or what it waits for.\n",
        case.project,
        severity.as_str(),
        quiet_since.strftime("%Y-%m-%d %H:%M UTC"),
    );
    if let Some((m, due)) = case.next_due() {
        let _ = writeln!(
            body,
            "\nNext due: {}: {}",
            m.title(),
            due.at.strftime("%Y-%m-%d %H:%M UTC")
        );
    }
    Some(Mail {
        kind: MailKind::Reminder,
        audience: case.fix_lead().map_or(Audience::Pst, Audience::User),
        subject: format!("[{reference}] No activity for {after}"),
        body,
        review: Review::Send,
        protection: Protection::EncryptIfKey,
        once: Some(format!("stale:{reference}:{}", case.version)),
        attachments: Vec::new(),
    })
}
