/*-------------------------------------------------------------------------
 *
 * snapshot_store.c
 *	  Writes the results of a fetch in the caller's transaction.
 *
 * Idempotent: snapshots and creator_stats are keyed by (id, captured_at)
 * and inserted ON CONFLICT DO NOTHING, so a batch stored twice (a worker
 * retrying its store transaction) leaves one row.  Every statement names
 * its schema; the functions run under the caller's search_path.
 *
 * Set-based: whatever the size of the batch, its snapshots, its fetch_log
 * rows and its videos' outcomes are written by one or two statements each
 * (arrays unnest()ed), every row once, so tiktrack.refresh() and the
 * worker's batches of thousands of videos go through the same code.
 * Tokens and creators are few per batch and written one by one.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "fetch.h"
#include "latest_snapshots.h"
#include "snapshot_store.h"
#include "token_seal.h"
#include "worker.h"

static void
exec(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls, int expect)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);

	if (rc != expect)
		elog(ERROR, "tiktrack store failed (%s): %s", SPI_result_code_string(rc), sql);
}

/*
 * Whether the database's tiktrack is 0.2.0 or later (tiktrack.video_schedule
 * holds the schedule) rather than 0.1.0 under this newer library, before
 * ALTER EXTENSION tiktrack UPDATE: what 0.1.0's functions do must keep
 * working there (connect_creator, disconnect_creator).
 */
bool
store_schema_has_schedule(void)
{
	Oid			nsp = get_namespace_oid("tiktrack", true);

	return OidIsValid(nsp) && OidIsValid(get_relname_relid("video_schedule", nsp));
}

/* The store step needs 0.2.0's schema. */
static void
require_current_schema(void)
{
	if (!store_schema_has_schedule())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the tiktrack extension of this database is older than its library " TIKTRACK_VERSION),
				 errhint("Run ALTER EXTENSION tiktrack UPDATE.")));
}

/*
 * Text from TikTok in the database encoding.  The JSON decoder made it
 * valid UTF-8; a character the database encoding lacks (an emoji in a
 * LATIN1 database) must not fail the batch either: then the text is
 * stored with every non-ASCII character as '?'.
 */
static char *
server_text(const char *s)
{
	size_t		len = strlen(s);
	int			enc = GetDatabaseEncoding();
	MemoryContext cxt = CurrentMemoryContext;
	char	   *conv = NULL;

	if (enc == PG_UTF8 || enc == PG_SQL_ASCII)
	{
		/* nothing to convert; a last check that it is valid */
		if (enc == PG_SQL_ASCII || pg_verifymbstr(s, (int) len, true))
			return (char *) s;
	}
	else
	{
		PG_TRY();
		{
			conv = pg_any_to_server(s, (int) len, PG_UTF8);
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(cxt);
			FlushErrorState();
			conv = NULL;
		}
		PG_END_TRY();
		if (conv)
			return conv;
	}
	conv = pstrdup(s);
	for (char *p = conv; *p; p++)
		if (IS_HIGHBIT_SET(*p))
			*p = '?';
	return conv;
}

/* Text from TikTok (UTF-8) in the database encoding; NULL stays NULL. */
static Datum
text_arg(const char *s, char *nulls, int i)
{
	if (s == NULL)
	{
		nulls[i] = 'n';
		return (Datum) 0;
	}
	nulls[i] = ' ';
	return CStringGetTextDatum(server_text(s));
}

static Datum
int8_arg(bool has, int64 v, char *nulls, int i)
{
	nulls[i] = has ? ' ' : 'n';
	return Int64GetDatum(v);
}

void
store_tokens_spi(int64 creator_id, FetchApi api, const char *access_token,
				 const char *refresh_token, TimestampTz access_expires_at,
				 TimestampTz refresh_expires_at, const char *scope)
{
	Oid			types[7] = {INT8OID, TEXTOID, BYTEAOID, BYTEAOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID};
	Datum		v[7];
	char		nulls[8] = "       ";

	v[0] = Int64GetDatum(creator_id);
	v[1] = CStringGetTextDatum(fetch_api_name(api));
	v[2] = PointerGetDatum(token_seal(access_token, "access_token"));
	if (refresh_token)
		v[3] = PointerGetDatum(token_seal(refresh_token, "refresh_token"));
	else
		nulls[3] = 'n';
	v[4] = TimestampTzGetDatum(access_expires_at);
	v[5] = TimestampTzGetDatum(refresh_expires_at);
	if (refresh_expires_at == 0)
		nulls[5] = 'n';
	v[6] = text_arg(scope, nulls, 6);
	exec("INSERT INTO tiktrack.creator_tokens AS t"
		 " (creator_id, api, access_token, refresh_token, access_expires_at, refresh_expires_at, scope,"
		 "  obtained_at, rotated_at)"
		 " VALUES ($1, $2, $3, $4, $5, $6, $7, pg_catalog.now(), pg_catalog.now())"
		 " ON CONFLICT (creator_id) DO UPDATE SET api = excluded.api,"
		 "  access_token = excluded.access_token, refresh_token = excluded.refresh_token,"
		 "  access_expires_at = excluded.access_expires_at,"
		 "  refresh_expires_at = excluded.refresh_expires_at,"
		 "  scope = excluded.scope, obtained_at = excluded.obtained_at, rotated_at = excluded.rotated_at",
		 7, types, v, nulls, SPI_OK_INSERT);
	exec("UPDATE tiktrack.creators SET authorized_via = $2, auth_status = 'authorized',"
		 " authorized_at = pg_catalog.now(), last_error = NULL, updated_at = pg_catalog.now() WHERE id = $1",
		 2, types, v, nulls, SPI_OK_UPDATE);
	/*
	 * videos that waited for this authorization (parked until their end,
	 * see schedule_video() in worker_video_store.c) can be fetched now
	 */
	if (store_schema_has_schedule())
		exec("WITH woken AS ("
			 " UPDATE tiktrack.videos SET state = 'tracking', last_error = NULL"
			 " WHERE creator_id = $1 AND state = 'awaiting_authorization' RETURNING id)"
			 " UPDATE tiktrack.video_schedule s SET next_fetch_at = pg_catalog.now()"
			 " FROM woken w WHERE s.video_id = w.id",
			 1, types, v, nulls, SPI_OK_UPDATE);
	else
		exec("UPDATE tiktrack.videos SET state = 'tracking', last_error = NULL,"
			 " next_fetch_at = pg_catalog.now()"
			 " WHERE creator_id = $1 AND state = 'awaiting_authorization'",
			 1, types, v, nulls, SPI_OK_UPDATE);
	pfree(DatumGetPointer(v[2]));
}

