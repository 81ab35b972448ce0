/*-------------------------------------------------------------------------
 *
 * worker_status.c
 *	  SQL functions reading the state and counters of the worker of the
 *	  session's database and the rate limiters (shared by every database)
 *	  from shared memory (tiktrack.worker_status is built on them).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "commands/dbcommands.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "shmem.h"
#include "worker.h"

PG_FUNCTION_INFO_V1(tiktrack_worker_info);
PG_FUNCTION_INFO_V1(tiktrack_worker_videos_in_flight);
PG_FUNCTION_INFO_V1(tiktrack_worker_counters);
PG_FUNCTION_INFO_V1(tiktrack_rate_limits);
PG_FUNCTION_INFO_V1(tiktrack_worker_backlog);

/* False when tiktrack.database restricts the workers to another database. */
static bool
database_is_served(void)
{
	char	   *name;

	if (tiktrack_database == NULL || tiktrack_database[0] == '\0')
		return true;
	name = get_database_name(MyDatabaseId);
	return name != NULL && strcmp(name, tiktrack_database) == 0;
}

static Datum
timestamp_or_null(TimestampTz t, bool *isnull)
{
	*isnull = (t == 0);
	return TimestampTzGetDatum(t);
}

Datum
tiktrack_worker_info(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	Datum		values[7];
	bool		nulls[7] = {false};
	TiktrackDatabaseSlot *s = palloc(sizeof(TiktrackDatabaseSlot));
	bool		has_slot;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	/* The worker of this session's database. */
	has_slot = tiktrack_read_database_slot(MyDatabaseId, s);

	values[0] = Int32GetDatum(s->worker_pid);
	nulls[0] = (s->worker_pid == 0);
	if (!tiktrack_shmem_available())
		values[1] = CStringGetTextDatum("not running (tiktrack is not in shared_preload_libraries)");
	else if (!has_slot && !database_is_served())
		values[1] = CStringGetTextDatum("not served (tiktrack.database)");
	else
		values[1] = CStringGetTextDatum(tiktrack_worker_state_names[s->worker_state]);
	values[2] = timestamp_or_null(s->worker_state_since, &nulls[2]);
	values[3] = timestamp_or_null(s->worker_started_at, &nulls[3]);
	values[4] = Int32GetDatum(s->worker_restarts);
	values[5] = timestamp_or_null(s->last_success[1], &nulls[5]);
	values[6] = timestamp_or_null(s->last_success[2], &nulls[6]);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

/* How many videos the round in progress claimed (0 between rounds). */
Datum
tiktrack_worker_videos_in_flight(PG_FUNCTION_ARGS)
{
	TiktrackDatabaseSlot *s = palloc(sizeof(TiktrackDatabaseSlot));

	if (!tiktrack_read_database_slot(MyDatabaseId, s) || s->worker_pid == 0)
		PG_RETURN_INT64(0);
	PG_RETURN_INT64(s->videos_in_flight);
}

Datum
tiktrack_worker_counters(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TiktrackDatabaseSlot *s = palloc(sizeof(TiktrackDatabaseSlot));
	int64		minute[TT_NUM_COUNTERS];
	int64		hour[TT_NUM_COUNTERS];
	int64		total[TT_NUM_COUNTERS];
	int			c;

	InitMaterializedSRF(fcinfo, 0);
	(void) tiktrack_read_database_slot(MyDatabaseId, s);
	tiktrack_read_counters(s, GetCurrentTimestamp(), minute, hour, total);
	for (c = 0; c < TT_NUM_COUNTERS; c++)
	{
		Datum		values[4];
		bool		nulls[4] = {false};

		values[0] = CStringGetTextDatum(tiktrack_counter_names[c]);
		values[1] = Int64GetDatum(minute[c]);
		values[2] = Int64GetDatum(hour[c]);
		values[3] = Int64GetDatum(total[c]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* "600/min", "10/s, 600/min, 864000/day", or "none". */
static char *
describe_limits(const RateLimiter *rl)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < rl->nwindows; i++)
	{
		const RateWindow *w = &rl->windows[i];
		const char *unit;

		if (w->limit <= 0)
			continue;
		if (w->window_us == USECS_PER_SEC)
			unit = "s";
		else if (w->window_us == 60 * USECS_PER_SEC)
			unit = "min";
		else if (w->window_us == USECS_PER_DAY)
			unit = "day";
		else
			unit = "window";
		appendStringInfo(&buf, "%s" INT64_FORMAT "/%s", buf.len > 0 ? ", " : "",
						 (int64) w->limit, unit);
	}
	if (buf.len == 0)
		appendStringInfoString(&buf, "none");
	return buf.data;
}

Datum
tiktrack_rate_limits(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RateLimiter *limiters = palloc(sizeof(RateLimiter) * TT_NUM_LIMITERS);
	TimestampTz now = GetCurrentTimestamp();
	int			l;

	InitMaterializedSRF(fcinfo, 0);
	if (!tiktrack_shmem_available())
		return (Datum) 0;
	/* One budget per TikTok app: the same for every database. */
	tiktrack_read_limiters(limiters);
	for (l = 0; l < TT_NUM_LIMITERS; l++)
	{
		RateLimiter *rl = &limiters[l];
		Datum		values[8];
		bool		nulls[8] = {false};

		values[0] = CStringGetTextDatum(tiktrack_limiter_names[l]);
		values[1] = CStringGetTextDatum(describe_limits(rl));
		values[2] = Int32GetDatum(rate_limiter_available(rl, now, INT32_MAX / 2));
		nulls[2] = (rl->nwindows == 0);
		values[3] = Float8GetDatum(rl->speed);
		nulls[3] = (rl->nwindows == 0);
		values[4] = TimestampTzGetDatum(rl->blocked_until);
		nulls[4] = (rl->blocked_until == 0);
		values[5] = Int64GetDatum(rl->throttles);
		values[6] = Int64GetDatum(rl->waits);
		values[7] = Float8GetDatum((double) rl->waited_us / USECS_PER_SEC);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * Per API, since when the oldest video the worker postponed for lack of
 * budget has been due (the APIs where nothing waits have no row).
 */
Datum
tiktrack_worker_backlog(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	static const char *const api_names[TT_NUM_APIS] = {"none", "display", "business"};
	TiktrackDatabaseSlot *s = palloc(sizeof(TiktrackDatabaseSlot));
	int			api;

	InitMaterializedSRF(fcinfo, 0);
	(void) tiktrack_read_database_slot(MyDatabaseId, s);
	for (api = 0; api < TT_NUM_APIS; api++)
	{
		Datum		values[2];
		bool		nulls[2] = {false};

		if (s->waiting_since[api] == 0)
			continue;
		values[0] = CStringGetTextDatum(api_names[api]);
		values[1] = TimestampTzGetDatum(s->waiting_since[api]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	pfree(s);
	return (Datum) 0;
}
