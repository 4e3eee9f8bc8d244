//! The mail psirt writes about a case and its drafts' review, inbound
//! mail that opened no case, and the OpenPGP keys mail is encrypted to.

use super::*;

/// A mail kind from the path; an unknown one is a 422 naming `kind`.
fn mail_kind(text: &str) -> Result<psirt_core::MailKind, ApiError> {
    psirt_core::MailKind::parse(text).ok_or_else(|| ApiError::Invalid {
        field: "kind".into(),
        reason: format!(
            "{text:?} is not a kind of mail; one of {}",
            psirt_core::MailKind::ALL.map(|k| k.as_str()).join(", ")
        ),
    })
}

/// The case's mail, oldest first: every copy with its delivery state and
/// body (embargoed; every read is audited).
#[utoipa::path(get, path = "/api/v1/cases/{reference}/mail", tag = "mail",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    responses((status = 200, body = Vec<MailView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn case_mail(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(r): ApiPath<String>,
) -> Result<axum::Json<Vec<MailView>>, ApiError> {
    let mail = state.store.case_mail(&auth.caller, reference(&r)?).await?;
    Ok(axum::Json(mail.iter().map(MailView::new).collect()))
}

/// What a review of a case's drafts changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct DraftReviewed {
    pub kind: &'static str,
    /// The copies changed (one per recipient).
    pub copies: u64,
    /// Their state now: `draft` (edited), `queued` (approved) or `discarded`.
    pub state: &'static str,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftEdit {
    /// One line.
    pub subject: String,
    pub body: String,
}

/// The path of a kind of mail on a case.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct DraftPath {
    /// PSIRT-YYYY-NNNN
    reference: String,
    /// The kind of mail, e.g. forthcoming_fix_notice
    kind: String,
}

/// The three reviews of a case's drafts of one kind differ only in the
/// decision: one store call, and the copies' state after it.
async fn review(
    state: &AppState,
    auth: &Auth,
    path: DraftPath,
    decision: psirt_store::DraftDecision,
) -> Result<axum::Json<DraftReviewed>, ApiError> {
    let reference = reference(&path.reference)?;
    let kind = mail_kind(&path.kind)?;
    let after = match decision {
        psirt_store::DraftDecision::Approve => psirt_store::MailState::Queued,
        psirt_store::DraftDecision::Discard => psirt_store::MailState::Discarded,
        psirt_store::DraftDecision::Edit { .. } => psirt_store::MailState::Draft,
    };
    let copies = state
        .store
        .review_drafts(
            &auth.caller,
            reference,
            kind,
            decision,
            state.settings.clock.now(),
        )
        .await?;
    Ok(axum::Json(DraftReviewed {
        kind: kind.as_str(),
        copies,
        state: after.as_str(),
    }))
}

