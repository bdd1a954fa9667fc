//! The projects of the demo space: a few shared projects with members and a board of tasks.

use crate::admin::seed::ADMIN;
use crate::admin::users::describe;
use crate::config::Config;
use crate::projects::model::{Priority, Status, TaskFields};
use crate::storage::{now_ms, Db};
use crate::{accounts, companies};

struct DemoTask {
    title: &'static str,
    description: &'static str,
    status: Status,
    priority: Priority,
    /// Days from today.
    due_in: Option<i64>,
    assignees: &'static [&'static str],
}

struct DemoProject {
    handle: &'static str,
    name: &'static str,
    summary: &'static str,
    closed: bool,
    /// A company handle, or `None` for a project of its creator.
    company: Option<&'static str>,
    creator: &'static str,
    members: &'static [&'static str],
    tasks: &'static [DemoTask],
    /// A note and the texts of its later revisions.
    note: (&'static str, &'static [&'static str]),
}

const PROJECTS: &[DemoProject] = &[
    DemoProject {
        handle: "relaunch",
        name: "Website relaunch",
        summary: "A new site for Tidewater Labs: faster pages, a clearer story, a blog that federates.",
        closed: false,
        company: Some("tidewater"),
        creator: "ada",
        members: &["joao", "priya"],
        tasks: &[
            DemoTask {
                title: "Interview five customers",
                description: "What do they come to the site for? Notes go in the research note.",
                status: Status::Done,
                priority: Priority::Normal,
                due_in: None,
                assignees: &["joao"],
            },
            DemoTask {
                title: "New home page design",
                description: "Two directions, then one.",
                status: Status::Doing,
                priority: Priority::High,
                due_in: Some(7),
                assignees: &["joao"],
            },
            DemoTask {
                title: "Move the blog to federated posts",
                description: "Posts from the company account instead of a static blog.",
                status: Status::Todo,
                priority: Priority::Normal,
                due_in: Some(21),
                assignees: &["ada"],
            },
            DemoTask {
                title: "Page speed dashboard",
                description: "",
                status: Status::Todo,
                priority: Priority::Low,
                due_in: None,
                assignees: &[],
            },
        ],
        note: (
            "Research notes",
            &[
                "Customers find us through talks and word of mouth.",
                "Customers find us through talks and word of mouth.\n\nThey want case studies, not slogans.",
            ],
        ),
    },
    DemoProject {
        handle: "lunchclub",
        name: "Long table lunch club",
        summary: "Who cooks on which Friday, and what. Ask to join.",
        closed: true,
        company: None,
        creator: ADMIN,
        members: &["lena"],
        tasks: &[DemoTask {
            title: "Friday: lentil curry for twenty",
            description: "Shopping on Thursday.",
            status: Status::Todo,
            priority: Priority::Normal,
            due_in: Some(3),
            assignees: &["lena"],
        }],
        note: ("Recipes that worked", &["Lentil curry, focaccia, a big salad."]),
    },
];

/// The demo projects: members, a board and a note with revisions; returns how many were made.
pub(super) async fn seed_projects(db: &Db, config: &Config) -> anyhow::Result<usize> {
    use crate::federation::{activities, follows, urls::Urls};
    use crate::projects::store;
    let urls = Urls::new(config);
    let mut made = 0;
    for p in PROJECTS {
        if store::by_handle(db, p.handle)
            .await
            .map_err(describe)?
            .is_some()
        {
            continue;
        }
        let Some(creator) = accounts::store::by_handle(db, p.creator)
            .await
            .map_err(describe)?
        else {
            continue;
        };
        let (owner, company_id) = match p.company {
            Some(c) => match companies::store::by_handle(db, c).await.map_err(describe)? {
                Some(company) => (urls.company(c), Some(company.id)),
                None => continue,
            },
            None => (urls.member(p.creator), None),
        };
        let keys = crate::federation::keys::generate()
            .await
            .map_err(describe)?;
        let project = urls.project(p.handle);
        let mut tx = db.begin_write().await?;
        if accounts::store::handle_taken(&mut tx, p.handle)
            .await
            .map_err(describe)?
        {
            continue;
        }
        let handle =
            crate::validate::Handle::parse(p.handle).map_err(|e| anyhow::anyhow!("{e}"))?;
        accounts::store::reserve_handle(&mut tx, &handle, "project")
            .await
            .map_err(describe)?;
        store::insert(
            &mut tx, p.handle, p.name, p.summary, p.closed, &owner, company_id, creator.id, &keys,
        )
        .await
        .map_err(describe)?;
        for m in std::iter::once(&p.creator).chain(p.members) {
            follows::record_tx(
                &mut tx,
                &urls.member(m),
                &project,
                true,
                &activities::new_id(&urls),
            )
            .await
            .map_err(describe)?;
        }
        let today = chrono::Utc::now().date_naive();
        for t in p.tasks {
            let fields = TaskFields {
                title: t.title.into(),
                description: t.description.into(),
                status: t.status,
                priority: t.priority,
                due_on: t.due_in.map(|d| {
                    (today + chrono::Days::new(d as u64))
                        .format("%Y-%m-%d")
                        .to_string()
                }),
                assignees: t.assignees.iter().map(|a| urls.member(a)).collect(),
            };
            let uri = format!(
                "{project}/tasks/{}",
                crate::accounts::session::random_token()
            );
            store::insert_task(
                &mut tx,
                &uri,
                &project,
                true,
                &urls.member(p.creator),
                &fields,
                now_ms(),
            )
            .await
            .map_err(describe)?;
        }
        let (title, revisions) = p.note;
        let uri = format!(
            "{project}/notes/{}",
            crate::accounts::session::random_token()
        );
        let author = urls.member(p.creator);
        let id = store::insert_note(
            &mut tx,
            &uri,
            &project,
            true,
            &author,
            title,
            revisions[0],
            now_ms(),
        )
        .await
        .map_err(describe)?;
        for body in &revisions[1..] {
            let note = store::note_by_id_tx(&mut tx, id).await.map_err(describe)?;
            store::revise_note(&mut tx, &note, &author, title, body)
                .await
                .map_err(describe)?;
        }
        tx.commit().await?;
        made += 1;
    }
    Ok(made)
}
