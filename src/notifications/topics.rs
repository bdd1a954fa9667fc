//! What members may be mailed about, by topic, and how: at once, in a daily digest, or never.
//! A topic groups notification kinds; kinds outside every topic (likes, boosts) are never
//! mailed.

use serde::Serialize;

use super::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Immediate,
    Digest,
    Never,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Immediate => "immediate",
            Mode::Digest => "digest",
            Mode::Never => "never",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "immediate" => Some(Mode::Immediate),
            "digest" => Some(Mode::Digest),
            "never" => Some(Mode::Never),
            _ => None,
        }
    }

    pub const ALL: [Mode; 3] = [Mode::Immediate, Mode::Digest, Mode::Never];

    pub fn label(self) -> &'static str {
        match self {
            Mode::Immediate => "At once",
            Mode::Digest => "In a daily digest",
            Mode::Never => "Never",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    Messages,
    Mentions,
    Rsvp,
    Tasks,
    Follows,
    Reports,
    /// Invitations to companies and events: mailed at once or never (they are not
    /// notifications, so no digest holds them).
    Invitations,
    /// Visits to other spaces: their answers and cancellations; requests to review (staff).
    Visits,
}

impl Topic {
    pub const ALL: [Topic; 8] = [
        Topic::Messages,
        Topic::Mentions,
        Topic::Rsvp,
        Topic::Tasks,
        Topic::Follows,
        Topic::Reports,
        Topic::Invitations,
        Topic::Visits,
    ];

    /// The modes a member may choose for this topic.
    pub fn choices(self) -> &'static [Mode] {
        match self {
            Topic::Invitations => &[Mode::Immediate, Mode::Never],
            _ => &Mode::ALL,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Messages => "messages",
            Topic::Mentions => "mentions",
            Topic::Rsvp => "rsvp",
            Topic::Tasks => "tasks",
            Topic::Follows => "follows",
            Topic::Reports => "reports",
            Topic::Invitations => "invitations",
            Topic::Visits => "visits",
        }
    }

    pub fn parse(s: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// What the settings page calls it.
    pub fn label(self) -> &'static str {
        match self {
            Topic::Messages => "Direct messages",
            Topic::Mentions => "Mentions and replies",
            Topic::Rsvp => "RSVP answers and event changes",
            Topic::Tasks => "Task assignments",
            Topic::Follows => "Follows, follow requests and project joins",
            Topic::Reports => "Reports (moderators)",
            Topic::Invitations => "Invitations to companies and events",
            Topic::Visits => "Visits to other spaces: answers and cancellations",
        }
    }

    pub fn default_mode(self) -> Mode {
        match self {
            Topic::Rsvp | Topic::Follows => Mode::Digest,
            _ => Mode::Immediate,
        }
    }

    /// The topic of a stored notification kind, if it is mailed at all.
    pub fn of_kind(kind: &str) -> Option<Topic> {
        let topic = match kind {
            k if k == Kind::Message.as_str() => Topic::Messages,
            k if k == Kind::Mention.as_str() || k == Kind::Reply.as_str() => Topic::Mentions,
            k if k == Kind::Rsvp.as_str() || k == Kind::EventUpdated.as_str() => Topic::Rsvp,
            k if k == Kind::TaskAssigned.as_str() => Topic::Tasks,
            k if k == Kind::Follow.as_str()
                || k == Kind::FollowRequest.as_str()
                || k == Kind::ProjectJoin.as_str() =>
            {
                Topic::Follows
            }
            k if k == Kind::Report.as_str() => Topic::Reports,
            k if k == Kind::VisitRequest.as_str()
                || k == Kind::VisitAccepted.as_str()
                || k == Kind::VisitRejected.as_str()
                || k == Kind::VisitCancelled.as_str() =>
            {
                Topic::Visits
            }
            _ => return None,
        };
        Some(topic)
    }
}

/// A member's mode for every topic.
#[derive(Debug, Clone)]
pub struct Settings(pub Vec<(Topic, Mode)>);

impl Settings {
    pub fn mode(&self, topic: Topic) -> Mode {
        self.0
            .iter()
            .find(|(t, _)| *t == topic)
            .map(|(_, m)| *m)
            .unwrap_or(topic.default_mode())
    }

    pub fn to_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for t in Topic::ALL {
            map.insert(t.as_str().into(), self.mode(t).as_str().into());
        }
        serde_json::Value::Object(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_topics() {
        assert_eq!(Topic::of_kind("message"), Some(Topic::Messages));
        assert_eq!(Topic::of_kind("reply"), Some(Topic::Mentions));
        assert_eq!(Topic::of_kind("task_assigned"), Some(Topic::Tasks));
        assert_eq!(Topic::of_kind("follow_request"), Some(Topic::Follows));
        assert_eq!(Topic::of_kind("like"), None);
        assert_eq!(Topic::of_kind("visit_rejected"), Some(Topic::Visits));
        assert_eq!(Topic::of_kind("visit_request"), Some(Topic::Visits));
        assert_eq!(Topic::of_kind("report"), Some(Topic::Reports));
        let s = Settings(vec![(Topic::Messages, Mode::Never)]);
        assert_eq!(s.mode(Topic::Messages), Mode::Never);
        assert_eq!(s.mode(Topic::Follows), Mode::Digest);
        assert_eq!(s.to_json()["mentions"], "immediate");
        assert_eq!(s.to_json()["invitations"], "immediate");
        assert!(!Topic::Invitations.choices().contains(&Mode::Digest));
    }
}
