//! Domain rules as a Mastodon domain-block CSV
//! (`#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate`): import and
//! export, for the admin page, its API and `guildhall admin domains import|export`.
//!
//! `suspend` is our block, `silence` our silence, `noop` no rule. The columns our rules do not
//! hold (reject_media, reject_reports, obfuscate, the comment exactly as written) are kept by
//! moderation's store, in import order, so a Mastodon export imports and exports unchanged.
//! A file without the header is read as Mastodon reads it: one domain per line, suspended.

use serde::Serialize;

use crate::directory;
use crate::error::{Error, Result};
use crate::federation::policy::{self, DomainName, Policy};
use crate::moderation::model::Actor;
use crate::moderation::store::{self as mstore, CsvRow};
use crate::storage::Db;
use crate::validate::FieldErrors;

/// The header Mastodon writes.
pub const HEADER: &str =
    "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate";
/// The most rows one import takes.
pub const MAX_ROWS: usize = 20_000;

/// One field as read: its text and whether it was quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    text: String,
    quoted: bool,
}

/// Splits CSV text into rows of fields (RFC 4180: quotes, doubled quotes, CRLF or LF).
fn parse_csv(text: &str) -> Result<Vec<Vec<Field>>, String> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut in_quotes = false;
    let mut chars = text
        .strip_prefix('\u{feff}')
        .unwrap_or(text)
        .chars()
        .peekable();
    let mut line = 1;
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !quoted => {
                in_quotes = true;
                quoted = true;
            }
            '"' => return Err(format!("line {line}: a quote in the middle of a field")),
            ',' => {
                row.push(Field {
                    text: std::mem::take(&mut field),
                    quoted,
                });
                quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                row.push(Field {
                    text: std::mem::take(&mut field),
                    quoted,
                });
                quoted = false;
                rows.push(std::mem::take(&mut row));
                line += 1;
            }
            _ if quoted => return Err(format!("line {line}: text after a closing quote")),
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err(format!("line {line}: a quoted field is not closed"));
    }
    if !field.is_empty() || quoted || !row.is_empty() {
        row.push(Field {
            text: field,
            quoted,
        });
        rows.push(row);
    }
    Ok(rows)
}

fn csv_field(text: &str, quote_empty: bool) -> String {
    if (quote_empty && text.is_empty()) || text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn parse_bool(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" | "" => Ok(false),
        other => Err(format!("{other:?} is not true or false")),
    }
}

