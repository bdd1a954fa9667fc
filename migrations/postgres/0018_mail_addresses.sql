-- The `List-Unsubscribe` URL of a queued notification mail (RFC 2369 and RFC 8058), sent as a
-- header with `List-Unsubscribe-Post: List-Unsubscribe=One-Click`; NULL for other mails.
ALTER TABLE mail_queue ADD COLUMN list_unsubscribe TEXT;
