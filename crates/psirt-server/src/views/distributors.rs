//! The distributors list's shapes: organisations, their people and
//! events, leak counts, and what the portal shows of a notified case.

use super::*;

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
