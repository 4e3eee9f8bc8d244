//! The security release process as a pure state machine.
//!
//! This crate owns the rules of the process psirt encodes (the CoreDNS /
//! Kubernetes security release process, generalised by a per-project
//! [`Policy`]): what a case records, which milestones it has and when each is
//! due, who may do what on a case, and which command a rule refuses.
//!
//! It must never do I/O: no clock, no network, no disk, no randomness, no
//! async. Time arrives as an argument (`now`), identities arrive already
//! resolved, and the result of a command is a list of [`Change`]s that the
//! caller persists. Everything else in psirt calls into this crate; it calls
//! nothing of theirs.
//!
//! The flow is: the caller loads a [`Case`] (by folding its [`Event`]s with
//! [`Case::apply`]), asks [`decide`] whether an [`Actor`] may run a
//! [`Command`] at `now`, and if the answer is a list of changes, stores them
//! as events in one transaction.

mod access;
mod calendar;
mod case;
mod command;
mod cve_services;
pub mod distributors;
mod dues;
mod duration;
mod ending;
mod engine;
mod event;
mod fix_repo;
mod github;
mod ids;
mod notify;
mod on_call;
mod policy;
mod policy_rule;
mod presets;
mod record;
mod record_ids;
mod response;
mod rotation;
mod rule;
pub mod similar;
mod summary;
mod text;
mod triage;

pub use access::{
    About, Actor, Denied, Operation, Standing, authorize, authorize_about, authorize_instance,
    authorize_summary, standings,
};
pub use calendar::{AnnouncementSlot, Calendar, Weekday, suggested_release_instant};
pub use case::{
    Case, Credit, CreditKind, DistributorDecision, EmbargoBreak, FixCommit, Notice,
    PublicDisclosure, Release, SlowDown, UpstreamEmbargo,
};
pub use command::Command;
pub use cve_services::CveServicesRule;
pub use dues::{
    Agenda, AgendaEntry, Due, Milestone, MilestoneState, MilestoneStatus, agenda, agenda_of,
};
pub use duration::{Duration, DurationError};
pub use ending::{AccessEnds, Ended};
pub use engine::{
    Context, Refusal, Rule, decide, distributors_suggested, may_release, open_case, public_instant,
};
pub use event::{ActorRef, Change, Event, NewReport, Reporter};
pub use fix_repo::{
    BranchCommit, BranchPlan, CherryPickPlan, FixRepoRule, FixRepository, PlanOutcome, Resolutions,
};
pub use github::{GitHubAdvisory, GitHubIssue, GitHubRule};
pub use ids::{CaseRef, CommitId, CveId, EmailAddress, GitHubLogin, IdError, Secret, UserId};
pub use notify::{
    Audience, Mail, MailAttachment, MailKind, Protection, REMIND_BEFORE, Review, credit_lines,
    forthcoming_notice_text, hold_until, mails_for, release_announcement_text, reminders,
};
pub use on_call::{OnCall, triage_on_call};
pub use policy::{Policy, PolicyError};
pub use policy_rule::PolicyRule;
pub use presets::{PRESETS, kubernetes, preset};
pub use psirt_cvss as cvss;
pub use record::{
    AffectedProduct, CweId, ECOSYSTEMS, Purl, RangeKind, Record, RecordEdit, RecordValueError,
    Reference, ReferenceKind, VersionRange, Weakness, check_edit, is_semver, public_at,
};
pub use response::{ResponseTargets, Severity, StalePings, Targets};
pub use rotation::{RosterEntry, next_fix_lead, take_turn};
pub use summary::{CaseSummary, summary};
pub use text::Text;
pub use triage::{
    CannedReply, DuplicateOf, PublicIssue, Triage, TriageDecision, TriageOutcome, TriageReason,
    TriageRule, information_closes_at, information_request_expired,
};
