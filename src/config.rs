//! Configuration: an optional `guildhall.toml`, overridden key by key by `GUILDHALL_*`
//! environment variables. Every value is validated here, so the rest of the program only ever
//! sees a well-formed [`Config`]; a bad value stops the program with a message naming its key.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

mod mail;
pub use mail::{MailSettings, SmtpCa, SmtpSettings, SmtpTls};

/// A configuration problem, always tied to the key that caused it.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration value for {key}: {message}")]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

impl ConfigError {
    fn new(key: &str, message: impl Into<String>) -> Self {
        Self {
            key: key.to_string(),
            message: message.into(),
        }
    }
}

/// The validated configuration of one instance.
#[derive(Debug, Clone)]
pub struct Config {
    /// Public host, with a port when it is not the scheme's default (`guildhall.example`,
    /// `localhost:8080`).
    pub domain: String,
    /// Address the HTTP server binds to; port 0 picks a free port.
    pub listen: SocketAddr,
    /// `sqlite://path` or `postgres://…`.
    pub database_url: String,
    /// Plain http, explicit ports and loopback peers: development and tests only.
    pub dev_http: bool,
    /// Folder for uploaded media (avatars, logos).
    pub media_dir: PathBuf,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Failed sign-ins allowed per account and per address within the throttle window.
    pub login_attempts: u32,
    /// Per client address and hour: sign-ups, posts (and comments, messages), uploads, reports.
    pub rate_signups: u32,
    pub rate_posts: u32,
    pub rate_uploads: u32,
    pub rate_reports: u32,
    /// Activities a remote host may post to the inboxes per minute (a burst of as many), and
    /// one remote actor.
    pub inbox_rate_host: u32,
    pub inbox_rate_actor: u32,
    /// Host name overrides for outgoing requests (development only): `alpha.test=127.0.0.1`.
    pub resolve: Vec<(String, IpAddr)>,
    /// Deliveries in flight at once to one remote host.
    pub delivery_per_host: usize,
    /// Deliveries in flight at once in this process, over all hosts.
    pub delivery_total: usize,
    /// First retry delay of a failed delivery, in milliseconds; it doubles per attempt.
    pub delivery_retry_base_ms: u64,
    /// Age after which a delivery that still fails is given up, in hours.
    pub delivery_max_age_hours: u64,
    /// Consecutive temporary failures after which a host is parked.
    pub delivery_park_after: u32,
    /// Seconds between two pulls of each peer space's directory.
    pub directory_sync_secs: u64,
    /// How far peers' own peer lists are followed (0: only spaces added here or followed).
    pub directory_peer_hops: u32,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` headers name the client.
    pub trusted_proxies: Vec<IpNet>,
    /// Bearer token that opens `/metrics`; without one, only loopback peers may read it.
    pub metrics_token: Option<Secret>,
    /// Outgoing mail (`smtp_url`, `mail_from` and `smtp_ca_file`); `None`: mail is off.
    pub mail: Option<MailSettings>,
    /// First retry delay of a mail the SMTP server did not take, in milliseconds; it doubles
    /// per attempt up to an hour.
    pub mail_retry_base_ms: u64,
    /// Seconds between two digests of notifications to one member (a day by default).
    pub notification_digest_secs: u64,
}

/// Every key, its environment variable and its default, in the order of the README table.
pub const KEYS: &[(&str, &str, &str)] = &[
    ("domain", "GUILDHALL_DOMAIN", "localhost:8080"),
    ("listen", "GUILDHALL_LISTEN", "127.0.0.1:8080"),
    (
        "database_url",
        "GUILDHALL_DATABASE_URL",
        "sqlite://guildhall.db",
    ),
    ("dev_http", "GUILDHALL_DEV_HTTP", "auto"),
    ("media_dir", "GUILDHALL_MEDIA_DIR", "media"),
    ("max_body_bytes", "GUILDHALL_MAX_BODY_BYTES", "8388608"),
    ("login_attempts", "GUILDHALL_LOGIN_ATTEMPTS", "5"),
    ("rate_signups", "GUILDHALL_RATE_SIGNUPS", "10"),
    ("rate_posts", "GUILDHALL_RATE_POSTS", "300"),
    ("rate_uploads", "GUILDHALL_RATE_UPLOADS", "60"),
    ("rate_reports", "GUILDHALL_RATE_REPORTS", "20"),
    ("inbox_rate_host", "GUILDHALL_INBOX_RATE_HOST", "1200"),
    ("inbox_rate_actor", "GUILDHALL_INBOX_RATE_ACTOR", "300"),
    ("resolve", "GUILDHALL_RESOLVE", ""),
    ("delivery_per_host", "GUILDHALL_DELIVERY_PER_HOST", "8"),
    ("delivery_total", "GUILDHALL_DELIVERY_TOTAL", "64"),
    (
        "delivery_retry_base_ms",
        "GUILDHALL_DELIVERY_RETRY_BASE_MS",
        "30000",
    ),
    (
        "delivery_max_age_hours",
        "GUILDHALL_DELIVERY_MAX_AGE_HOURS",
        "168",
    ),
    ("delivery_park_after", "GUILDHALL_DELIVERY_PARK_AFTER", "5"),
    ("directory_sync_secs", "GUILDHALL_DIRECTORY_SYNC_SECS", "60"),
    ("directory_peer_hops", "GUILDHALL_DIRECTORY_PEER_HOPS", "1"),
    ("trusted_proxies", "GUILDHALL_TRUSTED_PROXIES", ""),
    ("metrics_token", "GUILDHALL_METRICS_TOKEN", ""),
    ("smtp_url", "GUILDHALL_SMTP_URL", ""),
    ("mail_from", "GUILDHALL_MAIL_FROM", ""),
    ("smtp_ca_file", "GUILDHALL_SMTP_CA_FILE", ""),
    (
        "mail_retry_base_ms",
        "GUILDHALL_MAIL_RETRY_BASE_MS",
        "30000",
    ),
    (
        "notification_digest_secs",
        "GUILDHALL_NOTIFICATION_DIGEST_SECS",
        "86400",
    ),
];

impl Config {
    /// Loads the configuration: `path` if given (it must exist), else `guildhall.toml` in the
    /// working directory if present; then environment overrides.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let file_values = match path {
            Some(p) => read_file(p)?,
            None => {
                let default = Path::new("guildhall.toml");
                if default.exists() {
                    read_file(default)?
                } else {
                    BTreeMap::new()
                }
            }
        };
        let env: BTreeMap<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with("GUILDHALL_"))
            .collect();
        Self::from_sources(&file_values, &env)
    }

    /// Builds a configuration from file values (keyed by TOML key) and environment values
    /// (keyed by variable name). Environment wins.
    pub fn from_sources(
        file: &BTreeMap<String, String>,
        env: &BTreeMap<String, String>,
    ) -> Result<Self, ConfigError> {
        for key in file.keys() {
            if !KEYS.iter().any(|(k, _, _)| k == key) {
                return Err(ConfigError::new(key, "unknown key in guildhall.toml"));
            }
        }
        let get = |key: &str| -> (String, String) {
            let (toml_key, env_key, default) = KEYS
                .iter()
                .find(|(k, _, _)| *k == key)
                .expect("key is listed in KEYS");
            if let Some(v) = env.get(*env_key) {
                (env_key.to_string(), v.clone())
            } else if let Some(v) = file.get(*toml_key) {
                (toml_key.to_string(), v.clone())
            } else {
                (env_key.to_string(), default.to_string())
            }
        };

        let (k, v) = get("domain");
        let domain = parse_domain(&k, &v)?;
        let (k, v) = get("dev_http");
        // `auto`: a loopback or localhost domain (a first run on one's own machine) serves
        // http links; any other domain https.
        let dev_http = if v.trim().eq_ignore_ascii_case("auto") {
            is_loopback_domain(&domain)
        } else {
            parse_bool(&k, &v)?
        };
        let (k, v) = get("listen");
        let listen: SocketAddr = v.trim().parse().map_err(|_| {
            ConfigError::new(
                &k,
                format!("`{v}` is not an address such as 127.0.0.1:8080"),
            )
        })?;
        let (k, v) = get("database_url");
        let database_url = parse_database_url(&k, &v)?;
        let (k, v) = get("media_dir");
        if v.trim().is_empty() {
            return Err(ConfigError::new(&k, "must not be empty"));
        }
        let media_dir = PathBuf::from(v.trim());
        let (k, v) = get("max_body_bytes");
        let max_body_bytes = parse_number(&k, &v, 1024, 1 << 30)? as usize;
        let (k, v) = get("login_attempts");
        let login_attempts = parse_number(&k, &v, 1, 1000)? as u32;
        let rate = |key: &str| -> Result<u32, ConfigError> {
            let (k, v) = get(key);
            Ok(parse_number(&k, &v, 1, 1_000_000)? as u32)
        };
        let rate_signups = rate("rate_signups")?;
        let rate_posts = rate("rate_posts")?;
        let rate_uploads = rate("rate_uploads")?;
        let rate_reports = rate("rate_reports")?;
        let inbox_rate_host = rate("inbox_rate_host")?;
        let inbox_rate_actor = rate("inbox_rate_actor")?;
        let (k, v) = get("resolve");
        let resolve = parse_resolve(&k, &v)?;
        if !resolve.is_empty() && !dev_http {
            return Err(ConfigError::new(
                &k,
                "host overrides are for development only; set GUILDHALL_DEV_HTTP=true",
            ));
        }
        let (k, v) = get("delivery_per_host");
        let delivery_per_host = parse_number(&k, &v, 1, 256)? as usize;
        let (k, v) = get("delivery_total");
        let delivery_total = parse_number(&k, &v, 1, 4096)? as usize;
        let (k, v) = get("delivery_retry_base_ms");
        let delivery_retry_base_ms = parse_number(&k, &v, 10, 3_600_000)?;
        // At least two days: a peer that is down for a weekend still gets everything.
        let (k, v) = get("delivery_max_age_hours");
        let delivery_max_age_hours = parse_number(&k, &v, 48, 8760)?;
        let (k, v) = get("delivery_park_after");
        let delivery_park_after = parse_number(&k, &v, 1, 1000)? as u32;
        let (k, v) = get("directory_sync_secs");
        let directory_sync_secs = parse_number(&k, &v, 1, 86_400)?;
        let (k, v) = get("directory_peer_hops");
        let directory_peer_hops = parse_number(&k, &v, 0, 3)? as u32;
        let (k, v) = get("trusted_proxies");
        let trusted_proxies = v
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| n.parse().map_err(|e: String| ConfigError::new(&k, e)))
            .collect::<Result<Vec<IpNet>, _>>()?;
        let (k, v) = get("metrics_token");
        let metrics_token = match v.trim() {
            "" => None,
            t if t.len() < 16 => {
                return Err(ConfigError::new(&k, "must be at least 16 characters"))
            }
            t => Some(Secret(t.to_string())),
        };
        let (url_key, url) = get("smtp_url");
        let (from_key, from) = get("mail_from");
        let (ca_key, ca) = get("smtp_ca_file");
        let mail = mail::parse((&url_key, &url), (&from_key, &from), (&ca_key, &ca))?;
        let (k, v) = get("mail_retry_base_ms");
        let mail_retry_base_ms = parse_number(&k, &v, 10, 3_600_000)?;
        let (k, v) = get("notification_digest_secs");
        let notification_digest_secs = parse_number(&k, &v, 1, 7 * 86_400)?;

        Ok(Config {
            domain,
            listen,
            database_url,
            dev_http,
            media_dir,
            max_body_bytes,
            login_attempts,
            rate_signups,
            rate_posts,
            rate_uploads,
            rate_reports,
            inbox_rate_host,
            inbox_rate_actor,
            resolve,
            delivery_per_host,
            delivery_total,
            delivery_retry_base_ms,
            delivery_max_age_hours,
            delivery_park_after,
            directory_sync_secs,
            directory_peer_hops,
            trusted_proxies,
            metrics_token,
            mail,
            mail_retry_base_ms,
            notification_digest_secs,
        })
    }

    /// The scheme public URLs use.
    pub fn scheme(&self) -> &'static str {
        if self.dev_http {
            "http"
        } else {
            "https"
        }
    }

    /// The public base URL, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme(), self.domain)
    }
}

/// A secret setting: never shown by `Debug`, so a logged configuration does not leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// An IP network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`); a bare address is a network
/// of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Whether `ip` is in this network (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for IpNet {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not an address or network such as 10.0.0.0/8");
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.trim().parse().map_err(|_| bad())?;
        let addr = addr.to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(bad)?,
            None => max,
        };
        Ok(IpNet { addr, prefix })
    }
}

