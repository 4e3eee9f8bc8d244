//! `psirt project replies` and `psirt project reply`: a project's canned
//! replies to reporters, listed and edited from the shell by a member of
//! its PST (`--as`), as the API does; the store decides who may.

use std::path::PathBuf;

use anyhow::{Context, anyhow};
use clap::Args;
use psirt_core::CannedReply;
use psirt_store::{Caller, Principal, Store};

/// Who acts: a member of the project's PST.
#[derive(Debug, Args)]
pub struct Acting {
    #[arg(long = "as", env = "PSIRT_AS")]
    actor: Option<String>,
}

impl Acting {
    async fn caller(&self, store: &Store) -> anyhow::Result<Caller> {
        let actor = self
            .actor
            .as_deref()
            .context("say who you are: --as EMAIL (or PSIRT_AS)")?;
        let user = store.user_by_email(&actor.parse()?).await?;
        Ok(Caller::cli(Principal::User(user)))
    }
}

/// Prints every canned reply of `project`: its name, whether the project
/// edited it, and its wording.
pub async fn list(store: &Store, project: &str, acting: &Acting) -> anyhow::Result<()> {
    let caller = acting.caller(store).await?;
    for t in store.reply_templates(&caller, project).await? {
        let whose = if t.edited { "edited" } else { "default" };
        println!("== {} ({whose})\n{}\n", t.reply.as_str(), t.body);
    }
    Ok(())
}

/// Sets the wording of one canned reply from a file, or with `reset`
/// goes back to psirt's default.
pub async fn set(
    store: &Store,
    project: &str,
    kind: &str,
    text_file: Option<PathBuf>,
    reset: bool,
    acting: &Acting,
) -> anyhow::Result<()> {
    let caller = acting.caller(store).await?;
    let reply = CannedReply::parse(kind).ok_or_else(|| {
        let all: Vec<&str> = CannedReply::ALL.iter().map(|r| r.as_str()).collect();
        anyhow!("no canned reply {kind:?}; there are {}", all.join(", "))
    })?;
    let body = match (text_file, reset) {
        (Some(path), false) => Some(
            std::fs::read_to_string(&path)
                .with_context(|| format!("--text-file {}", path.display()))?,
        ),
        (None, true) => None,
        _ => return Err(anyhow!("give either --text-file FILE or --reset")),
    };
    store
        .set_reply_template(&caller, project, reply, body.as_deref(), crate::time::now())
        .await?;
    match body {
        Some(_) => println!("{project}'s {} reply is set", reply.as_str()),
        None => println!(
            "{project}'s {} reply is psirt's default again",
            reply.as_str()
        ),
    }
    Ok(())
}
