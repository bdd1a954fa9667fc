//! The index against a plain evaluation of the same filters over the same entries.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::directory::search::Filters;
use crate::directory::store::Visibility;
use crate::storage::search_text;

const SKILLS: [&str; 6] = ["Rust", "rust", "Go", "Python", "Data engineering", "SEO"];
const CITIES: [&str; 4] = ["Lisbon", "lisbon", "Porto", "Berlin"];
const INDUSTRIES: [&str; 3] = ["Software", "Design", ""];
const SUMMARIES: [&str; 4] = [
    "",
    "Rustacean data studio",
    "Bakery and café in Zürich",
    "Name3 works on Go and co-ops",
];
const ORIGINS: [&str; 3] = ["alpha.example", "beta.example", "sub.blocked.example"];

pub(crate) fn source(id: i64, seq: i64) -> Source {
    Source {
        id,
        seq,
        deleted: false,
        kind: Kind::Company,
        local: false,
        origin: "alpha.example".into(),
        origin_host: "alpha.example".into(),
        industry_key: String::new(),
        industry: String::new(),
        city_key: String::new(),
        city: String::new(),
        country: String::new(),
        space_name: "Alpha".into(),
        hiring: false,
        open_to_collaborate: false,
        starts_at: None,
        ends_at: None,
        updated_at: 1000 + id,
        skills: "[]".into(),
        name_words: String::new(),
        skill_words: String::new(),
        place_words: String::new(),
        summary_words: String::new(),
    }
}

fn random_source(rng: &mut StdRng, id: i64) -> Source {
    let mut s = source(id, id);
    s.kind = Kind::ALL[rng.gen_range(0..Kind::ALL.len())];
    s.local = rng.gen_bool(0.1);
    let origin = ORIGINS[rng.gen_range(0..ORIGINS.len())];
    s.origin = origin.into();
    s.origin_host = origin.into();
    s.space_name = format!("Space {}", &origin[..4]);
    s.industry = INDUSTRIES[rng.gen_range(0..INDUSTRIES.len())].into();
    s.industry_key = facet_key(&s.industry);
    s.city = CITIES[rng.gen_range(0..CITIES.len())].into();
    s.city_key = facet_key(&s.city);
    s.country = ["PT", "DE", ""][rng.gen_range(0..3)].into();
    s.hiring = rng.gen_bool(0.3);
    s.open_to_collaborate = rng.gen_bool(0.3);
    if rng.gen_bool(0.3) {
        let start = rng.gen_range(0..100);
        s.starts_at = Some(start);
        s.ends_at = rng.gen_bool(0.5).then(|| start + rng.gen_range(0..10));
    }
    let skills: Vec<&str> = (0..rng.gen_range(0..4))
        .map(|_| SKILLS[rng.gen_range(0..SKILLS.len())])
        .collect();
    s.skills = serde_json::to_string(&skills).unwrap();
    s.name_words = search_text(&format!("Name{} Co", id % 7));
    s.skill_words = search_text(&skills.join(" "));
    s.place_words = search_text(&s.city);
    s.summary_words = search_text(SUMMARIES[rng.gen_range(0..SUMMARIES.len())]);
    s
}

fn random_filters(rng: &mut StdRng) -> Filters {
    let mut f = Filters::default();
    let pick = |rng: &mut StdRng, p: f64| rng.gen_bool(p);
    if pick(rng, 0.3) {
        f.kind = Some(Kind::ALL[rng.gen_range(0..Kind::ALL.len())]);
    }
    if pick(rng, 0.3) {
        f.industry = Some(["software", "DESIGN", "Nope"][rng.gen_range(0..3)].into());
    }
    if pick(rng, 0.3) {
        f.skill = Some(["Rust", "go", "data  engineering", "Cobol"][rng.gen_range(0..4)].into());
    }
    if pick(rng, 0.3) {
        f.city = Some(["Lisbon", "porto", "Oslo"][rng.gen_range(0..3)].into());
    }
    if pick(rng, 0.3) {
        f.country = Some(["pt", "DE", "FR"][rng.gen_range(0..3)].into());
    }
    if pick(rng, 0.2) {
        f.space = Some(ORIGINS[rng.gen_range(0..ORIGINS.len())].to_uppercase());
    }
    f.hiring = pick(rng, 0.2);
    f.collaborate = pick(rng, 0.2);
    if pick(rng, 0.2) {
        f.from = Some(rng.gen_range(0..100));
    }
    if pick(rng, 0.2) {
        f.to = Some(rng.gen_range(0..100));
    }
    if pick(rng, 0.4) {
        let words = [
            "rust", "r", "name3", "name", "data", "z", "zür", "co", "lisbon", "nope",
        ];
        f.words = (0..rng.gen_range(1..3))
            .map(|_| words[rng.gen_range(0..words.len())].to_string())
            .collect();
    }
    f
}