/// Replaces the subject and body of the case's drafts of one kind (every
/// copy); they stay drafts.
#[utoipa::path(put, path = "/api/v1/cases/{reference}/mail/{kind}", tag = "mail", params(DraftPath),
    request_body = DraftEdit,
    responses((status = 200, body = DraftReviewed), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No such case, or no draft of that kind"), (status = 422, body = Problem)))]
pub(crate) async fn edit_draft(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(path): ApiPath<DraftPath>,
    ApiJson(req): ApiJson<DraftEdit>,
) -> Result<axum::Json<DraftReviewed>, ApiError> {
    let decision = psirt_store::DraftDecision::Edit {
        subject: req.subject,
        body: req.body,
    };
    review(&state, &auth, path, decision).await
}

/// Approves the case's drafts of one kind: every copy is queued to be sent.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/mail/{kind}/approve", tag = "mail", params(DraftPath),
    responses((status = 200, body = DraftReviewed), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No such case, or no draft of that kind"), (status = 422, body = Problem)))]
pub(crate) async fn approve_draft(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(path): ApiPath<DraftPath>,
) -> Result<axum::Json<DraftReviewed>, ApiError> {
    review(&state, &auth, path, psirt_store::DraftDecision::Approve).await
}

/// Discards the case's drafts of one kind: nothing of them is sent.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/mail/{kind}/discard", tag = "mail", params(DraftPath),
    responses((status = 200, body = DraftReviewed), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No such case, or no draft of that kind"), (status = 422, body = Problem)))]
pub(crate) async fn discard_draft(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(path): ApiPath<DraftPath>,
) -> Result<axum::Json<DraftReviewed>, ApiError> {
    review(&state, &auth, path, psirt_store::DraftDecision::Discard).await
}

/// Inbound mail that opened no case, newest first: quarantined messages
/// and automatic ones (auto-replies, bounces). The PST's to look at.
#[utoipa::path(get, path = "/api/v1/inbound", tag = "mail",
    responses((status = 200, body = Vec<InboundView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn inbound_review(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<axum::Json<Vec<InboundView>>, ApiError> {
    let records = state.store.inbound_review(&auth.caller).await?;
    Ok(axum::Json(records.iter().map(InboundView::new).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyUpload {
    /// The ASCII-armored public key (`-----BEGIN PGP PUBLIC KEY BLOCK-----`).
    pub armored: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyOnFile {
    pub email: String,
    /// 40 upper-case hexadecimal digits.
    pub fingerprint: String,
}

/// Checks a public key (not revoked, not expired, able to encrypt) and
/// puts it on file for `email`: psirt then encrypts mail to that address.
async fn put_key(
    state: &AppState,
    caller: &Caller,
    email: &psirt_core::EmailAddress,
    armored: &str,
) -> Result<KeyOnFile, ApiError> {
    let at = now();
    let key = psirt_mail::PublicKey::from_armored(armored, at).map_err(|e| ApiError::Invalid {
        field: "armored".into(),
        reason: e.to_string(),
    })?;
    let fingerprint = key.fingerprint().to_string();
    let checked =
        psirt_store::CheckedKey::new(&fingerprint, armored).map_err(|e| ApiError::Invalid {
            field: "armored".into(),
            reason: e.to_string(),
        })?;
    state.store.put_key(caller, email, &checked, at).await?;
    Ok(KeyOnFile {
        email: email.to_string(),
        fingerprint,
    })
}

/// Puts the caller's own OpenPGP public key on file: mail to their
/// address is then encrypted.
#[utoipa::path(put, path = "/api/v1/me/openpgp-key", tag = "mail", request_body = KeyUpload,
    responses((status = 200, body = KeyOnFile), (status = 401, body = Problem), (status = 422, body = Problem, description = "Not a usable public key; the reason names it")))]
pub(crate) async fn put_own_key(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(req): ApiJson<KeyUpload>,
) -> Result<axum::Json<KeyOnFile>, ApiError> {
    let Principal::User(user) = &auth.caller.principal else {
        return Err(ApiError::Unauthenticated(
            "sign in or send an API token".into(),
        ));
    };
    let email = user.email.clone();
    Ok(axum::Json(
        put_key(&state, &auth.caller, &email, &req.armored).await?,
    ))
}

/// Puts an OpenPGP public key on file for an account (administrators).
#[utoipa::path(put, path = "/api/v1/users/{email}/openpgp-key", tag = "admin", request_body = KeyUpload,
    params(("email" = String, Path, description = "The account's e-mail address")),
    responses((status = 200, body = KeyOnFile), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem, description = "Not a usable public key; the reason names it")))]
pub(crate) async fn put_user_key(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(email): ApiPath<String>,
    ApiJson(req): ApiJson<KeyUpload>,
) -> Result<axum::Json<KeyOnFile>, ApiError> {
    let email = email
        .parse()
        .map_err(|_| ApiError::NotFound(format!("user {email:?} not found")))?;
    let user = state.store.user_by_email(&email).await?;
    Ok(axum::Json(
        put_key(&state, &auth.caller, &user.email, &req.armored).await?,
    ))
}