/// Reads a Mastodon domain-block CSV into rows, or the errors of every bad line.
pub fn read(text: &str, own_domain: &str) -> Result<Vec<CsvRow>> {
    let rows = parse_csv(text).map_err(|m| Error::invalid("file", m))?;
    let mut rows = rows
        .into_iter()
        .filter(|r| !(r.len() == 1 && r[0].text.trim().is_empty()));
    let mut out: Vec<CsvRow> = Vec::new();
    let mut errors = FieldErrors::new();
    let mut first = rows.next();
    let columns: Option<Vec<String>> = match &first {
        Some(r) if r.first().is_some_and(|f| f.text.trim().starts_with('#')) => {
            let names = r
                .iter()
                .map(|f| f.text.trim().to_ascii_lowercase())
                .collect();
            first = None;
            Some(names)
        }
        _ => None,
    };
    let index = |name: &str| {
        columns
            .as_ref()
            .and_then(|c| c.iter().position(|n| n == name))
    };
    let (domain_at, severity_at, media_at, reports_at, comment_at, obfuscate_at) = (
        index("#domain").unwrap_or(0),
        index("#severity"),
        index("#reject_media"),
        index("#reject_reports"),
        index("#public_comment"),
        index("#obfuscate"),
    );
    for (n, row) in first.into_iter().chain(rows).enumerate() {
        let line = n + if columns.is_some() { 2 } else { 1 };
        if out.len() >= MAX_ROWS {
            errors.add("file", format!("has more than {MAX_ROWS} rows"));
            break;
        }
        let get = |at: Option<usize>| at.and_then(|i| row.get(i));
        let text = |at: Option<usize>| get(at).map(|f| f.text.as_str()).unwrap_or("");
        let raw_domain = text(Some(domain_at));
        let domain = match DomainName::parse(raw_domain) {
            Ok(d) if d.covers(own_domain) => {
                errors.add(
                    "file",
                    format!("line {line}: {d} is this space's own domain"),
                );
                continue;
            }
            Ok(d) => d,
            Err(m) => {
                errors.add("file", format!("line {line}: domain {raw_domain:?} {m}"));
                continue;
            }
        };
        let severity = match text(severity_at).trim() {
            "" | "suspend" => "suspend",
            "silence" => "silence",
            "noop" => "noop",
            other => {
                errors.add(
                    "file",
                    format!("line {line}: severity {other:?} is not suspend, silence or noop"),
                );
                continue;
            }
        };
        let mut flag = |at: Option<usize>, name: &str| match parse_bool(text(at)) {
            Ok(b) => b,
            Err(m) => {
                errors.add("file", format!("line {line}: {name} {m}"));
                false
            }
        };
        let reject_media = flag(media_at, "reject_media");
        let reject_reports = flag(reports_at, "reject_reports");
        let obfuscate = flag(obfuscate_at, "obfuscate");
        let public_comment = get(comment_at)
            .filter(|f| f.quoted || !f.text.is_empty())
            .map(|f| f.text.clone());
        if public_comment
            .as_ref()
            .is_some_and(|c| c.chars().count() > 1000)
        {
            errors.add(
                "file",
                format!("line {line}: the comment is over 1000 characters"),
            );
            continue;
        }
        let row = CsvRow {
            domain: domain.to_string(),
            severity: severity.to_string(),
            reject_media,
            reject_reports,
            public_comment,
            obfuscate,
        };
        // A domain named twice: the later line wins.
        out.retain(|r| r.domain != row.domain);
        out.push(row);
    }
    errors.into_result()?;
    Ok(out)
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Imported {
    pub rows: usize,
    pub blocked: usize,
    pub silenced: usize,
    pub noop: usize,
}

impl Imported {
    pub fn summary(&self) -> String {
        format!(
            "{} rows imported: {} blocked, {} silenced, {} without a rule.",
            self.rows, self.blocked, self.silenced, self.noop
        )
    }
}

/// Imports a CSV: every row or none, with the blocks' effects (directory entries, follows,
/// queued deliveries) and one audit line, in one transaction.
pub async fn import(db: &Db, own_domain: &str, by: &Actor, text: &str) -> Result<Imported> {
    let rows = read(text, own_domain)?;
    let mut done = Imported {
        rows: rows.len(),
        ..Default::default()
    };
    let mut tx = db.begin_write().await?;
    for row in &rows {
        let domain = DomainName::parse(&row.domain).map_err(|m| Error::invalid("file", m))?;
        mstore::upsert_csv_row_tx(&mut tx, row).await?;
        let reason = row.public_comment.as_deref().unwrap_or("");
        match row.severity.as_str() {
            "suspend" => {
                directory::sync::remove_blocked(db, &mut tx, domain.as_str()).await?;
                policy::set_in(&mut tx, &domain, Policy::Block, reason).await?;
                done.blocked += 1;
            }
            "silence" => {
                policy::set_in(&mut tx, &domain, Policy::Silence, reason).await?;
                done.silenced += 1;
            }
            _ => done.noop += 1,
        }
    }
    mstore::audit_tx(&mut tx, by, "import_domains", "", None, &done.summary()).await?;
    tx.commit().await?;
    Ok(done)
}

/// The domain rules as a Mastodon CSV: imported rows first, in their order and exactly as
/// imported (while their rule is unchanged), then the other block and silence rules.
pub async fn export(db: &Db) -> Result<String> {
    let rules = policy::list(db).await?;
    let severity_of = |domain: &str| {
        rules
            .iter()
            .find(|r| r.domain == domain)
            .map(|r| match r.policy {
                Policy::Block => "suspend",
                Policy::Silence => "silence",
                Policy::Allow => "noop",
            })
            .unwrap_or("noop")
    };
    let mut out = String::from(HEADER);
    out.push('\n');
    let mut written: Vec<String> = Vec::new();
    let mut push = |r: &CsvRow| {
        let comment = match &r.public_comment {
            Some(c) => csv_field(c, true),
            None => String::new(),
        };
        out.push_str(&format!(
            "{},{},{},{},{},{}\n",
            csv_field(&r.domain, false),
            r.severity,
            r.reject_media,
            r.reject_reports,
            comment,
            r.obfuscate
        ));
    };
    for row in mstore::csv_rows(db).await? {
        if severity_of(&row.domain) == row.severity {
            written.push(row.domain.clone());
            push(&row);
        }
    }
    for rule in &rules {
        let severity = match rule.policy {
            Policy::Block => "suspend",
            Policy::Silence => "silence",
            Policy::Allow => continue,
        };
        if written.contains(&rule.domain) {
            continue;
        }
        push(&CsvRow {
            domain: rule.domain.clone(),
            severity: severity.into(),
            reject_media: false,
            reject_reports: false,
            public_comment: (!rule.reason.is_empty()).then(|| rule.reason.clone()),
            obfuscate: false,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mastodon_rows_and_quotes() {
        let text = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n\
                    spam.example,suspend,true,true,\"Spam, mostly\",false\n\
                    loud.example,silence,false,false,,true\n\
                    quiet.example,noop,true,false,\"\",false\n";
        let rows = read(text, "here.example").unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].public_comment.as_deref(), Some("Spam, mostly"));
        assert_eq!(rows[1].public_comment, None);
        assert!(rows[1].obfuscate);
        assert_eq!(rows[2].public_comment.as_deref(), Some(""));
        assert_eq!(rows[2].severity, "noop");
    }

    #[test]
    fn refuses_bad_lines_and_reads_plain_lists() {
        let err = read(
            "#domain,#severity\nok.example,suspend\n,suspend\nx.example,nuke\n",
            "here.example",
        )
        .unwrap_err();
        let message = err.to_string();
        assert!(message.contains("line 3"), "{message}");
        assert!(message.contains("line 4"), "{message}");
        assert!(read("#domain\nhere.example\n", "here.example").is_err());
        assert!(read("a.example,\"open", "here.example").is_err());
        let plain = read("one.example\r\ntwo.example\r\n", "here.example").unwrap();
        assert_eq!(plain.len(), 2);
        assert_eq!(plain[1].severity, "suspend");
    }
}
