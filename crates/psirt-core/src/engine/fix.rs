//! The Fix Lead, the Fix Team and the fix: who leads, who is on the team,
//! the fix commits with their LGTMs, the fix ready and reopened, the
//! mitigation.

use std::collections::BTreeSet;

use super::{LONG, Refusal, Rule, SHORT, optional_link, text};
use crate::access::Actor;
use crate::case::Case;
use crate::command::Command;
use crate::engine::Context;
use crate::event::Change;
use crate::ids::UserId;
use crate::rotation::next_fix_lead;

/// The fix's commands; [`super::decide`] has authorized them.
pub(super) fn decide(
    case: &Case,
    actor: &Actor,
    command: Command,
    ctx: Context<'_>,
) -> Result<Change, Refusal> {
    Ok(match command {
        Command::AssignFixLead {
            lead,
            override_reason,
        } => {
            let override_reason = match override_reason {
                Some(r) => {
                    Some(text("reason", &r, LONG).map_err(|_| Rule::FixLeadOverrideNeedsReason)?)
                }
                None => None,
            };
            let next = next_fix_lead(ctx.pst);
            let Some(lead) = lead.or(next) else {
                return Err(Rule::NoFixLeadAvailable.into());
            };
            if !ctx.pst.iter().any(|m| m.user == lead) {
                return Err(Rule::FixLeadMustBePst.into());
            }
            if case.fix_lead() == Some(lead) {
                return Err(Rule::FixLeadUnchanged.into());
            }
            // Anyone but the rotation's choice, or a change of lead, is an override.
            let is_override = Some(lead) != next || case.fix_lead().is_some();
            if is_override && override_reason.is_none() {
                return Err(Rule::FixLeadOverrideNeedsReason.into());
            }
            Change::FixLeadAssigned {
                lead,
                override_reason: override_reason.filter(|_| is_override),
            }
        }
        Command::FormFixTeam { members } => {
            if case.fix_team_formed_at.is_some() {
                return Err(Rule::FixTeamAlreadyFormed.into());
            }
            let lead = case
                .fix_lead()
                .expect("authorize: only the Fix Lead forms the team");
            let mut team: BTreeSet<UserId> = members.into_iter().collect();
            team.insert(lead);
            Change::FixTeamFormed {
                members: team.into_iter().collect(),
            }
        }
        Command::AddFixTeamMember { member } => {
            if case.on_fix_team(member) {
                return Err(Rule::AlreadyOnFixTeam.into());
            }
            Change::FixTeamMemberAdded { member }
        }
        Command::RemoveFixTeamMember { member, reason } => {
            if case.fix_lead() == Some(member) {
                return Err(Rule::FixLeadStaysOnTeam.into());
            }
            if !case.fix_team.contains(&member) {
                return Err(Rule::NotOnFixTeam.into());
            }
            Change::FixTeamMemberRemoved {
                member,
                reason: text("reason", &reason, LONG)?,
            }
        }
        Command::AddFixCommit {
            commit,
            author,
            author_user,
            url,
        } => {
            if case.fix_ready_at.is_some() {
                return Err(Rule::FixAlreadyReady.into());
            }
            if case.fix_commits.iter().any(|c| c.commit == commit) {
                return Err(Rule::CommitAlreadyRecorded(commit).into());
            }
            Change::FixCommitAdded {
                commit,
                author: text("author", &author, SHORT)?,
                author_user,
                url: optional_link("url", url.as_deref())?,
            }
        }
        Command::ApproveCommit { commit } => {
            let Actor::Person {
                user: maintainer, ..
            } = *actor
            else {
                unreachable!("authorize: only people on the case record fix work")
            };
            let Some(fix) = case.fix_commits.iter().find(|c| c.commit == commit) else {
                return Err(Rule::UnknownCommit(commit).into());
            };
            if fix.replaced {
                return Err(crate::fix_repo::FixRepoRule::CommitReplaced(commit).into());
            }
            if fix.author_user == Some(maintainer) {
                return Err(Rule::NoSelfApproval.into());
            }
            if fix.approvals.contains(&maintainer) {
                return Err(Rule::AlreadyApproved.into());
            }
            Change::CommitApproved { commit, maintainer }
        }
        Command::MarkFixReady => {
            if case.fix_ready_at.is_some() {
                return Err(Rule::FixAlreadyReady.into());
            }
            if !case.all_commits_approved() {
                let unapproved = case
                    .fix_commits
                    .iter()
                    .filter(|c| !c.replaced && c.approvals.is_empty())
                    .map(|c| c.commit.clone())
                    .collect();
                return Err(Rule::FixReadyNeedsApprovals { unapproved }.into());
            }
            Change::FixMarkedReady
        }
        Command::ReopenFix { reason } => {
            if case.fix_ready_at.is_none() {
                return Err(Rule::FixNotReady.into());
            }
            if case.release().is_some() {
                return Err(Rule::AlreadyReleased.into());
            }
            Change::FixReopened {
                reason: text("reason", &reason, LONG)?,
            }
        }
        Command::RecordMitigation { steps } => Change::MitigationRecorded {
            steps: text("steps", &steps, LONG)?,
        },
        _ => unreachable!("decide routes only the fix's commands here"),
    })
}
