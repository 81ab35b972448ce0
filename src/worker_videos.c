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
#include "claim_direct.h"
#include "held_videos.h"
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
	values[0] = fetch_int8_array(round_ids, nround_ids);
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

/* The two orders above, over pointers (a ClaimedVideo is large to swap). */
static int
compare_claimed_refs(const void *a, const void *b)
{
	return compare_claimed_videos(*(ClaimedVideo *const *) a, *(ClaimedVideo *const *) b);
}

static int
compare_claimed_group_refs(const void *a, const void *b)
{
	return compare_claimed_groups(*(ClaimedVideo *const *) a, *(ClaimedVideo *const *) b);
}

/*
 * Orders a claim as the budget is spent: (API, creator) groups, oldest
 * due group first, whatever the creator's id.
 */
static void
order_claimed_videos(ClaimedVideo *v, int n)
{
	ClaimedVideo **ref;
	ClaimedVideo *sorted;
	int			start = 0;
	int			i;

	if (n < 2)
		return;
	ref = palloc(sizeof(ClaimedVideo *) * n);
	for (i = 0; i < n; i++)
		ref[i] = &v[i];
	qsort(ref, n, sizeof(ClaimedVideo *), compare_claimed_refs);
	while (start < n)
	{
		int			end = start + 1;
		TimestampTz oldest = ref[start]->due_at;

		while (end < n && ref[end]->api == ref[start]->api &&
			   ref[end]->creator_id == ref[start]->creator_id)
		{
			oldest = Min(oldest, ref[end]->due_at);
			end++;
		}
		for (i = start; i < end; i++)
			ref[i]->group_due = oldest;
		start = end;
	}
	qsort(ref, n, sizeof(ClaimedVideo *), compare_claimed_group_refs);
	sorted = palloc(sizeof(ClaimedVideo) * n);
	for (i = 0; i < n; i++)
		sorted[i] = *ref[i];
	memcpy(v, sorted, sizeof(ClaimedVideo) * n);
	pfree(sorted);
	pfree(ref);
}

/*
 * The claim by statement: up to $1 due videos, oldest due first, through
 * video_schedule_due_idx (claim_at: the worker holds no video when it
 * claims this way, held_videos.c), plus the videos of the same creators that fall
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
 * The rows come in no particular order (the worker orders them itself).
 * Where claim_direct.c applies, it reads the same rows without the
 * executor, and this statement is not run.
 */
#define CLAIM_DUE_VIDEOS \
	"WITH due AS MATERIALIZED (" \
	" SELECT s.video_id, s.claim_at, s.creator_id, s.ctid FROM tiktrack.video_schedule s" \
	" WHERE s.claim_at <= pg_catalog.now()" \
	" ORDER BY s.claim_at LIMIT $1" \
	"), companions AS MATERIALIZED (" \
	" SELECT s.video_id, s.claim_at, s.ctid FROM tiktrack.video_schedule s" \
	" WHERE $2 > '0'::pg_catalog.interval" \
	"  AND s.creator_id OPERATOR(pg_catalog.=) ANY (ARRAY(" \
	"   SELECT DISTINCT d.creator_id FROM due d WHERE d.creator_id IS NOT NULL))" \
	"  AND s.claim_at > pg_catalog.now()" \
	"  AND s.claim_at <= pg_catalog.now() + $2" \
	" ORDER BY s.claim_at LIMIT $1" \
	"), chosen AS MATERIALIZED (" \
	" SELECT d.video_id, d.claim_at, d.ctid FROM due d" \
	" UNION ALL SELECT c.video_id, c.claim_at, c.ctid FROM companions c)" \
	"SELECT v.id, v.creator_id," \
	" CASE WHEN cr.auth_status = 'authorized' THEN cr.authorized_via END," \
	" coalesce(v.posted_at, v.tracked_at), v.track_until, v.fetch_failures, ch.claim_at," \
	/* what the fetch needs of the row, and where the store step finds both rows */ \
	" v.short_url, v.state, " FETCH_STORED_COLUMNS ", v.ctid, ch.ctid" \
	" FROM chosen ch" \
	" JOIN tiktrack.videos v ON v.id = ch.video_id" \
	"  AND v.id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT c2.video_id FROM chosen c2))" \
	" LEFT JOIN tiktrack.creators cr ON cr.id = v.creator_id"

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

