//! The organisation's commands and the one function that decides them,
//! and the changes they make, which are the organisation's events.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::access::{About, Actor, Operation, authorize_about, authorize_instance};
use crate::duration::Duration;
use crate::engine::{Refusal, Rule};
use crate::ids::{CaseRef, EmailAddress, UserId};
use jiff::Timestamp;

use super::on_case::{FeedbackKind, Outcome};
use super::org::{Org, OrgState};
use crate::Text;

/// What someone asks of an organisation on the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrgCommand {
    /// The named voucher confirms, with an optional word for the timeline.
    Vouch {
        reason: Option<Text>,
    },
    /// The named voucher declines, with a reason the applicant sees.
    Decline {
        reason: Text,
    },
    /// The acting person accepts the embargo policy for themself.
    AcceptPolicy,
    Approve,
    Reject {
        reason: Text,
    },
    Suspend {
        reason: Text,
    },
    Reinstate {
        reason: Text,
    },
    Remove {
        reason: Text,
    },
    /// A current member adds a person of their own team (whose account
    /// the store found or made for `email`).
    AddPerson {
        user: UserId,
        email: EmailAddress,
    },
    /// A current member of the organisation, or the PST, removes one.
    RemovePerson {
        email: EmailAddress,
    },
    /// psirt ends `user`'s acceptance of the embargo policy, made at
    /// `accepted_at`, which holds `valid_for` (the project's policy): at
    /// `now` it must have run out. They see nothing of the list until they
    /// accept again.
    LapseAcceptance {
        user: UserId,
        accepted_at: Timestamp,
        valid_for: Duration,
        now: Timestamp,
    },
}

/// What a command changes, with its consequences, for the store to write.
/// The store keeps them, in order, as the organisation's events: their
/// JSON (`type` and the fields, snake case) is the storage format, so
/// renaming a variant or a field needs a migration. [`super::Org::fold`]
/// reads them back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OrgChange {
    /// An application opened the organisation: it waits for `voucher`.
    Applied {
        name: String,
        voucher: UserId,
    },
    /// A founding member's enrolment opened it, approved: it was on the
    /// list before psirt.
    Founded {
        name: String,
    },
    /// The organisation is now `to`. `reason`, when given, is what the
    /// applicant sees from now on (the last one stays otherwise); `note`
    /// is the timeline's words. `kind` names the step (`vouched`,
    /// `reinstated`, …).
    Moved {
        to: OrgState,
        kind: Cow<'static, str>,
        reason: Option<Text>,
        note: String,
    },
    /// The person accepted the embargo policy (themself, or before psirt
    /// for a founding member).
    PolicyAccepted {
        user: UserId,
    },
    /// The person is one of the organisation's people (again, after a
    /// removal), and has accepted nothing yet.
    PersonAdded {
        user: UserId,
        email: EmailAddress,
    },
    PersonRemoved {
        user: UserId,
    },
    /// The person's acceptance of the embargo policy ran out: they are
    /// one of the people still, and must accept it again.
    AcceptanceLapsed {
        user: UserId,
    },
    /// Their pending pre-notification copies (of one person, or of
    /// everyone in the organisation) are discarded, for `reason`.
    PendingDiscarded {
        person: Option<UserId>,
        reason: Cow<'static, str>,
    },
    /// Every session and token of the account ends.
    AccessEnded {
        user: UserId,
    },
    /// A notified distributor of the organisation recorded a review or
    /// test result on `case` (its text stays with the case).
    FeedbackRecorded {
        case: CaseRef,
        kind: FeedbackKind,
        outcome: Outcome,
    },
    /// A notified distributor of the organisation answered the request
    /// for help `request` on `case`.
    HelpAnswered {
        case: CaseRef,
        request: i64,
    },
    /// A leak on `case` names the organisation as responsible.
    LeakBlamed {
        case: CaseRef,
    },
}

fn actor_user(actor: &Actor) -> Option<UserId> {
    match *actor {
        Actor::Person { user, .. } | Actor::Distributor { user, .. } => Some(user),
        _ => None,
    }
}

fn not_in_state(org: &Org, need: String) -> Refusal {
    Rule::OrgNotInState {
        organisation: org.name.clone(),
        state: org.state,
        need,
    }
    .into()
}

