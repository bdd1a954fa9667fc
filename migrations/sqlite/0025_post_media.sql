-- Pictures in posts. A member's upload is a row with its storage key and no post until a post
-- takes it (one conditional UPDATE ... WHERE post_id IS NULL, so two posts cannot both take
-- it); a received post's attachments are rows with the post and the address at their origin.

CREATE TABLE post_media (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token TEXT NOT NULL UNIQUE,
    owner BIGINT REFERENCES accounts(id) ON DELETE CASCADE,
    post_id BIGINT REFERENCES posts(id) ON DELETE CASCADE,
    position BIGINT NOT NULL DEFAULT 0,
    storage_key TEXT,
    remote_url TEXT,
    media_type TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    width BIGINT,
    height BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX post_media_post ON post_media(post_id, position);
CREATE INDEX post_media_owner ON post_media(owner, post_id);
