/*-------------------------------------------------------------------------
 *
 * worker_videos.c
 *	  One round of the background worker over videos: claim the due
 *	  videos, admit them to the rate budgets in fair order (postponed
 *	  videos keep their place in line), hold back the suspects of a fault
 *	  that failed whole rounds, fetch, then store the batch with every
 *	  video's next fetch (worker_video_store.c, where one video's fault
 *	  never costs the others their snapshots) and announce the snapshots.
 *	  Also gives back the claims of failed rounds and of workers that
 *	  stopped.  The loop that runs the rounds is worker.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "fetch.h"
#include "fetch_budget.h"
#include "rate_limit.h"
#include "schedule.h"
#include "shmem.h"
#include "worker.h"
#include "worker_internal.h"
#include "search_path.h"
#include "keyed_plan.h"
#include "worker_videos.h"

/* Most ids TikTok accepts in one video request (both APIs). */
#define IDS_PER_REQUEST 20

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

/* ---- claims ---- */

/*
 * After an error in a round, the videos it claimed are retried later with
 * a failure counted (so a batch that keeps failing becomes 'failing'
 * rather than looping).
 */
void
worker_release_failed_claims(const char *error)
{
	Oid			types[4] = {INT8ARRAYOID, INTERVALOID, TEXTOID, INT4OID};
	Datum		values[4];
	Interval   *delay = palloc0(sizeof(Interval));

	delay->time = (int64) tiktrack_retry_base_delay_s * USECS_PER_SEC;
	values[0] = worker_int8_array(round_ids, nround_ids);
	values[1] = IntervalPGetDatum(delay);
	values[2] = CStringGetTextDatum(error);
	values[3] = Int32GetDatum(tiktrack_failing_after);

	worker_begin_unit(TT_WORKER_MAINTENANCE, "releasing claims of a failed round");
	worker_spi_connect();
	worker_spi_exec("SELECT tiktrack.release_failed_claims($1, $2, $3, $4)", 4, types, values, NULL,
					SPI_OK_SELECT);
	SPI_finish();
	worker_end_unit();
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

/*
 * The claim: up to $1 due videos, oldest due first, through
 * video_schedule_due_idx, plus the videos of the same creators that fall
 * due within $2: fetching them now costs no extra request (TikTok takes
 * 20 ids per request), and it keeps a creator's videos in step instead of
 * drifting into one request each.  It writes nothing: this worker is the
 * only one serving the database (the launcher starts one, and a second
 * exits), a round claims, fetches and stores before the next claims, and
 * a round that never stores (an error, a kill) leaves its videos due.
 * due_at is when each video fell due (a companion's is in the future):
 * the budget is spent in that order, whatever the creator.  Companions are
 * found through video_schedule_creator_due_idx, the creators as an array
 * (a few entries each, whatever the number of videos tracked; the soonest
 * due first), the videos rows by an array of ids, so that every step is
 * an index probe whatever the estimates.  Arrays, not a LIMIT lateral per
 * creator: Citus pushes no such subquery over a CTE down to the shards.
 */
#define CLAIM_DUE_VIDEOS \
	"WITH due AS MATERIALIZED (" \
	" SELECT s.video_id, s.next_fetch_at, s.creator_id, s.ctid FROM tiktrack.video_schedule s" \
	" WHERE s.next_fetch_at <= pg_catalog.now()" \
	" ORDER BY s.next_fetch_at LIMIT $1" \
	"), companions AS MATERIALIZED (" \
	" SELECT s.video_id, s.next_fetch_at, s.ctid FROM tiktrack.video_schedule s" \
	" WHERE $2 > '0'::pg_catalog.interval" \
	"  AND s.creator_id OPERATOR(pg_catalog.=) ANY (ARRAY(" \
	"   SELECT DISTINCT d.creator_id FROM due d WHERE d.creator_id IS NOT NULL))" \
	"  AND s.next_fetch_at > pg_catalog.now()" \
	"  AND s.next_fetch_at <= pg_catalog.now() + $2" \
	" ORDER BY s.next_fetch_at LIMIT $1" \
	"), chosen AS MATERIALIZED (" \
	" SELECT d.video_id, d.next_fetch_at, d.ctid FROM due d" \
	" UNION ALL SELECT c.video_id, c.next_fetch_at, c.ctid FROM companions c)" \
	"SELECT v.id, v.creator_id," \
	" CASE WHEN cr.auth_status = 'authorized' THEN cr.authorized_via END," \
	" coalesce(v.posted_at, v.tracked_at), v.track_until, v.fetch_failures, ch.next_fetch_at," \
	/* what the fetch needs of the row, and where the store step finds both rows */ \
	" v.short_url, v.state, " FETCH_STORED_COLUMNS ", v.ctid, ch.ctid" \
	" FROM chosen ch" \
	" JOIN tiktrack.videos v ON v.id = ch.video_id" \
	"  AND v.id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT c2.video_id FROM chosen c2))" \
	" LEFT JOIN tiktrack.creators cr ON cr.id = v.creator_id" \
	" ORDER BY ch.next_fetch_at, v.creator_id, v.id"

/*
 * tiktrack.claim_due_videos(max_videos, coalesce_window): the worker's
 * claim from SQL, for benchmarks and for looking at what the worker would
 * take next (it changes nothing).
 */
PG_FUNCTION_INFO_V1(tiktrack_claim_due_videos);

static Datum
claim_due_videos_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			types[2] = {INT4OID, INTERVALOID};
	Datum		values[2];
	uint64		i;
	int			nest_level;
	Datum	   *row;
	bool	   *nulls;

	InitMaterializedSRF(fcinfo, 0);
	values[0] = PG_GETARG_DATUM(0);
	values[1] = PG_GETARG_DATUM(1);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	nest_level = keyed_plan_begin();	/* as the worker plans it */
	if (SPI_execute_with_args(CLAIM_DUE_VIDEOS, 2, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "the claim of due videos failed");
	keyed_plan_end(nest_level);
	/* the function's columns are the claim's first ones */
	row = palloc(sizeof(Datum) * SPI_tuptable->tupdesc->natts);
	nulls = palloc(sizeof(bool) * SPI_tuptable->tupdesc->natts);
	for (i = 0; i < SPI_processed; i++)
	{
		heap_deform_tuple(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, row, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, row, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}

Datum
tiktrack_claim_due_videos(PG_FUNCTION_ARGS)
{
	return search_path_call(claim_due_videos_sql, fcinfo);
}

/* A ctid the claim read; invalid when absent. */
static void
tid_from_row(ItemPointer tid, HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	if (isnull)
		ItemPointerSetInvalid(tid);
	else
		ItemPointerCopy((ItemPointer) DatumGetPointer(d), tid);
}

/* Runs the claim; the rows are copied into worker_batch_cxt. */
static int
claim_due_videos(ClaimedVideo **out)
{
	Oid			types[2] = {INT4OID, INTERVALOID};
	Datum		values[2];
	Interval   *window = palloc0(sizeof(Interval));
	ClaimedVideo *v;
	uint64		i,
				n;
	int			nest_level;
	MemoryContext old;

	/*
	 * Videos of a claimed creator due within a quarter of the shorter
	 * cadence (at most 5 minutes) come along in the same requests.
	 */
	window->time = (int64) Min(Min(tiktrack_early_interval_s, tiktrack_interval_s), 20 * 60) *
		USECS_PER_SEC / 4;
	values[0] = Int32GetDatum(tiktrack_batch_size);
	values[1] = IntervalPGetDatum(window);
	nest_level = keyed_plan_begin();
	worker_spi_exec(CLAIM_DUE_VIDEOS, 2, types, values, NULL, SPI_OK_SELECT);
	keyed_plan_end(nest_level);
	n = SPI_processed;
	v = MemoryContextAllocZero(worker_batch_cxt, sizeof(ClaimedVideo) * Max(n, 1));
	old = MemoryContextSwitchTo(worker_batch_cxt);
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
		v[i].known.video_id = v[i].id;
		v[i].known.creator_id = v[i].creator_id;
		v[i].known.short_url = SPI_getvalue(tup, desc, 8);
		v[i].known.state = SPI_getvalue(tup, desc, 9);
		fetch_stored_from_row(&v[i].known.stored, tup, desc, 10);
		/* where the rows were: the store step looks there first */
		tid_from_row(&v[i].known.row_tid, tup, desc, 17);
		tid_from_row(&v[i].known.schedule_tid, tup, desc, 18);
	}
	MemoryContextSwitchTo(old);
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
	values[0] = worker_int8_array(ids, k);
	values[1] = worker_timestamptz_array(until, k);
	worker_spi_exec("SELECT tiktrack.postpone_videos($1, $2)", 2, types, values, NULL, SPI_OK_SELECT);
}

/* When the next video or creator is due (DT_NOBEGIN: now). */
static TimestampTz
next_due_time(void)
{
	bool		isnull;
	Datum		d;

	worker_spi_exec("SELECT tiktrack.next_due_at()", 0, NULL, NULL, NULL, SPI_OK_SELECT);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? DT_NOEND : DatumGetTimestampTz(d);
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
	values[0] = worker_int8_array(ok_ids, nok);
	values[1] = TimestampTzGetDatum(batch->captured_at);
	worker_spi_exec("SELECT tiktrack.notify_snapshots_created($1, $2)",
					2, types, values, NULL, SPI_OK_SELECT);
}

/* ---- one round over videos ---- */

int
worker_run_video_round(TimestampTz *next_due)
{
	ClaimedVideo *claimed = NULL;
	int			nclaimed;
	int			nadmitted;
	FetchKnownVideo *known;
	int			i,
				k;
	FetchBatch *batch = NULL;
	TimestampTz now;
	int			nsnapshots;
	int64	   *ok_ids;
	char		activity[128];

	worker_begin_unit(TT_WORKER_CLAIMING, "claiming due videos");
	now = GetCurrentTimestamp();
	worker_spi_connect();
	worker_claim_without_wal_flush();
	nclaimed = claim_due_videos(&claimed);
	hold_suspects(claimed, nclaimed);
	nadmitted = admit_videos(claimed, nclaimed, now);
	keep_places(claimed, nclaimed);
	note_round_videos(claimed, nclaimed);
	if (nadmitted < nclaimed)
		postpone_videos(claimed, nclaimed);
	/* a round that fetches asks after it stores, when the schedule is new */
	if (nadmitted == 0)
		*next_due = next_due_time();
	SPI_finish();

	if (nadmitted > 0)
	{
		MemoryContext old = MemoryContextSwitchTo(worker_batch_cxt);

		known = palloc(sizeof(FetchKnownVideo) * nadmitted);
		for (i = 0, k = 0; i < nclaimed; i++)
			if (claimed[i].admitted)
				known[k++] = claimed[i].known;
		batch = fetch_prepare_known_videos(known, nadmitted);
		worker_current_batch = batch;
		MemoryContextSwitchTo(old);
	}
	worker_end_unit();
	tiktrack_count(TT_COUNT_VIDEOS_CLAIMED, nclaimed);
	tiktrack_set_videos_in_flight(nadmitted);

	if (batch == NULL)
	{
		round_succeeded();
		if (nclaimed > 0)
			tiktrack_set_worker_state(TT_WORKER_RATE_LIMITED);
		return nclaimed;
	}

	{
		MemoryContext old = MemoryContextSwitchTo(worker_batch_cxt);

		worker_run_execute(batch, "stats", nadmitted);
		MemoryContextSwitchTo(old);
	}

	snprintf(activity, sizeof(activity), "writing %d video snapshots", nadmitted);
	worker_begin_unit(TT_WORKER_WRITING, activity);
	now = GetCurrentTimestamp();
	ok_ids = MemoryContextAlloc(worker_batch_cxt, sizeof(int64) * Max(batch->nvideos, 1));
	worker_schedule_videos(batch, claimed, nclaimed, now);
	worker_store_batch(batch, claimed, now);
	nsnapshots = snapshot_ids(batch, ok_ids);
	worker_spi_connect();
	notify_snapshots(batch, ok_ids, nsnapshots);
	*next_due = next_due_time();
	SPI_finish();
	worker_end_unit();
	tiktrack_count(TT_COUNT_SNAPSHOTS, nsnapshots);

	fetch_batch_wipe(batch);
	worker_current_batch = NULL;
	tiktrack_set_videos_in_flight(0);
	round_succeeded();
	return nclaimed;
}

/*
 * After an ERROR anywhere in a round (recover_from_error() in worker.c):
 * a round over videos in progress failed as a whole.
 */
void
worker_video_round_aborted(void)
{
	tiktrack_set_videos_in_flight(0);
	if (video_round_running)
		round_failed();
	else
		nround_ids = 0;			/* not a round over videos */
}
