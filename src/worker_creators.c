/*-------------------------------------------------------------------------
 *
 * worker_creators.c
 *	  One round of the background worker over authorized creators: claim
 *	  the creators whose account stats are due (or whose tokens expire
 *	  soon), admit them to the rate budgets, refresh tokens ahead of
 *	  expiry, fetch and store their stats and schedule the next fetch.
 *	  The loop that runs the rounds is worker.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "fetch.h"
#include "fetch_budget.h"
#include "rate_limit.h"
#include "schedule.h"
#include "shmem.h"
#include "worker.h"
#include "worker_creators.h"
#include "worker_internal.h"

/* Creators whose stats are fetched per round. */
#define CREATORS_PER_ROUND 200

typedef struct ClaimedCreator
{
	int64		id;
	FetchApi	api;
	bool		admitted;
	TimestampTz postponed_until;
} ClaimedCreator;

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

	worker_spi_exec("SELECT creator_id, api FROM tiktrack.claim_due_creators($1, $2)",
					2, types, values, NULL, SPI_OK_SELECT);
	n = SPI_processed;
	c = MemoryContextAllocZero(worker_batch_cxt, sizeof(ClaimedCreator) * Max(n, 1));
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
	ScheduleSettings s = worker_schedule_settings();
	int			n = batch ? batch->ncreators : 0;
	int			total = n + npostponed;
	int64	   *ids = palloc(sizeof(int64) * Max(total, 1));
	TimestampTz *next = palloc(sizeof(TimestampTz) * Max(total, 1));
	int			k = 0;
	int			i;
	Oid			types[2] = {INT8ARRAYOID, TIMESTAMPTZARRAYOID};
	Datum		values[2];
	int			nstats = 0;

	worker_new_jitter_seed();
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
			next[k] = now + schedule_retry_delay(&s, 3, worker_creator_jitter(fc->creator_id));
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
	values[0] = fetch_int8_array(ids, k);
	values[1] = worker_timestamptz_array(next, k);
	worker_spi_exec("SELECT tiktrack.reschedule_creators($1, $2)", 2, types, values, NULL, SPI_OK_SELECT);
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

int
worker_run_creator_round(void)
{
	ClaimedCreator *claimed = NULL;
	int			nclaimed;
	int			nadmitted = 0;
	int64	   *ids;
	int			i;
	FetchBatch *batch = NULL;
	TimestampTz now;

	worker_begin_unit(TT_WORKER_CLAIMING, "claiming due creators");
	now = GetCurrentTimestamp();
	worker_spi_connect();
	worker_claim_without_wal_flush();
	nclaimed = claim_due_creators(&claimed);
	ids = MemoryContextAlloc(worker_batch_cxt, sizeof(int64) * Max(nclaimed, 1));
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
		MemoryContext old = MemoryContextSwitchTo(worker_batch_cxt);

		batch = fetch_prepare_creators(ids, nadmitted);
		worker_current_batch = batch;
		MemoryContextSwitchTo(old);
		refresh_tokens_ahead(batch, now);
	}
	worker_end_unit();
	if (batch == NULL)
		return nclaimed;

	{
		MemoryContext old = MemoryContextSwitchTo(worker_batch_cxt);

		worker_run_execute(batch, "account stats", nadmitted);
		MemoryContextSwitchTo(old);
	}

	worker_begin_unit(TT_WORKER_WRITING, "writing creator stats");
	now = GetCurrentTimestamp();
	fetch_store(batch);
	worker_spi_connect();
	reschedule_creators(batch, NULL, 0, now);
	SPI_finish();
	worker_end_unit();

	fetch_batch_wipe(batch);
	worker_current_batch = NULL;
	return nclaimed;
}
