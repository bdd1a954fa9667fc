//! Where a post is shown on this server: its page, a received post's thread view, a message's
//! conversation. Pages, notifications and the inbox all link posts through here.

use super::model::{Post, Visibility};
use crate::federation::urls::urlencode;

/// The local page that shows a post.
pub fn link_of(post: &Post) -> String {
    if post.local && post.visibility != Visibility::Direct {
        return format!("/posts/{}", post.token());
    }
    link_for(&post.uri, post.visibility, &post.conversation)
}

/// The local page for a post known by URI (received ones open in a local thread view, messages
/// in their conversation).
pub fn link_for(uri: &str, visibility: Visibility, conversation: &str) -> String {
    if visibility == Visibility::Direct {
        return format!("/messages/thread?c={}", urlencode(conversation));
    }
    format!("/thread?uri={}", urlencode(uri))
}