/// Whether an entry has every word of the search, each as the start of one of its words.
fn has_words(s: &Source, f: &Filters) -> bool {
    let text = [
        &s.name_words,
        &s.skill_words,
        &s.place_words,
        &s.summary_words,
    ];
    f.words.iter().all(|w| {
        text.iter()
            .flat_map(|t| t.split(' '))
            .any(|word| word.starts_with(w.as_str()))
    })
}

/// Which facet filter an entry fails, by facet name; the date range and domains apart.
fn failures(s: &Source, f: &Filters) -> Vec<&'static str> {
    let mut out = Vec::new();
    if f.kind.is_some_and(|k| k != s.kind) {
        out.push("kind");
    }
    if f.industry
        .as_ref()
        .is_some_and(|v| facet_key(v) != s.industry_key)
    {
        out.push("industry");
    }
    let skills: Vec<String> = json_list(&s.skills).iter().map(|k| facet_key(k)).collect();
    if f.skill
        .as_ref()
        .is_some_and(|v| !skills.contains(&facet_key(v)))
    {
        out.push("skill");
    }
    if f.city.as_ref().is_some_and(|v| facet_key(v) != s.city_key) {
        out.push("city");
    }
    if f.country
        .as_ref()
        .is_some_and(|v| v.to_uppercase() != s.country)
    {
        out.push("country");
    }
    if f.space
        .as_ref()
        .is_some_and(|v| v.to_ascii_lowercase() != s.origin)
    {
        out.push("space");
    }
    if f.hiring && !s.hiring {
        out.push("hiring");
    }
    if f.collaborate && !s.open_to_collaborate {
        out.push("collaborate");
    }
    out
}

fn in_range(s: &Source, f: &Filters) -> bool {
    let from_ok = f.from.is_none_or(|from| {
        s.starts_at
            .is_some_and(|st| s.ends_at.unwrap_or(st) >= from)
    });
    let to_ok = f.to.is_none_or(|to| s.starts_at.is_some_and(|st| st <= to));
    from_ok && to_ok
}

/// The counts SQL would give for one facet: values of the entries passing every other filter.
fn plain_counts(live: &[&Source], f: &Filters, facet: &str) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for s in live {
        if failures(s, f).iter().any(|x| *x != facet) {
            continue;
        }
        let values: Vec<String> = match facet {
            "kind" => vec![s.kind.as_str().into()],
            "industry" => vec![s.industry_key.clone()],
            "skill" => {
                let mut v: Vec<String> =
                    json_list(&s.skills).iter().map(|k| facet_key(k)).collect();
                v.sort();
                v.dedup();
                v
            }
            "city" => vec![s.city_key.clone()],
            "country" => vec![s.country.clone()],
            "space" => vec![s.origin.clone()],
            "hiring" => vec![if s.hiring { "1" } else { "" }.into()],
            "collaborate" => vec![if s.open_to_collaborate { "1" } else { "" }.into()],
            _ => unreachable!(),
        };
        for v in values.into_iter().filter(|v| !v.is_empty()) {
            *counts.entry(v).or_insert(0) += 1;
        }
    }
    counts
}

fn as_map(counts: &[FacetCount]) -> BTreeMap<String, i64> {
    counts.iter().map(|c| (c.value.clone(), c.count)).collect()
}

#[test]
fn one_pass_counts_agree_with_a_plain_evaluation() {
    agrees_with_a_plain_evaluation(400, 300);
}

