//! What ends with a case, and the last notice before it goes public.
//!
//! Access that ends with the case: when the policy says so, the Fix Team
//! members who are not on the PST lose the case's private parts at the
//! release (or at the close), and the notified distributors lose their
//! portal access to the case at publication: the release's public instant,
//! when psirt's publication job records the case published
//! ([`decide_publication`]), or the close if that came first. Each is a
//! change recorded with the release, the publication or the close
//! ([`on_release`], [`on_close`]), so it is on the timeline and in the
//! audit log's range of that command, and `authorize` decides from the
//! fold ([`Ended`]).
//!
//! The final notice to distributors (Kubernetes: 24 hours before the
//! release) is a milestone: psirt drafts it when its reminder window
//! opens ([`final_notice_draft`]), and approving the draft records it.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::case::Case;
use crate::dues::{Due, Milestone, MilestoneStatus};
use crate::engine::{Context, Refusal, Rule};
use crate::event::Change;
use crate::ids::UserId;
use crate::notify::{Audience, Mail, MailKind, Protection, REMIND_BEFORE, Review};
use crate::policy_rule::PolicyRule;

/// When the Fix Team's access to the private parts of a case ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessEnds {
    Release,
    Close,
}

/// What ended on a case, as its events recorded it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ended {
    /// The Fix Team members (not on the PST) who lost access, and when.
    pub fix_team_access: Option<(Timestamp, Vec<UserId>)>,
    /// When the notified distributors' portal access ended.
    pub distributor_access: Option<Timestamp>,
    /// When the final notice to distributors was approved for sending.
    pub final_notice: Option<Timestamp>,
}

impl Ended {
    /// `user` is a Fix Team member whose access to the case ended.
    pub fn fix_team_member_cut(&self, user: UserId) -> bool {
        self.fix_team_access
            .as_ref()
            .is_some_and(|(_, members)| members.contains(&user))
    }
}

/// The changes that follow a release on `case`: the Fix Team's access
/// ends where the policy says so.
pub(crate) fn on_release(case: &Case, ctx: &Context<'_>) -> Vec<Change> {
    if case.policy.fix_team_access_ends == Some(AccessEnds::Release) {
        return fix_team_cut(case, ctx).into_iter().collect();
    }
    Vec::new()
}

/// psirt's publication job at the release's public instant: the case is
/// published, once, and the notified distributors' portal access ends
/// ("distributors' portal access to the case ends at publication").
pub(crate) fn decide_publication(case: &Case, now: Timestamp) -> Result<Vec<Change>, Refusal> {
    let Some(release) = &case.release() else {
        return Err(Rule::ReleaseNeededFirst.into());
    };
    if release.published_at.is_some() {
        return Err(Rule::AlreadyPublished.into());
    }
    let at = crate::public_at(case).unwrap_or(release.public_at);
    if now < at {
        return Err(Rule::NotYetPublic { at }.into());
    }
    Ok(std::iter::once(Change::Published)
        .chain(distributor_cut(case))
        .collect())
}

/// The changes that follow closing `case`: a case closed before its
/// publication job ran still ends the distributors' access.
pub(crate) fn on_close(case: &Case, ctx: &Context<'_>) -> Vec<Change> {
    let mut changes: Vec<Change> = distributor_cut(case).into_iter().collect();
    if case.policy.fix_team_access_ends == Some(AccessEnds::Close)
        && case.ended.fix_team_access.is_none()
    {
        changes.extend(fix_team_cut(case, ctx));
    }
    changes
}

fn distributor_cut(case: &Case) -> Option<Change> {
    (case.distributors_notified_at.is_some() && case.ended.distributor_access.is_none())
        .then_some(Change::DistributorAccessEnded)
}

fn fix_team_cut(case: &Case, ctx: &Context<'_>) -> Option<Change> {
    let members: Vec<UserId> = case
        .fix_team
        .iter()
        .copied()
        .filter(|u| !ctx.pst.iter().any(|m| m.user == *u))
        .collect();
    (!members.is_empty()).then_some(Change::FixTeamAccessEnded { members })
}