/*
 * Tokens TikTok rotated during a fetch.  A plain UPDATE: the trigger that
 * wakes the worker fires on INSERT (an authorization), so the worker's own
 * rotations do not wake it again.
 */
static void
store_rotation_spi(FetchCredentials *c)
{
	Oid			types[5] = {INT8OID, BYTEAOID, BYTEAOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Datum		v[5];
	char		nulls[6] = "     ";

	v[0] = Int64GetDatum(c->creator_id);
	v[1] = PointerGetDatum(token_seal(c->access_token, "access_token"));
	if (c->refresh_token)
		v[2] = PointerGetDatum(token_seal(c->refresh_token, "refresh_token"));
	else
		nulls[2] = 'n';
	v[3] = TimestampTzGetDatum(c->access_expires_at);
	v[4] = TimestampTzGetDatum(c->refresh_expires_at);
	if (c->refresh_expires_at == 0)
		nulls[4] = 'n';
	exec("UPDATE tiktrack.creator_tokens SET access_token = $2, refresh_token = $3,"
		 " access_expires_at = $4, refresh_expires_at = coalesce($5, refresh_expires_at),"
		 " rotated_at = pg_catalog.now() WHERE creator_id = $1",
		 5, types, v, nulls, SPI_OK_UPDATE);
	c->rotation_stored = true;
}

void
fetch_store_credentials(FetchCredentials *c)
{
	if (!c->rotated || c->rotation_stored)
		return;
	SPI_connect();
	store_rotation_spi(c);
	SPI_finish();
}

/* ---- set-based writes: one array per column, unnest()ed by one statement ---- */

static ArrayBuildState *
column_new(Oid elemtype)
{
	return initArrayResult(elemtype, CurrentMemoryContext, false);
}

static void
column_add(ArrayBuildState *col, bool has, Datum value)
{
	accumArrayResult(col, has ? value : (Datum) 0, !has, col->element_type,
					 CurrentMemoryContext);
}

/* Text from TikTok (UTF-8) in the database encoding, or NULL. */
static void
column_add_text(ArrayBuildState *col, const char *s)
{
	column_add(col, s != NULL, s ? CStringGetTextDatum(server_text(s)) : (Datum) 0);
}

static Datum
column_array(ArrayBuildState *col)
{
	return makeArrayResult(col, CurrentMemoryContext);
}

/* fetch_log.api of a call: the API, its OAuth endpoints, or web (short links). */
static const char *
call_log_api(const FetchCall *c)
{
	if (c->api == FETCH_API_NONE)
		return "web";
	if (fetch_call_is_oauth(c))
		return c->api == FETCH_API_BUSINESS ? "business_oauth" : "oauth";
	return fetch_api_name(c->api);
}

/* One fetch_log row per call, in one statement. */
static void
store_calls_spi(FetchCall **calls, int ncalls)
{
	enum
	{
		C_AT, C_API, C_ENDPOINT, C_STATUS, C_CODE, C_LOG_ID, C_MS, C_COUNT, C_VIDEO,
		C_CREATOR, C_MESSAGE, NCOLS
	};
	static const Oid elem[NCOLS] = {TIMESTAMPTZOID, TEXTOID, TEXTOID, INT4OID, TEXTOID,
	TEXTOID, FLOAT8OID, INT4OID, INT8OID, INT8OID, TEXTOID};
	Oid			types[NCOLS];
	Datum		values[NCOLS];
	ArrayBuildState *col[NCOLS];
	int			i;

	if (ncalls == 0)
		return;
	for (i = 0; i < NCOLS; i++)
		col[i] = column_new(elem[i]);
	for (i = 0; i < ncalls; i++)
	{
		FetchCall  *c = calls[i];

		column_add(col[C_AT], true, TimestampTzGetDatum(c->requested_at));
		column_add(col[C_API], true, CStringGetTextDatum(call_log_api(c)));
		column_add(col[C_ENDPOINT], true, CStringGetTextDatum(c->endpoint));
		column_add(col[C_STATUS], c->http_status != 0, Int32GetDatum((int32) c->http_status));
		column_add_text(col[C_CODE], c->error_code);
		column_add_text(col[C_LOG_ID], c->log_id);
		column_add(col[C_MS], true, Float8GetDatum(c->duration_ms));
		column_add(col[C_COUNT], true, Int32GetDatum(c->video_count));
		column_add(col[C_VIDEO], c->video_id != 0, Int64GetDatum(c->video_id));
		column_add(col[C_CREATOR], c->creator_id != 0, Int64GetDatum(c->creator_id));
		column_add_text(col[C_MESSAGE], c->message && c->message[0] ? c->message : NULL);
	}
	for (i = 0; i < NCOLS; i++)
	{
		values[i] = column_array(col[i]);
		types[i] = get_array_type(elem[i]);
	}
	exec("INSERT INTO tiktrack.fetch_log (requested_at, api, endpoint, http_status, error_code,"
		 " log_id, duration_ms, video_count, video_id, creator_id, message)"
		 " SELECT * FROM ROWS FROM ("
		 "  pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),"
		 "  pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6),"
		 "  pg_catalog.unnest($7), pg_catalog.unnest($8), pg_catalog.unnest($9),"
		 "  pg_catalog.unnest($10), pg_catalog.unnest($11))",
		 NCOLS, types, values, NULL, SPI_OK_INSERT);
}

void
fetch_store_calls(FetchCall **calls, int ncalls)
{
	SPI_connect();
	store_calls_spi(calls, ncalls);
	SPI_finish();
}

/*
 * The snapshots of every fetched video and their latest_snapshots rows in
 * one statement, skipping videos deleted since the fetch was prepared.
 */
static void
store_snapshots_spi(FetchBatch *b, int lo, int hi)
{
	enum
	{
		C_ID, C_SOURCE, C_VIEWS, C_LIKES, C_COMMENTS, C_SHARES, C_SAVES, C_REACH,
		C_COMPLETION, C_AVG_WATCH, C_TOTAL_WATCH, NCOLS
	};
	static const Oid elem[NCOLS] = {INT8OID, TEXTOID, INT8OID, INT8OID, INT8OID, INT8OID,
	INT8OID, INT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID};
	Oid			types[NCOLS + 1];
	Datum		values[NCOLS + 1];
	ArrayBuildState *col[NCOLS];
	int			n = 0;
	int			i;
	int			rc;

	for (i = 0; i < NCOLS; i++)
		col[i] = column_new(elem[i]);
	for (i = lo; i < hi; i++)
	{
		FetchVideo *fv = &b->videos[i];
		FetchVideoStats *s = &fv->stats;

		if (fv->outcome != FETCH_OK)
			continue;
		column_add(col[C_ID], true, Int64GetDatum(fv->video_id));
		column_add(col[C_SOURCE], true, CStringGetTextDatum(fetch_api_name(fv->cred->api)));
		column_add(col[C_VIEWS], s->has_views, Int64GetDatum(s->views));
		column_add(col[C_LIKES], s->has_likes, Int64GetDatum(s->likes));
		column_add(col[C_COMMENTS], s->has_comments, Int64GetDatum(s->comments));
		column_add(col[C_SHARES], s->has_shares, Int64GetDatum(s->shares));
		column_add(col[C_SAVES], s->has_saves, Int64GetDatum(s->saves));
		column_add(col[C_REACH], s->has_reach, Int64GetDatum(s->reach));
		column_add(col[C_COMPLETION], s->has_completion_rate, Float8GetDatum(s->completion_rate));
		column_add(col[C_AVG_WATCH], s->has_avg_watch_time, Float8GetDatum(s->avg_watch_time_s));
		column_add(col[C_TOTAL_WATCH], s->has_total_watch_time, Float8GetDatum(s->total_watch_time_s));
		n++;
	}
	if (n == 0)
		return;
	types[0] = TIMESTAMPTZOID;
	values[0] = TimestampTzGetDatum(b->captured_at);
	for (i = 0; i < NCOLS; i++)
	{
		types[i + 1] = get_array_type(elem[i]);
		values[i + 1] = column_array(col[i]);
	}
	/*
	 * The snapshots, and from the rows actually inserted (not those a
	 * retried batch stored already) their latest_snapshots rows, in one
	 * statement; the trigger stands aside for it.
	 */
	rc = latest_snapshots_execute_bypassing(
											"WITH ins AS ("
											" INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares,"
											"  saves, reach, completion_rate, avg_watch_time_s, total_watch_time_s, source)"
											" SELECT u.id, $1, u.views, u.likes, u.comments, u.shares, u.saves, u.reach,"
											"  u.completion_rate, u.avg_watch_time_s, u.total_watch_time_s, u.source"
											" FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3),"
											"  pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6),"
											"  pg_catalog.unnest($7), pg_catalog.unnest($8), pg_catalog.unnest($9),"
											"  pg_catalog.unnest($10), pg_catalog.unnest($11), pg_catalog.unnest($12))"
											"  AS u(id, source, views, likes, comments, shares, saves, reach,"
											"       completion_rate, avg_watch_time_s, total_watch_time_s)"
											/*
											 * a join, not EXISTS: Citus plans no subquery
											 * correlated with a function's rows; index probes
											 * whatever the estimates
											 */
											" JOIN tiktrack.videos v ON v.id = u.id"
											"  AND v.id OPERATOR(pg_catalog.=) ANY ($2)"
											" ON CONFLICT (video_id, captured_at) DO NOTHING"
											" RETURNING *)"
											" INSERT INTO tiktrack.latest_snapshots AS l (" LATEST_SNAPSHOTS_COLUMNS ")"
											" SELECT i.video_id, i.captured_at, i.views, i.likes, i.comments, i.shares, i.saves,"
											"  i.reach, i.completion_rate, i.avg_watch_time_s, i.total_watch_time_s, i.source, 1"
											" FROM ins i"
											LATEST_SNAPSHOTS_UPSERT,
											NCOLS + 1, types, values, NULL);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "tiktrack store failed (%s): storing snapshots", SPI_result_code_string(rc));
}

