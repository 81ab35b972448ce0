/*
 * Batches that one bad row cannot stop (issue 9): a short link that never
 * resolves ends unavailable while still a placeholder, and the failures
 * of a round that failed as a whole count toward tiktrack.failing_after.
 */

ALTER TABLE tiktrack.videos DROP CONSTRAINT videos_placeholder_check;
ALTER TABLE tiktrack.videos ADD
	CONSTRAINT videos_placeholder_check CHECK (id > 0 OR (short_url IS NOT NULL AND state IN ('resolving', 'stopped', 'failing', 'unavailable')));

DROP FUNCTION tiktrack.release_failed_claims(integer, interval, text);
CREATE FUNCTION tiktrack.release_failed_claims(worker_pid integer, video_ids bigint[],
											   retry_after interval, error text,
											   failing_after integer)
RETURNS bigint
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH done AS (
		UPDATE tiktrack.videos v
			SET next_fetch_at = CASE WHEN v.next_fetch_at IS NOT NULL
									 THEN pg_catalog.now() + release_failed_claims.retry_after END,
				fetch_failures = v.fetch_failures + 1,
				-- a failure is a failure on this path too
				state = CASE WHEN v.state = 'tracking'
								  AND v.fetch_failures + 1 >= release_failed_claims.failing_after
							 THEN 'failing' ELSE v.state END,
				last_error = release_failed_claims.error,
				last_error_at = pg_catalog.now(),
				claimed_by = NULL, claimed_at = NULL
			WHERE v.claimed_by = release_failed_claims.worker_pid
			   OR v.id = ANY (release_failed_claims.video_ids)
			RETURNING 1
	)
	SELECT pg_catalog.count(*) FROM done
$$;
COMMENT ON FUNCTION tiktrack.release_failed_claims(integer, bigint[], interval, text, integer) IS
	'Worker, after an error in a round: gives that round''s videos (those it claimed, and video_ids, whose claim the error may have rolled back) back with one failure counted (failing after failing_after in a row) and the error as last_error.';

REVOKE ALL ON FUNCTION tiktrack.release_failed_claims(integer, bigint[], interval, text, integer) FROM PUBLIC;