/// Decides `command` on `org` for `actor`: `authorize` first (the actor
/// the store made for this organisation's project, or for the
/// organisation itself where the command concerns its own people), then
/// the list's rules. Returns the changes, or the refusal.
pub fn decide_org(
    org: &Org,
    actor: &Actor,
    command: OrgCommand,
) -> Result<Vec<OrgChange>, Refusal> {
    match command {
        OrgCommand::Vouch { reason } => {
            vouching(org, actor)?;
            let note = reason.map(Text::into_string).unwrap_or_default();
            Ok(vec![OrgChange::Moved {
                to: OrgState::Vouched,
                kind: "vouched".into(),
                reason: None,
                note,
            }])
        }
        OrgCommand::Decline { reason } => {
            vouching(org, actor)?;
            Ok(vec![OrgChange::Moved {
                to: OrgState::Declined,
                kind: "declined".into(),
                note: reason.to_string(),
                reason: Some(reason),
            }])
        }
        OrgCommand::AcceptPolicy => {
            authorize_instance(actor, Operation::AcceptEmbargoPolicy)?;
            let user = actor_user(actor).expect("authorize: only a signed-in person accepts");
            let Some(person) = org.current_person(user) else {
                return Err(Rule::NotAPerson {
                    who: None,
                    organisation: org.name.clone(),
                }
                .into());
            };
            if matches!(
                org.state,
                OrgState::Declined | OrgState::Rejected | OrgState::Removed
            ) {
                return Err(not_in_state(org, "there is nothing to accept".into()));
            }
            if person.accepted {
                return Err(Rule::AlreadyAccepted {
                    email: person.email.clone(),
                }
                .into());
            }
            Ok(vec![OrgChange::PolicyAccepted { user }])
        }
        OrgCommand::Approve => pst_decision(org, actor, OrgState::Approved, "approved", None),
        OrgCommand::Reject { reason } => {
            pst_decision(org, actor, OrgState::Rejected, "rejected", Some(reason))
        }
        OrgCommand::Suspend { reason } => {
            pst_decision(org, actor, OrgState::Suspended, "suspended", Some(reason))
        }
        OrgCommand::Reinstate { reason } => {
            pst_decision(org, actor, OrgState::Approved, "reinstated", Some(reason))
        }
        OrgCommand::Remove { reason } => {
            pst_decision(org, actor, OrgState::Removed, "removed", Some(reason))
        }
        OrgCommand::AddPerson { user, email } => {
            authorize_instance(actor, Operation::ManageDistributorTeam)?;
            if org.current_person(user).is_some() {
                return Err(Rule::AlreadyInOrg { email }.into());
            }
            // The same bound as an application's: the store decides on
            // the organisation locked, so two additions cannot both pass.
            let current = org.people.iter().filter(|p| !p.removed).count();
            if current >= super::MAX_PEOPLE {
                return Err(Refusal::Invalid {
                    field: "people",
                    reason: format!("at most {} people; remove one first", super::MAX_PEOPLE),
                });
            }
            Ok(vec![OrgChange::PersonAdded { user, email }])
        }
        OrgCommand::RemovePerson { email } => {
            authorize_instance(actor, Operation::RemoveDistributorPerson)?;
            let Some(person) = org
                .people
                .iter()
                .find(|p| !p.removed && p.email.as_str().eq_ignore_ascii_case(email.as_str()))
            else {
                return Err(Rule::NotAPerson {
                    who: Some(email),
                    organisation: org.name.clone(),
                }
                .into());
            };
            let user = person.user;
            Ok(vec![
                OrgChange::PersonRemoved { user },
                OrgChange::PendingDiscarded {
                    person: Some(user),
                    reason: "person removed".into(),
                },
                OrgChange::AccessEnded { user },
            ])
        }
        OrgCommand::LapseAcceptance {
            user,
            accepted_at,
            valid_for,
            now,
        } => {
            authorize_instance(actor, Operation::LapseEmbargoAcceptance)?;
            let Some(person) = org.current_person(user).filter(|p| p.accepted) else {
                return Err(Rule::NotAPerson {
                    who: None,
                    organisation: org.name.clone(),
                }
                .into());
            };
            let until = accepted_at
                .checked_add(valid_for.to_signed())
                .unwrap_or(Timestamp::MAX);
            if until > now {
                return Err(Rule::AcceptanceStillValid {
                    email: person.email.clone(),
                    until,
                }
                .into());
            }
            Ok(vec![
                OrgChange::AcceptanceLapsed { user },
                OrgChange::PendingDiscarded {
                    person: Some(user),
                    reason: "acceptance of the embargo policy lapsed".into(),
                },
            ])
        }
    }
}

/// "Have someone already on the list vouch for the person requesting
/// membership": only the member the application names, and only while it
/// waits for them.
fn vouching(org: &Org, actor: &Actor) -> Result<(), Refusal> {
    let about = About {
        named_voucher: actor_user(actor).is_some_and(|u| org.voucher == Some(u)),
        ..About::default()
    };
    authorize_about(actor, Operation::VouchForDistributor, about)?;
    if org.state != OrgState::Applied {
        return Err(not_in_state(
            org,
            "vouching is only for a new application".into(),
        ));
    }
    Ok(())
}

