//! The case as the API shows it: its parts, milestones and timeline.

use super::*;

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
    /// The forthcoming-fix issue psirt opened on GitHub, once it did.
    pub github_issue: Option<GitHubIssueView>,
    /// The case's repository security advisory on GitHub: who may see the
    /// draft now, when access was revoked and when it was published.
    pub github_advisory: Option<GitHubAdvisoryView>,
    pub cve_waiver: Option<String>,
    pub announcement: Option<String>,
    pub release: Option<ReleaseView>,
    pub credits: Vec<CreditView>,
    pub advisories: Vec<AdvisoryView>,
    /// The advisory record as it stands now (its edits are on the timeline).
    pub record: RecordView,
    pub milestones: Vec<MilestoneView>,
    pub next_due: Option<MilestoneView>,
    /// The case's policy at work now: the suggested announcement, the
    /// triage on call, the targets' severity, access that ended.
    pub policy: CasePolicyView,
    /// The reporter said they used AI tools to find or write the report.
    pub ai_assisted: bool,
    /// The triage decision, once made.
    pub triage: Option<TriageView>,
    /// The request for more information the case waits on: its clock
    /// stands still until the reporter answers.
    pub awaiting_information: Option<AwaitingInformationView>,
    pub timeline: Vec<EventView>,
}

#[derive(Serialize, ToSchema)]
pub struct GitHubIssueView {
    pub number: u64,
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct GitHubAdvisoryView {
    pub ghsa_id: String,
    pub url: String,
    /// The GitHub logins that are collaborators on the draft now.
    pub collaborators: Vec<String>,
    /// `draft` until psirt published it, then `published`.
    pub state: &'static str,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
}

impl GitHubAdvisoryView {
    fn new(a: &psirt_core::GitHubAdvisory) -> GitHubAdvisoryView {
        GitHubAdvisoryView {
            ghsa_id: a.ghsa_id.clone(),
            url: a.url.clone(),
            collaborators: a.collaborators.iter().map(ToString::to_string).collect(),
            state: if a.published_at.is_some() {
                "published"
            } else {
                "draft"
            },
            published_at: a.published_at,
            revoked_at: a.revoked_at,
        }
    }
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
    /// When the release was recorded.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// When the case, its advisories and the announcement are public
    /// (`psirt_core::public_at`): the agreed instant, which may lie ahead.
    #[schema(value_type = String, format = DateTime)]
    pub public_at: Timestamp,
    /// When psirt's publication job recorded the case published.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<Timestamp>,
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
    /// The due time is the response-time target of this severity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<&'static str>,
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
            target: due.and_then(|d| d.target).map(|s| s.as_str()),
        }
    }

    pub(crate) fn pending(m: Milestone, due: Due) -> MilestoneView {
        MilestoneView {
            milestone: m.as_str(),
            title: m.title(),
            status: "pending",
            done_at: None,
            due_at: Some(due.at),
            asap: due.asap,
            target: due.target.map(|s| s.as_str()),
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
    /// The fields this kind of event shows (`views::EventData`); never the
    /// report's details.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl EventView {
    pub fn new(e: &Event) -> EventView {
        EventView {
            seq: e.seq,
            at: e.at,
            actor: actor_name(e.actor),
            kind: e.change.name(),
            data: serde_json::to_value(EventData::of(&e.change)).unwrap_or(serde_json::Value::Null),
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

    /// With the policy's effects at `now` (`roster`: the project's PST).
    pub fn at(
        mut self,
        case: &Case,
        now: Timestamp,
        roster: &[psirt_core::RosterEntry],
    ) -> CaseView {
        self.policy = CasePolicyView::new(case, now, roster);
        self
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
            disclosure: if case.public().is_some() {
                "public"
            } else {
                "private"
            },
            reported_at: case.reported_at,
            public_link: case.public().and_then(|p| p.link.clone()),
            urgent: case.urgent(),
            open: case.is_open(),
            fix_lead: case.fix_lead().map(|u| u.get()),
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
            github_issue: case.github_issue.as_ref().map(|i| GitHubIssueView {
                number: i.number,
                url: i.url.clone(),
            }),
            github_advisory: case.github_advisory.as_ref().map(GitHubAdvisoryView::new),
            cve_waiver: case.cve_waiver.clone(),
            announcement: case.announcement.clone(),
            release: case.release().map(|r| ReleaseView {
                at: r.at,
                public_at: psirt_core::public_at(case).unwrap_or(r.public_at),
                published_at: r.published_at,
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
            record: RecordView::new(&case.record),
            milestones: case.milestones().iter().map(MilestoneView::new).collect(),
            next_due: case.next_due().map(|(m, d)| MilestoneView::pending(m, d)),
            policy: CasePolicyView::default(),
            ai_assisted: case.ai_assisted,
            triage: case.triage.as_ref().map(TriageView::new),
            awaiting_information: AwaitingInformationView::of(case),
            timeline: events.iter().map(EventView::new).collect(),
        }
    }
}
