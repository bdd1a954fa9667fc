-- Posts, comments and direct messages, local and remote, in one table: a comment is a post
-- with in_reply_to, a direct message a post with visibility 'direct' and a conversation.
-- Local posts keep their plain-text source for edits; content is always sanitised HTML.

CREATE TABLE posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uri TEXT NOT NULL UNIQUE,
    local BIGINT NOT NULL DEFAULT 0,
    author TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('Note', 'Article')),
    name TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    content TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'followers', 'members', 'direct')),
    in_reply_to TEXT,
    conversation TEXT NOT NULL,
    url TEXT NOT NULL DEFAULT '',
    replies_count BIGINT NOT NULL DEFAULT 0,
    likes_count BIGINT NOT NULL DEFAULT 0,
    announces_count BIGINT NOT NULL DEFAULT 0,
    published_at BIGINT NOT NULL,
    edited_at BIGINT,
    deleted_at BIGINT,
    received_at BIGINT NOT NULL
);
CREATE INDEX posts_author ON posts(author, id);
CREATE INDEX posts_in_reply_to ON posts(in_reply_to, id);
CREATE INDEX posts_conversation ON posts(conversation, id);
CREATE INDEX posts_local_public ON posts(local, visibility, id);

-- Everyone a post is addressed to by name (to/cc actors and mentions): who may read a
-- followers-only or direct post besides the followers, and whose inbox it reached.
CREATE TABLE post_audience (
    post_id BIGINT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    mentioned BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (post_id, actor)
);
CREATE INDEX post_audience_actor ON post_audience(actor, post_id);

CREATE TABLE post_tags (
    post_id BIGINT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (post_id, tag)
);
CREATE INDEX post_tags_tag ON post_tags(tag, post_id);

-- Likes and Announces received (or made by local members), one per actor and kind.
CREATE TABLE post_reactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id BIGINT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('like', 'announce')),
    activity_uri TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (post_id, actor, kind)
);
CREATE INDEX post_reactions_activity ON post_reactions(activity_uri);