/// The PST's decisions: each from the states it may follow, each but
/// approval with a reason the applicant sees; approval once someone of the
/// organisation accepted the embargo policy. Suspension and removal
/// discard the pending copies; removal ends its people's access.
fn pst_decision(
    org: &Org,
    actor: &Actor,
    to: OrgState,
    kind: &'static str,
    reason: Option<Text>,
) -> Result<Vec<OrgChange>, Refusal> {
    authorize_instance(actor, Operation::ManageDistributors)?;
    let from: &[OrgState] = match kind {
        "approved" => &[OrgState::Vouched],
        "rejected" => &[OrgState::Applied, OrgState::Vouched, OrgState::Declined],
        "suspended" => &[OrgState::Approved],
        "reinstated" => &[OrgState::Suspended],
        _ => &[OrgState::Approved, OrgState::Suspended],
    };
    if !from.contains(&org.state) {
        let need: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
        return Err(not_in_state(
            org,
            format!("to be {kind} it must be {}", need.join(" or ")),
        ));
    }
    if kind == "approved" && !org.people.iter().any(|p| p.accepted && !p.removed) {
        return Err(Rule::OrgNeedsAcceptance {
            organisation: org.name.clone(),
        }
        .into());
    }
    let mut changes = vec![OrgChange::Moved {
        to,
        kind: kind.into(),
        note: reason.as_ref().map(Text::to_string).unwrap_or_default(),
        reason,
    }];
    match to {
        OrgState::Suspended => changes.push(OrgChange::PendingDiscarded {
            person: None,
            reason: "organisation suspended".into(),
        }),
        OrgState::Removed => {
            changes.push(OrgChange::PendingDiscarded {
                person: None,
                reason: "organisation removed".into(),
            });
            // Removing the organisation removes its people: each one's
            // sessions and tokens end with it.
            changes.extend(
                org.people
                    .iter()
                    .filter(|p| !p.removed)
                    .map(|p| OrgChange::AccessEnded { user: p.user }),
            );
        }
        _ => {}
    }
    Ok(changes)
}

/// A leak names the organisation responsible, if anyone: a distributor
/// speaks for its own organisation (it may say that it leaked), never for
/// another one (the PST may).
pub fn check_leak_blame(
    actor: &Actor,
    responsible: Option<i64>,
    reporter_org: Option<i64>,
) -> Result<(), Refusal> {
    if matches!(actor, Actor::Distributor { .. })
        && responsible.is_some()
        && responsible != reporter_org
    {
        return Err(Refusal::Invalid {
            field: "responsible",
            reason: "name your own organisation or none: who else leaked goes in `what`, for the PST to assess".into(),
        });
    }
    Ok(())
}

/// A founding member joins an organisation only while it is approved (or
/// a new one, recorded approved).
pub fn check_founding(organisation: &str, state: OrgState) -> Result<(), Refusal> {
    if state != OrgState::Approved {
        return Err(Rule::OrgNotInState {
            organisation: organisation.to_string(),
            state,
            need: "founding members join approved organisations only".into(),
        }
        .into());
    }
    Ok(())
}

/// The events of an application that [`super::check_application`] and
/// [`super::check_voucher`] passed: the organisation opens, waiting for
/// `voucher`, and names `people` (their accounts, in the order given).
pub fn open_application(
    organisation: &str,
    voucher: UserId,
    people: &[(UserId, EmailAddress)],
) -> Vec<OrgChange> {
    let mut changes = vec![OrgChange::Applied {
        name: organisation.to_string(),
        voucher,
    }];
    changes.extend(people.iter().map(|(user, email)| OrgChange::PersonAdded {
        user: *user,
        email: email.clone(),
    }));
    changes
}

/// The events of a founding member's enrolment by the local administrator:
/// on `existing` (which must be approved), or on a new organisation
/// `organisation`, opened approved; the person's acceptance was given
/// before psirt.
pub fn enrol_founding(
    existing: Option<&Org>,
    organisation: &str,
    user: UserId,
    email: &EmailAddress,
) -> Result<Vec<OrgChange>, Refusal> {
    let mut changes = Vec::new();
    match existing {
        Some(org) => check_founding(&org.name, org.state)?,
        None => changes.push(OrgChange::Founded {
            name: organisation.to_string(),
        }),
    }
    changes.push(OrgChange::PersonAdded {
        user,
        email: email.clone(),
    });
    changes.push(OrgChange::PolicyAccepted { user });
    Ok(changes)
}