/* How an outcome is named in the statement of store_videos_spi(). */
static const char *
outcome_name(const FetchVideo *fv)
{
	switch (fv->outcome)
	{
		case FETCH_OK:
			return "ok";
		case FETCH_MISSING:
			return "missing";
		case FETCH_NO_AUTH:
		case FETCH_REAUTH:
			return "no_auth";
		case FETCH_ERROR:
			/* a throttle is not the video's failure */
			return fetch_throttled(fv->outcome, fv->call) ? "none" : "error";
		default:
			/* not attempted; resolved short links: store_resolutions_spi() */
			return "none";
	}
}

/*
 * Whether the schedule of a resolved short link can go to its real id: not
 * when that video is in the batch itself, which schedules it.
 */
static bool
resolved_id_free(const FetchBatch *b, int64 real_id)
{
	int			i;

	for (i = 0; i < b->nvideos; i++)
		if (b->videos[i].video_id == real_id)
			return false;
	return true;
}

/*
 * What the fetch means for a video:
 *	ok		counts reset, last_error cleared, back to tracking (from
 *			awaiting_authorization or failing);
 *	missing	TikTok answered without the video: counted, and after
 *			FETCH_MISSING_LIMIT consecutive answers unavailable (unless
 *			stopped or completed);
 *	no_auth	the creator has authorized no API (or must authorize again):
 *			awaiting_authorization with the reason;
 *	error	one more consecutive failure, last_error;
 *	none	nothing learnt (a throttle, not attempted): only the schedule.
 * With a schedule that has no next fetch (track_until has passed), the
 * video is completed; failing when the caller says this failure makes it
 * so.  Only active videos (tracking, failing, awaiting_authorization)
 * change state otherwise.  NEW_OUTCOME computes the new values from the
 * batch (u) and the stored row (v), next to the metadata TikTok sent.
 */
