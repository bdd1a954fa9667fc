//! The posts of the demo space: a few public posts from members, a company and the space, a
//! comment thread, a members-only question and a direct message, written through the same
//! service as the pages so they carry real mentions, tags and notifications.

use crate::accounts;
use crate::admin::users::describe;
use crate::posts::service::{self, Draft};
use crate::state::AppState;

/// Who writes a demo post: a member speaking for themselves or for a company, or the space
/// (written by an administrator).
struct DemoPost {
    by: &'static str,
    /// `""`, `company:HANDLE` or `space`.
    as_actor: &'static str,
    name: &'static str,
    text: &'static str,
    visibility: &'static str,
    to: &'static [&'static str],
    /// The index of the demo post this one answers.
    reply_to: Option<usize>,
}

const POSTS: &[DemoPost] = &[
    DemoPost {
        by: "",
        as_actor: "space",
        name: "",
        text: "Welcome to Harbour Works! Lunch at the long table every Friday at 12:30, \
               and the workshop is open to all members from today. #community",
        visibility: "public",
        to: &[],
        reply_to: None,
    },
    DemoPost {
        by: "ada",
        as_actor: "",
        name: "",
        text: "Shipped the first federated build of our scheduler today: jobs now move \
               between spaces without a central queue. #rust #distributedsystems",
        visibility: "public",
        to: &[],
        reply_to: None,
    },
    DemoPost {
        by: "priya",
        as_actor: "",
        name: "",
        text: "Congratulations @ada! Let's compare notes on backpressure over lunch.",
        visibility: "public",
        to: &[],
        reply_to: Some(1),
    },
    DemoPost {
        by: "ada",
        as_actor: "company:tidewater",
        name: "We are hiring a Rust engineer",
        text: "Tidewater Labs is looking for an engineer who enjoys distributed systems and \
               good tests. Remote-friendly, desk at Harbour Works if you like.\n\n\
               Write to @ada or drop by desk 14. #hiring #rust",
        visibility: "public",
        to: &[],
        reply_to: None,
    },
    DemoPost {
        by: "joao",
        as_actor: "",
        name: "",
        text: "Does anyone have a spare HDMI adapter for meeting room 2? Ours walked away.",
        visibility: "members",
        to: &[],
        reply_to: None,
    },
    DemoPost {
        by: "tom",
        as_actor: "",
        name: "",
        text: "Joao, the client moved the review to Thursday 10:00. Can you bring the tile \
               samples?",
        visibility: "direct",
        to: &["joao"],
        reply_to: None,
    },
];

/// Writes the demo posts; returns how many were written.
pub async fn seed_posts(state: &AppState) -> anyhow::Result<usize> {
    let mut uris: Vec<String> = Vec::new();
    for p in POSTS {
        let account = if p.as_actor == "space" {
            // The space speaks through an administrator: the demo's own, or the instance's
            // first one when the demo was added to an existing space.
            first_admin(state).await?
        } else {
            accounts::store::by_handle(&state.db, p.by)
                .await
                .map_err(describe)?
                .ok_or_else(|| anyhow::anyhow!("demo member @{} missing", p.by))?
        };
        let author = service::author_for(state, &account, p.as_actor)
            .await
            .map_err(describe)?;
        let draft = Draft {
            text: p.text.into(),
            name: p.name.into(),
            visibility: p.visibility.into(),
            to: p.to.iter().map(|t| t.to_string()).collect(),
            in_reply_to: p.reply_to.and_then(|i| uris.get(i).cloned()),
            ..Draft::default()
        };
        let post = service::create(state, &account, &author, &draft)
            .await
            .map_err(describe)?;
        uris.push(post.uri);
    }
    Ok(uris.len())
}

async fn first_admin(state: &AppState) -> anyhow::Result<accounts::Account> {
    let all = accounts::store::list(&state.db, 1000, 0)
        .await
        .map_err(describe)?;
    all.into_iter()
        .filter(|a| a.is_admin)
        .min_by_key(|a| a.id)
        .ok_or_else(|| anyhow::anyhow!("the space has no administrator"))
}