/* The claim by its statement (inside SPI), into rows as claim_direct() makes them. */
static int
claim_by_statement(int max_videos, Interval *window, DirectClaim **out)
{
	Oid			types[2] = {INT4OID, INTERVALOID};
	Datum		values[2];
	DirectClaim *c;
	uint64		i;
	int			nest_level;

	values[0] = Int32GetDatum(max_videos);
	values[1] = IntervalPGetDatum(window);
	nest_level = keyed_plan_begin();
	worker_spi_exec(CLAIM_DUE_VIDEOS, 2, types, values, NULL, SPI_OK_SELECT);
	keyed_plan_end(nest_level);
	c = palloc0(sizeof(DirectClaim) * Max(SPI_processed, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;

		c[i].id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		d = SPI_getbinval(tup, desc, 2, &isnull);
		c[i].has_creator = !isnull;
		c[i].known.creator_id = isnull ? 0 : DatumGetInt64(d);
		c[i].api = SPI_getvalue(tup, desc, 3);
		c[i].posted_at = DatumGetTimestampTz(SPI_getbinval(tup, desc, 4, &isnull));
		c[i].track_until = DatumGetTimestampTz(SPI_getbinval(tup, desc, 5, &isnull));
		c[i].fetch_failures = DatumGetInt32(SPI_getbinval(tup, desc, 6, &isnull));
		c[i].next_fetch_at = DatumGetTimestampTz(SPI_getbinval(tup, desc, 7, &isnull));
		c[i].known.video_id = c[i].id;
		c[i].known.short_url = SPI_getvalue(tup, desc, 8);
		c[i].known.state = SPI_getvalue(tup, desc, 9);
		fetch_stored_from_row(&c[i].known.stored, tup, desc, 10);
		/* where the rows were: the store step looks there first */
		tid_from_row(&c[i].known.row_tid, tup, desc, 17);
		tid_from_row(&c[i].known.schedule_tid, tup, desc, 18);
	}
	*out = c;
	return (int) SPI_processed;
}

/*
 * The claim (inside SPI): read directly where claim_direct.c applies, else
 * by its statement; the rows and their strings in the current memory
 * context.
 */
static int
claim_rows(int max_videos, Interval *window, DirectClaim **out)
{
	int			n = claim_direct(max_videos, window, out);

	if (n >= 0)
		return n;
	/* the statement finds videos by index only: none may be held */
	held_videos_hand_back();
	return claim_by_statement(max_videos, window, out);
}

/* The SQL function's order: due first, then creator (NULL last), then id. */
static int
compare_claim_rows(const void *a, const void *b)
{
	const DirectClaim *x = a;
	const DirectClaim *y = b;

	if (x->next_fetch_at != y->next_fetch_at)
		return x->next_fetch_at < y->next_fetch_at ? -1 : 1;
	if (x->has_creator != y->has_creator)
		return x->has_creator ? -1 : 1;
	if (x->known.creator_id != y->known.creator_id)
		return x->known.creator_id < y->known.creator_id ? -1 : 1;
	return x->id < y->id ? -1 : (x->id > y->id ? 1 : 0);
}

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
	MemoryContext callerctx = CurrentMemoryContext;
	DirectClaim *c;
	int			n;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	n = claim_rows(PG_GETARG_INT32(0), PG_GETARG_INTERVAL_P(1), &c);
	qsort(c, n, sizeof(DirectClaim), compare_claim_rows);
	MemoryContextSwitchTo(callerctx);
	for (i = 0; i < n; i++)
	{
		Datum		values[7];
		bool		nulls[7] = {false, !c[i].has_creator, c[i].api == NULL};

		values[0] = Int64GetDatum(c[i].id);
		values[1] = Int64GetDatum(c[i].known.creator_id);
		values[2] = c[i].api ? CStringGetTextDatum(c[i].api) : (Datum) 0;
		values[3] = TimestampTzGetDatum(c[i].posted_at);
		values[4] = TimestampTzGetDatum(c[i].track_until);
		values[5] = Int32GetDatum(c[i].fetch_failures);
		values[6] = TimestampTzGetDatum(c[i].next_fetch_at);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}

Datum
tiktrack_claim_due_videos(PG_FUNCTION_ARGS)
{
	return search_path_call(claim_due_videos_sql, fcinfo);
}

/* Runs the claim; the rows are copied into worker_batch_cxt. */
static int
claim_due_videos(ClaimedVideo **out)
{
	Interval   *window = palloc0(sizeof(Interval));
	DirectClaim *c;
	ClaimedVideo *v;
	int			n;
	int			i;
	MemoryContext old;

	/*
	 * Videos of a claimed creator due within a quarter of the shorter
	 * cadence (at most 5 minutes) come along in the same requests.
	 */
	window->time = (int64) Min(Min(tiktrack_early_interval_s, tiktrack_interval_s), 20 * 60) *
		USECS_PER_SEC / 4;
	old = MemoryContextSwitchTo(worker_batch_cxt);
	n = claim_rows(tiktrack_batch_size, window, &c);
	v = palloc0(sizeof(ClaimedVideo) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		v[i].id = c[i].id;
		v[i].creator_id = c[i].known.creator_id;
		v[i].api = fetch_api_from_name(c[i].api);
		v[i].posted_at = c[i].posted_at;
		v[i].track_until = c[i].track_until;
		v[i].failures = c[i].fetch_failures;
		v[i].due_at = place_of(v[i].id, c[i].next_fetch_at);
		v[i].known = c[i].known;
	}
	MemoryContextSwitchTo(old);
	order_claimed_videos(v, n);
	*out = v;
	return n;
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
	values[0] = fetch_int8_array(ids, k);
	values[1] = worker_timestamptz_array(until, k);
	worker_spi_exec("SELECT tiktrack.postpone_videos($1, $2)", 2, types, values, NULL, SPI_OK_SELECT);
}

/* When the next video or creator is due (DT_NOBEGIN: now). */
static TimestampTz
next_due_time(void)
{
	bool		isnull;
	Datum		d;

	TimestampTz due;
	TimestampTz held;

	worker_spi_exec("SELECT tiktrack.next_due_at()", 0, NULL, NULL, NULL, SPI_OK_SELECT);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	due = isnull ? DT_NOEND : DatumGetTimestampTz(d);
	/* and the videos the worker holds, which the function cannot see */
	if (held_videos_earliest(&held) && held < due)
		due = held;
	return due;
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
	values[0] = fetch_int8_array(ok_ids, nok);
	values[1] = TimestampTzGetDatum(batch->captured_at);
	worker_spi_exec("SELECT tiktrack.notify_snapshots_created($1, $2)",
					2, types, values, NULL, SPI_OK_SELECT);
}

/*
 * The store step committed: the videos whose schedule rows it wrote for
 * the worker's own queue are held from now on; the other videos the round
 * took from the queue go back.
 */
static void
hold_stored_videos(const FetchBatch *b)
{
	int			i;

	for (i = 0; i < b->nvideos; i++)
	{
		const FetchVideo *fv = &b->videos[i];

		if (fv->held)
			held_videos_hold(fv->video_id, fv->held_creator_id, fv->held_next,
							 (ItemPointer) &fv->held_tid);
	}
	held_videos_round_end();
}

/* The next due time, or the earliest held video's if earlier. */
static void
held_due_first(TimestampTz *next_due)
{
	TimestampTz held;

	if (held_videos_earliest(&held) && held < *next_due)
		*next_due = held;
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
		held_videos_round_end();
		held_due_first(next_due);
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
	/* after a full batch the worker goes on at once (worker_run_once) */
	*next_due = nclaimed >= tiktrack_batch_size ? now : next_due_time();
	SPI_finish();
	worker_end_unit();
	hold_stored_videos(batch);
	held_due_first(next_due);
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
	held_videos_round_aborted();
	if (video_round_running)
		round_failed();
	else
		nround_ids = 0;			/* not a round over videos */
}
