//! A case's attachments as downloads.

use super::*;

/// Downloads one attachment of a case; `Store::attachment` decides and
/// audits. Always a download (`Content-Disposition: attachment`), never
/// rendered as a page of ours.
pub(crate) async fn attachment(
    State(state): State<AppState>,
    WebSession(who): WebSession,
    Path((r, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let reference = case_reference(&r)?;
    let id: i64 = id.parse().map_err(|_| {
        WebError::Page(
            StatusCode::NOT_FOUND,
            "Not found".into(),
            format!("Case {reference} has no attachment {id:?}."),
        )
    })?;
    let file = state.store.attachment(&who.caller, reference, id).await?;
    crate::attachments::download(file).map_err(WebError::Internal)
}
