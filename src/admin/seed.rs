//! `guildhall admin seed-demo`: fills an empty instance with a believable demo space, so a
//! newcomer sees the product at once. Safe to run twice: a second run finds the demo and stops.
//! It refuses an instance that already holds other accounts unless `--force` is given, and then
//! only adds what is missing.

use crate::accounts::{self, password, register::ValidSignup, store::ProfileUpdate, ProfileLink};
use crate::admin::users::{describe, generate_password};
use crate::companies::{self, store::CompanyFields, Role};
use crate::config::Config;
use crate::projects::model::{Priority, Status, TaskFields};
use crate::spaces::{self, SpaceForm};
use crate::storage::{now_ms, Db};
use crate::validate::{Email, FieldErrors, Handle, NewPassword};

struct DemoMember {
    handle: &'static str,
    name: &'static str,
    bio: &'static str,
    skills: &'static [&'static str],
    link: Option<(&'static str, &'static str)>,
    listed: bool,
}

const ADMIN: &str = "marta";

const MEMBERS: &[DemoMember] = &[
    DemoMember {
        handle: ADMIN,
        name: "Marta Reis",
        bio: "Runs Harbour Works. Ask me about desks, events and the good coffee.",
        skills: &["Community", "Events", "Operations"],
        link: None,
        listed: true,
    },
    DemoMember {
        handle: "ada",
        name: "Ada Moreira",
        bio: "Rust and distributed systems. Building federated things at Tidewater Labs.",
        skills: &["Rust", "Distributed systems", "PostgreSQL"],
        link: Some(("Code", "https://code.example/ada")),
        listed: true,
    },
    DemoMember {
        handle: "joao",
        name: "João Silva",
        bio: "Product designer. Interfaces people enjoy, research people trust.",
        skills: &["Product design", "UX research", "Figma"],
        link: Some(("Portfolio", "https://joao.example")),
        listed: true,
    },
    DemoMember {
        handle: "priya",
        name: "Priya Nair",
        bio: "Data engineer. Pipelines, warehouses and the occasional dashboard.",
        skills: &["Data engineering", "Python", "dbt"],
        link: None,
        listed: true,
    },
    DemoMember {
        handle: "lena",
        name: "Lena Vogel",
        bio: "Accountant for startups and freelancers across the EU.",
        skills: &["Accounting", "Tax", "Payroll"],
        link: None,
        listed: false,
    },
    DemoMember {
        handle: "tom",
        name: "Tom Okafor",
        bio: "Growth and content marketing for B2B software.",
        skills: &["Marketing", "Copywriting", "SEO"],
        link: None,
        listed: true,
    },
];

struct DemoCompany {
    handle: &'static str,
    name: &'static str,
    description: &'static str,
    industry: &'static str,
    skills: &'static [&'static str],
    size: &'static str,
    website: &'static str,
    hiring: bool,
    open: bool,
    members: &'static [(&'static str, Role)],
}

const COMPANIES: &[DemoCompany] = &[
    DemoCompany {
        handle: "tidewater",
        name: "Tidewater Labs",
        description:
            "Rust consulting and federated software. We build servers that talk to each other.",
        industry: "Software",
        skills: &["Rust", "ActivityPub", "Consulting"],
        size: "2-10",
        website: "https://tidewater.example",
        hiring: true,
        open: true,
        members: &[("ada", Role::Owner), ("priya", Role::Member)],
    },
    DemoCompany {
        handle: "azulejo",
        name: "Azulejo Studio",
        description: "A small design studio: brands, products and the tiles in between.",
        industry: "Design",
        skills: &["Branding", "Product design", "Illustration"],
        size: "2-10",
        website: "https://azulejo.example",
        hiring: false,
        open: true,
        members: &[("joao", Role::Owner), ("tom", Role::Admin)],
    },
    DemoCompany {
        handle: "ledgerly",
        name: "Ledgerly",
        description: "Bookkeeping and tax for freelancers and young companies.",
        industry: "Finance",
        skills: &["Accounting", "Tax"],
        size: "1",
        website: "",
        hiring: false,
        open: false,
        members: &[("lena", Role::Owner)],
    },
    DemoCompany {
        handle: "quay",
        name: "Quay Analytics",
        description:
            "Data platforms for logistics and ports. Looking for partners in maritime tech.",
        industry: "Data",
        skills: &["Data engineering", "Analytics", "Logistics"],
        size: "11-50",
        website: "https://quay.example",
        hiring: true,
        open: true,
        members: &[("priya", Role::Owner), ("ada", Role::Member)],
    },
];

