//! A case page's form submitted: the fields become a command, which
//! `Store::execute` decides; a refused or invalid form is shown again.

use super::*;

pub(crate) async fn case_action(
    State(state): State<AppState>,
    Path(r): Path<String>,
    WebForm { who, fields }: WebForm,
) -> Result<Response, WebError> {
    let reference = case_reference(&r)?;
    let name = fields.get("action").to_string();
    if name == "preview_cvss" {
        let mut outcome = Outcome {
            form: Some(name),
            ..Outcome::default()
        };
        let status = match fields
            .get("vector")
            .trim()
            .parse::<psirt_core::cvss::Vector>()
        {
            Ok(v) => {
                outcome.preview = Some(v);
                StatusCode::OK
            }
            Err(e) => {
                if fields.get("vector").trim().is_empty() {
                    outcome.errors.field("vector", "is required");
                } else {
                    outcome.errors.field("vector", e.to_string());
                }
                StatusCode::UNPROCESSABLE_ENTITY
            }
        };
        outcome.values = fields;
        return render_case(&state, &who, reference, outcome, status).await;
    }
    let Some(a) = action(&name) else {
        return Err(WebError::Page(
            StatusCode::BAD_REQUEST,
            "Unknown form".into(),
            format!("{name:?} is not an action of the case page."),
        ));
    };
    let known: Vec<&str> = a.fields.iter().map(|f| f.name).collect();
    let result: Result<(), Errors> = match command_json(a, &fields) {
        Err(errors) => Err(errors),
        Ok(json) => match serde_json::from_value::<CaseCommand>(json) {
            Err(e) => Err(Errors {
                form: Some(e.to_string()),
                ..Errors::default()
            }),
            Ok(command) => {
                let to = crate::commands::For {
                    store: &state.store,
                    caller: &who.caller,
                    reference,
                };
                let executed = match command.resolve(&to).await {
                    Ok(command) => state
                        .store
                        .execute(&who.caller, reference, command, None, now())
                        .await
                        .map_err(ApiError::from),
                    Err(e) => Err(e),
                };
                match executed {
                    Ok(_) => {
                        return Ok(Redirect::to(&format!(
                            "/cases/{reference}?done={}#checklist",
                            a.command
                        ))
                        .into_response());
                    }
                    Err(e) => Err(Errors::from_api(e, &known)?),
                }
            }
        },
    };
    let errors = result.err().unwrap_or_default();
    let status = errors.status();
    let outcome = Outcome {
        form: Some(name),
        values: fields,
        errors,
        preview: None,
        done: None,
    };
    render_case(&state, &who, reference, outcome, status).await
}

/// What the page says after a form: an action's title, or what a mail
/// review did.
pub(super) fn done_text(done: &str) -> Option<String> {
    match done {
        "mail_saved" => Some("the mail draft".into()),
        "mail_approved" => Some("the mail draft is approved and queued to be sent".into()),
        "mail_discarded" => Some("the mail draft is discarded; nothing of it is sent".into()),
        other => action(other).map(|a| a.title.to_string()),
    }
}
