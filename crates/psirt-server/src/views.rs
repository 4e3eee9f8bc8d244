//! The JSON shapes of cases, timelines and agendas, as the API and the
//! CLI's `--json` show them, and of the distributors list (organisations,
//! notified cases, pre-notifications, feedback, help requests).
//!
//! These are a promise to clients: fields are added, never renamed or
//! removed without a new API version. Each is built from core types by an
//! explicit conversion. Report details are included only in [`CaseView`],
//! which callers build only after the access decision allowed `ViewCase`.
//! A distributor gets [`PreNotificationView`] (the notice as sent), never a
//! `CaseView`.

use jiff::Timestamp;
use psirt_core::{
    ActorRef, Agenda, Case, Due, Event, Milestone, MilestoneState, MilestoneStatus,
    distributors_suggested,
};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct CaseView {
    pub reference: String,
    pub project: String,
    pub version: u64,
    pub summary: String,
    pub details: String,
    pub reporter: Option<ReporterView>,
    pub disclosure: &'static str,
    #[schema(value_type = String, format = DateTime)]
    pub reported_at: Timestamp,
    pub public_link: Option<String>,
    pub urgent: bool,
    pub open: bool,
    pub fix_lead: Option<i64>,
    pub fix_team: Vec<i64>,
    pub cvss: CvssView,
    pub fix_commits: Vec<FixCommitView>,
    /// The private fix repository and the cherry-pick plan, once linked.
    pub fix_repository: Option<crate::fix_repo::FixRepositoryView>,
    pub fix_ready: bool,
    pub mitigation: Option<String>,
    pub notice: Option<NoticeView>,
    pub distributors: DistributorsView,
    pub upstream_embargo: Option<UpstreamView>,
    pub slow_downs: Vec<SlowDownView>,
    pub embargo_breaks: Vec<EmbargoBreakView>,
    pub release_early: bool,
    pub cves: Vec<String>,
    /// The Fix Lead asked psirt to reserve the CVE id at CVE Services.
    pub cve_reservation_requested: bool,
    /// Each CVE record's state at CVE Services, once psirt published it.
    pub cve_records: std::collections::BTreeMap<String, String>,
    pub cve_waiver: Option<String>,
    pub announcement: Option<String>,
    pub release: Option<ReleaseView>,
    pub credits: Vec<CreditView>,
    pub advisories: Vec<AdvisoryView>,
    pub milestones: Vec<MilestoneView>,
    pub next_due: Option<MilestoneView>,
    pub timeline: Vec<EventView>,
}