/// Runs the seed; returns a report for the terminal (with the demo password, shown once).
pub async fn seed_demo(db: &Db, config: &Config, force: bool) -> anyhow::Result<String> {
    let demo_present = accounts::store::by_handle(db, "ada")
        .await
        .map_err(describe)?
        .is_some()
        && companies::store::by_handle(db, "tidewater")
            .await
            .map_err(describe)?
            .is_some();
    if demo_present && !force {
        return Ok("demo data already present; nothing to do".into());
    }
    let existing = accounts::store::count(db).await.map_err(describe)?;
    if existing > 0 && !force {
        anyhow::bail!(
            "this instance already has {existing} account(s); run with --force to add the demo data anyway"
        );
    }

    let demo_password = generate_password();
    let hash = password::hash(demo_password.clone())
        .await
        .map_err(describe)?;
    let mut created_members = Vec::new();

    if spaces::store::get(db).await.map_err(describe)?.is_none() {
        let mut errors = FieldErrors::new();
        let details = SpaceForm {
            name: "Harbour Works".into(),
            description: "A coworking space in an old warehouse by the river: 120 desks, \
                          four meeting rooms, a workshop and a long table for lunch."
                .into(),
            address: "Rua do Cais 12".into(),
            city: "Lisbon".into(),
            country: "PT".into(),
            website: format!("{}/", config.base_url()),
        }
        .validate(&mut errors)
        .ok_or_else(|| anyhow::anyhow!("demo space is invalid: {errors}"))?;
        spaces::setup::create(db, &details, &signup(&MEMBERS[0])?, &hash)
            .await
            .map_err(describe)?;
        created_members.push(ADMIN);
    }

    for m in MEMBERS {
        let account = match accounts::store::by_handle(db, m.handle)
            .await
            .map_err(describe)?
        {
            Some(a) => a,
            None => {
                let valid = signup(m)?;
                let keys = crate::federation::keys::generate()
                    .await
                    .map_err(describe)?;
                let mut tx = db.begin_write().await?;
                accounts::store::insert(
                    &mut tx,
                    accounts::store::NewAccount {
                        handle: &valid.handle,
                        email: &valid.email,
                        password_hash: &hash,
                        display_name: m.name,
                        is_admin: false,
                        keys: &keys,
                    },
                )
                .await
                .map_err(describe)?;
                tx.commit().await?;
                created_members.push(m.handle);
                accounts::store::by_handle(db, m.handle)
                    .await
                    .map_err(describe)?
                    .ok_or_else(|| anyhow::anyhow!("demo member vanished"))?
            }
        };
        if created_members.contains(&m.handle) {
            let update = ProfileUpdate {
                display_name: m.name.into(),
                bio: m.bio.into(),
                skills: m.skills.iter().map(|s| s.to_string()).collect(),
                links: m
                    .link
                    .map(|(label, url)| {
                        vec![ProfileLink {
                            label: label.into(),
                            url: url.into(),
                        }]
                    })
                    .unwrap_or_default(),
                discoverable: m.listed,
                locked: false,
            };
            accounts::store::update_profile(db, account.id, &update)
                .await
                .map_err(describe)?;
        }
    }

    let mut created_companies = Vec::new();
    for c in COMPANIES {
        if companies::store::by_handle(db, c.handle)
            .await
            .map_err(describe)?
            .is_some()
        {
            continue;
        }
        let Some((owner, _)) = c.members.iter().find(|(_, r)| *r == Role::Owner) else {
            continue;
        };
        let owner = accounts::store::by_handle(db, owner)
            .await
            .map_err(describe)?
            .ok_or_else(|| anyhow::anyhow!("demo owner missing"))?;
        let fields = CompanyFields {
            name: c.name.into(),
            description: c.description.into(),
            industry: c.industry.into(),
            skills: c.skills.iter().map(|s| s.to_string()).collect(),
            city: "Lisbon".into(),
            country: "PT".into(),
            website: c.website.into(),
            size: c.size.into(),
            hiring: c.hiring,
            open_to_collaborate: c.open,
            discoverable: true,
        };
        let handle = Handle::parse(c.handle).map_err(|e| anyhow::anyhow!("{e}"))?;
        let keys = crate::federation::keys::generate()
            .await
            .map_err(describe)?;
        let mut tx = db.begin_write().await?;
        accounts::store::reserve_handle(&mut tx, &handle, "company")
            .await
            .map_err(describe)?;
        let company_id = companies::store::insert(&mut tx, c.handle, &fields, owner.id, &keys)
            .await
            .map_err(describe)?;
        for (member, role) in c.members.iter().filter(|(_, r)| *r != Role::Owner) {
            if let Some(a) = accounts::store::by_handle(db, member)
                .await
                .map_err(describe)?
            {
                companies::store::add_member(&mut tx, company_id, a.id, *role)
                    .await
                    .map_err(describe)?;
            }
        }
        tx.commit().await?;
        created_companies.push(c.handle);
    }

    // Content is written once, with the demo members' first appearance.
    let mut posts = 0;
    if created_members.contains(&"ada") {
        let media = crate::media::MediaStore::local(&config.media_dir)?;
        let state = crate::state::AppState::new(db.clone(), config.clone(), media)?;
        posts = super::seed_posts::seed_posts(&state).await?;
    }
    let created_projects = seed_projects(db, config).await?;
    let created_events = seed_events(db, config).await?;

    let mut report = format!(
        "demo space ready: {} member(s), {} company(ies), {posts} post(s) and {created_events} event(s) added",
        created_members.len(),
        created_companies.len()
    );
    report.push_str(&format!("\n{created_projects} demo project(s) added"));
    let (people, companies_listed) = crate::directory::store::listable_counts(db)
        .await
        .map_err(describe)?;
    report.push_str(&format!(
        "\nthe directory (/directory) lists {people} member(s) and {companies_listed} company(ies) \
         of this space; add other spaces with `guildhall admin peer add DOMAIN`"
    ));
    if !created_members.is_empty() {
        report.push_str(&format!(
            "\nsign in as @{} (administrator) or any of @{} with the password: {demo_password}\n(shown once)",
            created_members[0],
            created_members[1..].join(", @")
        ));
    }
    Ok(report)
}

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
async fn seed_projects(db: &Db, config: &Config) -> anyhow::Result<usize> {
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
        if store::handle_taken(&mut tx, p.handle)
            .await
            .map_err(describe)?
        {
            continue;
        }
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

fn signup(m: &DemoMember) -> anyhow::Result<ValidSignup> {
    Ok(ValidSignup {
        handle: Handle::parse(m.handle).map_err(|e| anyhow::anyhow!("{e}"))?,
        email: Email::parse(&format!("{}@demo.invalid", m.handle))
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        password: NewPassword::parse("demo placeholder password")
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        display_name: m.name.into(),
    })
}

struct DemoEvent {
    /// The last segment of its address (stable, so a second run adds nothing).
    slug: &'static str,
    /// `member:HANDLE`, `company:HANDLE` or `space`.
    organizer: &'static str,
    title: &'static str,
    description: &'static str,
    /// Days from today, start and end wall times in Lisbon.
    in_days: i64,
    starts: &'static str,
    ends: &'static str,
    online: &'static str,
    capacity: &'static str,
    join_mode: &'static str,
    external_url: &'static str,
    visibility: &'static str,
    category: &'static str,
    at_harbour: bool,
    going: &'static [&'static str],
}

