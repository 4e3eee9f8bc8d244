//! The public application form, checked by the API's own
//! `ApplicationInput::check`, and its acknowledgement.

use super::*;

/// The seed's embargo policy, which each person accepts for themself.
pub(crate) fn embargo_policy() -> Markup {
    html! {
        p {
            "The information members receive must not be made public, shared, nor even hinted at "
            "anywhere beyond the need-to-know within your specific team except with the list's explicit "
            "approval. This holds true until the public disclosure date and time that was agreed upon. "
            "Members may not use the information for anything other than getting the issue fixed for "
            "their distribution's users."
        }
        p {
            "Before any information is shared with members of your team required to fix the issue, they "
            "must agree to the same terms and only find out information on a need-to-know basis."
        }
        p {
            "If you share the information beyond what this policy allows, you must urgently inform the "
            "security team of exactly what information leaked and to whom. If you continue to leak "
            "information and break this policy, you will be removed from the list."
        }
    }
}

pub(super) fn field_input<'a>(
    form: &'a str,
    name: &'a str,
    label: &'a str,
    kind: Kind,
) -> Input<'a> {
    Input {
        form,
        name,
        label,
        kind,
        required: true,
        hint: None,
    }
}

// ---------------------------------------------------------------------------
// The application form.

pub(super) fn application_page(values: &Fields, errors: &Errors) -> Markup {
    let criteria: Vec<(String, String)> = psirt_store::CRITERIA
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("criterion_{}", i + 1), format!("{}. {c}", i + 1)))
        .collect();
    html! {
        h1 { "Join the private distributors list" }
        p.lead {
            "Distributors on the list receive early, embargoed notice of security fixes. "
            "Answer each membership criterion, name the people who should receive the notices "
            "(individuals, each with their own OpenPGP key), and the member of the list who vouches for you."
        }
        (error_summary(errors))
        form method="post" action="/distributors/apply" {
            h2 { "Your organisation" }
            (field_input("apply", "organisation", "Organisation or distribution", Kind::Text).render(values, errors))
            (Input {
                form: "apply",
                name: "list_address",
                label: "List address",
                kind: Kind::Email,
                required: false,
                hint: Some("Kept as your contact; embargoed mail goes only to the people you name."),
            }.render(values, errors))
            h2 { "Membership criteria" }
            p { "Say how your organisation meets each criterion, one by one." }
            @for (name, label) in &criteria {
                (field_input("apply", name, label, Kind::Area).render(values, errors))
            }
            (embargo_policy_section())
            h2 { "People" }
            p {
                "Name each person who receives pre-notifications: an individual with their own address (not a list or role alias) "
                "and their ASCII-armored OpenPGP public key. Leave unused rows blank. Each person accepts the embargo policy "
                "themself: psirt sends each an invitation to set a password and sign in."
            }
            @if let Some(e) = errors.fields.get("people") {
                p.error id="apply-people-error" { strong { "Error: " } (e) }
            }
            @for row in 1..=PEOPLE_ROWS {
                section.action {
                    h3 { "Person " (row) }
                    @let name = format!("person{row}_name");
                    @let email = format!("person{row}_email");
                    @let key = format!("person{row}_key");
                    (Input { form: "apply", name: &name, label: "Name", kind: Kind::Text, required: row == 1, hint: None }.render(values, errors))
                    (Input { form: "apply", name: &email, label: "E-mail address", kind: Kind::Email, required: row == 1, hint: None }.render(values, errors))
                    (Input { form: "apply", name: &key, label: "OpenPGP public key (ASCII-armored)", kind: Kind::Area, required: row == 1, hint: None }.render(values, errors))
                }
            }
            h2 { "Voucher" }
            (Input {
                form: "apply",
                name: "voucher",
                label: "E-mail address of the member who vouches for you",
                kind: Kind::Email,
                required: true,
                hint: Some("They confirm or decline in psirt before the security team decides."),
            }.render(values, errors))
            button type="submit" { "Apply" }
        }
    }
}

pub(super) fn embargo_policy_section() -> Markup {
    html! {
        h2 { "The embargo policy" }
        div.details { (embargo_policy()) }
    }
}

pub(crate) async fn application_form(visitor: Visitor) -> Response {
    ok(layout(
        "Join the distributors list",
        visitor.signed_in.as_ref(),
        application_page(&Fields::default(), &Errors::default()),
    ))
}

