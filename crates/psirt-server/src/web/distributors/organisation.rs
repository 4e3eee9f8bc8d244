//! What the portal and the PST's pages show alike of an organisation:
//! its state, its people, and the notes after a form.

use super::*;

#[derive(serde::Deserialize)]
pub(crate) struct Done {
    pub(super) done: Option<String>,
}

pub(super) fn done_text(done: &str) -> Option<&'static str> {
    Some(match done {
        "accepted" => "you accepted the embargo policy",
        "vouched" => "your answer to the application is recorded",
        "added" => "the person was added; they see nothing until they accept the embargo policy",
        "removed" => "the person was removed",
        "feedback" => "your result is recorded",
        "leak" => "the leak is reported; the security team assesses the embargo break",
        "answered" => "your answer is recorded",
        "decided" => "the decision is recorded",
        _ => return None,
    })
}

/// A form of the portal that was refused, shown again.
pub(super) struct Refused {
    pub(super) org: i64,
    pub(super) form: &'static str,
    pub(super) values: Fields,
    pub(super) errors: Errors,
}

pub(super) fn state_text(state: OrgState) -> &'static str {
    match state {
        OrgState::Applied => "Applied: waits for the voucher",
        OrgState::Vouched => "Vouched for: waits for the security team",
        OrgState::Declined => "The voucher declined",
        OrgState::Approved => "Approved",
        OrgState::Rejected => "Rejected",
        OrgState::Suspended => "Suspended",
        OrgState::Removed => "Removed",
    }
}

/// Where a people table's "Remove" forms go: the portal's (a person of an
/// approved organisation managing their team) or the PST's organisation
/// page. Both end at `Store::remove_distributor_person`, which decides.
pub(super) struct Removal<'a> {
    pub(super) who: &'a SignedIn,
    pub(super) action: String,
}

pub(super) fn people_table(org: &DistributorOrg, removal: Option<&Removal>) -> Markup {
    html! {
        table {
            caption { "People of " (org.name) }
            thead { tr {
                th scope="col" { "Name" }
                th scope="col" { "E-mail" }
                th scope="col" { "Embargo policy" }
                th scope="col" { "OpenPGP key" }
                @if removal.is_some() { th scope="col" { "Remove" } }
            } }
            tbody {
                @for p in org.people.iter().filter(|p| p.removed_at.is_none()) {
                    tr {
                        td { (p.name) }
                        td { (p.user.email.to_string()) }
                        td {
                            @match p.accepted_at {
                                Some(at) => { "Accepted " (time(at)) @if p.accepted_via.as_deref() == Some("founding") { " (before psirt)" } }
                                None => { span.badge { "Not yet accepted" } }
                            }
                        }
                        td {
                            @if p.has_key { "On file" }
                            @else if let Some(fpr) = &p.key_pending { span.badge { "Named, awaiting their acceptance: " code { (fpr) } } }
                            @else { span.badge.bad { "None: sent nothing" } }
                        }
                        @if let Some(removal) = removal {
                            td {
                                form method="post" action=(removal.action) {
                                    (csrf_field(&removal.who.csrf))
                                    input type="hidden" name="action" value="remove_person";
                                    input type="hidden" name="org" value=(org.id);
                                    input type="hidden" name="email" value=(p.user.email.to_string());
                                    button type="submit" aria-label=(format!("Remove {}", p.user.email)) { "Remove" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
