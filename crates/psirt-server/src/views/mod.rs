//! The JSON shapes of cases, timelines and agendas, as the API and the
//! CLI's `--json` show them, and of the distributors list (organisations,
//! notified cases, pre-notifications, feedback, help requests).
//!
//! These are a promise to clients: fields are added, never renamed or
//! removed without a new API version. Each is built from core types by an
//! explicit conversion. Report details are included only in [`CaseView`],
//! which callers build only after the access decision allowed `ViewCase`.
//! A distributor gets [`PreNotificationView`] (the notice as sent), never a
//! `CaseView`.

use jiff::Timestamp;
use psirt_core::{
    ActorRef, Agenda, Case, Due, Event, Milestone, MilestoneState, MilestoneStatus,
    distributors_suggested,
};
use serde::Serialize;
use utoipa::ToSchema;

mod case;
mod distributors;
mod events;
mod mail;
mod policy;
mod record;
mod record_edit;
mod triage;

pub use case::*;
pub use distributors::*;
pub use events::{EventData, ReporterData};
pub use mail::*;
pub use policy::*;
pub use record::*;
pub use triage::*;
