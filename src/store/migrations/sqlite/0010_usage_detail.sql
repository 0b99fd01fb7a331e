-- 10: what the usage log and video prices need (issue 12, BL-1, BL-5).
-- A usage event's latency (arrival to its usage recorded), and a video's
-- length and resolution as its creation asked (videos are priced by model,
-- resolution and seconds).  stream_checkpoints keeps usage_events' columns
-- in the same order (its rows are copied with SELECT *).
ALTER TABLE usage_events ADD COLUMN latency_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_events ADD COLUMN video_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_events ADD COLUMN video_res TEXT NOT NULL DEFAULT '';
ALTER TABLE stream_checkpoints ADD COLUMN latency_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stream_checkpoints ADD COLUMN video_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stream_checkpoints ADD COLUMN video_res TEXT NOT NULL DEFAULT '';
-- An async task (video, speech) as the gateway saw it: who made it with which
-- key and when, what its creation asked (a video's seconds and resolution, for
-- its bill), and the last state a query answer reported (the upstream's own
-- word: "Processing", "Success", "Fail", ...; '' = none reported yet).
ALTER TABLE owners ADD COLUMN key_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE owners ADD COLUMN created_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE owners ADD COLUMN video_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE owners ADD COLUMN video_res TEXT NOT NULL DEFAULT '';
ALTER TABLE owners ADD COLUMN state TEXT NOT NULL DEFAULT '';
ALTER TABLE owners ADD COLUMN state_ms INTEGER NOT NULL DEFAULT 0;
CREATE INDEX owners_account_created ON owners(account_id, created_ms);
-- A price row's video prices by resolution and length, in the text form of
-- billing/prices.h mg_video_prices_parse ("768P/6s=0.25, 2K=0.13/s").
ALTER TABLE prices ADD COLUMN video TEXT NOT NULL DEFAULT '';
