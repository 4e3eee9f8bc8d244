//! A case: the fold of its events.
//!
//! `Case` holds facts only (who, what, when). Derived answers (due times,
//! whether the fix is ready to release) are computed where the rule lives:
//! [`crate::dues`] and [`crate::engine`]. `apply` trusts its input: events
//! were validated by `decide` before they were stored.

use std::collections::BTreeSet;

use jiff::Timestamp;
use psirt_cvss::Vector;
use serde::{Deserialize, Serialize};

use crate::duration::Duration;
use crate::event::{Change, Event, Reporter};
use crate::fix_repo::{CherryPickPlan, FixRepository, Resolutions};
use crate::ids::{CaseRef, CommitId, CveId, Secret, UserId};
use crate::policy::Policy;

#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    pub reference: CaseRef,
    pub project: String,
    pub summary: String,
    pub details: Secret<String>,
    pub reporter: Option<Reporter>,
    /// The policy in force when the case was opened.
    pub policy: Policy,
    /// When the report reached the team.
    pub reported_at: Timestamp,
    /// `Some` once the vulnerability is known to be public.
    public: Option<PublicDisclosure>,
    pub private_handling_requested_at: Option<Timestamp>,
    /// The reporter's answer to the request to handle a public report privately.
    pub private_handling_agreed: Option<bool>,
    pub acknowledged_at: Option<Timestamp>,
    fix_lead: Option<UserId>,
    fix_lead_assigned_at: Option<Timestamp>,
    pub fix_team: BTreeSet<UserId>,
    pub fix_team_formed_at: Option<Timestamp>,
    pub cvss_proposals: Vec<(UserId, Vector, Timestamp)>,
    pub cvss_final: Option<Vector>,
    pub cvss_final_at: Option<Timestamp>,
    pub fix_commits: Vec<FixCommit>,
    pub fix_ready_at: Option<Timestamp>,
    pub mitigation: Option<String>,
    pub notice: Option<Notice>,
    pub distributors: Option<DistributorDecision>,
    pub distributors_decided_at: Option<Timestamp>,
    pub distributors_notified_at: Option<Timestamp>,
    pub patches: Vec<String>,
    pub upstream: Option<UpstreamEmbargo>,
    pub slow_downs: Vec<SlowDown>,
    pub embargo_breaks: Vec<EmbargoBreak>,
    /// Set when the PST assessed an embargo break and chose to release early.
    pub release_early_at: Option<Timestamp>,
    /// The embargo's end moved forward by that decision: `(was, now)`.
    pub embargo_moved: Option<(Timestamp, Timestamp)>,
    pub cves: Vec<CveId>,
    pub cve_waiver: Option<String>,
    pub announcement: Option<String>,
    release: Option<Release>,
    pub credits: Vec<Credit>,
    pub advisories: Vec<(String, String)>,
    /// The advisory record's own facts (products, weaknesses, description,
    /// references, aliases).
    pub record: crate::record::Record,
    /// The conversation with the reporter: `(from the reporter?, text, at)`.
    pub reporter_messages: Vec<(bool, String, Timestamp)>,
    pub retrospective_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub fix_repository: Option<FixRepository>,
    /// The latest plan; it is of the current commits only when its
    /// `commits` are [`Case::current_fix_commits`].
    pub cherry_pick_plan: Option<CherryPickPlan>,
    /// The Fix Lead's resolutions of conflicting branches, per branch;
    /// cleared when the fix commits change.
    pub cherry_pick_resolutions: Resolutions,
    /// When the Fix Lead asked psirt to reserve a CVE id.
    pub cve_reservation_requested_at: Option<Timestamp>,
    /// The state of each of the case's CVE records at CVE Services.
    pub cve_record_states: std::collections::BTreeMap<CveId, String>,
    /// The forthcoming-fix issue psirt opened on GitHub.
    pub github_issue: Option<crate::github::GitHubIssue>,
    /// The case's repository security advisory on GitHub.
    pub github_advisory: Option<crate::github::GitHubAdvisory>,
    /// What ended with the case (access) and the final notice, as
    /// recorded ([`crate::ending`]).
    pub ended: crate::ending::Ended,
    /// The reporter said they used AI tools to find or write the report.
    pub ai_assisted: bool,
    /// The triage decision, once made ([`crate::triage`]).
    pub triage: Option<crate::triage::Triage>,
    /// How the reporter agreed that the team files the report publicly.
    pub public_filing_consent: Option<String>,
    /// Set while the case waits for the reporter's answer to a request
    /// for more information: its clock stands still.
    pub information_requested_at: Option<Timestamp>,
    /// How long the clock stood still, in minutes, over every answered
    /// request: pending due times move by it.
    pub paused_minutes: i64,
    /// When the latest event happened: how long the case has been quiet.
    pub last_event_at: Timestamp,
    /// The number of events folded so far: the case's version for
    /// optimistic concurrency.
    pub version: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicDisclosure {
    /// When the team learned of it: every due time becomes this instant.
    pub learned_at: Timestamp,
    pub link: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixCommit {
    pub commit: CommitId,
    pub author: String,
    pub author_user: Option<UserId>,
    pub url: Option<String>,
    /// Maintainers who gave an LGTM, never the author.
    pub approvals: BTreeSet<UserId>,
    /// The commit's subject line, when it was read from the fix branch.
    #[serde(default)]
    pub title: Option<String>,
    /// Read from the fix branch (rather than recorded by hand).
    #[serde(default)]
    pub from_branch: bool,
    /// Force-pushed away from the fix branch: it counts no more.
    #[serde(default)]
    pub replaced: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub published_at: Timestamp,
    pub estimated_release: Timestamp,
    pub mitigation: String,
    pub link: Option<String>,
}

/// The Fix Lead's recorded determination on early disclosure to distributors.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributorDecision {
    pub notify: bool,
    pub rationale: String,
    /// When the embargo lifts; required when `notify`.
    pub embargo_end: Option<Timestamp>,
    /// Why the embargo is longer than the policy's maximum, where it is.
    pub long_embargo_reason: Option<String>,
    /// Why the embargo ends at another instant than the policy's
    /// announcement time suggests, where it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub off_slot_reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamEmbargo {
    pub upstream: String,
    pub until: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlowDown {
    pub at: Timestamp,
    pub by: Option<UserId>,
    pub reason: String,
    pub discussion: String,
    pub extension: Duration,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbargoBreak {
    pub reported_at: Timestamp,
    pub what: String,
    pub to_whom: String,
    pub when: Timestamp,
    /// `(release_early, reason, at)` once the PST has assessed it.
    pub assessment: Option<(bool, String, Timestamp)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    /// When the Release command ran.
    pub at: Timestamp,
    /// The agreed public instant the release was recorded for (`at` in
    /// events from before it could be given).
    pub public_at: Timestamp,
    /// When psirt's publication job recorded the case public.
    #[serde(default)]
    pub published_at: Option<Timestamp>,
    pub version: String,
    /// The last release the fix was cherry-picked onto.
    pub base_release: String,
    pub cherry_picks: Vec<CommitId>,
}

/// The CVE JSON 5 credit types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreditKind {
    Finder,
    Reporter,
    Analyst,
    Coordinator,
    RemediationDeveloper,
    RemediationReviewer,
    RemediationVerifier,
    Tool,
    Sponsor,
    Other,
}

impl CreditKind {
    pub const ALL: [CreditKind; 10] = [
        CreditKind::Finder,
        CreditKind::Reporter,
        CreditKind::Analyst,
        CreditKind::Coordinator,
        CreditKind::RemediationDeveloper,
        CreditKind::RemediationReviewer,
        CreditKind::RemediationVerifier,
        CreditKind::Tool,
        CreditKind::Sponsor,
        CreditKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CreditKind::Finder => "finder",
            CreditKind::Reporter => "reporter",
            CreditKind::Analyst => "analyst",
            CreditKind::Coordinator => "coordinator",
            CreditKind::RemediationDeveloper => "remediation_developer",
            CreditKind::RemediationReviewer => "remediation_reviewer",
            CreditKind::RemediationVerifier => "remediation_verifier",
            CreditKind::Tool => "tool",
            CreditKind::Sponsor => "sponsor",
            CreditKind::Other => "other",
        }
    }

    /// How an announcement says what the credited did: "Reported by …".
    pub fn phrase(self) -> &'static str {
        match self {
            CreditKind::Finder => "Found by",
            CreditKind::Reporter => "Reported by",
            CreditKind::Analyst => "Analysed by",
            CreditKind::Coordinator => "Coordinated by",
            CreditKind::RemediationDeveloper => "Fixed by",
            CreditKind::RemediationReviewer => "Fix reviewed by",
            CreditKind::RemediationVerifier => "Fix verified by",
            CreditKind::Tool => "Found with",
            CreditKind::Sponsor => "Work sponsored by",
            CreditKind::Other => "With thanks to",
        }
    }

    pub fn parse(s: &str) -> Option<CreditKind> {
        CreditKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.replace('-', "_"))
    }
}