const EVENTS: &[DemoEvent] = &[
    DemoEvent {
        slug: "demo-rust-coffee",
        organizer: "member:ada",
        title: "Rust & coffee morning",
        description: "Bring a laptop and a question. We pair on whatever people are stuck on.",
        in_days: 3,
        starts: "09:00",
        ends: "10:30",
        online: "",
        capacity: "12",
        join_mode: "free",
        external_url: "",
        visibility: "public",
        category: "SCIENCE_TECH",
        at_harbour: true,
        going: &["joao", "priya"],
    },
    DemoEvent {
        slug: "demo-friday-lunch",
        organizer: "space",
        title: "Friday lunch at the long table",
        description: "Everyone brings something; the space brings bread and coffee.",
        in_days: 4,
        starts: "12:30",
        ends: "14:00",
        online: "",
        capacity: "",
        join_mode: "free",
        external_url: "",
        visibility: "members",
        category: "FOOD_DRINK",
        at_harbour: true,
        going: &["ada", "tom", "lena"],
    },
    DemoEvent {
        slug: "demo-design-critique",
        organizer: "company:azulejo",
        title: "Design critique: onboarding flows",
        description: "Show an onboarding flow you are working on and get honest feedback.\n\nHybrid: join in the workshop room or online.",
        in_days: 7,
        starts: "16:00",
        ends: "17:30",
        online: "https://meet.example/azulejo-critique",
        capacity: "8",
        join_mode: "approval",
        external_url: "",
        visibility: "public",
        category: "LEARNING",
        at_harbour: true,
        going: &["ada"],
    },
    DemoEvent {
        slug: "demo-tax-qa",
        organizer: "company:ledgerly",
        title: "Freelancers' tax Q&A",
        description: "Thirty minutes of questions about VAT, invoices and the yearly return.",
        in_days: 10,
        starts: "18:00",
        ends: "18:30",
        online: "https://meet.example/ledgerly-qa",
        capacity: "",
        join_mode: "external",
        external_url: "https://ledgerly.example/qa",
        visibility: "public",
        category: "BUSINESS",
        at_harbour: false,
        going: &[],
    },
];

