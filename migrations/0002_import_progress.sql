-- Bytes of each member's file read so far, for progress and ETA in
-- `mot status` while a load runs.
ALTER TABLE import_log ADD COLUMN bytes_read BIGINT UNSIGNED NOT NULL DEFAULT 0;
