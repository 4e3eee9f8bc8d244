//! The agenda, a case's mail and the inbound mail set aside.

use super::*;

/// The agenda: per open case, what is overdue, due soon and next.
#[derive(Serialize, ToSchema)]
pub struct AgendaView {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub cases: Vec<AgendaEntryView>,
}

#[derive(Serialize, ToSchema)]
pub struct AgendaEntryView {
    pub reference: String,
    pub summary: String,
    pub urgent: bool,
    pub overdue: Vec<MilestoneView>,
    pub due_soon: Vec<MilestoneView>,
    pub next: Option<MilestoneView>,
    /// Overdue milestones whose due time was a response-time target: the
    /// case misses its severity's targets.
    pub missed_targets: Vec<MilestoneView>,
}

impl AgendaView {
    pub fn new(agenda: &Agenda) -> AgendaView {
        let list = |v: &[(Milestone, Due)]| {
            v.iter()
                .map(|(m, d)| MilestoneView::pending(*m, *d))
                .collect()
        };
        AgendaView {
            at: agenda.at,
            cases: agenda
                .cases
                .iter()
                .map(|e| AgendaEntryView {
                    reference: e.reference.to_string(),
                    summary: e.summary.clone(),
                    urgent: e.urgent,
                    overdue: list(&e.overdue),
                    due_soon: list(&e.due_soon),
                    next: e.next.map(|(m, d)| MilestoneView::pending(m, d)),
                    missed_targets: list(&e.missed_targets),
                })
                .collect(),
        }
    }
}

/// One copy of a message psirt wrote about a case. It carries the body:
/// the team's own case content, shown to those who may view the case.
#[derive(Serialize, ToSchema)]
pub struct MailView {
    pub id: i64,
    /// `acknowledgement`, `fix_lead_assigned`, `reminder`,
    /// `forthcoming_fix_notice`, `pre_notification`,
    /// `release_announcement` or `message_to_reporter`.
    pub kind: &'static str,
    pub message_id: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// `draft` (waits for approval), `queued`, `sending`, `sent`, `failed`
    /// or `discarded`.
    pub state: &'static str,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// Once sent: `true` encrypted to the recipient, `false` signed only.
    pub encrypted: Option<bool>,
    /// Never sent in clear: a recipient without a usable key gets nothing.
    pub encrypt_only: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub next_attempt_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<Timestamp>,
}

impl MailView {
    pub fn new(m: &psirt_store::MailRecord) -> MailView {
        MailView {
            id: m.id,
            kind: m.kind.as_str(),
            message_id: m.message_id.clone(),
            recipient: m.recipient.clone(),
            subject: m.subject.clone(),
            body: m.body.expose().clone(),
            state: m.state.as_str(),
            attempts: m.attempts,
            last_error: m.last_error.clone(),
            encrypted: m.encrypted,
            encrypt_only: m.encrypt_only,
            created_at: m.created_at,
            next_attempt_at: m.next_attempt_at,
            sent_at: m.sent_at,
        }
    }
}

/// An inbound message that opened no case: quarantined for a person, or
/// set aside as an auto-reply or bounce. Never its content.
#[derive(Serialize, ToSchema)]
pub struct InboundView {
    pub id: i64,
    /// Where it came from (the mailbox or `pipe`).
    pub source: String,
    #[schema(value_type = String, format = DateTime)]
    pub received_at: Timestamp,
    /// `quarantined` or `automatic`.
    pub outcome: String,
    pub reason: Option<String>,
    /// The case it was threaded onto, if any.
    pub case: Option<String>,
    /// Its size as it arrived, in bytes.
    pub size: usize,
}

impl InboundView {
    pub fn new(r: &psirt_store::InboundRecord) -> InboundView {
        InboundView {
            id: r.id,
            source: r.source.clone(),
            received_at: r.received_at,
            outcome: r.outcome.clone(),
            reason: r.reason.clone(),
            case: r.case.map(|c| c.to_string()),
            size: r.size,
        }
    }
}