#define NEW_OUTCOME \
	"WITH n AS MATERIALIZED (SELECT v.id, v.state AS old_state, v.creator_id," \
	" CASE" \
	"  WHEN u.outcome = 'missing' AND v.missing_count + 1 >= $2" \
	"   AND v.state NOT IN ('stopped', 'completed') THEN 'unavailable'" \
	"  WHEN v.state NOT IN ('tracking', 'failing', 'awaiting_authorization') THEN v.state" \
	"  WHEN u.scheduled AND u.next_at IS NULL THEN 'completed'" \
	"  WHEN u.outcome = 'ok' THEN 'tracking'" \
	"  WHEN u.outcome = 'no_auth' THEN 'awaiting_authorization'" \
	"  WHEN u.failing AND v.state = 'tracking' THEN 'failing'" \
	"  ELSE v.state END AS state," \
	" CASE u.outcome WHEN 'ok' THEN 0 WHEN 'error' THEN v.fetch_failures + 1" \
	"  ELSE v.fetch_failures END AS fetch_failures," \
	" CASE u.outcome WHEN 'ok' THEN 0 WHEN 'missing' THEN v.missing_count + 1" \
	"  ELSE v.missing_count END AS missing_count," \
	" CASE u.outcome" \
	"  WHEN 'ok' THEN u.error" \
	"  WHEN 'error' THEN u.error" \
	"  WHEN 'missing' THEN CASE WHEN v.missing_count + 1 >= $2" \
	"   THEN u.error OPERATOR(pg_catalog.||) ' in '" \
	"        OPERATOR(pg_catalog.||) (v.missing_count + 1)" \
	"        OPERATOR(pg_catalog.||) ' consecutive fetches; marked unavailable'" \
	"   ELSE u.error OPERATOR(pg_catalog.||) ' ('" \
	"        OPERATOR(pg_catalog.||) (v.missing_count + 1)" \
	"        OPERATOR(pg_catalog.||) ' of ' OPERATOR(pg_catalog.||) $2" \
	"        OPERATOR(pg_catalog.||) ' before it is marked unavailable)' END" \
	"  WHEN 'no_auth' THEN coalesce(u.error OPERATOR(pg_catalog.||) '; ', '')" \
	"   OPERATOR(pg_catalog.||) coalesce(" \
	"   (SELECT 'creator @' OPERATOR(pg_catalog.||) c.handle" \
	"           OPERATOR(pg_catalog.||) ' has not authorized tiktrack (auth_status '" \
	"           OPERATOR(pg_catalog.||) c.auth_status OPERATOR(pg_catalog.||) '): they must authorize through the Display API" \
	" (tiktrack.authorize_url) or the Business API (tiktrack.connect_creator)'" \
	/* why they must authorize again (e.g. no tokens after a restore), unless said */ \
	"           OPERATOR(pg_catalog.||) coalesce(CASE WHEN u.error IS NULL" \
	"            AND c.auth_status = 'reauthorization_needed'" \
	"            THEN '; ' OPERATOR(pg_catalog.||) c.last_error END, '')" \
	"    FROM tiktrack.creators c WHERE c.id = v.creator_id)," \
	"   'the video''s creator is not known yet, so no authorization can be used')" \
	"  ELSE v.last_error END AS last_error," \
	" CASE u.outcome WHEN 'ok' THEN CASE WHEN u.error IS NOT NULL THEN pg_catalog.now() END" \
	"  WHEN 'none' THEN v.last_error_at ELSE pg_catalog.now() END AS last_error_at," \
	/* \
	 * Caption, posting time, duration and kind as TikTok sent them, \
	 * written only where they differ from what is stored (a value TikTok \
	 * did not send keeps what is known): writing caption recomputes the \
	 * generated hashtags and mentions, most of the cost of updating a \
	 * video, and it rarely changes. \
	 */ \
	" coalesce(u.caption, v.caption) AS caption," \
	" coalesce(u.posted_at, v.posted_at) AS posted_at," \
	" coalesce(u.duration_s, v.duration_s) AS duration_s," \
	" coalesce(u.kind, v.kind) AS kind," \
	" ((u.caption IS NOT NULL AND u.caption IS DISTINCT FROM v.caption)" \
	"  OR (u.posted_at IS NOT NULL AND u.posted_at IS DISTINCT FROM v.posted_at)" \
	"  OR (u.duration_s IS NOT NULL AND u.duration_s IS DISTINCT FROM v.duration_s)" \
	"  OR (u.kind IS NOT NULL AND u.kind IS DISTINCT FROM v.kind)) AS metadata_changed" \
	" FROM ROWS FROM (" \
	"  pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5)," \
	"  pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8)," \
	"  pg_catalog.unnest($9), pg_catalog.unnest($10), pg_catalog.unnest($11)," \
	"  pg_catalog.unnest($12))" \
	"  AS u(id, outcome, error, scheduled, next_at, failing, caption, posted_at, duration_s, kind)" \
	/* index probes whatever the estimates: the batch is a few rows of many */ \
	" JOIN tiktrack.videos v ON v.id = u.id WHERE v.id OPERATOR(pg_catalog.=) ANY ($3))"