fn read_file(path: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError::new(
            "config file",
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| ConfigError::new("config file", format!("{}: {e}", path.display())))?;
    let mut out = BTreeMap::new();
    for (key, value) in table {
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(ConfigError::new(
                    &key,
                    format!(
                        "expected a string, number or boolean, found {}",
                        other.type_str()
                    ),
                ))
            }
        };
        out.insert(key, text);
    }
    Ok(out)
}

/// Whether a configured domain names this machine only: `localhost`, `*.localhost` or a
/// loopback address, with or without a port.
pub fn is_loopback_domain(domain: &str) -> bool {
    let Ok(url) = url::Url::parse(&format!("http://{domain}/")) else {
        return false;
    };
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn parse_bool(key: &str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(ConfigError::new(
            key,
            format!("`{value}` is not true or false"),
        )),
    }
}

fn parse_number(key: &str, value: &str, min: u64, max: u64) -> Result<u64, ConfigError> {
    let n: u64 = value
        .trim()
        .parse()
        .map_err(|_| ConfigError::new(key, format!("`{value}` is not a whole number")))?;
    if n < min || n > max {
        return Err(ConfigError::new(
            key,
            format!("must be between {min} and {max}"),
        ));
    }
    Ok(n)
}

/// A domain is a host name, optionally with a port: no scheme, path or user part.
fn parse_domain(key: &str, value: &str) -> Result<String, ConfigError> {
    let value = value.trim().to_ascii_lowercase();
    let parsed = url::Url::parse(&format!("http://{value}/"))
        .map_err(|_| ConfigError::new(key, format!("`{value}` is not a host name")))?;
    let host = parsed.host_str().unwrap_or_default();
    let rebuilt = match parsed.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    if host.is_empty() || rebuilt != value {
        return Err(ConfigError::new(
            key,
            format!("`{value}` must be a bare host such as guildhall.example or localhost:8080"),
        ));
    }
    Ok(value)
}

