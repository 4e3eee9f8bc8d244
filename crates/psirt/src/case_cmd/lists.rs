//! `psirt case list` and `psirt case dues`: the case lists and the
//! agenda a page at a time, with the API's paging and views.

use clap::Args;
use psirt_server::api::CaseSummary;
use psirt_server::views::AgendaView;
use psirt_store::{Caller, ListQuery, PageSize, StateFilter, Store};

use super::print::print_agenda;
use crate::term::safe;

/// Which page of a list: the API's paging, on the command line.
#[derive(Args)]
pub struct PageArgs {
    /// Cases per page, from 1 to 200.
    #[arg(long, default_value_t = 50)]
    limit: u32,
    /// Where the page starts: the cursor the previous page printed.
    #[arg(long)]
    cursor: Option<String>,
    /// Only the cases of this project (its slug).
    #[arg(long)]
    project: Option<String>,
    /// Only the cases this person (an email address) leads.
    #[arg(long)]
    fix_lead: Option<String>,
}

impl PageArgs {
    async fn query(self, state: StateFilter, store: &Store) -> anyhow::Result<ListQuery> {
        let fix_lead = match self.fix_lead {
            Some(email) => Some(store.user_by_email(&email.parse()?).await?.id),
            None => None,
        };
        Ok(ListQuery {
            limit: PageSize::new(self.limit)?,
            cursor: self.cursor,
            project: self.project,
            state,
            fix_lead,
        })
    }
}

/// One page of the cases the caller may see, one line (or JSON object)
/// per case: `state` as `--state` says it, else open ones, or all with
/// `--all`.
pub(super) async fn list(
    store: &Store,
    caller: &Caller,
    all: bool,
    state: Option<String>,
    page: PageArgs,
    json: bool,
) -> anyhow::Result<()> {
    let state = match (state, all) {
        (Some(s), _) => s.parse()?,
        (None, true) => StateFilter::All,
        (None, false) => StateFilter::Open,
    };
    let query = page.query(state, store).await?;
    let page = store.case_page(caller, &query).await?;
    for case in &page.items {
        if json {
            println!("{}", serde_json::to_string(&CaseSummary::of(case))?);
        } else {
            let next = case
                .next_due
                .map(|(m, d)| format!("{} due {}", m.as_str(), d.at))
                .unwrap_or_default();
            let state = if case.open { "open" } else { "closed" };
            println!(
                "{}\t{state}\t{}\t{next}",
                case.reference,
                safe(&case.summary)
            );
        }
    }
    next_page(&page.next_cursor);
    Ok(())
}

/// One page of the agenda of the open cases, as of `at`.
pub(super) async fn dues(
    store: &Store,
    caller: &Caller,
    at: jiff::Timestamp,
    page: PageArgs,
    json: bool,
) -> anyhow::Result<()> {
    let query = page.query(StateFilter::Open, store).await?;
    let (agenda, page) = store.agenda_page(caller, &query, at).await?;
    let view = AgendaView::new(&agenda);
    if json {
        println!("{}", serde_json::to_string_pretty(&view)?);
    } else {
        print_agenda(&view);
    }
    next_page(&page.next_cursor);
    Ok(())
}

/// Tells (on stderr, so the listing stays one line per case) how to ask
/// for the next page.
fn next_page(cursor: &Option<String>) {
    if let Some(cursor) = cursor {
        eprintln!("more: --cursor {cursor}");
    }
}
