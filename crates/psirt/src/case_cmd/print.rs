//! What `psirt case` prints: the short human summaries of a case and the
//! agenda, or with `--json` the API's own views; and the names of accounts
//! shown instead of their ids.

use super::*;

pub(crate) fn read_stdin() -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .context("reading standard input")?;
    Ok(s)
}

pub(super) async fn output(
    store: &Store,
    record: &CaseRecord,
    json: bool,
    what: &str,
) -> anyhow::Result<ExitCode> {
    let view = CaseView::of(record);
    if json {
        println!("{}", serde_json::to_string_pretty(&view)?);
    } else if !what.is_empty() {
        println!("{}: {what} (version {})", view.reference, view.version);
        if let Some(next) = &view.next_due {
            println!("next: {}", milestone_line(next));
        }
    } else {
        print_case(&view, &Names::of(store, &view).await);
    }
    Ok(ExitCode::SUCCESS)
}

/// People as the pages show them, `Name <address>`, for the ids a case
/// names (its Fix Lead, Fix Team and timeline's actors).
pub(super) struct Names(std::collections::BTreeMap<i64, String>);

impl Names {
    async fn of(store: &Store, v: &CaseView) -> Names {
        let mut ids: Vec<i64> = v
            .fix_lead
            .into_iter()
            .chain(v.fix_team.iter().copied())
            .collect();
        ids.extend(
            v.timeline
                .iter()
                .filter_map(|e| e.actor.strip_prefix("user:")?.parse::<i64>().ok()),
        );
        let mut names = std::collections::BTreeMap::new();
        for id in ids {
            if names.contains_key(&id) {
                continue;
            }
            if let Ok(user) = store.user(psirt_core::UserId::new(id)).await {
                names.insert(id, format!("{} <{}>", user.name, user.email));
            }
        }
        Names(names)
    }

    fn id(&self, id: i64) -> String {
        self.0
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("user:{id}"))
    }

    /// A timeline actor: `user:ID` as the person, others as they are.
    fn actor(&self, actor: &str) -> String {
        match actor.strip_prefix("user:").and_then(|id| id.parse().ok()) {
            Some(id) => self.id(id),
            None => actor.to_string(),
        }
    }
}

pub(super) fn milestone_line(m: &MilestoneView) -> String {
    match (m.status, m.done_at, m.due_at) {
        (_, Some(at), _) => format!("{:<36} {:<8} {at}", m.title, m.status),
        (_, None, Some(due)) if m.asap => {
            format!("{:<36} {:<8} due ASAP ({due})", m.title, m.status)
        }
        (_, None, Some(due)) => format!("{:<36} {:<8} due {due}", m.title, m.status),
        _ => format!("{:<36} {}", m.title, m.status),
    }
}

pub(super) fn print_case(v: &CaseView, names: &Names) {
    println!("{}  {}", v.reference, safe(&v.summary));
    let flags = [
        (v.urgent, "URGENT"),
        (!v.open, "closed"),
        (v.release_early, "release early"),
    ];
    let flags: Vec<&str> = flags
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, f)| *f)
        .collect();
    println!(
        "project {}  version {}  {} disclosure  {}",
        v.project,
        v.version,
        v.disclosure,
        flags.join(" ")
    );
    if let Some(lead) = v.fix_lead {
        let team: Vec<String> = v.fix_team.iter().map(|m| names.id(*m)).collect();
        println!(
            "Fix Lead: {}  Fix Team: {}",
            safe(&names.id(lead)),
            safe(&team.join(", "))
        );
    }
    if let Some(c) = &v.cvss.final_ {
        println!("CVSS {} {} ({})", c.base_score, c.severity, c.vector);
    }
    for line in record_lines(&v.record) {
        println!("{line}");
    }
    println!("\nmilestones:");
    for m in &v.milestones {
        println!("  {}", milestone_line(m));
    }
    println!("\ntimeline:");
    for e in &v.timeline {
        println!(
            "  #{:<3} {} {:<10} {} {}",
            e.seq,
            e.at,
            safe(&names.actor(&e.actor)),
            e.kind,
            safe(&e.data.to_string())
        );
    }
}

/// The advisory record as it stands, every outsider-typed value through
/// [`safe`]; nothing when it was never edited.
fn record_lines(r: &RecordView) -> Vec<String> {
    let Some(modified) = r.modified_at else {
        return Vec::new();
    };
    let mut out = vec![format!("\nadvisory record (modified {modified}):")];
    let mut field = |name: &str, value: &Option<String>| {
        if let Some(v) = value {
            out.push(format!("  {name}: {}", safe(v).replace('\n', "\n    ")));
        }
    };
    field("title", &r.title);
    field("description", &r.description);
    field("impact", &r.impact);
    for p in &r.products {
        out.push(format!(
            "  product {} ({}){}",
            safe(&p.package),
            safe(&p.ecosystem),
            p.purl
                .as_ref()
                .map(|u| format!(" {}", safe(u)))
                .unwrap_or_default()
        ));
        for v in &p.ranges {
            let upper = match (&v.fixed, &v.last_affected) {
                (Some(f), _) => format!("..{}", safe(f)),
                (None, Some(l)) => format!("..={}", safe(l)),
                (None, None) => "..".into(),
            };
            let repo = v
                .repo
                .as_ref()
                .map(|r| format!(" in {}", safe(r)))
                .unwrap_or_default();
            out.push(format!(
                "    {} {}{upper}{repo}",
                v.kind,
                safe(&v.introduced)
            ));
        }
        if !p.branches.is_empty() {
            out.push(format!("    branches: {}", safe(&p.branches.join(", "))));
        }
    }
    for w in &r.weaknesses {
        out.push(format!("  weakness {}: {}", w.cwe, safe(&w.name)));
    }
    for x in &r.references {
        out.push(format!("  reference {}: {}", x.kind, safe(&x.url)));
    }
    if !r.aliases.is_empty() {
        out.push(format!("  aliases: {}", safe(&r.aliases.join(", "))));
    }
    out
}

pub(super) fn print_agenda(v: &AgendaView) {
    println!("agenda at {}", v.at);
    for c in &v.cases {
        println!(
            "{}{}  {}",
            c.reference,
            if c.urgent { " URGENT" } else { "" },
            safe(&c.summary)
        );
        for m in &c.overdue {
            println!("  OVERDUE   {}", milestone_line(m));
        }
        for m in &c.due_soon {
            println!("  due soon  {}", milestone_line(m));
        }
        if let Some(m) = &c.next {
            println!("  next      {}", milestone_line(m));
        }
    }
}
