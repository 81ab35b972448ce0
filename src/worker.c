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
 *	1. claims due videos (from its queue of the videos it holds,
 *	   held_videos.c, and through video_schedule_due_idx; the claim reads
 *	   their rows too), lets the rate limiters admit or postpone each
 *	   creator's requests, reads the admitted videos' credentials, once
 *	   per creator (fetch_prepare_known_videos), and commits: the claim
 *	   writes nothing and holds no lock;
 *	2. runs the HTTP requests concurrently with no transaction open
 *	   (fetch_execute), storing rotated tokens at once in short
 *	   transactions of their own;
 *	3. decides every video's next fetch and writes the batch in one short
 *	   transaction through fetch_store(), the store step refresh() uses:
 *	   snapshots and latest_snapshots, each video's outcome where it
 *	   changed anything, and its next fetch in video_schedule; then the
 *	   events.
 *
 * One worker serves a database, and a round claims, fetches and stores
 * before the next one claims, so claims need not be written: a crash
 * between claim and store leaves the videos due, and the next worker
 * fetches them.  Snapshots are keyed by (video, captured_at) and inserted
 * ON CONFLICT DO NOTHING, so nothing is ever duplicated.

 * An ERROR in a round is reported, the round's claims are released with
 * a failure counted, and the loop goes on (a poison batch therefore ends
 * up 'failing' instead of crash-looping the worker).  SIGTERM
 * (pg_terminate_backend, DROP DATABASE, shutdown) exits through FATAL,
 * and the launcher starts the worker again after a pause if its database
 * is still there.
 *
 * The parts: this file holds the process, its loop, the extension check,
 * maintenance and the helpers the rounds share (worker_internal.h);
 * worker_videos.c runs one round over videos (worker_video_store.c stores
 * its batch), worker_creators.c one over creators, and worker_settings.c
 * defines the settings.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

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
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "citus_node.h"
#include "fetch.h"
#include "fetch_budget.h"
#include "launcher.h"
#include "rate_limit.h"
#include "schedule.h"
#include "search_path.h"
#include "shmem.h"
#include "tiktrack.h"
#include "worker.h"
#include "worker_creators.h"
#include "worker_internal.h"
#include "worker_videos.h"

/* fetch_log rows deleted per pruning step (small: no long locks). */
#define PRUNE_BATCH 1000

/* Longest sleep, so maintenance runs even when nothing is due. */
#define MAX_SLEEP_MS 60000L
#define ERROR_PAUSE_MS 1000L

/*
 * While full video batches follow one another, the creators' claim (daily
 * stats, tokens to refresh minutes ahead) runs at most this often rather
 * than before every batch: its statement reads every authorized creator.
 */
#define BUSY_CREATOR_ROUND_GAP_MS 1000L

/* ---- state of this process ---- */

MemoryContext worker_batch_cxt = NULL;
FetchBatch *worker_current_batch = NULL;	/* for wiping after an error */
static bool release_claims_pending = false;
static char last_round_error[256];
static TimestampTz next_prune_at = 0;
static TimestampTz next_busy_creator_round = 0;	/* while batches are full */
static bool last_batch_full = false;
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

/* ---- small helpers ---- */

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

void
worker_new_jitter_seed(void)
{
	batch_jitter_seed = pg_prng_uint64(&pg_global_prng_state);
}

/*
 * A jitter in [0, 1) that is the same for every video of one creator in
 * one batch, so retried videos stay grouped in shared requests instead
 * of each costing a request of its own (splitmix64 of seed and creator).
 */
double
worker_creator_jitter(int64 creator_id)
{
	uint64		z = batch_jitter_seed + (uint64) creator_id * UINT64CONST(0x9E3779B97F4A7C15);

	z = (z ^ (z >> 30)) * UINT64CONST(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94D049BB133111EB);
	z ^= z >> 31;
	return (double) (z >> 11) / (double) (UINT64CONST(1) << 53);
}

void
worker_set_state(TiktrackWorkerState state, const char *activity)
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
void
worker_begin_unit(TiktrackWorkerState state, const char *activity)
{
	worker_set_state(state, activity);
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
}

void
worker_end_unit(void)
{
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
}

void
worker_spi_connect(void)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "tiktrack worker: SPI_connect failed");
}