/// Above `query::SPLIT_FROM` entries a search scans two halves side by side and merges them.
#[test]
fn a_split_scan_agrees_with_a_plain_evaluation() {
    agrees_with_a_plain_evaluation(24_000, 12);
}

fn agrees_with_a_plain_evaluation(entries: i64, rounds: usize) {
    let mut rng = StdRng::seed_from_u64(7);
    let mut index = Index::default();
    let mut sources: BTreeMap<i64, Source> = BTreeMap::new();
    for id in 1..=entries {
        let s = random_source(&mut rng, id);
        index.apply(&s);
        sources.insert(id, s);
    }
    // Changes: some entries rewritten, some removed.
    let mut seq = entries;
    for _ in 0..150 {
        seq += 1;
        let id = rng.gen_range(1..=entries);
        if rng.gen_bool(0.4) {
            let mut gone = source(id, seq);
            gone.deleted = true;
            index.apply(&gone);
            sources.remove(&id);
        } else {
            let mut s = random_source(&mut rng, id);
            s.seq = seq;
            index.apply(&s);
            sources.insert(id, s);
        }
    }
    assert_eq!(index.len(), sources.len());
    assert_eq!(index.seq(), seq);
    for round in 0..rounds {
        // Every fourth search has no filter at all (counted from the index's own counts when
        // nothing is hidden); every third hides no domain.
        let vis = if round % 3 == 2 {
            Visibility::default()
        } else {
            Visibility::hiding(&["blocked.example"])
        };
        let f = if round % 4 == 0 {
            Filters::default()
        } else {
            random_filters(&mut rng)
        };
        let live: Vec<&Source> = sources
            .values()
            .filter(|s| s.local || !vis.hides(&s.origin_host))
            .filter(|s| in_range(s, &f))
            .filter(|s| has_words(s, &f))
            .collect();
        let found = index.search(&f, &vis, 0, entries as usize);
        let expected: Vec<i64> = {
            let mut hits: Vec<&&Source> =
                live.iter().filter(|s| failures(s, &f).is_empty()).collect();
            hits.sort_by_key(|s| std::cmp::Reverse((s.updated_at, s.id)));
            hits.iter().map(|s| s.id).collect()
        };
        if f.words.is_empty() {
            assert_eq!(found.ids, expected, "round {round}: {f:?}");
        } else {
            // Best match first (the order is tested on its own below): compare the sets.
            let mut ids = found.ids.clone();
            ids.sort_unstable_by(|a, b| b.cmp(a));
            let mut want = expected.clone();
            want.sort_unstable_by(|a, b| b.cmp(a));
            assert_eq!(ids, want, "round {round}: {f:?}");
        }
        assert_eq!(found.total, expected.len() as i64);
        let facets = &found.facets;
        for (name, got) in [
            ("kind", &facets.kind),
            ("industry", &facets.industry),
            ("skill", &facets.skill),
            ("city", &facets.city),
            ("country", &facets.country),
            ("space", &facets.space),
        ] {
            assert_eq!(
                as_map(got),
                plain_counts(&live, &f, name),
                "round {round} {name}: {f:?}"
            );
        }
        let flag = |name| plain_counts(&live, &f, name).get("1").copied().unwrap_or(0);
        assert_eq!(facets.hiring, flag("hiring"), "round {round}: {f:?}");
        assert_eq!(
            facets.collaborate,
            flag("collaborate"),
            "round {round}: {f:?}"
        );
    }
}

