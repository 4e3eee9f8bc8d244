//! Triage on the case page: the likely duplicates the index suggests, and
//! the triage form's starting values (the top suggestion as the
//! duplicate, the project's canned reply for that decision).
//!
//! The suggestions are `Store::similar`'s, read (and audited) as the
//! signed-in person; what the form decides is the engine's.

use psirt_core::{CannedReply, TriageOutcome, TriageReason};
use psirt_store::Suggestion;

use super::*;

/// A suggestion this likely is offered as the form's duplicate.
const LIKELY: f64 = 0.5;

/// The earlier cases like this one, when the person may read them; the
/// page shows without them rather than fail.
pub(super) async fn suggestions(state: &AppState, who: &SignedIn, case: &Case) -> Vec<Suggestion> {
    state
        .store
        .similar(&who.caller, case.reference)
        .await
        .unwrap_or_default()
}

/// The "Likely duplicates" section.
pub(super) fn section(suggestions: &[Suggestion]) -> Markup {
    html! {
        h2 #similar-title { "Likely duplicates" }
        @if suggestions.is_empty() {
            p.hint #similar { "No earlier report of this project is much like this one." }
        } @else {
            p.hint { "Earlier reports of this project most like this one: the score (0 to 1) weighs the words both use by how rare they are in the project, and rises with each kind of exact key both name." }
            ol #similar aria-labelledby="similar-title" {
                @for s in suggestions {
                    li.suggestion {
                        a href=(format!("/cases/{}", s.reference)) { (s.reference.to_string()) }
                        ": " (s.summary) " — score " strong { (format!("{:.2}", s.likeness.score)) }
                        @if !s.likeness.matched.is_empty() {
                            " (same "
                            (s.likeness.matched.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "))
                            ")"
                        }
                        @if !s.open { " " span.badge { "Closed" } }
                    }
                }
            }
        }
    }
}

/// The triage form's starting values: a duplicate of the top suggestion
/// when it is likely, else an acceptance, each with the project's wording
/// of its canned reply to edit.
pub(super) async fn defaults(state: &AppState, case: &Case, suggestions: &[Suggestion]) -> Fields {
    let mut values = Fields::default();
    let top = suggestions.first().filter(|s| s.likeness.score >= LIKELY);
    let (outcome, reason) = match top {
        Some(s) => {
            values.set("duplicate_of", &s.reference.to_string());
            values.set("text", "Reported before.");
            (
                TriageOutcome::Duplicate {
                    of: psirt_core::DuplicateOf::Case {
                        reference: s.reference,
                    },
                },
                TriageReason::KnownIssue,
            )
        }
        None => (TriageOutcome::Accepted, TriageReason::Confirmed),
    };
    values.set("outcome", outcome.as_str());
    values.set("reason", reason.as_str());
    let reply = CannedReply::for_decision(&outcome, reason);
    let wording = state
        .store
        .reply_template_for_case(case.reference, reply)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| reply.default_text().to_string());
    values.set("message", &wording);
    values
}