/// A credit on the advisory; `name: None` is an anonymous credit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    pub name: Option<String>,
    pub kind: CreditKind,
}

impl Case {
    /// Starts a case from its first event, which must be `Reported`.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Option<Case> {
        let mut events = events.into_iter();
        let first = events.next()?;
        let Change::Reported {
            reference,
            project,
            summary,
            details,
            reporter,
            public_link,
            already_public,
            ai_assisted,
            policy,
        } = &first.change
        else {
            return None;
        };
        let mut case = Case {
            reference: *reference,
            project: project.clone(),
            summary: summary.clone(),
            details: details.clone(),
            reporter: reporter.clone(),
            policy: Policy::clone(policy),
            reported_at: first.at,
            public: already_public.then(|| PublicDisclosure {
                learned_at: first.at,
                link: public_link.clone(),
            }),
            private_handling_requested_at: None,
            private_handling_agreed: None,
            acknowledged_at: None,
            fix_lead: None,
            fix_lead_assigned_at: None,
            fix_team: BTreeSet::new(),
            fix_team_formed_at: None,
            cvss_proposals: Vec::new(),
            cvss_final: None,
            cvss_final_at: None,
            fix_commits: Vec::new(),
            fix_ready_at: None,
            mitigation: None,
            notice: None,
            distributors: None,
            distributors_decided_at: None,
            distributors_notified_at: None,
            patches: Vec::new(),
            upstream: None,
            slow_downs: Vec::new(),
            embargo_breaks: Vec::new(),
            release_early_at: None,
            embargo_moved: None,
            cves: Vec::new(),
            cve_waiver: None,
            announcement: None,
            release: None,
            credits: Vec::new(),
            advisories: Vec::new(),
            record: crate::record::Record::default(),
            reporter_messages: Vec::new(),
            retrospective_at: None,
            closed_at: None,
            fix_repository: None,
            cherry_pick_plan: None,
            cherry_pick_resolutions: Default::default(),
            cve_reservation_requested_at: None,
            cve_record_states: Default::default(),
            github_issue: None,
            github_advisory: None,
            ended: Default::default(),
            triage: None,
            ai_assisted: *ai_assisted,
            public_filing_consent: None,
            information_requested_at: None,
            paused_minutes: 0,
            last_event_at: first.at,
            version: 1,
        };
        for event in events {
            case.apply(event);
        }
        Some(case)
    }

    /// Folds one event into the case.
    pub fn apply(&mut self, event: &Event) {
        let at = event.at;
        let by = match event.actor {
            crate::event::ActorRef::User(u) => Some(u),
            _ => None,
        };
        self.version += 1;
        self.last_event_at = at;
        match &event.change {
            Change::Reported { .. } => {}
            Change::Acknowledged => self.acknowledged_at = Some(at),
            Change::FixLeadAssigned { lead, .. } => {
                self.fix_lead = Some(*lead);
                self.fix_lead_assigned_at.get_or_insert(at);
            }
            Change::FixTeamFormed { members } => {
                self.fix_team = members.iter().copied().collect();
                self.fix_team_formed_at.get_or_insert(at);
            }
            Change::FixTeamMemberAdded { member } => {
                self.fix_team.insert(*member);
            }
            Change::FixTeamMemberRemoved { member, .. } => {
                self.fix_team.remove(member);
            }
            Change::CvssProposed { vector } => {
                self.cvss_proposals
                    .push((by.unwrap_or(UserId::new(0)), *vector, at));
            }
            Change::CvssFinalized { vector } => {
                self.cvss_final = Some(*vector);
                self.cvss_final_at.get_or_insert(at);
            }
            Change::FixCommitAdded {
                commit,
                author,
                author_user,
                url,
            } => self.fix_commits.push(FixCommit {
                commit: commit.clone(),
                author: author.clone(),
                author_user: *author_user,
                url: url.clone(),
                approvals: BTreeSet::new(),
                title: None,
                from_branch: false,
                replaced: false,
            }),
            Change::CommitApproved { commit, maintainer } => {
                if let Some(c) = self.fix_commits.iter_mut().find(|c| &c.commit == commit) {
                    c.approvals.insert(*maintainer);
                }
            }
            Change::FixMarkedReady => self.fix_ready_at = Some(at),
            Change::FixReopened { .. } => self.fix_ready_at = None,
            Change::MitigationRecorded { steps } => self.mitigation = Some(steps.clone()),
            Change::NoticePublished {
                estimated_release,
                mitigation,
                link,
            } => {
                // One field: what the notice tells users to do is the
                // record's mitigation, not a copy of it.
                self.mitigation = Some(mitigation.clone());
                let published_at = self.notice.as_ref().map_or(at, |n| n.published_at);
                self.notice = Some(Notice {
                    published_at,
                    estimated_release: *estimated_release,
                    mitigation: mitigation.clone(),
                    link: link.clone(),
                });
            }
            Change::DistributorsDecided(decision) => {
                self.distributors = Some(decision.clone());
                self.distributors_decided_at = Some(at);
            }
            Change::DistributorsNotified { patches, .. } => {
                self.patches = patches.clone();
                self.distributors_notified_at.get_or_insert(at);
            }
            Change::UpstreamEmbargoSet { upstream, until } => {
                self.upstream = Some(UpstreamEmbargo {
                    upstream: upstream.clone(),
                    until: *until,
                })
            }
            Change::PubliclyDisclosed { link } => {
                self.public = Some(PublicDisclosure {
                    learned_at: at,
                    link: link.clone(),
                });
                self.private_handling_agreed = None;
                self.private_handling_requested_at = None;
            }
            Change::PrivateHandlingRequested => self.private_handling_requested_at = Some(at),
            Change::PrivateHandlingAnswered { agreed } => {
                self.private_handling_agreed = Some(*agreed)
            }
            Change::SlowedDown {
                reason,
                discussion,
                extension,
            }
            | Change::SlowedDownForHolidays {
                reason,
                discussion,
                extension,
                ..
            } => self.slow_downs.push(SlowDown {
                at,
                by,
                reason: reason.clone(),
                discussion: discussion.clone(),
                extension: *extension,
            }),
            Change::EmbargoBreakReported {
                what,
                to_whom,
                when,
            } => self.embargo_breaks.push(EmbargoBreak {
                reported_at: at,
                what: what.clone(),
                to_whom: to_whom.clone(),
                when: *when,
                assessment: None,
            }),
            Change::EmbargoBreakAssessed {
                release_early,
                reason,
                release_at,
            } => {
                if let Some(b) = self
                    .embargo_breaks
                    .iter_mut()
                    .find(|b| b.assessment.is_none())
                {
                    b.assessment = Some((*release_early, reason.clone(), at));
                }
                if *release_early {
                    self.release_early_at.get_or_insert(at);
                    if let (Some(new), Some(was)) = (release_at, self.embargo_end())
                        && *new < was
                    {
                        let first = self.embargo_moved.map_or(was, |(first, _)| first);
                        self.embargo_moved = Some((first, *new));
                    }
                }
            }
            Change::CveRecorded { cve } => self.cves.push(cve.clone()),
            Change::CveWaived { reason } => self.cve_waiver = Some(reason.clone()),
            Change::AnnouncementDrafted { text } => self.announcement = Some(text.clone()),
            Change::Released {
                version,
                base_release,
                cherry_picks,
                public_at,
            } => {
                self.release = Some(Release {
                    at,
                    public_at: public_at.unwrap_or(at),
                    published_at: None,
                    version: version.clone(),
                    base_release: base_release.clone(),
                    cherry_picks: cherry_picks.clone(),
                })
            }
            Change::CreditRecorded(credit) => self.credits.push(credit.clone()),
            Change::AdvisoryRecorded { format, location } => {
                self.advisories.push((format.clone(), location.clone()))
            }
            Change::RecordEdited(edit) => self.record.apply(edit, at),
            Change::MessageToReporter { text } => {
                self.reporter_messages.push((false, text.clone(), at))
            }
            Change::ReporterReplied { text } => {
                // The reporter's answer starts the clock again.
                self.resume(at);
                self.reporter_messages.push((true, text.clone(), at))
            }
            Change::RetrospectiveHeld { .. } => self.retrospective_at = Some(at),
            Change::Published => {
                if let Some(release) = &mut self.release {
                    release.published_at = Some(at);
                }
            }
            Change::Closed => self.closed_at = Some(at),
            Change::FixRepositoryLinked(repo) => self.fix_repository = Some(repo.clone()),
            Change::FixCommitRead {
                commit,
                author_name,
                author_email,
                author_user,
                title,
            } => {
                self.cherry_pick_resolutions.clear();
                self.fix_commits.push(FixCommit {
                    commit: commit.clone(),
                    author: format!("{author_name} <{author_email}>"),
                    author_user: *author_user,
                    url: None,
                    approvals: BTreeSet::new(),
                    title: Some(title.clone()),
                    from_branch: true,
                    replaced: false,
                });
            }
            Change::FixCommitReplaced { commit } => {
                self.cherry_pick_resolutions.clear();
                for c in self.fix_commits.iter_mut().filter(|c| &c.commit == commit) {
                    c.replaced = true;
                    c.approvals.clear();
                }
            }
            Change::CherryPickPlanned(plan) => self.cherry_pick_plan = Some(plan.clone()),
            Change::CveReservationRequested => self.cve_reservation_requested_at = Some(at),
            Change::CveReserved { cve } => self.cves.push(cve.clone()),
            Change::CveRecordStateChanged { cve, state } => {
                self.cve_record_states.insert(cve.clone(), state.clone());
            }
            change @ (Change::GitHubIssueCreated { .. }
            | Change::GitHubAdvisoryDrafted { .. }
            | Change::GitHubCollaboratorsSet { .. }
            | Change::GitHubAdvisoryPublished { .. }
            | Change::GitHubAccessRevoked { .. }) => crate::github::apply(self, change, at),
            change @ (Change::FixTeamAccessEnded { .. }
            | Change::DistributorAccessEnded
            | Change::DistributorsFinalNoticeSent) => crate::ending::apply(self, change, at),
            change @ (Change::Triaged { .. }
            | Change::PublicFilingConsented { .. }
            | Change::InformationRequested { .. }) => crate::triage::apply(self, change, at),
            Change::CherryPickResolved { branch, commits } => {
                self.cherry_pick_resolutions
                    .insert(branch.clone(), commits.clone());
            }
        }
    }

    /// `Some` once the vulnerability is known to be public: when the team
    /// learned of it (every due time becomes that instant) and the link.
    /// Set by the fold alone, from the report or `PubliclyDisclosed`.
    pub fn public(&self) -> Option<&PublicDisclosure> {
        self.public.as_ref()
    }

    /// The Fix Lead, as the latest assignment named them.
    pub fn fix_lead(&self) -> Option<UserId> {
        self.fix_lead
    }

    /// When the case first had a Fix Lead: kept when the lead changes, so
    /// the milestone stays met. `Some` exactly when [`Case::fix_lead`] is.
    pub fn fix_lead_assigned_at(&self) -> Option<Timestamp> {
        self.fix_lead_assigned_at
    }

    /// The release, once recorded, with its public instant and (once
    /// published) the instant it was published at.
    pub fn release(&self) -> Option<&Release> {
        self.release.as_ref()
    }

    /// Every due time is "as soon as possible": the vulnerability is public
    /// and the reporter has not agreed to handle it privately.
    pub fn asap(&self) -> bool {
        self.public.is_some() && self.private_handling_agreed != Some(true)
    }

    /// Shown on the case and the dashboard until the release: public
    /// disclosure, an embargo break awaiting assessment, or a decision to
    /// release early after one.
    pub fn urgent(&self) -> bool {
        self.release.is_none()
            && (self.asap() || self.release_early_at.is_some() || self.break_unassessed())
    }

    /// An embargo break was reported and the PST has not assessed it yet.
    pub fn break_unassessed(&self) -> bool {
        self.embargo_breaks.iter().any(|b| b.assessment.is_none())
    }

    /// The final CVSS base score is below the policy's low-severity
    /// threshold (the seed: 4.0).
    pub fn low_severity(&self) -> bool {
        self.cvss_final
            .as_ref()
            .is_some_and(|v| v.base_score().tenths() < self.policy.low_severity_below_tenths)
    }

    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }

    /// When a person on the team first wrote to the reporter.
    pub fn first_response_at(&self) -> Option<Timestamp> {
        self.reporter_messages
            .iter()
            .find(|(from_reporter, _, _)| !from_reporter)
            .map(|(_, _, at)| *at)
    }

    /// The Fix Lead or a member of the Fix Team.
    pub fn on_fix_team(&self, user: UserId) -> bool {
        self.fix_lead == Some(user) || self.fix_team.contains(&user)
    }

    /// Every fix commit has an LGTM from a maintainer other than its author.
    /// Replaced commits need none.
    pub fn all_commits_approved(&self) -> bool {
        let mut current = self.fix_commits.iter().filter(|c| !c.replaced).peekable();
        current.peek().is_some() && current.all(|c| !c.approvals.is_empty())
    }

    /// The fix commits in force: replaced ones left out.
    pub fn current_fix_commits(&self) -> Vec<CommitId> {
        crate::fix_repo::current_commits(self)
    }

    /// The embargo a release must respect: the one agreed with distributors
    /// or an upstream project's, whichever ends later.
    pub fn embargo_end(&self) -> Option<Timestamp> {
        if let Some((_, moved)) = self.embargo_moved {
            return Some(moved);
        }
        let distributors = self
            .distributors_notified_at
            .and_then(|_| self.distributors.as_ref()?.embargo_end);
        let upstream = self.upstream.as_ref().map(|u| u.until);
        distributors.into_iter().chain(upstream).max()
    }
}
