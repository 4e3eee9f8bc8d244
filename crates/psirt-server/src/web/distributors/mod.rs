//! The distributors list's pages: the public application form, the portal
//! of a signed-in distributor person (their organisation and its people,
//! the embargo policy to accept, vouching, the cases notified to them and
//! each case's notice with its forms for feedback, leaks and help), and the
//! PST's pages (organisations by state with their leaks, and each
//! organisation's answers, people with a form to remove each, timeline and
//! decision forms).
//!
//! These handlers decide nothing: each read and each form goes to the same
//! `Store` method as the JSON API (`crate::distributors`), which asks
//! `psirt_core::authorize` and writes the audit log; the application form
//! is checked by the API's own [`ApplicationInput::check`]. What a page
//! offers follows what the store returned (a person who has not accepted
//! the policy is shown the policy, and nothing embargoed).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use psirt_core::{CaseRef, EmailAddress};
use psirt_store::{Caller, DistributorOrg, NewLeak, OrgState, Principal, StoreError};

use super::{
    Errors, Fields, Input, Kind, PlainForm, SignedIn, Site, Visitor, WebError, WebForm, WebSession,
    case_reference, csrf_field, error_summary, layout, ok, page_response, parse_instant,
    saved_notice, time,
};
use crate::distributors::{ApplicationInput, DecisionKind, PersonInput, feedback_kind, person};
use crate::error::ApiError;
use crate::{AppState, now};

mod applicant;
mod organisation;
mod portal;
mod pst;

pub(crate) use applicant::*;
pub(crate) use organisation::*;
pub(crate) use portal::*;
pub(crate) use pst::*;

/// Rows of people on the application form; blank rows are ignored.
const PEOPLE_ROWS: usize = 3;
