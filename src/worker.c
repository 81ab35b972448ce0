/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  The background worker: fetches the snapshots of tracked videos and
 *	  the stats of authorized creators on their schedule, within TikTok's
 *	  rate limits, without ever holding a transaction during network I/O.
 *
 * One worker per database in which the extension is installed, started by
 * the launcher (launcher.c), connects to its database by oid and exits
 * at once, quietly, when it finds no extension there (the launcher looks
 * again later).  Each round of its latch-driven loop
 *
 *	1. claims due videos (FOR UPDATE SKIP LOCKED through videos_due_idx),
 *	   lets the rate limiters admit or postpone each creator's requests,
 *	   reads the admitted videos' credentials (fetch_prepare_videos) and
 *	   commits: no lock survives the claim;
 *	2. runs the HTTP requests concurrently with no transaction open
 *	   (fetch_execute), storing rotated tokens at once in short
 *	   transactions of their own;
 *	3. decides every video's next fetch and writes the batch in one short
 *	   transaction through fetch_store(), the store step refresh() uses:
 *	   snapshots, then each video's outcome and next fetch in one row
 *	   update that also ends the claim; then the events.
 *
 * A claim moves next_fetch_at forward by a lease and records the
 * worker's pid, so a crash loses at most that batch's fetch: the next
 * worker releases orphaned claims when it starts.  Snapshots are keyed by
 * (video, captured_at) and inserted ON CONFLICT DO NOTHING, so nothing is
 * ever duplicated.
 *
 * An ERROR in a round is reported, the round's claims are released with
 * a failure counted, and the loop goes on (a poison batch therefore ends
 * up 'failing' instead of crash-looping the worker).  SIGTERM
 * (pg_terminate_backend, DROP DATABASE, shutdown) exits through FATAL,
 * and the launcher starts the worker again after a pause if its database
 * is still there.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "fetch.h"
#include "fetch_budget.h"
#include "launcher.h"
#include "rate_limit.h"
#include "schedule.h"
#include "search_path.h"
#include "shmem.h"
#include "tiktrack.h"
#include "worker.h"

/* ---- settings ---- */

char	   *tiktrack_database = NULL;
int			tiktrack_early_interval_s = 15 * 60;
int			tiktrack_early_window_s = 6 * 3600;
int			tiktrack_interval_s = 3600;
int			tiktrack_creator_stats_interval_s = 86400;
int			tiktrack_token_refresh_ahead_s = 3600;
int			tiktrack_retry_base_delay_s = 30;
int			tiktrack_retry_max_delay_s = 3600;
int			tiktrack_failing_after = 5;
int			tiktrack_batch_size = 1000;
int			tiktrack_log_retention_s = 7 * 86400;
int			tiktrack_display_requests_per_minute = 600;
int			tiktrack_business_requests_per_second = 10;
int			tiktrack_business_requests_per_minute = 600;
int			tiktrack_business_requests_per_day = 864000;
int			tiktrack_rate_limit_wait_s = 60;
int			tiktrack_business_throttle_wait_s = 300;

/* Most ids TikTok accepts in one video request (both APIs). */
#define IDS_PER_REQUEST 20

/* A claim nobody completed is given back after this long. */
#define CLAIM_LEASE "10 minutes"

/* Creators whose stats are fetched per round. */
#define CREATORS_PER_ROUND 200

/* fetch_log rows deleted per pruning step (small: no long locks). */
#define PRUNE_BATCH 1000

/* Longest sleep, so maintenance runs even when nothing is due. */
#define MAX_SLEEP_MS 60000L
#define ERROR_PAUSE_MS 1000L

/* ---- state of this process ---- */

static MemoryContext batch_cxt = NULL;
static FetchBatch *current_batch = NULL;	/* for wiping after an error */
static bool release_claims_pending = false;
static bool orphans_released = false;
static char last_round_error[256];
static TimestampTz next_prune_at = 0;
static bool extension_served = false;	/* found the extension at start */
static bool version_mismatch_logged = false;

/* What the worker finds of tiktrack in its database. */
typedef enum ExtensionState
{
	EXTENSION_MISSING,
	EXTENSION_OTHER_VERSION,	/* waiting for ALTER EXTENSION UPDATE */
	EXTENSION_READY,
} ExtensionState;

/* How often a worker waiting for ALTER EXTENSION UPDATE looks again. */
#define VERSION_CHECK_MS 5000
static char database_name[NAMEDATALEN];

static void exit_without_extension(void) pg_attribute_noreturn();

/*
 * Isolating a video whose fault fails whole rounds (outside the store
 * step, which isolates its own failures): the videos of the last failed
 * round are suspects, and a round takes at most suspect_group of them, a
 * group that halves with every failure, so the culprit is alone within
 * a few rounds while the others go on.  A round that succeeds clears the
 * suspects it held.
 */
static int64 *suspects = NULL;
static int	nsuspects = 0;
static int	suspect_group = 0;
static int64 *round_ids = NULL;		/* the videos of the round in progress */

/*
 * Places in line of the videos postponed for lack of budget: when each
 * first fell due.  A postponed video is due again when its limiter has
 * room, later than it was; its place makes it go before the videos that
 * fell due meanwhile, so no group is overtaken round after round.  In
 * memory: a restarted worker forgets places, never videos.
 */
typedef struct VideoPlace
{
	int64		id;				/* hash key */
	TimestampTz due_at;
} VideoPlace;

static HTAB *places = NULL;

/* More remembered places than this are dropped (videos gone meanwhile). */
#define MAX_PLACES 200000
static int	nround_ids = 0;
static bool video_round_running = false;

/* One claimed video, as the claim returned it. */
typedef struct ClaimedVideo
{
	int64		id;
	int64		creator_id;
	FetchApi	api;
	TimestampTz posted_at;		/* or SCHEDULE_UNKNOWN_TIME */
	TimestampTz track_until;
	int			failures;
	TimestampTz due_at;			/* its place in line: when it fell due */
	TimestampTz group_due;		/* the oldest due_at of its (API, creator) */
	bool		held;			/* a suspect beyond this round's group */
	bool		admitted;
	TimestampTz postponed_until;
} ClaimedVideo;

typedef struct ClaimedCreator
{
	int64		id;
	FetchApi	api;
	bool		admitted;
	TimestampTz postponed_until;
} ClaimedCreator;

/* ---- settings definition and registration ---- */

static void
define_seconds(const char *name, const char *short_desc, const char *long_desc,
			   int *var, int boot, int min, GucContext context)
{
	DefineCustomIntVariable(name, short_desc, long_desc, var, boot, min, INT_MAX,
							context, GUC_UNIT_S, NULL, NULL, NULL);
}