/// Folds the changes this module owns.
pub(crate) fn apply(case: &mut Case, change: &Change, at: Timestamp) {
    match change {
        Change::FixTeamAccessEnded { members } => {
            case.ended.fix_team_access = Some((at, members.clone()));
        }
        Change::DistributorAccessEnded => case.ended.distributor_access = Some(at),
        Change::DistributorsFinalNoticeSent => case.ended.final_notice = Some(at),
        _ => {}
    }
}

/// Approving the drafted final notice records it: the milestone is done.
pub(crate) fn decide_final_notice(case: &Case) -> Result<Vec<Change>, Refusal> {
    if case.policy.distributor_final_notice_before.is_none() {
        return Err(Rule::Policy(PolicyRule::FinalNoticeNotInPolicy).into());
    }
    if case.distributors_notified_at.is_none() {
        return Err(Rule::Policy(PolicyRule::FinalNoticeNeedsPreNotification).into());
    }
    if case.release().is_some() {
        return Err(Rule::AlreadyReleased.into());
    }
    if case.ended.final_notice.is_some() {
        return Err(Rule::Policy(PolicyRule::FinalNoticeAlreadySent).into());
    }
    Ok(vec![Change::DistributorsFinalNoticeSent])
}

/// The final notice's status: not in the policy, skipped with the
/// pre-notification, waiting for it, due before the embargo ends, done.
pub(crate) fn final_notice_status(case: &Case) -> MilestoneStatus {
    let Some(before) = case.policy.distributor_final_notice_before else {
        return MilestoneStatus::NotApplicable;
    };
    if let Some(at) = case.ended.final_notice {
        return MilestoneStatus::Done { at };
    }
    if let (Some(d), Some(at)) = (&case.distributors, case.distributors_decided_at)
        && !d.notify
    {
        return MilestoneStatus::Skipped { at };
    }
    let due = match (case.distributors_notified_at, case.embargo_end()) {
        (Some(_), Some(end)) if case.release().is_none() && case.is_open() => Some(Due {
            at: end
                .saturating_sub(before.to_signed())
                .unwrap_or(Timestamp::MIN),
            asap: case.release_early_at.is_some(),
            target: None,
        }),
        _ => None,
    };
    MilestoneStatus::Pending { due }
}

/// The final notice, drafted for the Fix Lead's review once its reminder
/// window opens (a day before it is due), written once for each embargo
/// end. It goes encrypted only, to the notified organisations' people.
pub(crate) fn final_notice_draft(case: &Case, now: Timestamp) -> Option<Mail> {
    let due = case.milestone(Milestone::DistributorsFinalNotice).due()?;
    let end = case.embargo_end()?;
    let opens = due
        .at
        .saturating_sub(REMIND_BEFORE.to_signed())
        .unwrap_or(Timestamp::MIN);
    if now < opens {
        return None;
    }
    let reference = case.reference;
    let project = &case.project;
    let utc = |t: Timestamp| t.strftime("%Y-%m-%d %H:%M UTC").to_string();
    let body = format!(
        "EMBARGOED until {} — do not share outside your organisation's security team.\n\n\
         A reminder of {reference} ({project}), of which you were notified on {}: the fix \
         becomes public at {} (that is {} UTC).\n\n\
         Have your own release ready for that moment. Until then the embargo holds; if \
         anything leaked, tell the {project} Product Security Team at once.\n",
        utc(end),
        case.distributors_notified_at.map(utc).unwrap_or_default(),
        utc(end),
        end.strftime("%A %-d %B %Y, %H:%M"),
    );
    Some(Mail {
        kind: MailKind::FinalDistributorNotice,
        audience: Audience::NotifiedDistributors,
        subject: format!("[{reference}] Reminder: the embargo ends {}", utc(end)),
        body,
        review: Review::Draft,
        protection: Protection::EncryptOnly,
        once: Some(format!("final-notice:{reference}:{}", end.as_microsecond())),
        attachments: Vec::new(),
    })
}
