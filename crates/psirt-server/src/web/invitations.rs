//! The invitation page: the one-time link in an invitation's mail opens a
//! form to set a password; submitting it signs the person in.
//!
//! The link's token is the secret: another site cannot post the form
//! without knowing it, so the form needs no separate CSRF pairing. A used
//! or expired link says so (410) and what to do; an unknown one is a 404.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use psirt_store::{Caller, Principal};

use super::team::start_session;
use super::{
    Errors, Fields, Input, Kind, PlainForm, Visitor, WebError, error_summary, layout, ok,
    page_response,
};
use crate::error::ApiError;
use crate::{AppState, now};

fn page(token: &str, errors: &Errors) -> Markup {
    layout(
        "Set your password",
        None,
        html! {
            h1 { "Set your password" }
            p { "You were invited to psirt. Choose a password (at least 12 characters) to sign in with from now on; this link then stops working." }
            form.narrow method="post" action=(format!("/invitations/{token}")) {
                (error_summary(errors))
                (Input { form: "invitation", name: "password", label: "New password", kind: Kind::Password, required: true, hint: Some("At least 12 characters.") }.render(&Fields::default(), errors))
                button type="submit" { "Set password and sign in" }
            }
        },
    )
}

pub(super) async fn form(Path(token): Path<String>) -> Result<Response, WebError> {
    Ok(ok(page(&token, &Errors::default())))
}

pub(super) async fn accept(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
    PlainForm(f): PlainForm,
) -> Result<Response, WebError> {
    let caller = Caller::new(Principal::Anonymous, visitor.origin.clone());
    state.limit_sign_in(&caller)?;
    let invited = match state
        .store
        .accept_invitation(&token, f.get("password"), &visitor.origin, now())
        .await
        .map_err(ApiError::from)
    {
        Ok(invited) => invited,
        Err(ApiError::Invalid { field, reason }) => {
            let mut errors = Errors::default();
            errors.field(
                if field == "password" {
                    "password"
                } else {
                    "form"
                },
                reason,
            );
            return Ok(page_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                page(&token, &errors),
            ));
        }
        Err(other) => return Err(other.into()),
    };
    let (headers, landing) = start_session(&state, &invited.user, visitor.origin).await?;
    Ok((headers, Redirect::to(landing)).into_response())
}
