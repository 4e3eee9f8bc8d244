//! The private distributors list as a state machine: an organisation's
//! lifecycle (applied, vouched or declined, approved or rejected,
//! suspended, reinstated, removed), its people and their acceptance of the
//! embargo policy, and the rules an application must meet (the seed's
//! membership criteria, individual addresses, the limits).
//!
//! Like the case engine, [`decide_org`] takes an organisation as folded from
//! its events ([`Org::fold`]), the actor and a command, asks `authorize` and returns the
//! changes (with their consequences: pending copies to discard, access to
//! end) or a refusal in the seed's words. An application, which has no
//! organisation yet, is checked by [`check_application`], as `open_case`
//! checks a report. Nothing here does I/O; the store applies what this
//! returns in one transaction.

mod decide;
mod on_case;
mod org;
mod rules;

pub use decide::{
    OrgChange, OrgCommand, check_founding, check_leak_blame, decide_org, enrol_founding,
    open_application,
};
pub use on_case::{FeedbackKind, OrgCaseCommand, Outcome, decide_org_on_case};
pub use org::{Org, OrgPerson, OrgState};
pub use rules::{
    CRITERIA, CheckedApplication, CheckedPerson, MAX_ANSWER, MAX_NAME, MAX_PEOPLE, MAX_TEXT,
    ProposedPerson, check_application, check_individual, check_person, check_text, check_voucher,
};