#[test]
fn labels_pages_and_removals() {
    let mut index = Index::default();
    for (id, city) in [(1, "lisbon"), (2, "Lisbon"), (3, "Porto")] {
        let mut s = source(id, id);
        s.city = city.into();
        s.city_key = facet_key(city);
        index.apply(&s);
    }
    let all = Filters::default();
    let vis = Visibility::default();
    let found = index.search(&all, &vis, 0, 2);
    assert_eq!(found.ids, vec![3, 2], "newest change first, one page");
    assert_eq!(found.total, 3);
    assert_eq!(index.search(&all, &vis, 2, 2).ids, vec![1]);
    assert!(index.search(&all, &vis, 10, 2).ids.is_empty());
    let cities = &found.facets.city;
    assert_eq!(cities[0].value, "lisbon");
    assert_eq!(
        cities[0].label, "Lisbon",
        "the smallest label, as SQL's MIN"
    );
    assert_eq!(cities[0].count, 2);
    // Removing entry 2 takes its label with it; removing what is not there does nothing.
    let mut gone = source(2, 4);
    gone.deleted = true;
    index.apply(&gone);
    index.apply(&gone);
    let found = index.search(&all, &vis, 0, 10);
    assert_eq!(found.ids, vec![3, 1]);
    // One each now: ties by value.
    assert_eq!(found.facets.city[0].label, "lisbon");
    assert_eq!(found.facets.city[1].label, "Porto");
    // A filter naming a value nobody has finds nothing but still counts the other values.
    let oslo = Filters {
        city: Some("Oslo".into()),
        ..Default::default()
    };
    let found = index.search(&oslo, &vis, 0, 10);
    assert_eq!(found.total, 0);
    assert_eq!(found.facets.city.len(), 2);
}

#[test]
fn full_text_results_rank_by_field_then_name_length() {
    let mut index = Index::default();
    let entries = [
        (1, "Quay Studio", "rust", "porto", ""),
        (2, "Rust Lisbon Collective", "", "", ""),
        (3, "Rust", "", "", "rust again"),
        (4, "Rustbelt", "", "", ""),
        (5, "Tide Labs", "", "rust", ""),
        (6, "Harbour", "", "", "Harbour works in Rust"),
        (7, "Trust Me", "", "", "trusty crust"),
    ];
    for (id, name, skills, place, summary) in entries {
        let mut s = source(id, id);
        s.name_words = search_text(name);
        s.skill_words = search_text(skills);
        s.place_words = search_text(place);
        s.summary_words = search_text(summary);
        index.apply(&s);
    }
    let words = |w: &[&str]| Filters {
        words: w.iter().map(|w| w.to_string()).collect(),
        ..Default::default()
    };
    let vis = Visibility::default();
    let found = index.search(&words(&["rust"]), &vis, 0, 10);
    assert_eq!(found.ids, vec![3, 2, 4, 1, 5, 6], "only prefixes match");
    assert_eq!(found.total, 6);
    // Every word must match, each as a prefix of some word, in any field.
    assert_eq!(
        index.search(&words(&["rust", "harb"]), &vis, 0, 10).ids,
        vec![6]
    );
    assert_eq!(
        index.search(&words(&["tr", "crus"]), &vis, 0, 10).ids,
        vec![7]
    );
    assert_eq!(
        index
            .search(&words(&["rust", "nowhere"]), &vis, 0, 10)
            .total,
        0
    );
    assert_eq!(index.search(&words(&["zzz"]), &vis, 0, 10).total, 0);
    // A word of one letter matches every word it starts.
    assert_eq!(index.search(&words(&["h"]), &vis, 0, 10).ids, vec![6]);
    // A removed entry's words match nothing.
    let mut gone = source(6, 8);
    gone.deleted = true;
    index.apply(&gone);
    assert_eq!(index.search(&words(&["harbour"]), &vis, 0, 10).total, 0);
}

#[test]
fn rewritten_entries_keep_their_skills_through_compaction() {
    let mut index = Index::default();
    let mut seq = 0;
    for round in 0..4 {
        for id in 1..=2000 {
            seq += 1;
            let mut s = source(id, seq);
            let skills = if round % 2 == 0 {
                ["Rust", "Go"]
            } else {
                ["SEO", "Go"]
            };
            s.skills = serde_json::to_string(&skills).unwrap();
            index.apply(&s);
        }
    }
    assert!(index.skill_keys.len() <= 2 * 2 * 2000, "compacted");
    let found = index.search(&Filters::default(), &Visibility::default(), 0, 1);
    let skills = as_map(&found.facets.skill);
    assert_eq!(skills.get("go"), Some(&2000));
    assert_eq!(skills.get("seo"), Some(&2000));
    assert_eq!(skills.get("rust"), None, "nobody writes Rust any more");
    let rust = Filters {
        skill: Some("rust".into()),
        ..Default::default()
    };
    assert_eq!(index.search(&rust, &Visibility::default(), 0, 1).total, 0);
}
