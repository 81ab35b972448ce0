
/* ---- one worker per database (launcher): worker_status is per database ---- */

COMMENT ON FUNCTION tiktrack.worker_info() IS
	'The background worker of the current database (one per database with the extension, started by the tiktrack launcher): its process id (NULL when not running), state, start time, number of starts since the database got a worker, and last successful request per API, from shared memory.';
COMMENT ON FUNCTION tiktrack.worker_counters() IS
	'The counters of the background worker of the current database (requests, snapshots, creator_stats, videos_claimed, rate_limit_waits, and errors by kind) over the last minute, the last hour and since the database got a worker.';
