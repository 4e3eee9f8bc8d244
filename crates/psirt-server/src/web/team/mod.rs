//! The team's pages: sign-in and sign-out, the dashboard of open cases,
//! and the case page with its checklist, timeline, mail (every copy psirt
//! wrote, and the drafts to edit, approve or discard) and the forms of the
//! actions the signed-in person may take.
//!
//! Which forms a case page shows is asked of `psirt_core::authorize`, one
//! `Operation` at a time; submitting one goes through `CaseCommand::resolve`
//! and `Store::execute`, which decide again. A refused or invalid form is
//! shown again with its input and the reason next to the field.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use psirt_core::{Actor, Case, CaseRef, MailKind, MilestoneStatus, Operation, UserId, authorize};
use psirt_store::{Caller, DraftDecision, MailRecord, MailState, Principal, Store};
use serde_json::{Map, Value};

use super::{
    Errors, Fields, Input, Kind, PlainForm, SignedIn, Site, Visitor, WebError, WebForm, WebSession,
    case_reference, csrf_field, error_summary, layout, ok, page_response, parse_instant,
    random_token, same, saved_notice, time,
};
use crate::auth::SESSION_COOKIE;
use crate::commands::CaseCommand;
use crate::error::ApiError;
use crate::views::EventView;
use crate::{AppState, now};

mod actions;
mod case_action;
mod case_page;
mod dashboard;
mod downloads;
mod mail;
mod record;
mod sign_in;
mod triage;

use actions::*;
pub(crate) use case_action::*;
pub(crate) use case_page::*;
pub(crate) use dashboard::*;
pub(crate) use downloads::*;
pub(crate) use mail::*;
pub(crate) use sign_in::*;

/// A size for people: bytes, KiB or MiB.
fn size_text(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} bytes"),
        1024..1_048_576 => format!("{:.1} KiB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MiB", bytes as f64 / 1_048_576.0),
    }
}