#define SET_OUTCOME \
	" state = n.state, fetch_failures = n.fetch_failures, missing_count = n.missing_count," \
	" last_error = n.last_error, last_error_at = n.last_error_at"
/*
 * What the state events need (tiktrack.notify_video_state, the trigger
 * that stands aside for the store step): the store step sends them itself,
 * from the coordinator on a Citus cluster, where a trigger on a shard
 * cannot NOTIFY.
 */
#define RETURNING_STATES " RETURNING v.id, n.creator_id, v.state, n.old_state"

/* An event on channel tiktrack_events, unless tiktrack.events is off. */
static void
notify_event(const char *event, const char *id_key, int64 id, bool has_creator, int64 creator_id)
{
	Oid			types[4] = {TEXTOID, TEXTOID, INT8OID, INT8OID};
	Datum		v[4];
	char		nulls[5] = "    ";

	v[0] = CStringGetTextDatum(event);
	v[1] = CStringGetTextDatum(id_key);
	v[2] = Int64GetDatum(id);
	v[3] = Int64GetDatum(creator_id);
	if (!has_creator)
		nulls[3] = 'n';
	/* the payloads of the triggers: the event and ids only */
	if (strcmp(id_key, "creator_id") == 0)
		exec("SELECT pg_catalog.pg_notify('tiktrack_events',"
			 " pg_catalog.json_build_object('event', $1, $2, $3)::pg_catalog.text)"
			 " WHERE tiktrack.events_enabled()",
			 3, types, v, nulls, SPI_OK_SELECT);
	else
		exec("SELECT pg_catalog.pg_notify('tiktrack_events',"
			 " pg_catalog.json_build_object('event', $1, $2, $3, 'creator_id', $4)::pg_catalog.text)"
			 " WHERE tiktrack.events_enabled()",
			 4, types, v, nulls, SPI_OK_SELECT);
}

/*
 * tracking.completed and video.unavailable for the rows the last statement
 * (RETURNING_STATES) moved into those states.
 */
static void
notify_state_changes_spi(void)
{
	uint64		n = SPI_processed;
	uint64		i,
				k = 0;
	int64	   *ids = palloc(sizeof(int64) * Max(n, 1));
	int64	   *creators = palloc(sizeof(int64) * Max(n, 1));
	bool	   *has_creator = palloc(sizeof(bool) * Max(n, 1));
	bool	   *completed = palloc(sizeof(bool) * Max(n, 1));

	/* copied first: each NOTIFY statement replaces SPI_tuptable */
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *state = SPI_getvalue(tup, desc, 3);
		char	   *old_state = SPI_getvalue(tup, desc, 4);
		bool		isnull;
		Datum		d;

		if (state == NULL || (strcmp(state, "completed") != 0 && strcmp(state, "unavailable") != 0) ||
			(old_state != NULL && strcmp(old_state, state) == 0))
			continue;
		ids[k] = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		d = SPI_getbinval(tup, desc, 2, &isnull);
		has_creator[k] = !isnull;
		creators[k] = isnull ? 0 : DatumGetInt64(d);
		completed[k] = (strcmp(state, "completed") == 0);
		k++;
	}
	for (i = 0; i < k; i++)
		notify_event(completed[i] ? "tracking.completed" : "video.unavailable", "video_id", ids[i],
					 has_creator[i], creators[i]);
}

#define OUTCOME_CHANGED \
	" (v.state, v.fetch_failures, v.missing_count, v.last_error, v.last_error_at)" \
	"  IS DISTINCT FROM (n.state, n.fetch_failures, n.missing_count, n.last_error, n.last_error_at)"

/*
 * The schedule the worker decided, for videos still active once their
 * outcome is stored (a video stopped, completed or unavailable meanwhile
 * is not scheduled), and the time of a successful fetch: one narrow row
 * per video.
 */
#define UPDATE_SCHEDULE \
	"UPDATE tiktrack.video_schedule s SET" \
	" next_fetch_at = CASE" \
	"  WHEN NOT u.scheduled THEN s.next_fetch_at" \
	"  WHEN v.state IN ('tracking', 'failing', 'awaiting_authorization', 'resolving') THEN u.next_at" \
	"  END," \
	" last_fetched_at = CASE WHEN u.ok THEN greatest(s.last_fetched_at, $1)" \
	"  ELSE s.last_fetched_at END" \
	" FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4)," \
	"  pg_catalog.unnest($5)) AS u(id, ok, scheduled, next_at)" \
	" JOIN tiktrack.videos v ON v.id = u.id AND v.id OPERATOR(pg_catalog.=) ANY ($2)" \
	" WHERE s.video_id = u.id AND s.video_id OPERATOR(pg_catalog.=) ANY ($2)"

/*
 * Whether a good answer leaves the video's row as it is, judged from the
 * row as it was read when the batch was prepared: an active video with no
 * failure, no error and the metadata TikTok sends now.  Only ever used to
 * leave a row alone; a row that may change goes to the statement, which
 * decides from the row itself.
 */
static bool
video_row_unchanged(const FetchVideo *fv)
{
	const FetchStoredVideo *o = &fv->stored;
	const FetchVideoStats *s = &fv->stats;

	if (!o->known || fv->outcome != FETCH_OK || fv->note != NULL)
		return false;
	if (fv->scheduled && fv->next_fetch_at == DT_NOBEGIN)
		return false;			/* completes */
	if (fv->state == NULL || strcmp(fv->state, "tracking") != 0 ||
		o->fetch_failures != 0 || o->missing_count != 0 || o->has_error)
		return false;
	if (s->caption && (o->caption == NULL || strcmp(s->caption, o->caption) != 0))
		return false;
	if (s->has_create_time && fetch_create_time_valid(s->create_time) &&
		(!o->has_posted_at || o->posted_at != time_t_to_timestamptz((pg_time_t) s->create_time)))
		return false;
	if (s->has_duration && (!o->has_duration || o->duration_s != (float4) s->duration_s))
		return false;
	if (s->kind && (o->kind == NULL || strcmp(s->kind, o->kind) != 0))
		return false;
	return true;
}

