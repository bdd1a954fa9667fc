//! `guildhall admin seed-demo`: fills an empty instance with a believable demo space, so a
//! newcomer sees the product at once. Safe to run twice: a second run finds the demo and stops.
//! It refuses an instance that already holds other accounts unless `--force` is given, and then
//! only adds what is missing.

use crate::accounts::{self, password, register::ValidSignup, store::ProfileUpdate, ProfileLink};
use crate::admin::users::{describe, generate_password};
use crate::companies::{self, store::CompanyFields, Role};
use crate::config::Config;
use crate::spaces::{self, SpaceForm};
use crate::storage::Db;
use crate::validate::{Email, FieldErrors, Handle, NewPassword};

struct DemoMember {
    handle: &'static str,
    name: &'static str,
    bio: &'static str,
    skills: &'static [&'static str],
    link: Option<(&'static str, &'static str)>,
    listed: bool,
}

pub(super) const ADMIN: &str = "marta";

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
                        verified: true,
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
    let media = crate::media::MediaStore::local(&config.media_dir)?;
    let state = crate::state::AppState::new(
        db.clone(),
        config.clone(),
        media,
        crate::hub::actors::lookup,
    )?;
    let mut posts = 0;
    if created_members.contains(&"ada") {
        posts = super::seed_posts::seed_posts(&state).await?;
    }
    // Pictures drawn here: portraits for the members, marks for the companies.
    let member_handles: Vec<&str> = MEMBERS.iter().map(|m| m.handle).collect();
    let company_handles: Vec<&str> = COMPANIES.iter().map(|c| c.handle).collect();
    let pictures =
        super::seed_pictures::add_pictures(&state, &member_handles, &company_handles).await?;
    let created_projects = super::seed_projects::seed_projects(db, config).await?;
    let created_events = super::seed_events::seed_events(db, config).await?;
    let created_bookings = super::seed_bookings::seed_bookings(db).await?;

    let mut report = format!(
        "demo space ready: {} member(s), {} company(ies), {posts} post(s) and {created_events} event(s) added",
        created_members.len(),
        created_companies.len()
    );
    report.push_str(&format!(
        "\n{created_projects} demo project(s) and {pictures} picture(s) added"
    ));
    report.push_str(&format!(
        "\n{created_bookings} demo booking(s) of rooms and desks added (/resources)"
    ));
    let people = crate::accounts::store::count_visible(db, false)
        .await
        .map_err(describe)?;
    let companies_listed = crate::companies::store::count_discoverable(db)
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
