//! The public URLs of local actors and their collections. Every id Guildhall hands out is built
//! here, so the scheme stays one decision.

use crate::config::Config;

#[derive(Debug, Clone)]
pub struct Urls {
    base: String,
    host: String,
}

impl Urls {
    pub fn new(config: &Config) -> Self {
        Urls {
            base: config.base_url(),
            host: config.domain.clone(),
        }
    }

    /// `https://domain` without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The domain as configured (`host[:port]`): the part after `@` in handles.
    pub fn domain(&self) -> &str {
        &self.host
    }

    /// The space actor is the home page itself (FEP-d556: the domain names the space).
    pub fn space(&self) -> String {
        format!("{}/", self.base)
    }

    pub fn member(&self, handle: &str) -> String {
        format!("{}/members/{handle}", self.base)
    }

    pub fn company(&self, handle: &str) -> String {
        format!("{}/companies/{handle}", self.base)
    }

    pub fn project(&self, handle: &str) -> String {
        format!("{}/projects/{handle}", self.base)
    }

    /// A local post (a comment and a message are posts too).
    pub fn post(&self, token: &str) -> String {
        format!("{}/posts/{token}", self.base)
    }

    /// The shared inbox, which is also the space actor's own inbox.
    pub fn shared_inbox(&self) -> String {
        format!("{}/inbox", self.base)
    }

    /// `{actor}/inbox`, `{actor}/outbox`, … for members and companies; the space's collections
    /// hang off the root.
    pub fn collection(&self, actor: &str, name: &str) -> String {
        format!("{}/{name}", actor.trim_end_matches('/'))
    }

    pub fn key_id(&self, actor: &str) -> String {
        format!("{actor}#main-key")
    }

    pub fn media(&self, key: &str) -> String {
        format!("{}/media/{key}", self.base)
    }
}

/// `s` escaped for a query string value (form encoding).
pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn shapes() {
        let env: BTreeMap<String, String> = [("GUILDHALL_DOMAIN", "harbour.example")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let urls = Urls::new(&Config::from_sources(&BTreeMap::new(), &env).unwrap());
        assert_eq!(urls.space(), "https://harbour.example/");
        assert_eq!(urls.member("ada"), "https://harbour.example/members/ada");
        assert_eq!(
            urls.collection(&urls.member("ada"), "inbox"),
            "https://harbour.example/members/ada/inbox"
        );
        assert_eq!(
            urls.collection(&urls.space(), "outbox"),
            "https://harbour.example/outbox"
        );
        assert_eq!(
            urls.key_id(&urls.company("x")),
            "https://harbour.example/companies/x#main-key"
        );
    }
}