/*
 * The next fetch of every video of [lo, hi) that has one, and the time of
 * its successful fetch.
 */
static void
store_schedule_spi(FetchBatch *b, int lo, int hi)
{
	ArrayBuildState *ids = column_new(INT8OID);
	ArrayBuildState *oks = column_new(BOOLOID);
	ArrayBuildState *scheduled = column_new(BOOLOID);
	ArrayBuildState *next = column_new(TIMESTAMPTZOID);
	Oid			types[5] = {TIMESTAMPTZOID, INT8ARRAYOID, BOOLARRAYOID, BOOLARRAYOID,
	TIMESTAMPTZARRAYOID};
	Datum		values[5];
	int			n = 0;
	int			i;

	for (i = lo; i < hi; i++)
	{
		FetchVideo *fv = &b->videos[i];
		int64		id = fv->video_id;

		if (fv->outcome == FETCH_RESOLVED)
		{
			if (!fv->scheduled || !resolved_id_free(b, fv->resolved_id))
				continue;
			id = fv->resolved_id;
		}
		else if (!fv->scheduled && fv->outcome != FETCH_OK)
			continue;
		column_add(ids, true, Int64GetDatum(id));
		column_add(oks, true, BoolGetDatum(fv->outcome == FETCH_OK));
		column_add(scheduled, true, BoolGetDatum(fv->scheduled));
		column_add(next, fv->scheduled && fv->next_fetch_at != DT_NOBEGIN,
				   TimestampTzGetDatum(fv->next_fetch_at));
		n++;
	}
	if (n == 0)
		return;
	values[0] = TimestampTzGetDatum(b->captured_at);
	values[1] = column_array(ids);
	values[2] = column_array(oks);
	values[3] = column_array(scheduled);
	values[4] = column_array(next);
	exec(UPDATE_SCHEDULE, 5, types, values, NULL, SPI_OK_UPDATE);
}

/*
 * Every video's outcome and changed metadata, in one pass over the rows
 * that may change: a videos row is written only where something changed,
 * its metadata or what its outcome makes of its state, counts or error,
 * which a steady stream of good answers does not: those rows are not even
 * read (video_row_unchanged), and no caption's hashtags are recomputed.
 * (A row written for its outcome alone recomputes them too, as the
 * statement names caption: rare, and cheaper than a second statement.)
 * Then the schedule of every video (store_schedule_spi).
 */
static void
store_videos_spi(FetchBatch *b, int lo, int hi)
{
	enum
	{
		C_ID, C_OUTCOME, C_ERROR, C_SCHEDULED, C_NEXT, C_FAILING,
		C_CAPTION, C_POSTED, C_DURATION, C_KIND, NCOLS
	};
	static const Oid elem[NCOLS] = {INT8OID, TEXTOID, TEXTOID, BOOLOID, TIMESTAMPTZOID, BOOLOID,
	TEXTOID, TIMESTAMPTZOID, FLOAT4OID, TEXTOID};
	Oid			types[NCOLS + 2];
	Datum		values[NCOLS + 2];
	ArrayBuildState *col[NCOLS];
	int			n = 0;
	int			nmeta = 0;
	int			i;

	for (i = 0; i < NCOLS; i++)
		col[i] = column_new(elem[i]);
	for (i = lo; i < hi; i++)
	{
		FetchVideo *fv = &b->videos[i];
		FetchVideoStats *s = &fv->stats;
		const char *outcome = outcome_name(fv);
		const char *error = NULL;
		bool		ok = (fv->outcome == FETCH_OK);
		int64		id = fv->video_id;

		if (fv->outcome == FETCH_RESOLVED)
		{
			if (!fv->scheduled || !resolved_id_free(b, fv->resolved_id))
				continue;
			id = fv->resolved_id;
		}
		else if (strcmp(outcome, "none") == 0 && !fv->scheduled)
			continue;
		if (video_row_unchanged(fv))
			continue;
		if (fv->outcome == FETCH_ERROR || fv->outcome == FETCH_MISSING ||
			fv->outcome == FETCH_REAUTH)
			error = fv->error;
		if (fv->outcome == FETCH_ERROR && error == NULL)
			error = "fetch failed";
		if (ok)
			error = fv->note;	/* what was wrong with a usable answer */
		column_add(col[C_ID], true, Int64GetDatum(id));
		column_add(col[C_OUTCOME], true, CStringGetTextDatum(outcome));
		column_add_text(col[C_ERROR], error);
		column_add(col[C_SCHEDULED], true, BoolGetDatum(fv->scheduled));
		column_add(col[C_NEXT], fv->scheduled && fv->next_fetch_at != DT_NOBEGIN,
				   TimestampTzGetDatum(fv->next_fetch_at));
		column_add(col[C_FAILING], true, BoolGetDatum(fv->scheduled && fv->becomes_failing));
		column_add_text(col[C_CAPTION], ok ? s->caption : NULL);
		column_add(col[C_POSTED], ok && s->has_create_time && fetch_create_time_valid(s->create_time),
				   TimestampTzGetDatum(time_t_to_timestamptz((pg_time_t) s->create_time)));
		column_add(col[C_DURATION], ok && s->has_duration, Float4GetDatum((float4) s->duration_s));
		column_add_text(col[C_KIND], ok ? s->kind : NULL);
		if (ok && (s->caption || s->has_create_time || s->has_duration || s->kind))
			nmeta++;
		n++;
	}
	if (n > 0)
	{
		types[0] = TIMESTAMPTZOID;
		values[0] = TimestampTzGetDatum(b->captured_at);
		types[1] = INT4OID;
		values[1] = Int32GetDatum(FETCH_MISSING_LIMIT);
		for (i = 0; i < NCOLS; i++)
		{
			types[i + 2] = get_array_type(elem[i]);
			values[i + 2] = column_array(col[i]);
		}
		/*
		 * The ids again as an array of n's, not $3: Citus sends a
		 * statement whose CTE it runs first with its parameters
		 * misnumbered when the outer statement names one.
		 */
		if (nmeta > 0)
			exec(NEW_OUTCOME
				 " UPDATE tiktrack.videos v SET" SET_OUTCOME ","
				 " caption = n.caption, posted_at = n.posted_at, duration_s = n.duration_s, kind = n.kind"
				 " FROM n WHERE v.id = n.id AND v.id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT n2.id FROM n n2))"
				 " AND (n.metadata_changed OR" OUTCOME_CHANGED ")"
				 RETURNING_STATES,
				 NCOLS + 2, types, values, NULL, SPI_OK_UPDATE_RETURNING);
		else
			exec(NEW_OUTCOME
				 " UPDATE tiktrack.videos v SET" SET_OUTCOME
				 " FROM n WHERE v.id = n.id AND v.id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT n2.id FROM n n2))"
				 " AND" OUTCOME_CHANGED
				 RETURNING_STATES,
				 NCOLS + 2, types, values, NULL, SPI_OK_UPDATE_RETURNING);
		notify_state_changes_spi();
	}
	store_schedule_spi(b, lo, hi);
}