void
worker_define_gucs(void)
{
	/* A server-start setting can only be defined while preloading. */
	if (process_shared_preload_libraries_in_progress)
		DefineCustomStringVariable("tiktrack.database",
								   "Restricts the tiktrack workers to this one database.",
								   "Empty (the default): every database in which the extension is installed gets a worker.",
								   &tiktrack_database, "",
								   PGC_POSTMASTER, 0, NULL, NULL, NULL);
	define_seconds("tiktrack.early_interval",
				   "Time between snapshots of a video during its early window.",
				   NULL, &tiktrack_early_interval_s, 15 * 60, 1, PGC_SIGHUP);
	define_seconds("tiktrack.early_window",
				   "How long after posting a video is snapshotted at the early interval.",
				   NULL, &tiktrack_early_window_s, 6 * 3600, 0, PGC_SIGHUP);
	define_seconds("tiktrack.interval",
				   "Time between snapshots of a video after its early window.",
				   NULL, &tiktrack_interval_s, 3600, 1, PGC_SIGHUP);
	define_seconds("tiktrack.creator_stats_interval",
				   "Time between snapshots of an authorized creator's account stats.",
				   NULL, &tiktrack_creator_stats_interval_s, 86400, 1, PGC_SIGHUP);
	define_seconds("tiktrack.token_refresh_ahead",
				   "How long before an access token expires the worker refreshes it.",
				   NULL, &tiktrack_token_refresh_ahead_s, 3600, 0, PGC_SIGHUP);
	define_seconds("tiktrack.retry_base_delay",
				   "Delay before retrying a video after its first failed fetch; doubles per failure.",
				   NULL, &tiktrack_retry_base_delay_s, 30, 1, PGC_SIGHUP);
	define_seconds("tiktrack.retry_max_delay",
				   "Longest delay between retries of a failing video.",
				   NULL, &tiktrack_retry_max_delay_s, 3600, 1, PGC_SIGHUP);
	DefineCustomIntVariable("tiktrack.failing_after",
							"Consecutive failed fetches after which a video is marked failing.",
							"A failing video is still retried and recovers by itself.",
							&tiktrack_failing_after, 5, 1, 1000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("tiktrack.batch_size",
							"Most videos the worker claims per round.",
							NULL, &tiktrack_batch_size, 1000, 1, 100000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	define_seconds("tiktrack.log_retention",
				   "How long rows are kept in tiktrack.fetch_log.",
				   NULL, &tiktrack_log_retention_s, 7 * 86400, 0, PGC_SIGHUP);
	DefineCustomIntVariable("tiktrack.display_requests_per_minute",
							"Requests per minute per Display API endpoint (0: no limit).",
							"TikTok allows 600 per endpoint in any one-minute window.",
							&tiktrack_display_requests_per_minute, 600, 0, INT_MAX,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("tiktrack.business_requests_per_second",
							"Business API requests per second (0: no limit).",
							NULL, &tiktrack_business_requests_per_second, 10, 0, INT_MAX,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("tiktrack.business_requests_per_minute",
							"Business API requests per minute (0: no limit).",
							NULL, &tiktrack_business_requests_per_minute, 600, 0, INT_MAX,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("tiktrack.business_requests_per_day",
							"Business API requests per day (0: no limit).",
							NULL, &tiktrack_business_requests_per_day, 864000, 0, INT_MAX,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	define_seconds("tiktrack.rate_limit_wait",
				   "Pause after TikTok answered rate_limit_exceeded without a Retry-After header.",
				   NULL, &tiktrack_rate_limit_wait_s, 60, 0, PGC_SIGHUP);
	define_seconds("tiktrack.business_throttle_wait",
				   "Pause after the Business API throttled us (code 40100).",
				   "TikTok asks for 5 minutes after a per-minute throttle.",
				   &tiktrack_business_throttle_wait_s, 300, 0, PGC_SIGHUP);
}

/* ---- small helpers ---- */

static ScheduleSettings
current_schedule_settings(void)
{
	ScheduleSettings s;

	s.early_interval_us = (int64) tiktrack_early_interval_s * USECS_PER_SEC;
	s.early_window_us = (int64) tiktrack_early_window_s * USECS_PER_SEC;
	s.interval_us = (int64) tiktrack_interval_s * USECS_PER_SEC;
	s.retry_base_us = (int64) tiktrack_retry_base_delay_s * USECS_PER_SEC;
	s.retry_max_us = (int64) tiktrack_retry_max_delay_s * USECS_PER_SEC;
	s.failing_after = tiktrack_failing_after;
	return s;
}

static TiktrackCounter
error_counter(const FetchCall *call)
{
	if (call->rate_limited)
		return call->business_code == 40100 ? TT_COUNT_ERR_THROTTLED : TT_COUNT_ERR_RATE_LIMITED;
	if (call->auth_failed)
		return TT_COUNT_ERR_AUTH;
	if (call->http_status == 0)
		return TT_COUNT_ERR_NETWORK;
	if (call->http_status >= 500)
		return TT_COUNT_ERR_SERVER;
	if (call->transient)
		return TT_COUNT_ERR_MALFORMED;
	return TT_COUNT_ERR_API;
}

/* Drawn once per batch: the jitter of a creator's videos within it. */
static uint64 batch_jitter_seed = 0;

static void
new_jitter_seed(void)
{
	batch_jitter_seed = pg_prng_uint64(&pg_global_prng_state);
}

/*
 * A jitter in [0, 1) that is the same for every video of one creator in
 * one batch, so retried videos stay grouped in shared requests instead
 * of each costing a request of its own (splitmix64 of seed and creator).
 */
static double
creator_jitter(int64 creator_id)
{
	uint64		z = batch_jitter_seed + (uint64) creator_id * UINT64CONST(0x9E3779B97F4A7C15);

	z = (z ^ (z >> 30)) * UINT64CONST(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94D049BB133111EB);
	z ^= z >> 31;
	return (double) (z >> 11) / (double) (UINT64CONST(1) << 53);
}

static void
set_state(TiktrackWorkerState state, const char *activity)
{
	tiktrack_set_worker_state(state);
	if (activity)
		pgstat_report_activity(STATE_RUNNING, activity);
}

/*
 * A unit of database work: a short transaction with a snapshot.  SPI is
 * connected separately where needed, since the fetch steps connect on
 * their own.
 */
static void
begin_unit(TiktrackWorkerState state, const char *activity)
{
	set_state(state, activity);
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
}

static void
end_unit(void)
{
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
}

static void
spi_connect(void)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "tiktrack worker: SPI_connect failed");
}

static int
spi_exec(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls,
		 int expected)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);

	if (rc != expected)
		elog(ERROR, "tiktrack worker: query failed (SPI code %d): %s", rc, sql);
	return rc;
}

static Datum
int8_array(const int64 *values, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = Int64GetDatum(values[i]);
	return PointerGetDatum(construct_array(d, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* timestamptz[] where DT_NOBEGIN stands for NULL. */
static Datum
timestamptz_array(const TimestampTz *values, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};
	int			i;

	for (i = 0; i < n; i++)
	{
		nulls[i] = (values[i] == DT_NOBEGIN);
		d[i] = TimestampTzGetDatum(values[i]);
	}
	return PointerGetDatum(construct_md_array(d, nulls, 1, dims, lbs, TIMESTAMPTZOID,
											  8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* ---- is there anything to work on? ---- */

/*
 * True when the extension exists in our database and is complete.  While
 * another session creates or drops it we do not see it (catalog changes
 * are visible at commit), and a half-dropped schema never passes.
 */
static bool
extension_is_ready(void)
{
	Oid			ns;

	if (!OidIsValid(get_extension_oid("tiktrack", true)))
		return false;
	ns = get_namespace_oid("tiktrack", true);
	if (!OidIsValid(ns))
		return false;
	return OidIsValid(get_relname_relid("videos", ns)) &&
		OidIsValid(get_relname_relid("fetch_log", ns));
}

/*
 * The version of tiktrack installed in this database into buf ("" when
 * it is not installed).  Called inside a transaction.
 */
static void
installed_version(char *buf, Size size)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	buf[0] = '\0';
	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum("tiktrack"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, Anum_pg_extension_extversion,
									 RelationGetDescr(rel), &isnull);

		if (!isnull)
			strlcpy(buf, TextDatumGetCString(d), size);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

/*
 * Whether the extension is there, and at the version of this library.
 * After a new library is installed, a database still at an older version
 * has the older schema, which this library's statements do not fit: the
 * worker waits for ALTER EXTENSION tiktrack UPDATE instead of failing
 * every round (the update's commit wakes it).
 */
static ExtensionState
check_extension(void)
{
	ExtensionState state = EXTENSION_MISSING;
	char		version[NAMEDATALEN];

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (extension_is_ready())
	{
		installed_version(version, sizeof(version));
		state = strcmp(version, TIKTRACK_VERSION) == 0 ? EXTENSION_READY : EXTENSION_OTHER_VERSION;
	}
	CommitTransactionCommand();

	if (state == EXTENSION_OTHER_VERSION && !version_mismatch_logged)
		ereport(LOG,
				(errmsg("tiktrack worker waits: database \"%s\" has tiktrack %s, the library is %s",
						database_name, version, TIKTRACK_VERSION),
				 errhint("Run ALTER EXTENSION tiktrack UPDATE in that database.")));
	version_mismatch_logged = (state == EXTENSION_OTHER_VERSION);
	return state;
}

/* ---- claims ---- */

/*
 * Gives back claims of workers that no longer exist (a crash or kill
 * between claim and write), due at once: the video is not at fault.
 */
static void
release_orphaned_claims(void)
{
	int64		released;
	bool		isnull;

	begin_unit(TT_WORKER_MAINTENANCE, "releasing orphaned claims");
	spi_connect();
	spi_exec("SELECT tiktrack.release_orphaned_claims()", 0, NULL, NULL, NULL, SPI_OK_SELECT);
	released = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
										   &isnull));
	SPI_finish();
	end_unit();
	if (released > 0)
		ereport(LOG,
				(errmsg("tiktrack worker: released %lld videos claimed by a worker that stopped before writing them",
						(long long) released)));
}

/*
 * After an error in a round, the videos it claimed are retried later with
 * a failure counted (so a batch that keeps failing becomes 'failing'
 * rather than looping).
 */
static void
release_failed_claims(void)
{
	Oid			types[5] = {INT4OID, INT8ARRAYOID, INTERVALOID, TEXTOID, INT4OID};
	Datum		values[5];
	Interval   *delay = palloc0(sizeof(Interval));

	delay->time = (int64) tiktrack_retry_base_delay_s * USECS_PER_SEC;
	values[0] = Int32GetDatum(MyProcPid);
	/* the round's videos, also when the error rolled their claim back */
	values[1] = int8_array(round_ids, nround_ids);
	values[2] = IntervalPGetDatum(delay);
	values[3] = CStringGetTextDatum(last_round_error);
	values[4] = Int32GetDatum(tiktrack_failing_after);

	begin_unit(TT_WORKER_MAINTENANCE, "releasing claims of a failed round");
	spi_connect();
	spi_exec("SELECT tiktrack.release_failed_claims($1, $2, $3, $4, $5)", 5, types, values, NULL,
			 SPI_OK_SELECT);
	SPI_finish();
	end_unit();
}

/*
 * A claim need not survive a crash (the next worker releases it anyway),
 * so its commit does not wait for the WAL flush; the write of a batch
 * does.
 */
static void
claim_without_wal_flush(void)
{
	spi_exec("SET LOCAL synchronous_commit = off", 0, NULL, NULL, NULL, SPI_OK_UTILITY);
}

static int
compare_claimed_videos(const void *a, const void *b)
{
	const ClaimedVideo *x = a;
	const ClaimedVideo *y = b;

	if (x->api != y->api)
		return x->api < y->api ? -1 : 1;
	if (x->creator_id != y->creator_id)
		return x->creator_id < y->creator_id ? -1 : 1;
	return x->id < y->id ? -1 : (x->id > y->id ? 1 : 0);
}

/* Groups in line: the group whose oldest video fell due first goes first. */
static int
compare_claimed_groups(const void *a, const void *b)
{
	const ClaimedVideo *x = a;
	const ClaimedVideo *y = b;

	if (x->group_due != y->group_due)
		return x->group_due < y->group_due ? -1 : 1;
	return compare_claimed_videos(a, b);
}

static void
places_init(void)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(VideoPlace);
	ctl.hcxt = TopMemoryContext;
	places = hash_create("tiktrack worker places in line", 1024, &ctl,
						 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* A claimed video's place: the one it kept when postponed, if earlier. */
static TimestampTz
place_of(int64 id, TimestampTz due_at)
{
	VideoPlace *p;

	if (places == NULL)
		return due_at;
	p = hash_search(places, &id, HASH_FIND, NULL);
	return p && p->due_at < due_at ? p->due_at : due_at;
}

/* Postponed videos keep their place; admitted ones no longer need one. */
static void
keep_places(const ClaimedVideo *v, int n)
{
	bool		seen[TT_NUM_APIS] = {false};
	TimestampTz waiting[TT_NUM_APIS] = {0};
	int			i;

	/* what waits for the budget, per API, for worker_status */
	for (i = 0; i < n; i++)
	{
		int			api = (int) v[i].api;

		if (api < 0 || api >= TT_NUM_APIS)
			continue;
		seen[api] = true;
		if (!v[i].admitted && !v[i].held &&
			(waiting[api] == 0 || v[i].due_at < waiting[api]))
			waiting[api] = v[i].due_at;
	}
	tiktrack_note_waiting(seen, waiting);

	if (places == NULL)
		places_init();
	else if (hash_get_num_entries(places) > MAX_PLACES)
	{
		hash_destroy(places);
		places_init();
	}
	for (i = 0; i < n; i++)
	{
		if (v[i].admitted)
			(void) hash_search(places, &v[i].id, HASH_REMOVE, NULL);
		else
		{
			bool		found;
			VideoPlace *p = hash_search(places, &v[i].id, HASH_ENTER, &found);

			p->due_at = v[i].due_at;
		}
	}
}

/*
 * Orders a claim as the budget is spent: (API, creator) groups, oldest
 * due group first, whatever the creator's id.
 */
static void
order_claimed_videos(ClaimedVideo *v, int n)
{
	int			start = 0;

	qsort(v, n, sizeof(ClaimedVideo), compare_claimed_videos);
	while (start < n)
	{
		int			end = start + 1;
		TimestampTz oldest = v[start].due_at;
		int			i;

		while (end < n && v[end].api == v[start].api &&
			   v[end].creator_id == v[start].creator_id)
		{
			oldest = Min(oldest, v[end].due_at);
			end++;
		}
		for (i = start; i < end; i++)
			v[i].group_due = oldest;
		start = end;
	}
	qsort(v, n, sizeof(ClaimedVideo), compare_claimed_groups);
}

/* Runs the claim; the rows are copied into batch_cxt. */
static int
claim_due_videos(ClaimedVideo **out)
{
	Oid			types[2] = {INT4OID, INTERVALOID};
	Datum		values[2];
	Interval   *window = palloc0(sizeof(Interval));
	ClaimedVideo *v;
	uint64		i,
				n;

	/*
	 * Videos of a claimed creator due within a quarter of the shorter
	 * cadence (at most 5 minutes) come along in the same requests.
	 */
	window->time = (int64) Min(Min(tiktrack_early_interval_s, tiktrack_interval_s), 20 * 60) *
		USECS_PER_SEC / 4;
	values[0] = Int32GetDatum(tiktrack_batch_size);
	values[1] = IntervalPGetDatum(window);
	spi_exec("SELECT video_id, creator_id, api, posted_at, track_until, fetch_failures, due_at "
			 "FROM tiktrack.claim_due_videos($1, $2)",
			 2, types, values, NULL, SPI_OK_SELECT);
	n = SPI_processed;
	v = MemoryContextAllocZero(batch_cxt, sizeof(ClaimedVideo) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;
		char	   *api;

		v[i].id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		d = SPI_getbinval(tup, desc, 2, &isnull);
		v[i].creator_id = isnull ? 0 : DatumGetInt64(d);
		api = SPI_getvalue(tup, desc, 3);
		v[i].api = fetch_api_from_name(api);
		d = SPI_getbinval(tup, desc, 4, &isnull);
		v[i].posted_at = isnull ? SCHEDULE_UNKNOWN_TIME : DatumGetTimestampTz(d);
		v[i].track_until = DatumGetTimestampTz(SPI_getbinval(tup, desc, 5, &isnull));
		v[i].failures = DatumGetInt32(SPI_getbinval(tup, desc, 6, &isnull));
		v[i].due_at = place_of(v[i].id, DatumGetTimestampTz(SPI_getbinval(tup, desc, 7, &isnull)));
	}
	order_claimed_videos(v, (int) n);
	*out = v;
	return (int) n;
}

/*
 * Lets the rate limiters admit whole (creator, API) groups: a group of n
 * videos needs ceil(n / 20) requests.  A group the limiter cannot take
 * now is postponed until it can; it is not a failure of the videos.
 */
static int
admit_videos(ClaimedVideo *v, int n, TimestampTz now)
{
	int			admitted = 0;
	int			start = 0;
	int64		refused[TT_NUM_LIMITERS];	/* wait of a limiter that refused */

	memset(refused, 0, sizeof(refused));
	while (start < n)
	{
		int			end = start + 1;
		int			limiter;
		int64		wait = 0;
		int			nheld = 0;
		int			i;

		while (end < n && v[end].api == v[start].api &&
			   v[end].creator_id == v[start].creator_id)
			end++;
		for (i = start; i < end; i++)
			nheld += v[i].held ? 1 : 0;
		limiter = fetch_budget_for_videos(v[start].api);
		if (limiter >= 0 && refused[limiter] > 0)
		{
			/* in line behind a group the limiter refused: no overtaking */
			wait = refused[limiter];
		}
		else if (limiter >= 0 && nheld < end - start)
		{
			int			requests = (end - start - nheld + IDS_PER_REQUEST - 1) / IDS_PER_REQUEST;

			wait = tiktrack_rate_acquire(limiter, requests);
			if (wait > 0)
			{
				refused[limiter] = wait;
				tiktrack_rate_note_wait(limiter, wait);
				tiktrack_count(TT_COUNT_RATE_LIMIT_WAITS, 1);
			}
		}
		for (i = start; i < end; i++)
		{
			if (v[i].held)
			{
				/* back after this round, which tells whether it is guilty */
				v[i].admitted = false;
				v[i].postponed_until = now + USECS_PER_SEC;
				continue;
			}
			v[i].admitted = (wait == 0);
			v[i].postponed_until = wait == 0 ? 0 : now + wait;
			if (wait == 0)
				admitted++;
		}
		start = end;
	}
	return admitted;
}

/* ---- isolating a fault that fails whole rounds ---- */

static bool
is_suspect(int64 id)
{
	int			i;

	for (i = 0; i < nsuspects; i++)
		if (suspects[i] == id)
			return true;
	return false;
}

/* Holds back the suspects beyond this round's group. */
static void
hold_suspects(ClaimedVideo *v, int n)
{
	int			taken = 0;
	int			i;

	if (nsuspects == 0)
		return;
	for (i = 0; i < n; i++)
		if (is_suspect(v[i].id))
			v[i].held = (++taken > suspect_group);
}

/* Remembers the videos of the round about to run (for round_failed()). */
static void
note_round_videos(const ClaimedVideo *v, int n)
{
	int			i;

	if (round_ids)
		pfree(round_ids);
	round_ids = MemoryContextAlloc(TopMemoryContext, sizeof(int64) * Max(n, 1));
	nround_ids = 0;
	for (i = 0; i < n; i++)
		if (v[i].admitted)
			round_ids[nround_ids++] = v[i].id;
	video_round_running = true;
}

/* The round succeeded: its suspects are cleared. */
static void
round_succeeded(void)
{
	int			i,
				k = 0;

	video_round_running = false;
	if (nsuspects == 0)
	{
		nround_ids = 0;
		return;
	}
	for (i = 0; i < nsuspects; i++)
	{
		bool		in_round = false;
		int			j;

		for (j = 0; j < nround_ids && !in_round; j++)
			in_round = (round_ids[j] == suspects[i]);
		if (!in_round)
			suspects[k++] = suspects[i];
	}
	nsuspects = k;
	if (nsuspects == 0)
		suspect_group = 0;
	nround_ids = 0;
}

/*
 * The round failed as a whole: its suspects (or, when it held none, all
 * its videos) are the new suspects, taken half as many at a time.
 */
static void
round_failed(void)
{
	int64	   *next;
	int			n = 0;
	int			i;
	bool		had_suspects = false;

	video_round_running = false;
	for (i = 0; i < nround_ids && !had_suspects; i++)
		had_suspects = is_suspect(round_ids[i]);
	next = MemoryContextAlloc(TopMemoryContext, sizeof(int64) * Max(nround_ids, 1));
	for (i = 0; i < nround_ids; i++)
		if (!had_suspects || is_suspect(round_ids[i]))
			next[n++] = round_ids[i];
	if (suspects)
		pfree(suspects);
	suspects = next;
	nsuspects = n;
	suspect_group = Max(1, n / 2);
}

/* Gives postponed videos back, due when their limiter has room again. */
static void
postpone_videos(const ClaimedVideo *v, int n)
{
	int64	   *ids = palloc(sizeof(int64) * Max(n, 1));
	TimestampTz *until = palloc(sizeof(TimestampTz) * Max(n, 1));
	int			k = 0;
	int			i;
	Oid			types[2] = {INT8ARRAYOID, TIMESTAMPTZARRAYOID};
	Datum		values[2];

	for (i = 0; i < n; i++)
	{
		if (v[i].admitted)
			continue;
		ids[k] = v[i].id;
		until[k] = v[i].postponed_until;
		k++;
	}
	if (k == 0)
		return;
	values[0] = int8_array(ids, k);
	values[1] = timestamptz_array(until, k);
	spi_exec("SELECT tiktrack.postpone_videos($1, $2)", 2, types, values, NULL, SPI_OK_SELECT);
}

/* When the next video or creator is due (DT_NOBEGIN: now). */
static TimestampTz
next_due_time(void)
{
	bool		isnull;
	Datum		d;

	spi_exec("SELECT tiktrack.next_due_at()", 0, NULL, NULL, NULL, SPI_OK_SELECT);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? DT_NOEND : DatumGetTimestampTz(d);
}

/* ---- the fetch ---- */

/*
 * Called by fetch_execute right after TikTok rotated a creator's tokens:
 * the old refresh token is dead, so the new ones are committed before
 * anything else can go wrong.  Interrupts are held meanwhile; if storing
 * fails, the batch's own write stores them.
 */
static void
store_rotated_credentials(FetchCredentials *cred, void *arg)
{
	MemoryContext oldcxt = CurrentMemoryContext;

	HOLD_INTERRUPTS();
	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		fetch_store_credentials(cred);
		PopActiveSnapshot();
		CommitTransactionCommand();
		cred->rotation_stored = true;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		ereport(WARNING,
				(errmsg("tiktrack worker: could not store the rotated tokens of creator %lld at once: %s",
						(long long) cred->creator_id, edata->message),
				 errdetail("They are stored with the batch.")));
		FreeErrorData(edata);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	RESUME_INTERRUPTS();
}

/*
 * Feeds every HTTP request of a batch to the counters and the rate
 * limiters: a throttle answer blocks and slows its limiter.
 */
static void
account_calls(FetchBatch *batch)
{
	int			i;

	tiktrack_count(TT_COUNT_REQUESTS, batch->ncalls);
	for (i = 0; i < batch->ncalls; i++)
	{
		FetchCall  *call = batch->calls[i];
		int			limiter = fetch_budget_for_call(call);

		if (call->ok)
		{
			if (limiter >= 0)
				tiktrack_rate_succeeded(limiter);
			tiktrack_note_success((int) call->api, call->requested_at);
			continue;
		}
		tiktrack_count(error_counter(call), 1);
		if (call->rate_limited && limiter >= 0)
			tiktrack_rate_throttled(limiter, fetch_budget_throttle_wait_us(call));
	}
}

static void
run_execute(FetchBatch *batch, const char *what, int n)
{
	char		activity[128];

	snprintf(activity, sizeof(activity), "fetching %s of %d %s from TikTok",
			 what, n, batch->nvideos > 0 ? "videos" : "creators");
	set_state(TT_WORKER_FETCHING, activity);
	current_batch = batch;
	fetch_execute(batch, store_rotated_credentials, NULL);
	account_calls(batch);
}

/* ---- writing a batch ---- */

/*
 * The claim of each video of the batch.  The batch holds the admitted
 * claims in claim order (fetch_prepare_videos keeps the order and drops
 * videos deleted meanwhile), so one forward walk finds them.
 */
static const ClaimedVideo *
next_claimed(const ClaimedVideo *v, int n, int *pos, int64 id, int *index)
{
	int			i;

	for (i = *pos; i < n; i++)
		if (v[i].id == id)
		{
			*pos = i + 1;
			*index = i;
			return &v[i];
		}
	return NULL;
}

/*
 * Decides a video's next fetch from its outcome, for fetch_store() to
 * write with the outcome in one row update (which also ends the claim):
 * the cadence after an answer, the backoff after a failure (and whether it
 * makes the video failing), the end of a throttle.
 */
static void
schedule_video(FetchVideo *fv, const ClaimedVideo *c, const ScheduleSettings *s,
			   TimestampTz now)
{
	TimestampTz posted_at = c ? c->posted_at : SCHEDULE_UNKNOWN_TIME;
	TimestampTz track_until = c ? c->track_until : DT_NOEND;
	TimestampTz next;
	int			failures;
	int64		at;

	switch (fv->outcome)
	{
		case FETCH_OK:
			if (fv->stats.has_create_time)
				posted_at = time_t_to_timestamptz((pg_time_t) fv->stats.create_time);
			next = schedule_next_fetch(s, now, posted_at, track_until, &at) ? at : DT_NOBEGIN;
			break;
		case FETCH_RESOLVED:
			/* The real id is known now; fetch its stats right away. */
			next = now;
			break;
		case FETCH_MISSING:
			/* Answered; fetch_store records what it means. */
			next = schedule_next_fetch(s, now, posted_at, track_until, &at) ? at : DT_NOBEGIN;
			break;
		case FETCH_NO_AUTH:
		case FETCH_REAUTH:

			/*
			 * Nothing to fetch until the creator authorizes, which makes
			 * the video due at once (store_tokens_spi): only its end is
			 * kept in view, to complete it.  A video whose creator is not
			 * known yet is looked at every interval.
			 */
			next = schedule_next_fetch(s, now, posted_at, track_until, &at) ? at : DT_NOBEGIN;
			if (next != DT_NOBEGIN)
				next = fv->creator_id != 0 ? track_until : Min(now + s->interval_us, track_until);
			break;
		case FETCH_ERROR:
			if (fetch_throttled(fv->outcome, fv->call))
			{
				/* Not the video's fault: back when the limiter opens. */
				next = now + fetch_budget_throttle_wait_us(fv->call);
				break;
			}
			/* fetch_store counts this failure: one more than claimed */
			failures = (c ? c->failures : 0) + 1;
			fv->becomes_failing = schedule_is_failing(s, failures);
			if (now >= track_until)
				next = DT_NOBEGIN;
			else
			{
				at = now + schedule_retry_delay(s, failures, creator_jitter(fv->creator_id));
				next = Min(at, track_until);
			}
			break;
		case FETCH_PENDING:
		default:
			next = now;
			break;
	}
	/* A short link still resolving never "completes". */
	if (fv->video_id < 0 && fv->outcome != FETCH_RESOLVED && next == DT_NOBEGIN)
		next = now + s->interval_us;
	fv->scheduled = true;
	fv->next_fetch_at = next;
}

static void
schedule_videos(FetchBatch *batch, const ClaimedVideo *claimed, int nclaimed,
				TimestampTz now)
{
	ScheduleSettings s = current_schedule_settings();
	int			pos = 0;
	int			i;

	new_jitter_seed();
	for (i = 0; i < batch->nvideos; i++)
	{
		FetchVideo *fv = &batch->videos[i];

		fv->claim_index = -1;
		schedule_video(fv, next_claimed(claimed, nclaimed, &pos, fv->video_id, &fv->claim_index),
					   &s, now);
	}
}

/* ---- storing a batch, a failure isolated to the video that caused it ---- */

typedef void (*StoreStep) (FetchBatch *batch, int lo, int hi);

static void
store_whole_batch(FetchBatch *b, int lo, int hi)
{
	fetch_store(b);
}

static void
store_all_but_videos(FetchBatch *b, int lo, int hi)
{
	fetch_store_all_but_videos(b);
}

/*
 * Runs a store step in a subtransaction; NULL when it succeeded, else its
 * error message (everything it wrote is rolled back).
 */
static char *
try_store(StoreStep step, FetchBatch *b, int lo, int hi)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	char	   *volatile error = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		step(b, lo, hi);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		error = pstrdup(edata->message ? edata->message : "unknown error");
		FreeErrorData(edata);
	}
	PG_END_TRY();
	return error;
}

/*
 * Stores videos [lo, hi), halving the range on failure until the video
 * that cannot be stored is alone: then that video's fetch failed (with the
 * reason as its last_error, a failure counted) and its neighbours are
 * stored as usual.
 */
static void
store_videos_isolating(FetchBatch *b, int lo, int hi, const ClaimedVideo *claimed,
					   TimestampTz now)
{
	FetchVideo *fv;
	ScheduleSettings s;
	char	   *error;

	if (lo >= hi)
		return;
	error = try_store(fetch_store_videos, b, lo, hi);
	if (error == NULL)
		return;
	if (hi - lo > 1)
	{
		int			mid = lo + (hi - lo) / 2;

		store_videos_isolating(b, lo, mid, claimed, now);
		store_videos_isolating(b, mid, hi, claimed, now);
		return;
	}
	fv = &b->videos[lo];
	ereport(WARNING,
			(errmsg("tiktrack worker: could not store video " INT64_FORMAT ": %s",
					fv->video_id, error),
			 errdetail("The other videos of the batch are stored; this one counts a failed fetch.")));
	fv->outcome = FETCH_ERROR;
	fv->note = NULL;
	fv->error = psprintf("could not store what TikTok answered for video " INT64_FORMAT ": %s",
						 fv->video_id, error);
	s = current_schedule_settings();
	schedule_video(fv, fv->claim_index >= 0 ? &claimed[fv->claim_index] : NULL, &s, now);
	error = try_store(fetch_store_videos, b, lo, hi);
	if (error != NULL)
		ereport(WARNING,
				(errmsg("tiktrack worker: could not record the failure of video " INT64_FORMAT ": %s",
						fv->video_id, error),
				 errdetail("Its claim lapses after " CLAIM_LEASE ".")));
}

/*
 * The store step of a round: the whole batch at once (the common case,
 * one subtransaction), or, when that fails, its parts, so that one video's
 * fault never costs the others their snapshots.
 */
static void
store_batch(FetchBatch *b, const ClaimedVideo *claimed, TimestampTz now)
{
	char	   *error = try_store(store_whole_batch, b, 0, 0);

	if (error == NULL)
		return;
	ereport(WARNING,
			(errmsg("tiktrack worker: storing a batch of %d videos failed: %s", b->nvideos, error),
			 errdetail("Storing its videos in smaller groups to find the one at fault.")));
	error = try_store(store_all_but_videos, b, 0, 0);
	if (error != NULL)
		ereport(WARNING,
				(errmsg("tiktrack worker: could not store the batch's tokens, creator stats and fetch_log rows: %s",
						error)));
	store_videos_isolating(b, 0, b->nvideos, claimed, now);
}

/* The ids of the videos that got a snapshot. */
static int
snapshot_ids(const FetchBatch *b, int64 *ids)
{
	int			n = 0;
	int			i;

	for (i = 0; i < b->nvideos; i++)
		if (b->videos[i].outcome == FETCH_OK)
			ids[n++] = b->videos[i].video_id;
	return n;
}

/* One snapshot.created event (per 200 videos) for the batch. */
static void
notify_snapshots(FetchBatch *batch, const int64 *ok_ids, int nok)
{
	Oid			types[2] = {INT8ARRAYOID, TIMESTAMPTZOID};
	Datum		values[2];

	if (nok == 0)
		return;
	values[0] = int8_array(ok_ids, nok);
	values[1] = TimestampTzGetDatum(batch->captured_at);
	spi_exec("SELECT tiktrack.notify_snapshots_created($1, $2)",
			 2, types, values, NULL, SPI_OK_SELECT);
}

/* ---- one round over videos ---- */

static int
run_video_round(TimestampTz *next_due)
{
	ClaimedVideo *claimed = NULL;
	int			nclaimed;
	int			nadmitted;
	int64	   *ids;
	int			i,
				k;
	FetchBatch *batch = NULL;
	TimestampTz now;
	int			nsnapshots;
	int64	   *ok_ids;
	char		activity[128];

	begin_unit(TT_WORKER_CLAIMING, "claiming due videos");
	now = GetCurrentTimestamp();
	spi_connect();
	claim_without_wal_flush();
	nclaimed = claim_due_videos(&claimed);
	hold_suspects(claimed, nclaimed);
	nadmitted = admit_videos(claimed, nclaimed, now);
	keep_places(claimed, nclaimed);
	note_round_videos(claimed, nclaimed);
	if (nadmitted < nclaimed)
		postpone_videos(claimed, nclaimed);
	*next_due = next_due_time();
	SPI_finish();

	if (nadmitted > 0)
	{
		MemoryContext old = MemoryContextSwitchTo(batch_cxt);

		ids = palloc(sizeof(int64) * nadmitted);
		for (i = 0, k = 0; i < nclaimed; i++)
			if (claimed[i].admitted)
				ids[k++] = claimed[i].id;
		batch = fetch_prepare_videos(ids, nadmitted);
		current_batch = batch;
		MemoryContextSwitchTo(old);
	}
	end_unit();
	tiktrack_count(TT_COUNT_VIDEOS_CLAIMED, nclaimed);

	if (batch == NULL)
	{
		round_succeeded();
		if (nclaimed > 0)
			tiktrack_set_worker_state(TT_WORKER_RATE_LIMITED);
		return nclaimed;
	}

	{
		MemoryContext old = MemoryContextSwitchTo(batch_cxt);

		run_execute(batch, "stats", nadmitted);
		MemoryContextSwitchTo(old);
	}

	snprintf(activity, sizeof(activity), "writing %d video snapshots", nadmitted);
	begin_unit(TT_WORKER_WRITING, activity);
	now = GetCurrentTimestamp();
	ok_ids = MemoryContextAlloc(batch_cxt, sizeof(int64) * Max(batch->nvideos, 1));
	schedule_videos(batch, claimed, nclaimed, now);
	store_batch(batch, claimed, now);
	nsnapshots = snapshot_ids(batch, ok_ids);
	spi_connect();
	notify_snapshots(batch, ok_ids, nsnapshots);
	*next_due = next_due_time();
	SPI_finish();
	end_unit();
	tiktrack_count(TT_COUNT_SNAPSHOTS, nsnapshots);

	fetch_batch_wipe(batch);
	current_batch = NULL;
	round_succeeded();
	return nclaimed;
}

/* ---- one round over creators ---- */

static int
claim_due_creators(ClaimedCreator **out)
{
	Oid			types[2] = {INT4OID, INT4OID};
	Datum		values[2] = {Int32GetDatum(CREATORS_PER_ROUND),
	Int32GetDatum(tiktrack_token_refresh_ahead_s)};
	ClaimedCreator *c;
	uint64		i,
				n;

	spi_exec("SELECT creator_id, api FROM tiktrack.claim_due_creators($1, $2)",
			 2, types, values, NULL, SPI_OK_SELECT);
	n = SPI_processed;
	c = MemoryContextAllocZero(batch_cxt, sizeof(ClaimedCreator) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		bool		isnull;

		c[i].id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		c[i].api = fetch_api_from_name(SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2));
	}
	*out = c;
	return (int) n;
}

static void
reschedule_creators(FetchBatch *batch, const ClaimedCreator *postponed, int npostponed,
					TimestampTz now)
{
	ScheduleSettings s = current_schedule_settings();
	int			n = batch ? batch->ncreators : 0;
	int			total = n + npostponed;
	int64	   *ids = palloc(sizeof(int64) * Max(total, 1));
	TimestampTz *next = palloc(sizeof(TimestampTz) * Max(total, 1));
	int			k = 0;
	int			i;
	Oid			types[2] = {INT8ARRAYOID, TIMESTAMPTZARRAYOID};
	Datum		values[2];
	int			nstats = 0;

	new_jitter_seed();
	for (i = 0; i < n; i++)
	{
		FetchCreator *fc = &batch->creators[i];

		ids[k] = fc->creator_id;
		if (fc->outcome == FETCH_OK)
		{
			next[k] = now + (int64) tiktrack_creator_stats_interval_s * USECS_PER_SEC;
			nstats++;
		}
		else if (fetch_throttled(fc->outcome, fc->call))
			next[k] = now + fetch_budget_throttle_wait_us(fc->call);
		else
			next[k] = now + schedule_retry_delay(&s, 3, creator_jitter(fc->creator_id));
		k++;
	}
	for (i = 0; i < npostponed; i++)
	{
		if (postponed[i].admitted)
			continue;
		ids[k] = postponed[i].id;
		next[k] = postponed[i].postponed_until;
		k++;
	}
	if (k == 0)
		return;
	values[0] = int8_array(ids, k);
	values[1] = timestamptz_array(next, k);
	spi_exec("SELECT tiktrack.reschedule_creators($1, $2)", 2, types, values, NULL, SPI_OK_SELECT);
	tiktrack_count(TT_COUNT_CREATOR_STATS, nstats);
}

/*
 * Tokens expiring within tiktrack.token_refresh_ahead are refreshed in
 * this round, before fetch_execute would find them about to expire.
 */
static void
refresh_tokens_ahead(FetchBatch *batch, TimestampTz now)
{
	TimestampTz horizon = now + (int64) tiktrack_token_refresh_ahead_s * USECS_PER_SEC;
	int			i;

	for (i = 0; i < batch->ncreds; i++)
	{
		FetchCredentials *c = batch->creds[i];

		if (c->api != FETCH_API_NONE && c->refresh_token != NULL &&
			c->access_expires_at <= horizon)
			c->refresh_now = true;
	}
}

static int
run_creator_round(void)
{
	ClaimedCreator *claimed = NULL;
	int			nclaimed;
	int			nadmitted = 0;
	int64	   *ids;
	int			i;
	FetchBatch *batch = NULL;
	TimestampTz now;

	begin_unit(TT_WORKER_CLAIMING, "claiming due creators");
	now = GetCurrentTimestamp();
	spi_connect();
	claim_without_wal_flush();
	nclaimed = claim_due_creators(&claimed);
	ids = MemoryContextAlloc(batch_cxt, sizeof(int64) * Max(nclaimed, 1));
	for (i = 0; i < nclaimed; i++)
	{
		int			limiter = fetch_budget_for_account(claimed[i].api);
		int64		wait = limiter >= 0 ? tiktrack_rate_acquire(limiter, 1) : 0;

		claimed[i].admitted = (wait == 0);
		if (wait > 0)
		{
			claimed[i].postponed_until = now + wait;
			tiktrack_rate_note_wait(limiter, wait);
			tiktrack_count(TT_COUNT_RATE_LIMIT_WAITS, 1);
		}
		else
			ids[nadmitted++] = claimed[i].id;
	}
	if (nadmitted < nclaimed)
		reschedule_creators(NULL, claimed, nclaimed, now);
	SPI_finish();
	if (nadmitted > 0)
	{
		MemoryContext old = MemoryContextSwitchTo(batch_cxt);

		batch = fetch_prepare_creators(ids, nadmitted);
		current_batch = batch;
		MemoryContextSwitchTo(old);
		refresh_tokens_ahead(batch, now);
	}
	end_unit();
	if (batch == NULL)
		return nclaimed;

	{
		MemoryContext old = MemoryContextSwitchTo(batch_cxt);

		run_execute(batch, "account stats", nadmitted);
		MemoryContextSwitchTo(old);
	}

	begin_unit(TT_WORKER_WRITING, "writing creator stats");
	now = GetCurrentTimestamp();
	fetch_store(batch);
	spi_connect();
	reschedule_creators(batch, NULL, 0, now);
	SPI_finish();
	end_unit();

	fetch_batch_wipe(batch);
	current_batch = NULL;
	return nclaimed;
}

/* ---- maintenance ---- */

/* Deletes one small batch of expired fetch_log rows; true if more remain. */
static bool
prune_fetch_log(void)
{
	Oid			types[2] = {INT4OID, INT4OID};
	Datum		values[2] = {Int32GetDatum(tiktrack_log_retention_s), Int32GetDatum(PRUNE_BATCH)};
	bool		isnull;
	int64		deleted;

	begin_unit(TT_WORKER_MAINTENANCE, "pruning tiktrack.fetch_log");
	spi_connect();
	spi_exec("SELECT tiktrack.prune_fetch_log(pg_catalog.make_interval(secs => $1), $2)",
			 2, types, values, NULL, SPI_OK_SELECT);
	deleted = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	end_unit();
	return deleted >= PRUNE_BATCH;
}

/* ---- the loop ---- */

/* One pass; returns how long to sleep in ms (0: go again at once). */
static long
worker_run_once(void)
{
	TimestampTz now;
	TimestampTz next_due = DT_NOEND;
	int			nclaimed;
	bool		more = false;

	switch (check_extension())
	{
		case EXTENSION_MISSING:
			exit_without_extension();
		case EXTENSION_OTHER_VERSION:
			set_state(TT_WORKER_WAITING_FOR_EXTENSION, NULL);
			return VERSION_CHECK_MS;
		case EXTENSION_READY:
			break;
	}
	if (!tiktrack_worker_enabled)
	{
		set_state(TT_WORKER_DISABLED, NULL);
		return MAX_SLEEP_MS;
	}

	if (!orphans_released)
	{
		release_orphaned_claims();
		orphans_released = true;
	}
	if (release_claims_pending)
	{
		release_claims_pending = false;
		release_failed_claims();
	}

	now = GetCurrentTimestamp();
	if (now >= next_prune_at)
	{
		more = prune_fetch_log();
		next_prune_at = more ? now : now + 60 * USECS_PER_SEC;
	}

	run_creator_round();
	MemoryContextReset(batch_cxt);
	nclaimed = run_video_round(&next_due);

	set_state(TT_WORKER_IDLE, NULL);
	if (more || nclaimed >= tiktrack_batch_size)
		return 0;

	now = GetCurrentTimestamp();
	if (next_due <= now)
		return 0;
	if (next_due - now >= MAX_SLEEP_MS * 1000L)
		return MAX_SLEEP_MS;
	/* Round up so we wake when the video is due, not just before. */
	return (long) ((next_due - now + 999) / 1000);
}

/*
 * Recovers from an ERROR thrown anywhere in a round, like the postmaster's
 * auxiliary processes do: report, abort, clean up, pause briefly.
 */
static void
recover_from_error(void)
{
	ErrorData  *edata;

	/* The callbacks of the failed code's frames are gone with them. */
	error_context_stack = NULL;
	HOLD_INTERRUPTS();
	MemoryContextSwitchTo(TopMemoryContext);
	edata = CopyErrorData();
	AbortOutOfAnyTransaction();
	FlushErrorState();
	strlcpy(last_round_error, edata->message ? edata->message : "error in tiktrack worker",
			sizeof(last_round_error));
	ereport(WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("tiktrack worker: round failed: %s", last_round_error),
			 edata->detail ? errdetail("%s", edata->detail) : 0,
			 errhint("The videos of that round are retried after tiktrack.retry_base_delay with a failure counted.")));
	FreeErrorData(edata);
	if (current_batch != NULL)
	{
		fetch_batch_wipe(current_batch);
		current_batch = NULL;
	}
	MemoryContextReset(batch_cxt);
	tiktrack_count(TT_COUNT_ERR_WORKER, 1);
	release_claims_pending = true;
	if (video_round_running)
		round_failed();
	else
		nround_ids = 0;			/* not a round over videos */
	pgstat_report_activity(STATE_IDLE, NULL);
	RESUME_INTERRUPTS();

	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 ERROR_PAUSE_MS, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
}

/*
 * No extension in this database (never created, or dropped): the worker
 * exits with code 0, telling the launcher why through its slot.
 */
static void
exit_without_extension(void)
{
	ereport(extension_served ? LOG : DEBUG1,
			(errmsg("tiktrack worker exits: extension \"tiktrack\" is not installed in database \"%s\"",
					database_name)));
	tiktrack_worker_set_exit_reason(TT_EXIT_NO_EXTENSION);
	proc_exit(0);
}

/*
 * Connects to the database the launcher chose (bgw_main_arg) and attaches
 * to its slot; exits quietly if there is nothing to do there.
 */
static void
worker_connect(Datum main_arg)
{
	char	   *name;

	BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(main_arg), InvalidOid, 0);
	/* our statements resolve to pg_catalog and tiktrack only (search_path.h) */
	search_path_pin_session();
	pgstat_report_appname("tiktrack worker");
	StartTransactionCommand();
	name = get_database_name(MyDatabaseId);
	strlcpy(database_name, name ? name : "?", sizeof(database_name));
	CommitTransactionCommand();
	if (!tiktrack_worker_attach(launcher_worker_slot(), MyLatch))
		proc_exit(0);			/* another worker serves this database */
	on_shmem_exit(tiktrack_worker_detach, (Datum) 0);
	if (check_extension() == EXTENSION_MISSING)
		exit_without_extension();
	extension_served = true;
}

void
tiktrack_worker_main(Datum main_arg)
{
	sigjmp_buf	local_sigjmp_buf;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	worker_connect(main_arg);
	fetch_budget_configure();

	batch_cxt = AllocSetContextCreate(TopMemoryContext, "tiktrack worker batch",
									  ALLOCSET_DEFAULT_SIZES);

	ereport(LOG, (errmsg("tiktrack worker started in database \"%s\"", database_name)));

	if (sigsetjmp(local_sigjmp_buf, 1) != 0)
		recover_from_error();
	PG_exception_stack = &local_sigjmp_buf;

	for (;;)
	{
		long		sleep_ms;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			fetch_budget_configure();
		}

		sleep_ms = worker_run_once();
		MemoryContextReset(batch_cxt);

		if (sleep_ms > 0)
		{
			pgstat_report_activity(STATE_IDLE, NULL);
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 sleep_ms, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
	}
}
