-- The worker's claim of due videos (tiktrack.claim_due_videos, which runs
-- the worker's own claim): read directly by index (tiktrack.direct_access,
-- the default) and by its statement, the same rows.
CREATE EXTENSION tiktrack;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';

SELECT tiktrack.track('https://www.tiktok.com/@alice/video/7000000000000000001');
SELECT tiktrack.track('https://www.tiktok.com/@alice/video/7000000000000000002');
SELECT tiktrack.track('https://www.tiktok.com/@alice/video/7000000000000000003');
SELECT tiktrack.track('https://www.tiktok.com/@alice/video/7000000000000000004');
SELECT tiktrack.track('https://www.tiktok.com/@alice/video/7000000000000000005');
SELECT tiktrack.track('https://www.tiktok.com/@bob/video/7000000000000000011');
SELECT tiktrack.track('https://www.tiktok.com/@bob/video/7000000000000000012');
SELECT tiktrack.track('https://www.tiktok.com/@carol/video/7000000000000000021');
SELECT tiktrack.track('https://www.tiktok.com/@dave/video/7000000000000000031');
SELECT tiktrack.track('https://www.tiktok.com/@dave/video/7000000000000000032');
-- alice and bob are authorized (Display, Business); carol never was; dave
-- must authorize again.
UPDATE tiktrack.creators SET auth_status = 'authorized', authorized_via = 'display' WHERE handle = 'alice';
UPDATE tiktrack.creators SET auth_status = 'authorized', authorized_via = 'business' WHERE handle = 'bob';
UPDATE tiktrack.creators SET auth_status = 'reauthorization_needed', authorized_via = 'display' WHERE handle = 'dave';
-- A short link not resolved yet: no creator.
INSERT INTO tiktrack.videos (id, short_url, state, track_until)
VALUES (-1, 'https://vm.tiktok.com/ZMclaim1/', 'resolving', now() + interval '1 day');
INSERT INTO tiktrack.video_schedule (video_id, next_fetch_at) VALUES (-1, now());
UPDATE tiktrack.videos SET posted_at = '2026-01-02 03:04:05+00', fetch_failures = 2
WHERE id = 7000000000000000002;

-- Due at fixed distances from now(), which stands still in a transaction.
BEGIN;
UPDATE tiktrack.video_schedule s SET next_fetch_at = now() + d.due
FROM (VALUES (7000000000000000001, interval '-3 hours'), (7000000000000000002, '-2 hours'),
			 (7000000000000000003, '5 minutes'), (7000000000000000004, '2 hours'),
			 (7000000000000000011, '-1 hour'), (7000000000000000012, '1 minute'),
			 (7000000000000000021, '-30 minutes'),
			 (7000000000000000031, '-10 minutes'), (7000000000000000032, '9 minutes'),
			 (-1, '-5 minutes')) d(id, due)
WHERE s.video_id = d.id;
UPDATE tiktrack.video_schedule SET next_fetch_at = NULL WHERE video_id = 7000000000000000005;

-- Everything due, and the same creators' videos due within 10 minutes
-- (not alice's video due in 2 hours, nor the one not scheduled).
CREATE TEMP VIEW claim_all AS
SELECT c.video_id, c.creator_id IS NOT NULL AS has_creator, c.api, c.posted_at = v.tracked_at AS posted_unknown,
	   CASE WHEN c.posted_at <> v.tracked_at THEN c.posted_at END AS posted_at, c.track_until = v.track_until AS track_until_ok, c.fetch_failures, c.due_at - now() AS due_in
FROM tiktrack.claim_due_videos(100, '10 minutes') WITH ORDINALITY c
JOIN tiktrack.videos v ON v.id = c.video_id
ORDER BY c.ordinality;
CREATE TEMP TABLE direct_all AS SELECT * FROM claim_all;
SELECT * FROM direct_all;
-- The oldest two due, with their creator's video due in 5 minutes.
CREATE TEMP TABLE direct_two AS SELECT * FROM tiktrack.claim_due_videos(2, '10 minutes');
SELECT video_id, api, due_at - now() AS due_in FROM direct_two;
-- No window: no companions.
CREATE TEMP TABLE direct_three AS SELECT * FROM tiktrack.claim_due_videos(3);
SELECT video_id, api, due_at - now() AS due_in FROM direct_three;
CREATE TEMP TABLE direct_none AS SELECT * FROM tiktrack.claim_due_videos(0, '10 minutes');
SELECT count(*) AS claimed FROM direct_none;

-- The statement gives the same rows in the same order.
SET LOCAL tiktrack.direct_access = off;
CREATE TEMP TABLE statement_all AS SELECT * FROM claim_all;
CREATE TEMP TABLE statement_two AS SELECT * FROM tiktrack.claim_due_videos(2, '10 minutes');
CREATE TEMP TABLE statement_three AS SELECT * FROM tiktrack.claim_due_videos(3);
SELECT (SELECT array_agg(d::text) FROM direct_all d) = (SELECT array_agg(s::text) FROM statement_all s) AS same_all,
	   (SELECT array_agg(d::text ORDER BY d.video_id) FROM direct_two d)
	   = (SELECT array_agg(s::text ORDER BY s.video_id) FROM statement_two s) AS same_two,
	   (SELECT array_agg(d::text ORDER BY d.video_id) FROM direct_three d)
	   = (SELECT array_agg(s::text ORDER BY s.video_id) FROM statement_three s) AS same_three;
COMMIT;

-- A video deleted in the claiming transaction (its schedule row with it)
-- is not claimed.
BEGIN;
DELETE FROM tiktrack.videos WHERE id = 7000000000000000021;
SELECT count(*) FILTER (WHERE video_id = 7000000000000000021) AS deleted_claimed,
	   count(*) AS claimed
FROM tiktrack.claim_due_videos(100, '10 minutes');
ROLLBACK;

-- An index not as tiktrack made it: the statement claims instead, the same rows.
BEGIN;
DROP INDEX tiktrack.video_schedule_creator_due_idx;
CREATE INDEX video_schedule_creator_due_idx ON tiktrack.video_schedule (creator_id, claim_at DESC)
	WHERE claim_at IS NOT NULL;
SELECT count(*) AS claimed, count(*) FILTER (WHERE due_at > now()) AS companions
FROM tiktrack.claim_due_videos(100, '10 minutes');
ROLLBACK;

DROP VIEW claim_all;
DROP EXTENSION tiktrack;