/*
 * Short links whose redirect named the video: the placeholder rows take
 * their real ids (tiktrack.resolve_placeholder), in one statement.
 */
static void
store_resolutions_spi(FetchBatch *b, int lo, int hi)
{
	enum
	{
		C_ID, C_REAL_ID, C_HANDLE, C_KIND, C_URL, NCOLS
	};
	static const Oid elem[NCOLS] = {INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID};
	Oid			types[NCOLS];
	Datum		values[NCOLS];
	ArrayBuildState *col[NCOLS];
	int			n = 0;
	int			i;

	for (i = 0; i < NCOLS; i++)
		col[i] = column_new(elem[i]);
	for (i = lo; i < hi; i++)
	{
		FetchVideo *fv = &b->videos[i];

		if (fv->outcome != FETCH_RESOLVED)
			continue;
		column_add(col[C_ID], true, Int64GetDatum(fv->video_id));
		column_add(col[C_REAL_ID], true, Int64GetDatum(fv->resolved_id));
		column_add_text(col[C_HANDLE], fv->resolved_handle);
		column_add_text(col[C_KIND], fv->resolved_kind);
		column_add_text(col[C_URL], fv->resolved_url);
		n++;
	}
	if (n == 0)
		return;
	for (i = 0; i < NCOLS; i++)
	{
		types[i] = get_array_type(elem[i]);
		values[i] = column_array(col[i]);
	}
	exec("SELECT pg_catalog.count(tiktrack.resolve_placeholder(u.id, u.real_id, u.handle, u.kind, u.url))"
		 " FROM ROWS FROM ("
		 "  pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),"
		 "  pg_catalog.unnest($4), pg_catalog.unnest($5))"
		 " AS u(id, real_id, handle, kind, url)",
		 NCOLS, types, values, NULL, SPI_OK_SELECT);
}

static void
store_creator(FetchBatch *b, FetchCreator *fc)
{
	Oid			types[12] = {INT8OID, TIMESTAMPTZOID, INT8OID, INT8OID, INT8OID, INT8OID,
	TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID};
	Datum		v[12];
	char		nulls[13];

	memset(nulls, ' ', sizeof(nulls));
	v[0] = Int64GetDatum(fc->creator_id);
	if (fc->outcome != FETCH_OK)
	{
		const char *msg = fc->error;

		if (fetch_throttled(fc->outcome, fc->call) || fc->outcome == FETCH_PENDING)
			return;
		if (fc->outcome == FETCH_NO_AUTH)
			msg = "the creator has not authorized tiktrack through the Display or the Business API";
		if (msg == NULL)
			return;
		v[1] = text_arg(msg, nulls, 1);
		types[1] = TEXTOID;
		exec("UPDATE tiktrack.creators SET last_error = $2, updated_at = pg_catalog.now() WHERE id = $1",
			 2, types, v, nulls, SPI_OK_UPDATE);
		types[1] = TIMESTAMPTZOID;
		return;
	}
	v[1] = TimestampTzGetDatum(b->captured_at);
	v[2] = int8_arg(fc->has_followers, fc->followers, nulls, 2);
	v[3] = int8_arg(fc->has_following, fc->following, nulls, 3);
	v[4] = int8_arg(fc->has_likes, fc->likes, nulls, 4);
	v[5] = int8_arg(fc->has_videos, fc->videos, nulls, 5);
	v[6] = text_arg(fc->audience_json, nulls, 6);
	v[7] = CStringGetTextDatum(fetch_api_name(fc->cred->api));
	v[8] = text_arg(fc->display_name, nulls, 8);
	v[9] = text_arg(fc->avatar_url, nulls, 9);
	v[10] = text_arg(fc->bio, nulls, 10);
	v[11] = BoolGetDatum(fc->is_verified);
	nulls[11] = fc->has_is_verified ? ' ' : 'n';
	exec("INSERT INTO tiktrack.creator_stats (creator_id, captured_at, followers, following,"
		 " likes, videos, audience, source)"
		 " VALUES ($1, $2, $3, $4, $5, $6, $7::pg_catalog.jsonb, $8)"
		 " ON CONFLICT (creator_id, captured_at) DO NOTHING",
		 8, types, v, nulls, SPI_OK_INSERT);
	exec("UPDATE tiktrack.creators SET display_name = coalesce($9, display_name),"
		 " avatar_url = coalesce($10, avatar_url), bio = coalesce($11, bio),"
		 " is_verified = coalesce($12, is_verified), last_error = NULL, updated_at = pg_catalog.now()"
		 " WHERE id = $1",
		 12, types, v, nulls, SPI_OK_UPDATE);
}