int
worker_spi_exec(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls,
				int expected)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);

	if (rc != expected)
		elog(ERROR, "tiktrack worker: query failed (SPI code %d): %s", rc, sql);
	return rc;
}

/* timestamptz[] where DT_NOBEGIN stands for NULL. */
Datum
worker_timestamptz_array(const TimestampTz *values, int n)
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
 * A claim need not survive a crash (the next worker releases it anyway),
 * so its commit does not wait for the WAL flush; the write of a batch
 * does.
 */
void
worker_claim_without_wal_flush(void)
{
	worker_spi_exec("SET LOCAL synchronous_commit = off", 0, NULL, NULL, NULL, SPI_OK_UTILITY);
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

void
worker_run_execute(FetchBatch *batch, const char *what, int n)
{
	char		activity[128];

	snprintf(activity, sizeof(activity), "fetching %s of %d %s from TikTok",
			 what, n, batch->nvideos > 0 ? "videos" : "creators");
	worker_set_state(TT_WORKER_FETCHING, activity);
	worker_current_batch = batch;
	fetch_execute(batch, store_rotated_credentials, NULL);
	account_calls(batch);
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

	worker_begin_unit(TT_WORKER_MAINTENANCE, "pruning tiktrack.fetch_log");
	worker_spi_connect();
	worker_spi_exec("SELECT tiktrack.prune_fetch_log(pg_catalog.make_interval(secs => $1), $2)",
					2, types, values, NULL, SPI_OK_SELECT);
	deleted = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	worker_end_unit();
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
			worker_set_state(TT_WORKER_WAITING_FOR_EXTENSION, NULL);
			return VERSION_CHECK_MS;
		case EXTENSION_READY:
			break;
	}
	if (!tiktrack_worker_enabled)
	{
		worker_set_state(TT_WORKER_DISABLED, NULL);
		return MAX_SLEEP_MS;
	}
	/* On a Citus cluster only the coordinator fetches (citus_node.c). */
	if (citus_node_is_worker(database_name))
	{
		worker_set_state(TT_WORKER_CITUS_WORKER_NODE, NULL);
		return MAX_SLEEP_MS;
	}

	if (release_claims_pending)
	{
		release_claims_pending = false;
		worker_release_failed_claims(last_round_error);
	}

	now = GetCurrentTimestamp();
	if (now >= next_prune_at)
	{
		more = prune_fetch_log();
		next_prune_at = more ? now : now + 60 * USECS_PER_SEC;
	}

	if (!last_batch_full || now >= next_busy_creator_round)
	{
		worker_run_creator_round();
		next_busy_creator_round = now + BUSY_CREATOR_ROUND_GAP_MS * 1000L;
	}
	MemoryContextReset(worker_batch_cxt);
	nclaimed = worker_run_video_round(&next_due);
	last_batch_full = (nclaimed >= tiktrack_batch_size);

	worker_set_state(TT_WORKER_IDLE, NULL);
	if (more || last_batch_full)
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
	if (worker_current_batch != NULL)
	{
		fetch_batch_wipe(worker_current_batch);
		worker_current_batch = NULL;
	}
	MemoryContextReset(worker_batch_cxt);
	tiktrack_count(TT_COUNT_ERR_WORKER, 1);
	release_claims_pending = true;
	worker_video_round_aborted();
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
 * A round allocates and frees the same few megabytes again and again (its
 * responses, their parsed trees, the batch).  By default glibc gives freed
 * memory at the top of the heap back to the kernel, and large blocks are
 * mapped and unmapped one by one, so every round faults the same pages in
 * again: in the ingest benchmark page faults were 6 % of the worker's CPU.
 * A worker keeps what it freed instead; its footprint is then that of its
 * largest round, which test/bench/worker_memory.sh checks stays flat.
 */
static void
worker_keep_freed_memory(void)
{
#if defined(__GLIBC__) && defined(M_TRIM_THRESHOLD)
	mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
#endif
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
	worker_keep_freed_memory();

	worker_batch_cxt = AllocSetContextCreate(TopMemoryContext, "tiktrack worker batch",
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
		MemoryContextReset(worker_batch_cxt);

		if (sleep_ms > 0)
		{
			pgstat_report_activity(STATE_IDLE, NULL);
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 sleep_ms, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
	}
}
