//! `guildhall admin peer add|remove|list` and `guildhall admin seed-directory --entries N`.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::admin::users::describe;
use crate::config::Config;
use crate::directory::{store, Draft, Kind};
use crate::error::Error;
use crate::storage::{now_ms, Db};

/// Adds a peer space; returns what happened.
pub async fn add_peer(db: &Db, config: &Config, domain: &str) -> anyhow::Result<String> {
    match crate::directory::peers::add_offline(db, &config.domain, config.dev_http, domain).await {
        Ok(created) => check_peer(db, config, domain.trim(), created).await,
        Err(Error::Invalid(errors)) => Err(anyhow::anyhow!(
            "domain {:?} {}",
            domain,
            errors
                .0
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; ")
        )),
        Err(e) => Err(describe(e)),
    }
}

/// Pulls a peer just added, as the page does: an error when it cannot be reached (the command
/// then exits non-zero); an instance not yet set up says it pulls nothing until it is.
async fn check_peer(
    db: &Db,
    config: &Config,
    domain: &str,
    created: bool,
) -> anyhow::Result<String> {
    let done = if created {
        "is added"
    } else {
        "was already known"
    };
    let domain = crate::directory::peers::PeerDomain::parse(domain, config.dev_http)
        .map_err(|m| anyhow::anyhow!("domain {domain:?} {m}"))?;
    let domain = domain.as_str();
    if crate::spaces::store::name(db)
        .await
        .map_err(describe)?
        .is_none()
    {
        return Ok(format!(
            "{domain} {done}, but this instance is not set up yet: it pulls nothing until the \
             space exists. Open {} in a browser to set it up.",
            config.base_url()
        ));
    }
    let media = crate::media::MediaStore::local(&config.media_dir)?;
    let state = crate::state::AppState::new(
        db.clone(),
        config.clone(),
        media,
        crate::hub::actors::lookup,
    )?;
    let peer = crate::directory::peers::check(&state, domain)
        .await
        .map_err(describe)?;
    if peer.state == "error" {
        anyhow::bail!(
            "{} {done}, but it could not be reached: {}. A running server tries again every {} \
             seconds; `guildhall admin peer remove {}` if the domain is wrong.",
            peer.domain,
            peer.last_error.as_deref().unwrap_or("no answer"),
            config.directory_sync_secs,
            peer.domain
        );
    }
    Ok(format!(
        "{} {done} and answered: {} entries pulled.",
        peer.domain, peer.entries
    ))
}

pub async fn remove_peer(db: &Db, domain: &str) -> anyhow::Result<String> {
    match crate::directory::peers::remove(db, domain).await {
        Ok(()) => Ok(format!(
            "{} and its directory entries are removed.",
            domain.trim()
        )),
        Err(Error::NotFound) => anyhow::bail!("{} is not a known space", domain.trim()),
        Err(e) => Err(describe(e)),
    }
}

/// The known spaces as a table.
pub async fn list_peers(db: &Db) -> anyhow::Result<String> {
    let peers = store::peers(db).await.map_err(describe)?;
    if peers.is_empty() {
        return Ok("no known spaces".into());
    }
    let width = peers
        .iter()
        .map(|p| p.domain.len())
        .max()
        .unwrap_or(0)
        .max("DOMAIN".len());
    let mut out = format!(
        "{:width$}  {:6}  {:11}  {:7}  {:>7}  SOFTWARE",
        "DOMAIN", "SOURCE", "STATE", "HOPS", "ENTRIES"
    );
    for p in &peers {
        out.push('\n');
        out.push_str(
            format!(
                "{:width$}  {:6}  {:11}  {:7}  {:>7}  {} {}",
                p.domain, p.source, p.state, p.hops, p.entries, p.software, p.version
            )
            .trim_end(),
        );
    }
    Ok(out)
}

const FIRST: &[&str] = &[
    "Tide",
    "Harbour",
    "North",
    "Copper",
    "Lumen",
    "Orchard",
    "Granite",
    "Signal",
    "Meadow",
    "Atlas",
    "Cobalt",
    "Juniper",
    "Pioneer",
    "Quarry",
    "Riverside",
    "Summit",
    "Vector",
    "Willow",
];
const SECOND: &[&str] = &[
    "Labs",
    "Works",
    "Studio",
    "Collective",
    "Systems",
    "Partners",
    "Digital",
    "Analytics",
    "Design",
    "Foundry",
    "Cooperative",
    "Ventures",
];
const PEOPLE: &[&str] = &[
    "Ana", "Bruno", "Chen", "Dara", "Emil", "Fatima", "Gabriel", "Hana", "Ivo", "Jonas", "Kaya",
    "Luis", "Mira", "Noor", "Oscar", "Paula", "Rui", "Sofia", "Tariq", "Vera",
];
const SKILLS: &[&str] = &[
    "Rust",
    "Go",
    "Python",
    "TypeScript",
    "PostgreSQL",
    "Kubernetes",
    "Product design",
    "UX research",
    "Data engineering",
    "Machine learning",
    "Accounting",
    "Marketing",
    "SEO",
    "Copywriting",
    "Community",
    "Events",
    "Legal",
    "Hardware",
    "Embedded",
    "Security",
];
const INDUSTRIES: &[&str] = &[
    "Software",
    "Design",
    "Consulting",
    "Finance",
    "Education",
    "Health",
    "Energy",
    "Media",
    "Retail",
    "Manufacturing",
];
const PLACES: &[(&str, &str)] = &[
    ("Lisbon", "PT"),
    ("Porto", "PT"),
    ("Berlin", "DE"),
    ("Hamburg", "DE"),
    ("Amsterdam", "NL"),
    ("Madrid", "ES"),
    ("Barcelona", "ES"),
    ("Paris", "FR"),
    ("Lyon", "FR"),
    ("Dublin", "IE"),
    ("Vienna", "AT"),
    ("Copenhagen", "DK"),
];
/// Synthetic spaces the entries are spread over.
const SEED_SPACES: usize = 25;
const BATCH: usize = 1000;