#[derive(Serialize, ToSchema)]
pub struct ReporterView {
    pub name: Option<String>,
    pub email: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CvssView {
    pub proposals: Vec<CvssProposalView>,
    #[serde(rename = "final")]
    pub final_: Option<ScoredVector>,
}

#[derive(Serialize, ToSchema)]
pub struct CvssProposalView {
    pub by: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    #[serde(flatten)]
    pub vector: ScoredVector,
}

#[derive(Serialize, ToSchema)]
pub struct ScoredVector {
    pub vector: String,
    pub version: &'static str,
    pub base_score: f64,
    pub severity: &'static str,
}

impl ScoredVector {
    pub fn new(v: &psirt_core::cvss::Vector) -> ScoredVector {
        ScoredVector {
            vector: v.to_string(),
            version: v.version().as_str(),
            base_score: v.base_score().as_f64(),
            severity: v.severity().as_str(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct FixCommitView {
    pub commit: String,
    pub author: String,
    /// The author's psirt account, where the git identity matched one.
    pub author_user: Option<i64>,
    pub url: Option<String>,
    /// The maintainers (psirt accounts) who gave an LGTM.
    pub lgtm: Vec<i64>,
    /// The subject line, for commits read from the fix branch.
    pub title: Option<String>,
    /// Force-pushed away from the fix branch: it needs no LGTM and its
    /// LGTMs count for nothing.
    pub replaced: bool,
}

#[derive(Serialize, ToSchema)]
pub struct NoticeView {
    #[schema(value_type = String, format = DateTime)]
    pub published_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub estimated_release: Timestamp,
    pub mitigation: String,
    pub link: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DistributorsView {
    /// The seed reserves pre-notification for remotely exploitable issues.
    pub suggested: bool,
    pub decided: Option<bool>,
    pub rationale: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub embargo_end: Option<Timestamp>,
    /// When the pre-notification was written (as drafts for review).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub written_at: Option<Timestamp>,
    /// When its copies were approved and the first organisation notified;
    /// `null` while they are drafts.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub notified_at: Option<Timestamp>,
    pub patches: usize,
}

#[derive(Serialize, ToSchema)]
pub struct UpstreamView {
    pub upstream: String,
    #[schema(value_type = String, format = DateTime)]
    pub until: Timestamp,
}

#[derive(Serialize, ToSchema)]
pub struct SlowDownView {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub reason: String,
    pub discussion: String,
    pub extension: String,
}

#[derive(Serialize, ToSchema)]
pub struct EmbargoBreakView {
    #[schema(value_type = String, format = DateTime)]
    pub reported_at: Timestamp,
    pub what: String,
    pub to_whom: String,
    #[schema(value_type = String, format = DateTime)]
    pub when: Timestamp,
    pub assessment: Option<&'static str>,
    pub assessment_reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReleaseView {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub version: String,
    pub base_release: String,
    pub cherry_picks: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreditView {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct AdvisoryView {
    pub format: String,
    pub location: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MilestoneView {
    pub milestone: &'static str,
    pub title: &'static str,
    pub status: &'static str,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub done_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Timestamp>,
    pub asap: bool,
}

impl MilestoneView {
    pub fn new(s: &MilestoneState) -> MilestoneView {
        let (status, done_at, due) = match &s.status {
            MilestoneStatus::Done { at } => ("done", Some(*at), None),
            MilestoneStatus::Skipped { at } => ("skipped", Some(*at), None),
            MilestoneStatus::Pending { due } => ("pending", None, *due),
            MilestoneStatus::NotApplicable => ("not_applicable", None, None),
        };
        MilestoneView {
            milestone: s.milestone.as_str(),
            title: s.milestone.title(),
            status,
            done_at,
            due_at: due.map(|d| d.at),
            asap: due.is_some_and(|d| d.asap),
        }
    }

    fn pending(m: Milestone, due: Due) -> MilestoneView {
        MilestoneView {
            milestone: m.as_str(),
            title: m.title(),
            status: "pending",
            done_at: None,
            due_at: Some(due.at),
            asap: due.asap,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EventView {
    pub seq: u64,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub actor: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The event's own fields, except report details.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl EventView {
    pub fn new(e: &Event) -> EventView {
        let mut data = serde_json::to_value(&e.change).unwrap_or(serde_json::Value::Null);
        if let Some(obj) = data.as_object_mut() {
            obj.remove("type");
            // The details are shown once, on the case; the timeline entry
            // need not repeat them (nor the policy snapshot).
            obj.remove("details");
            obj.remove("policy");
        }
        if matches!(e.change, psirt_core::Change::CherryPickPlanned(_)) {
            crate::fix_repo::strip_patches(&mut data);
        }
        EventView {
            seq: e.seq,
            at: e.at,
            actor: actor_name(e.actor),
            kind: e.change.name(),
            data,
        }
    }
}

pub fn actor_name(a: ActorRef) -> String {
    match a {
        ActorRef::User(u) => format!("user:{}", u.get()),
        ActorRef::Reporter => "reporter".into(),
        ActorRef::System => "psirt".into(),
    }
}

impl CaseView {
    /// A case as the store read it, with when its distributors were
    /// notified (their copies approved).
    pub fn of(record: &psirt_store::CaseRecord) -> CaseView {
        let mut view = CaseView::new(&record.case, &record.events);
        view.distributors.notified_at = record.notified_at;
        view
    }

    /// A case from its fold alone: `distributors.notified_at` is unknown
    /// here (`null`); [`CaseView::of`] has it.
    pub fn new(case: &Case, events: &[Event]) -> CaseView {
        CaseView {
            reference: case.reference.to_string(),
            project: case.project.clone(),
            version: case.version,
            summary: case.summary.clone(),
            details: case.details.expose().clone(),
            reporter: case.reporter.as_ref().map(|r| ReporterView {
                name: r.name.clone(),
                email: r.email.as_ref().map(ToString::to_string),
            }),
            disclosure: if case.public.is_some() {
                "public"
            } else {
                "private"
            },
            reported_at: case.reported_at,
            public_link: case.public.as_ref().and_then(|p| p.link.clone()),
            urgent: case.urgent(),
            open: case.is_open(),
            fix_lead: case.fix_lead.map(|u| u.get()),
            fix_team: case.fix_team.iter().map(|u| u.get()).collect(),
            cvss: CvssView {
                proposals: case
                    .cvss_proposals
                    .iter()
                    .map(|(by, v, at)| CvssProposalView {
                        by: by.get(),
                        at: *at,
                        vector: ScoredVector::new(v),
                    })
                    .collect(),
                final_: case.cvss_final.as_ref().map(ScoredVector::new),
            },
            fix_commits: case
                .fix_commits
                .iter()
                .map(|c| FixCommitView {
                    commit: c.commit.to_string(),
                    author: c.author.clone(),
                    url: c.url.clone(),
                    lgtm: c.approvals.iter().map(|u| u.get()).collect(),
                    author_user: c.author_user.map(|u| u.get()),
                    title: c.title.clone(),
                    replaced: c.replaced,
                })
                .collect(),
            fix_repository: crate::fix_repo::FixRepositoryView::of(case),
            fix_ready: case.fix_ready_at.is_some(),
            mitigation: case.mitigation.clone(),
            notice: case.notice.as_ref().map(|n| NoticeView {
                published_at: n.published_at,
                estimated_release: n.estimated_release,
                mitigation: n.mitigation.clone(),
                link: n.link.clone(),
            }),
            distributors: DistributorsView {
                suggested: distributors_suggested(case),
                decided: case.distributors.as_ref().map(|d| d.notify),
                rationale: case.distributors.as_ref().map(|d| d.rationale.clone()),
                embargo_end: case
                    .embargo_moved
                    .map(|(_, new)| new)
                    .or_else(|| case.distributors.as_ref().and_then(|d| d.embargo_end)),
                written_at: case.distributors_notified_at,
                notified_at: None,
                patches: case.patches.len(),
            },
            upstream_embargo: case.upstream.as_ref().map(|u| UpstreamView {
                upstream: u.upstream.clone(),
                until: u.until,
            }),
            slow_downs: case
                .slow_downs
                .iter()
                .map(|s| SlowDownView {
                    at: s.at,
                    reason: s.reason.clone(),
                    discussion: s.discussion.clone(),
                    extension: s.extension.to_string(),
                })
                .collect(),
            embargo_breaks: case
                .embargo_breaks
                .iter()
                .map(|b| EmbargoBreakView {
                    reported_at: b.reported_at,
                    what: b.what.clone(),
                    to_whom: b.to_whom.clone(),
                    when: b.when,
                    assessment: b
                        .assessment
                        .as_ref()
                        .map(|(early, _, _)| if *early { "release_early" } else { "keep_plan" }),
                    assessment_reason: b.assessment.as_ref().map(|(_, r, _)| r.clone()),
                })
                .collect(),
            release_early: case.release_early_at.is_some(),
            cves: case.cves.iter().map(ToString::to_string).collect(),
            cve_reservation_requested: case.cve_reservation_requested_at.is_some(),
            cve_records: case
                .cve_record_states
                .iter()
                .map(|(id, state)| (id.to_string(), state.clone()))
                .collect(),
            cve_waiver: case.cve_waiver.clone(),
            announcement: case.announcement.clone(),
            release: case.release.as_ref().map(|r| ReleaseView {
                at: r.at,
                version: r.version.clone(),
                base_release: r.base_release.clone(),
                cherry_picks: r.cherry_picks.iter().map(ToString::to_string).collect(),
            }),
            credits: case
                .credits
                .iter()
                .map(|c| CreditView {
                    name: c.name.clone(),
                    kind: c.kind.as_str(),
                })
                .collect(),
            advisories: case
                .advisories
                .iter()
                .map(|(f, l)| AdvisoryView {
                    format: f.clone(),
                    location: l.clone(),
                })
                .collect(),
            milestones: case.milestones().iter().map(MilestoneView::new).collect(),
            next_due: case.next_due().map(|(m, d)| MilestoneView::pending(m, d)),
            timeline: events.iter().map(EventView::new).collect(),
        }
    }
}

/// The agenda: per open case, what is overdue, due soon and next.
#[derive(Serialize, ToSchema)]
pub struct AgendaView {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub cases: Vec<AgendaEntryView>,
}

#[derive(Serialize, ToSchema)]
pub struct AgendaEntryView {
    pub reference: String,
    pub summary: String,
    pub urgent: bool,
    pub overdue: Vec<MilestoneView>,
    pub due_soon: Vec<MilestoneView>,
    pub next: Option<MilestoneView>,
}

impl AgendaView {
    pub fn new(agenda: &Agenda) -> AgendaView {
        let list = |v: &[(Milestone, Due)]| {
            v.iter()
                .map(|(m, d)| MilestoneView::pending(*m, *d))
                .collect()
        };
        AgendaView {
            at: agenda.at,
            cases: agenda
                .cases
                .iter()
                .map(|e| AgendaEntryView {
                    reference: e.reference.to_string(),
                    summary: e.summary.clone(),
                    urgent: e.urgent,
                    overdue: list(&e.overdue),
                    due_soon: list(&e.due_soon),
                    next: e.next.map(|(m, d)| MilestoneView::pending(m, d)),
                })
                .collect(),
        }
    }
}

/// One copy of a message psirt wrote about a case. It carries the body:
/// the team's own case content, shown to those who may view the case.
#[derive(Serialize, ToSchema)]
pub struct MailView {
    pub id: i64,
    /// `acknowledgement`, `fix_lead_assigned`, `reminder`,
    /// `forthcoming_fix_notice`, `pre_notification`,
    /// `release_announcement` or `message_to_reporter`.
    pub kind: &'static str,
    pub message_id: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// `draft` (waits for approval), `queued`, `sending`, `sent`, `failed`
    /// or `discarded`.
    pub state: &'static str,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// Once sent: `true` encrypted to the recipient, `false` signed only.
    pub encrypted: Option<bool>,
    /// Never sent in clear: a recipient without a usable key gets nothing.
    pub encrypt_only: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub next_attempt_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<Timestamp>,
}

impl MailView {
    pub fn new(m: &psirt_store::MailRecord) -> MailView {
        MailView {
            id: m.id,
            kind: m.kind.as_str(),
            message_id: m.message_id.clone(),
            recipient: m.recipient.clone(),
            subject: m.subject.clone(),
            body: m.body.expose().clone(),
            state: m.state.as_str(),
            attempts: m.attempts,
            last_error: m.last_error.clone(),
            encrypted: m.encrypted,
            encrypt_only: m.encrypt_only,
            created_at: m.created_at,
            next_attempt_at: m.next_attempt_at,
            sent_at: m.sent_at,
        }
    }
}

/// An inbound message that opened no case: quarantined for a person, or
/// set aside as an auto-reply or bounce. Never its content.
#[derive(Serialize, ToSchema)]
pub struct InboundView {
    pub id: i64,
    /// Where it came from (the mailbox or `pipe`).
    pub source: String,
    #[schema(value_type = String, format = DateTime)]
    pub received_at: Timestamp,
    /// `quarantined` or `automatic`.
    pub outcome: String,
    pub reason: Option<String>,
    /// The case it was threaded onto, if any.
    pub case: Option<String>,
    /// Its size as it arrived, in bytes.
    pub size: usize,
}

impl InboundView {
    pub fn new(r: &psirt_store::InboundRecord) -> InboundView {
        InboundView {
            id: r.id,
            source: r.source.clone(),
            received_at: r.received_at,
            outcome: r.outcome.clone(),
            reason: r.reason.clone(),
            case: r.case.map(|c| c.to_string()),
            size: r.size,
        }
    }
}

/// A distributor organisation as the PST, its own people and its voucher
/// see it: the answers, the people and their acceptance, the outcome with
/// its reason, and the timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct DistributorOrgView {
    pub id: i64,
    pub project: String,
    pub name: String,
    /// `applied`, `vouched`, `declined`, `approved`, `rejected`,
    /// `suspended` or `removed`.
    pub state: &'static str,
    /// The reason of the last decision that needs one; the applicant sees it.
    pub reason: Option<String>,
    pub list_address: Option<String>,
    /// One answer per membership criterion, in order.
    pub answers: Vec<CriterionAnswerView>,
    pub voucher: Option<String>,
    pub people: Vec<DistributorPersonView>,
    pub timeline: Vec<OrgEventView>,
    #[schema(value_type = String, format = DateTime)]
    pub applied_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CriterionAnswerView {
    pub criterion: &'static str,
    pub answer: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DistributorPersonView {
    pub name: String,
    pub email: String,
    /// When they accepted the embargo policy; until then they see nothing.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub accepted_at: Option<Timestamp>,
    /// `self`, or `founding` for a founding member.
    pub accepted_via: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub removed_at: Option<Timestamp>,
    /// Whether an OpenPGP key is on file: without one nothing embargoed is
    /// sent. Always `false` in an application's answer, which shows what
    /// was sent and nothing about the accounts it names.
    pub has_key: bool,
    /// The fingerprint of the key the organisation named for them: it
    /// becomes their key on file when they accept the embargo policy,
    /// signed in (unless they have one already).
    pub key_pending: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgEventView {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub actor: String,
    pub kind: String,
    pub detail: String,
}

impl DistributorOrgView {
    pub fn new(o: &psirt_store::DistributorOrg) -> DistributorOrgView {
        DistributorOrgView {
            id: o.id,
            project: o.project.clone(),
            name: o.name.clone(),
            state: o.state.as_str(),
            reason: o.reason.clone(),
            list_address: o.list_address.clone(),
            answers: psirt_store::CRITERIA
                .iter()
                .zip(&o.answers)
                .map(|(c, a)| CriterionAnswerView {
                    criterion: c,
                    answer: a.clone(),
                })
                .collect(),
            voucher: o.voucher.as_ref().map(|u| u.email.to_string()),
            people: o
                .people
                .iter()
                .map(|p| DistributorPersonView {
                    name: p.name.clone(),
                    email: p.user.email.to_string(),
                    accepted_at: p.accepted_at,
                    accepted_via: p.accepted_via.clone(),
                    removed_at: p.removed_at,
                    has_key: p.has_key,
                    key_pending: p.key_pending.clone(),
                })
                .collect(),
            timeline: o
                .timeline
                .iter()
                .map(|e| OrgEventView {
                    at: e.at,
                    actor: e.actor.clone(),
                    kind: e.kind.clone(),
                    detail: e.detail.clone(),
                })
                .collect(),
            applied_at: o.applied_at,
            updated_at: o.updated_at,
        }
    }
}

impl DistributorOrgView {
    /// The answer to an application (anyone's): what was sent, and
    /// nothing the store knows about the accounts it names.
    pub fn receipt(o: &psirt_store::DistributorOrg) -> DistributorOrgView {
        let mut view = DistributorOrgView::new(o);
        for p in &mut view.people {
            p.has_key = false;
        }
        view
    }
}

/// Leaks reported per organisation, for the PST.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeakCountView {
    pub org_id: i64,
    pub organisation: String,
    pub state: &'static str,
    pub leaks: u64,
}

impl LeakCountView {
    pub fn new(l: &psirt_store::LeakCount) -> LeakCountView {
        LeakCountView {
            org_id: l.org_id,
            organisation: l.organisation.clone(),
            state: l.state.as_str(),
            leaks: l.leaks,
        }
    }
}

/// A case notified to the caller's organisation, while under embargo.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotifiedCaseView {
    pub reference: String,
    pub summary: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub embargo_end: Option<Timestamp>,
    /// The end the pre-notification gave, when the PST has since moved the
    /// public date forward after an embargo break.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub embargo_was: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub notified_at: Timestamp,
}

impl NotifiedCaseView {
    pub fn new(c: &psirt_store::NotifiedCase) -> NotifiedCaseView {
        NotifiedCaseView {
            reference: c.reference.to_string(),
            summary: c.summary.clone(),
            embargo_end: c.embargo_end,
            embargo_was: c.embargo_was,
            notified_at: c.notified_at,
        }
    }
}

/// A case's pre-notification as sent to distributors: the notice only,
/// never the case (reporter, details and timeline stay with the team).
#[derive(Serialize, ToSchema)]
pub struct PreNotificationView {
    pub reference: String,
    pub subject: String,
    pub body: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub embargo_end: Option<Timestamp>,
    /// As in `NotifiedCaseView`: the earlier end, when the date moved.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub embargo_was: Option<Timestamp>,
}

impl std::fmt::Debug for PreNotificationView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreNotificationView")
            .field("reference", &self.reference)
            .finish_non_exhaustive()
    }
}

impl PreNotificationView {
    pub fn new(p: &psirt_store::PreNotificationText) -> PreNotificationView {
        PreNotificationView {
            reference: p.reference.to_string(),
            subject: p.subject.expose().clone(),
            body: p.body.expose().clone(),
            embargo_end: p.embargo_end,
            embargo_was: p.embargo_was,
        }
    }
}

/// Feedback from a distributor (a review or test result) or an answer to
/// a request for help.
#[derive(Serialize, ToSchema)]
pub struct FeedbackView {
    pub id: i64,
    pub organisation: String,
    pub by: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// `review`, `test` or `help`.
    pub kind: String,
    /// `issues_found` or `no_issues_found` (reviews and tests).
    pub outcome: Option<&'static str>,
    /// The request for help a `help` answer answers.
    pub request: Option<i64>,
    pub text: String,
}

impl std::fmt::Debug for FeedbackView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedbackView")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl FeedbackView {
    pub fn new(f: &psirt_store::Feedback) -> FeedbackView {
        FeedbackView {
            id: f.id,
            organisation: f.organisation.clone(),
            by: f.by.to_string(),
            at: f.at,
            kind: f.kind.clone(),
            outcome: f.outcome.map(|o| o.as_str()),
            request: f.request,
            text: f.text.expose().clone(),
        }
    }
}

/// The PST's request to the notified distributors for help.
#[derive(Serialize, ToSchema)]
pub struct HelpRequestView {
    pub id: i64,
    /// `announcement_draft` or `release_notes`.
    pub topic: &'static str,
    pub text: String,
    #[schema(value_type = String, format = DateTime)]
    pub asked_at: Timestamp,
}

impl std::fmt::Debug for HelpRequestView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HelpRequestView")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl HelpRequestView {
    pub fn new(h: &psirt_store::HelpRequest) -> HelpRequestView {
        HelpRequestView {
            id: h.id,
            topic: h.topic.as_str(),
            text: h.text.expose().clone(),
            asked_at: h.asked_at,
        }
    }
}

/// Where one distributor's copy of a case's pre-notification is.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationStatusView {
    pub organisation: String,
    pub email: String,
    /// `notified`, `pending` or `not_notified`.
    pub delivery: &'static str,
    /// Why not notified (no usable key, discarded, removed, …).
    pub reason: Option<String>,
}

impl NotificationStatusView {
    pub fn new(n: &psirt_store::NotificationStatus) -> NotificationStatusView {
        let (delivery, reason) = match &n.delivery {
            psirt_store::Delivery::Notified => ("notified", None),
            psirt_store::Delivery::Pending => ("pending", None),
            psirt_store::Delivery::NotNotified(why) => ("not_notified", Some(why.clone())),
        };
        NotificationStatusView {
            organisation: n.organisation.clone(),
            email: n.email.clone(),
            delivery,
            reason,
        }
    }
}
