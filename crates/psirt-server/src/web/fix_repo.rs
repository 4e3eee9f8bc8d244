//! The case page's fix repository section: the fix commits read from the
//! branch (title, author and the account it matched, LGTMs, replaced ones
//! struck through) and the cherry-pick plan per release branch (last tag,
//! clean with the patch set's SHA-256, already contains the fix,
//! conflicts with the files and the Fix Lead's resolution, failed with
//! the reason).
//!
//! It renders what the case already holds and decides nothing; the forms
//! that change it are the API's commands.

use maud::{Markup, html};
use psirt_core::{Case, PlanOutcome};

/// psirt's steps in other systems, with a failure's reason: nothing when
/// there are none.
pub(super) fn steps(steps: &[psirt_store::StepStatus]) -> Markup {
    if steps.is_empty() {
        return html! {};
    }
    html! {
        section #steps aria-labelledby="steps-title" {
            h2 #steps-title { "Steps in other systems" }
            ul {
                @for s in steps {
                    li id=(format!("step-{}", s.step.as_str())) {
                        strong { (s.step.as_str().replace('_', " ")) } ": "
                        @match s.state {
                            psirt_store::StepState::Failed => {
                                span.badge.bad { "Failed" } " " (s.reason.as_deref().unwrap_or("")) " (attempt " (s.attempts) ", retried " (super::time(s.next_at)) ")"
                            }
                            psirt_store::StepState::Ok => { span.badge.good { "Done" } " " (super::time(s.updated_at)) }
                            psirt_store::StepState::Pending => { "pending" }
                        }
                    }
                }
            }
        }
    }
}

/// Nothing when the case has no fix repository linked.
pub(super) fn section(case: &Case, name: impl Fn(psirt_core::UserId) -> String) -> Markup {
    let Some(repo) = &case.fix_repository else {
        return html! {};
    };
    let current = case.current_fix_commits();
    html! {
        section #fix-repository aria-labelledby="fix-repository-title" {
            h2 #fix-repository-title { "Fix repository" }
            dl.facts {
                dt { "Repository" } dd { code { (repo.location) } }
                dt { "Fix branch" } dd { code { (repo.branch) } " from " code { (repo.base) } }
                dt { "Release branches" } dd { (repo.release_branches.join(", ")) " (tags " code { (repo.tag_pattern) } ")" }
            }
            @if !case.fix_commits.is_empty() {
                div.scroll {
                table #fix-commits {
                    caption { "Fix commits: an LGTM from a maintainer who is not the author on each" }
                    (crate::web::column_heads(&["Commit", "Title", "Author (account)", "LGTM"]))
                    tbody {
                        @for c in &case.fix_commits {
                            tr class=(if c.replaced { "replaced" } else { "" }) {
                                td { @if c.replaced { del { code { (&c.commit.as_str()[..c.commit.as_str().len().min(12)]) } } " replaced" } @else { code { (&c.commit.as_str()[..c.commit.as_str().len().min(12)]) } } }
                                td { (c.title.as_deref().unwrap_or("—")) }
                                td { (c.author) " (" (c.author_user.map(&name).unwrap_or_else(|| "no account".into())) ")" }
                                td { @if c.approvals.is_empty() { "none" } @else { (c.approvals.iter().map(|u| name(*u)).collect::<Vec<_>>().join(", ")) } }
                            }
                        }
                    }
                }
                }
            }
            @match &case.cherry_pick_plan {
                None => p.hint { "psirt has not read the branch yet." },
                Some(plan) => {
                    @if plan.commits != current { p.hint { "The commits changed: the plan is being recomputed." } }
                    div.scroll {
                    table #cherry-pick-plan {
                        caption { "Cherry-pick plan onto the last release of each branch" }
                        (crate::web::column_heads(&["Branch", "Last release", "Outcome"]))
                        tbody {
                            @for b in &plan.branches {
                                tr {
                                    td { code { (b.branch) } }
                                    td { (b.tag.as_deref().unwrap_or("—")) }
                                    td {
                                        @match &b.outcome {
                                            PlanOutcome::Clean { commits, sha256, .. } => {
                                                span.badge.good { "Applies cleanly" } " " (commits.len()) " commit(s), patch set SHA-256 " code { (sha256) }
                                            }
                                            PlanOutcome::AlreadyContains => { span.badge.good { "Already contains the fix" } }
                                            PlanOutcome::Conflicts { commit, files } => {
                                                @match case.cherry_pick_resolutions.get(&b.branch) {
                                                    Some(resolved) => { span.badge { "Resolved" } " by the Fix Lead as " (resolved.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")) }
                                                    None => { span.badge.bad { "Conflicts" } }
                                                }
                                                " at " code { (commit.as_str()) } " in " (files.join(", "))
                                            }
                                            PlanOutcome::Failed { reason } => { span.badge.bad { "Failed" } " " (reason) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    }
                }
            }
        }
    }
}