/// The form's fields as the API's application, with the form row each
/// `people[i]` came from (blank rows are left out).
pub(super) fn application_input(f: &Fields) -> (ApplicationInput, Vec<usize>) {
    let mut rows = Vec::new();
    let mut people = Vec::new();
    for row in 1..=PEOPLE_ROWS {
        let p = PersonInput {
            name: f.get(&format!("person{row}_name")).to_string(),
            email: f.get(&format!("person{row}_email")).to_string(),
            key: f.get(&format!("person{row}_key")).to_string(),
        };
        if p.name.trim().is_empty() && p.email.trim().is_empty() && p.key.trim().is_empty() {
            continue;
        }
        rows.push(row);
        people.push(p);
    }
    let answer = |i: usize| Some(f.get(&format!("criterion_{i}")).to_string());
    let input = ApplicationInput {
        project: None,
        organisation: f.get("organisation").to_string(),
        answers: None,
        criterion_1: answer(1),
        criterion_2: answer(2),
        criterion_3: answer(3),
        criterion_4: answer(4),
        criterion_5: answer(5),
        criterion_6: answer(6),
        criterion_7: answer(7),
        list_address: f.optional("list_address"),
        people,
        voucher: f.get("voucher").to_string(),
    };
    (input, rows)
}

/// `people[1].key` as the form's field of that row (`person3_key`).
pub(super) fn form_field(field: &str, rows: &[usize]) -> String {
    let Some(rest) = field.strip_prefix("people[") else {
        return field.to_string();
    };
    let Some((i, part)) = rest.split_once("].") else {
        return field.to_string();
    };
    match i.parse::<usize>().ok().and_then(|i| rows.get(i)) {
        Some(row) => format!("person{row}_{part}"),
        None => field.to_string(),
    }
}

pub(crate) async fn application(
    State(state): State<AppState>,
    _quota: crate::limits::IntakeQuota<WebError>,
    visitor: Visitor,
    site: Site,
    PlainForm(f): PlainForm,
) -> Result<Response, WebError> {
    let caller = Caller::new(Principal::Anonymous, visitor.origin.clone());
    let (input, rows) = application_input(&f);
    let (errors, status) = match input.check(&site.project, now()) {
        Err(list) => (
            application_errors(list, &rows),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Ok(application) => match state
            .store
            .apply_distributor(&caller, application, now())
            .await
            .map_err(ApiError::from)
        {
            Ok(org) => return Ok(application_received(&visitor, &org)),
            // The store's checks name a person's field without its row.
            Err(ApiError::Invalid { field, reason }) => {
                let field = match field.as_str() {
                    "person_email" | "person_name" | "person_key" => "people".to_string(),
                    _ => field,
                };
                (
                    application_errors(vec![(field, reason)], &rows),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
            }
            Err(other) => (Errors::from_api(other, &[])?, StatusCode::CONFLICT),
        },
    };
    Ok(page_response(
        status,
        layout(
            "Join the distributors list",
            visitor.signed_in.as_ref(),
            application_page(&f, &errors),
        ),
    ))
}

/// Each error next to the form's field (`people[1].key` is the key of the
/// row it came from); one the form does not show goes on the form.
pub(super) fn application_errors(list: Vec<(String, String)>, rows: &[usize]) -> Errors {
    let shown = |name: &str| {
        matches!(name, "people" | "organisation" | "list_address" | "voucher")
            || name.starts_with("criterion_")
            || name.starts_with("person")
    };
    let mut errors = Errors::default();
    for (field, reason) in list {
        let name = form_field(&field, rows);
        if shown(&name) {
            errors.field(&name, reason);
        } else {
            errors.form.get_or_insert(format!("{field}: {reason}"));
        }
    }
    errors
}

pub(super) fn application_received(visitor: &Visitor, org: &DistributorOrg) -> Response {
    let body = html! {
        h1 { "Application received" }
        div.notice role="status" {
            p { "The application of " strong { (org.name) } " is recorded; it waits for " (org.voucher.as_ref().map(|v| v.email.to_string()).unwrap_or_default()) " to vouch for it." }
        }
        h2 { "What happens next" }
        ol {
            li { "The member you named confirms or declines vouching for you in psirt." }
            li { "Each person you named gets an invitation by mail (encrypted to the key you gave) to set a password and sign in, and accepts the embargo policy for themself." }
            li { "The security team approves or rejects the application; you see the outcome and its reason on your portal." }
        }
    };
    page_response(
        StatusCode::CREATED,
        layout("Application received", visitor.signed_in.as_ref(), body),
    )
}

// ---------------------------------------------------------------------------
// The portal.