/// Demo events with a few participants; returns how many were added.
async fn seed_events(db: &Db, config: &Config) -> anyhow::Result<usize> {
    use crate::events::model::RsvpState;
    use crate::events::{service, store};
    use crate::federation::urls::Urls;
    let urls = Urls::new(config);
    let lisbon: chrono_tz::Tz = chrono_tz::Europe::Lisbon;
    let today = chrono::Utc::now().with_timezone(&lisbon).date_naive();
    let mut added = 0;
    for e in EVENTS {
        let organizer = match e.organizer.split_once(':') {
            Some(("member", h)) => urls.member(h),
            Some(("company", h)) => urls.company(h),
            _ => urls.space(),
        };
        let day = today + chrono::Duration::days(e.in_days);
        let draft = service::Draft {
            title: e.title.into(),
            description: e.description.into(),
            starts_at: format!("{day}T{}", e.starts),
            ends_at: format!("{day}T{}", e.ends),
            timezone: "Europe/Lisbon".into(),
            place_name: if e.at_harbour { "Harbour Works" } else { "" }.into(),
            street_address: if e.at_harbour { "Rua do Cais 12" } else { "" }.into(),
            locality: if e.at_harbour { "Lisbon" } else { "" }.into(),
            country: if e.at_harbour { "Portugal" } else { "" }.into(),
            online_url: e.online.into(),
            capacity: e.capacity.into(),
            join_mode: e.join_mode.into(),
            external_url: e.external_url.into(),
            visibility: e.visibility.into(),
            category: e.category.into(),
            ..service::Draft::default()
        };
        let mut new = service::check(&draft).map_err(describe)?;
        new.uri = format!("{}/events/{}", urls.base(), e.slug);
        new.url = new.uri.clone();
        new.organizer = organizer;
        let mut tx = db.begin_write().await?;
        let (id, inserted) = store::insert(&mut tx, &new).await.map_err(describe)?;
        if inserted {
            added += 1;
            for handle in e.going {
                let state = if e.join_mode == "approval" {
                    RsvpState::Pending
                } else if store::take_seat(&mut tx, id).await.map_err(describe)? {
                    RsvpState::Accepted
                } else {
                    continue;
                };
                let join = format!("{}/activities/{}-{handle}", urls.base(), e.slug);
                store::put_participant(&mut tx, id, &urls.member(handle), state, &join)
                    .await
                    .map_err(describe)?;
            }
        }
        tx.commit().await?;
    }
    Ok(added)
}