/// Inserts `n` synthetic remote entries (companies, people, projects, events) spread over
/// [`SEED_SPACES`] made-up spaces, in batched transactions. No keys are made: these entries are
/// directory rows, not actors. Returns a summary.
pub async fn seed_directory(db: &Db, n: usize) -> anyhow::Result<String> {
    if n == 0 || n > 1_000_000 {
        anyhow::bail!("--entries must be between 1 and 1000000");
    }
    let started = std::time::Instant::now();
    // Numbered after what is there, so a second run adds rather than replaces.
    let first = store::max_entry_id(db).await?;
    let mut rng = StdRng::seed_from_u64(first as u64 ^ 0x5eed);
    let now = now_ms();
    let mut done = 0usize;
    while done < n {
        let size = BATCH.min(n - done);
        let drafts: Vec<Draft> = (0..size)
            .map(|k| synthetic(&mut rng, first + (done + k) as i64, now))
            .collect();
        store::insert_batch(db, &drafts, now)
            .await
            .map_err(describe)?;
        done += size;
    }
    Ok(format!(
        "{n} synthetic directory entries added over {SEED_SPACES} spaces in {:.1} s.",
        started.elapsed().as_secs_f64()
    ))
}

fn synthetic(rng: &mut StdRng, i: i64, now: i64) -> Draft {
    let space = rng.gen_range(0..SEED_SPACES);
    let origin = format!("space{space}.seed.example");
    let (city, country) = PLACES[space % PLACES.len()];
    let roll = rng.gen_range(0..100);
    let kind = match roll {
        0..=44 => Kind::Company,
        45..=84 => Kind::Person,
        85..=94 => Kind::Project,
        _ => Kind::Event,
    };
    let mut skills: Vec<String> = (0..rng.gen_range(1..5))
        .map(|_| SKILLS[rng.gen_range(0..SKILLS.len())].to_string())
        .collect();
    skills.dedup();
    let industry = INDUSTRIES[rng.gen_range(0..INDUSTRIES.len())];
    let (name, path) = match kind {
        Kind::Person => {
            let name = format!(
                "{} {}",
                PEOPLE[rng.gen_range(0..PEOPLE.len())],
                FIRST[rng.gen_range(0..FIRST.len())]
            );
            (name, format!("members/p{i}"))
        }
        Kind::Event => (format!("{} meetup #{i}", skills[0]), format!("events/e{i}")),
        Kind::Project => (
            format!(
                "Open {} {}",
                FIRST[rng.gen_range(0..FIRST.len())],
                skills[0]
            ),
            format!("projects/g{i}"),
        ),
        _ => (
            format!(
                "{} {}",
                FIRST[rng.gen_range(0..FIRST.len())],
                SECOND[rng.gen_range(0..SECOND.len())]
            ),
            format!("companies/c{i}"),
        ),
    };
    let uri = format!("https://{origin}/{path}");
    let starts_at = (kind == Kind::Event).then(|| now + rng.gen_range(0..90) * 86_400_000);
    Draft {
        url: uri.clone(),
        handle: if kind == Kind::Event {
            String::new()
        } else {
            format!("@{}@{origin}", path.rsplit('/').next().unwrap_or_default())
        },
        uri,
        kind,
        origin: origin.clone(),
        summary: format!(
            "{name} works on {} in {city}. {} for clients across Europe.",
            skills.join(", "),
            industry
        ),
        name,
        icon_url: String::new(),
        industry: if matches!(kind, Kind::Company | Kind::Project) {
            industry.to_string()
        } else {
            String::new()
        },
        skills,
        city: city.to_string(),
        country: country.to_string(),
        space_name: format!("Seed space {space}"),
        hiring: kind == Kind::Company && rng.gen_bool(0.3),
        open_to_collaborate: matches!(kind, Kind::Company | Kind::Project) && rng.gen_bool(0.5),
        starts_at,
        ends_at: starts_at.map(|s| s + 3 * 3_600_000),
    }
}
