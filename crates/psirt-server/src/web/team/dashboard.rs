//! The dashboard: the open cases the signed-in person may see (under
//! `/p/{project}/`, of that project only), with
//! what is due next, a page at a time from the cases' summaries (it never
//! folds a case).

use super::*;

/// People's names, looked up once per page.
pub(super) struct Names<'a> {
    pub(super) store: &'a Store,
    pub(super) known: BTreeMap<UserId, String>,
}

impl<'a> Names<'a> {
    pub(super) fn new(store: &'a Store) -> Names<'a> {
        Names {
            store,
            known: BTreeMap::new(),
        }
    }

    pub(super) async fn of(&mut self, id: UserId) -> String {
        if let Some(n) = self.known.get(&id) {
            return n.clone();
        }
        let name = match self.store.user(id).await {
            Ok(u) => format!("{} <{}>", u.name, u.email),
            Err(_) => format!("user {}", id.get()),
        };
        self.known.insert(id, name.clone());
        name
    }
}

pub(super) fn due_text(due: psirt_core::Due) -> Markup {
    html! {
        @if due.asap { "as soon as possible (" (time(due.at)) ")" } @else { (time(due.at)) }
    }
}

/// Which page of the dashboard: the cursor its "Next page" link carries.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct DashboardQuery {
    cursor: Option<String>,
}

pub(crate) async fn dashboard(
    State(state): State<AppState>,
    site: Site,
    WebSession(who): WebSession,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, WebError> {
    let at = now();
    // One page of the projection, most pressing first: nothing is folded.
    // Under a project's prefix, that project's cases only.
    let query = psirt_store::ListQuery {
        cursor: q.cursor.clone(),
        project: site.only().map(str::to_string),
        ..Default::default()
    };
    let (agenda, page) = state.store.agenda_page(&who.caller, &query, at).await?;
    let by_ref: BTreeMap<CaseRef, &psirt_core::CaseSummary> =
        page.items.iter().map(|c| (c.reference, c)).collect();
    let mut names = Names::new(&state.store);
    let mut leads = BTreeMap::new();
    for c in &page.items {
        if let Some(lead) = c.fix_lead {
            leads.insert(c.reference, names.of(lead).await);
        }
    }
    let body = html! {
        h1 { "Open cases" }
        p { "Sorted by what is due next; overdue steps first. Times are UTC." }
        @if agenda.cases.is_empty() {
            p { "No open cases you can see." }
        } @else {
            div.scroll {
            table #cases {
                caption { "Open cases, most pressing first" }
                (crate::web::column_heads(&["Case", "Summary", "Due next", "Fix Lead", "Severity", "Urgency"]))
                tbody {
                    @for e in &agenda.cases {
                        @let case = by_ref.get(&e.reference);
                        @let overdue = e.overdue.first();
                        tr class=(if overdue.is_some() { "overdue" } else { "" }) {
                            th scope="row" { a href=(format!("/cases/{}", e.reference)) { (e.reference.to_string()) } }
                            td { (e.summary) }
                            td {
                                @if let Some((m, due)) = overdue {
                                    span.badge.bad { "Overdue" } " " (m.title()) ", was due " (due_text(*due))
                                    @if let Some((_, d)) = e.missed_targets.first() {
                                        " " span.badge.bad { "Misses the "
                                            (d.target.map_or("", |s| s.as_str())) " response target" }
                                    }
                                } @else if let Some((m, due)) = e.next {
                                    (m.title()) ", " (due_text(due))
                                } @else { "nothing pending" }
                            }
                            td { (leads.get(&e.reference).map_or("not assigned", String::as_str)) }
                            td {
                                @match case.and_then(|c| c.score) {
                                    Some(v) => { (format!("{:.1}", v.as_f64())) " " (v.severity().as_str()) }
                                    None => "not scored",
                                }
                            }
                            td { @if e.urgent { span.badge.bad { "Urgent" } } @else { "normal" } }
                        }
                    }
                }
            }
            }
        }
        @if let Some(next) = &page.next_cursor {
            nav aria-label="Pages" {
                a rel="next" href=(format!("/cases?cursor={next}")) { "Next page" }
            }
        }
    };
    Ok(ok(layout("Cases", Some(&who), body)))
}
