-- Emoji reactions: a reaction received as `EmojiReact` (Pleroma, Akkoma) or as a `Like` with
-- `_misskey_reaction` (Misskey) is a like with its emoji; '' is a plain like. One reaction per
-- actor and post, as before (Misskey's rule; a second emoji from the same actor is ignored).
ALTER TABLE post_reactions ADD COLUMN emoji TEXT NOT NULL DEFAULT '';

-- The counts by emoji, kept beside likes_count and announces_count in the same statement:
-- a JSON list of [emoji, count], most used first ('' when none).
ALTER TABLE posts ADD COLUMN emoji_counts TEXT NOT NULL DEFAULT '';