static void
store_reauth(FetchCredentials *c)
{
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		v[2];
	char		nulls[3] = "  ";

	bool		already;

	v[0] = Int64GetDatum(c->creator_id);
	v[1] = text_arg(c->reauth_reason, nulls, 1);
	exec("SELECT 1 FROM tiktrack.creators WHERE id = $1 AND auth_status = 'reauthorization_needed'",
		 1, types, v, nulls, SPI_OK_SELECT);
	already = (SPI_processed > 0);
	exec("UPDATE tiktrack.creators SET auth_status = 'reauthorization_needed',"
		 " last_error = $2 OPERATOR(pg_catalog.||) '; the creator must authorize again', updated_at = pg_catalog.now()"
		 " WHERE id = $1",
		 2, types, v, nulls, SPI_OK_UPDATE);
	/* the event of tiktrack.notify_creator_reauthorization, which stands aside */
	if (!already && SPI_processed > 0)
		notify_event("creator.reauthorization_needed", "creator_id", c->creator_id, false, 0);
}

static void
store_credentials_spi(FetchBatch *b)
{
	int			i;

	for (i = 0; i < b->ncreds; i++)
	{
		FetchCredentials *c = b->creds[i];

		if (c->rotated && !c->rotation_stored)
			store_rotation_spi(c);
		if (c->reauth_needed)
			store_reauth(c);
	}
}

/*
 * Whether a video may be younger than the early window at captured_at,
 * from what TikTok just said or the row read at prepare (the check itself
 * decides from the row; this only spares it the videos that are surely
 * older, most of them).
 */
static bool
video_may_be_young(const FetchVideo *fv, TimestampTz captured_at)
{
	TimestampTz posted_at;

	if (fv->stats.has_create_time && fetch_create_time_valid(fv->stats.create_time))
		posted_at = time_t_to_timestamptz((pg_time_t) fv->stats.create_time);
	else if (fv->stored.known && fv->stored.has_posted_at)
		posted_at = fv->stored.posted_at;
	else
		return !fv->stored.known;	/* unknown: let the check look */
	return captured_at - posted_at < (int64) tiktrack_early_window_s * USECS_PER_SEC;
}

/*
 * Early traction of the young posts among the batch's new snapshots
 * (tiktrack.check_traction_breakouts, as the trigger on snapshots runs it
 * for other writers), once their posting time is stored.
 */
static void
store_traction_checks_spi(FetchBatch *b, int lo, int hi)
{
	ArrayBuildState *ids = column_new(INT8OID);
	ArrayBuildState *at = column_new(TIMESTAMPTZOID);
	Oid			types[2] = {INT8ARRAYOID, TIMESTAMPTZARRAYOID};
	Datum		values[2];
	int			n = 0;
	int			i;

	for (i = lo; i < hi; i++)
	{
		FetchVideo *fv = &b->videos[i];

		if (fv->outcome != FETCH_OK || !video_may_be_young(fv, b->captured_at))
			continue;
		column_add(ids, true, Int64GetDatum(fv->video_id));
		column_add(at, true, TimestampTzGetDatum(b->captured_at));
		n++;
	}
	if (n == 0)
		return;
	values[0] = column_array(ids);
	values[1] = column_array(at);
	exec("SELECT tiktrack.check_traction_breakouts($1, $2)", 2, types, values, NULL, SPI_OK_SELECT);
}

static void
store_video_range_spi(FetchBatch *b, int lo, int hi)
{
	store_snapshots_spi(b, lo, hi);
	/* placeholders take their real ids first: a schedule may name them */
	store_resolutions_spi(b, lo, hi);
	store_videos_spi(b, lo, hi);
	store_traction_checks_spi(b, lo, hi);
}

/* The store step's entry points, run as the store step (store_step_run). */
typedef struct StoreRange
{
	FetchBatch *b;
	int			lo;
	int			hi;
} StoreRange;

static void
store_all(void *arg)
{
	FetchBatch *b = ((StoreRange *) arg)->b;
	int			i;

	/* tokens first: losing a rotated refresh token locks the creator out */
	store_credentials_spi(b);
	store_video_range_spi(b, 0, b->nvideos);
	for (i = 0; i < b->ncreators; i++)
		store_creator(b, &b->creators[i]);
	store_calls_spi(b->calls, b->ncalls);
}

static void
store_range(void *arg)
{
	StoreRange *r = (StoreRange *) arg;

	store_video_range_spi(r->b, Max(r->lo, 0), Min(r->hi, r->b->nvideos));
}

static void
store_all_but_videos(void *arg)
{
	FetchBatch *b = ((StoreRange *) arg)->b;
	int			i;

	store_credentials_spi(b);
	for (i = 0; i < b->ncreators; i++)
		store_creator(b, &b->creators[i]);
	store_calls_spi(b->calls, b->ncalls);
}

static void
store_as_store_step(void (*step) (void *), FetchBatch *b, int lo, int hi)
{
	StoreRange	r = {b, lo, hi};

	require_current_schema();
	SPI_connect();
	store_step_run(step, &r);
	SPI_finish();
}

void
fetch_store(FetchBatch *b)
{
	store_as_store_step(store_all, b, 0, 0);
}

void
fetch_store_videos(FetchBatch *b, int lo, int hi)
{
	store_as_store_step(store_range, b, lo, hi);
}

void
fetch_store_all_but_videos(FetchBatch *b)
{
	store_as_store_step(store_all_but_videos, b, 0, 0);
}