fn parse_database_url(key: &str, value: &str) -> Result<String, ConfigError> {
    let value = value.trim();
    if value.starts_with("sqlite:")
        || value.starts_with("postgres://")
        || value.starts_with("postgresql://")
    {
        Ok(value.to_string())
    } else {
        Err(ConfigError::new(
            key,
            "must start with sqlite:// or postgres://",
        ))
    }
}

fn parse_resolve(key: &str, value: &str) -> Result<Vec<(String, IpAddr)>, ConfigError> {
    let mut out = Vec::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (host, ip) = part
            .split_once('=')
            .ok_or_else(|| ConfigError::new(key, format!("`{part}` is not host=address")))?;
        let ip: IpAddr = ip
            .trim()
            .parse()
            .map_err(|_| ConfigError::new(key, format!("`{ip}` is not an IP address")))?;
        out.push((host.trim().to_ascii_lowercase(), ip));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_valid() {
        let c = Config::from_sources(&BTreeMap::new(), &BTreeMap::new()).unwrap();
        assert_eq!(c.domain, "localhost:8080");
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://guildhall.db");
        // A localhost domain serves http links by default (a first run on one's own machine).
        assert!(c.dev_http);
        assert_eq!(c.base_url(), "http://localhost:8080");
        assert_eq!(c.delivery_per_host, 8);
        assert_eq!(c.delivery_total, 64);
        assert_eq!(c.delivery_retry_base_ms, 30_000);
        assert_eq!(c.delivery_max_age_hours, 168);
        assert_eq!(c.delivery_park_after, 5);
        assert_eq!(c.directory_sync_secs, 60);
        assert_eq!(c.directory_peer_hops, 1);
    }

    #[test]
    fn directory_settings() {
        let c = Config::from_sources(
            &env(&[("directory_sync_secs", "60")]),
            &env(&[("GUILDHALL_DIRECTORY_PEER_HOPS", "0")]),
        )
        .unwrap();
        assert_eq!(c.directory_sync_secs, 60);
        assert_eq!(c.directory_peer_hops, 0);
        for (key, value) in [
            ("GUILDHALL_DIRECTORY_SYNC_SECS", "0"),
            ("GUILDHALL_DIRECTORY_SYNC_SECS", "86401"),
            ("GUILDHALL_DIRECTORY_PEER_HOPS", "4"),
        ] {
            let err = Config::from_sources(&BTreeMap::new(), &env(&[(key, value)])).unwrap_err();
            assert_eq!(err.key, key, "{value}");
        }
    }

    #[test]
    fn delivery_settings() {
        let c = Config::from_sources(
            &env(&[("delivery_per_host", "2"), ("delivery_park_after", "3")]),
            &env(&[
                ("GUILDHALL_DELIVERY_TOTAL", "16"),
                ("GUILDHALL_DELIVERY_RETRY_BASE_MS", "50"),
                ("GUILDHALL_DELIVERY_MAX_AGE_HOURS", "48"),
            ]),
        )
        .unwrap();
        assert_eq!(c.delivery_per_host, 2);
        assert_eq!(c.delivery_total, 16);
        assert_eq!(c.delivery_retry_base_ms, 50);
        assert_eq!(c.delivery_max_age_hours, 48);
        assert_eq!(c.delivery_park_after, 3);
        for (key, value) in [
            ("GUILDHALL_DELIVERY_PER_HOST", "0"),
            ("GUILDHALL_DELIVERY_PER_HOST", "257"),
            ("GUILDHALL_DELIVERY_TOTAL", "0"),
            ("GUILDHALL_DELIVERY_RETRY_BASE_MS", "5"),
            ("GUILDHALL_DELIVERY_MAX_AGE_HOURS", "47"),
            ("GUILDHALL_DELIVERY_PARK_AFTER", "0"),
            ("GUILDHALL_DELIVERY_PARK_AFTER", "many"),
        ] {
            let err = Config::from_sources(&BTreeMap::new(), &env(&[(key, value)])).unwrap_err();
            assert_eq!(err.key, key, "{value}");
        }
    }

    #[test]
    fn environment_overrides_file() {
        let file = env(&[("domain", "file.example"), ("dev_http", "true")]);
        let c = Config::from_sources(&file, &env(&[("GUILDHALL_DOMAIN", "env.example")])).unwrap();
        assert_eq!(c.domain, "env.example");
        assert!(c.dev_http);
        assert_eq!(c.base_url(), "http://env.example");
    }

    #[test]
    fn bad_values_name_their_key() {
        let cases = [
            ("GUILDHALL_LISTEN", "nowhere"),
            ("GUILDHALL_DOMAIN", "https://x.example/path"),
            ("GUILDHALL_DATABASE_URL", "mysql://x"),
            ("GUILDHALL_DEV_HTTP", "maybe"),
            ("GUILDHALL_MAX_BODY_BYTES", "-3"),
            ("GUILDHALL_RESOLVE", "alpha.test"),
        ];
        for (key, value) in cases {
            let err = Config::from_sources(&BTreeMap::new(), &env(&[(key, value)])).unwrap_err();
            assert_eq!(err.key, key, "{value}");
            assert!(err.to_string().contains(key));
        }
    }

    #[test]
    fn trusted_proxies_and_metrics_token() {
        let c = Config::from_sources(
            &BTreeMap::new(),
            &env(&[
                (
                    "GUILDHALL_TRUSTED_PROXIES",
                    "10.0.0.0/8, ::1, 2001:db8::/32",
                ),
                ("GUILDHALL_METRICS_TOKEN", "a-long-enough-secret"),
            ]),
        )
        .unwrap();
        assert_eq!(c.trusted_proxies.len(), 3);
        let inside = |ip: &str| {
            let ip: IpAddr = ip.parse().unwrap();
            c.trusted_proxies.iter().any(|n| n.contains(ip))
        };
        assert!(inside("10.1.2.3") && inside("::ffff:10.0.0.1") && inside("::1"));
        assert!(inside("2001:db8:ffff::1"));
        assert!(!inside("11.0.0.1") && !inside("::2") && !inside("2001:db9::1"));
        assert_eq!(
            c.metrics_token.as_ref().map(Secret::expose),
            Some("a-long-enough-secret")
        );
        assert!(!format!("{c:?}").contains("a-long-enough-secret"));
        let all: IpNet = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("192.0.2.1".parse().unwrap()));
        let defaults = Config::from_sources(&BTreeMap::new(), &BTreeMap::new()).unwrap();
        assert!(defaults.trusted_proxies.is_empty() && defaults.metrics_token.is_none());
        for (key, value) in [
            ("GUILDHALL_TRUSTED_PROXIES", "10.0.0.0/33"),
            ("GUILDHALL_TRUSTED_PROXIES", "proxy.example"),
            ("GUILDHALL_METRICS_TOKEN", "short"),
        ] {
            let err = Config::from_sources(&BTreeMap::new(), &env(&[(key, value)])).unwrap_err();
            assert_eq!(err.key, key, "{value}");
        }
    }

    #[test]
    fn unknown_file_key_is_refused() {
        let err = Config::from_sources(&env(&[("domian", "x")]), &BTreeMap::new()).unwrap_err();
        assert_eq!(err.key, "domian");
    }

    #[test]
    fn resolve_needs_dev_mode() {
        // A public domain is not in development mode unless told so.
        let only = env(&[
            ("GUILDHALL_RESOLVE", "alpha.test=127.0.0.1"),
            ("GUILDHALL_DOMAIN", "guildhall.example"),
        ]);
        assert!(Config::from_sources(&BTreeMap::new(), &only).is_err());
        let both = env(&[
            (
                "GUILDHALL_RESOLVE",
                "alpha.test=127.0.0.1, beta.test=127.0.0.1",
            ),
            ("GUILDHALL_DEV_HTTP", "1"),
        ]);
        let c = Config::from_sources(&BTreeMap::new(), &both).unwrap();
        assert_eq!(c.resolve.len(), 2);
        assert_eq!(c.resolve[1].0, "beta.test");
    }

    #[test]
    fn dev_http_follows_the_domain_unless_set() {
        let auto = |domain: &str| {
            Config::from_sources(&BTreeMap::new(), &env(&[("GUILDHALL_DOMAIN", domain)]))
                .unwrap()
                .dev_http
        };
        for local in [
            "localhost:8080",
            "127.0.0.1:3000",
            "[::1]:8080",
            "space.localhost",
        ] {
            assert!(auto(local), "{local} serves http links by default");
        }
        for public in [
            "guildhall.example",
            "192.168.1.20:8080",
            "localhost.example",
        ] {
            assert!(!auto(public), "{public} serves https links by default");
        }
        let set = Config::from_sources(
            &BTreeMap::new(),
            &env(&[
                ("GUILDHALL_DOMAIN", "localhost:8080"),
                ("GUILDHALL_DEV_HTTP", "false"),
            ]),
        )
        .unwrap();
        assert!(!set.dev_http, "an explicit value wins");
    }
}
