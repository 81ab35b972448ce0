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
 * This file holds the step's entry points (fetch_store(), run as the
 * store step: tiktrack.store_step_running() is true meanwhile), tokens,
 * snapshots with their latest_snapshots rows, the fetch_log, creators, and
 * the helpers its parts share (store_spi.h); what each fetch means for its
 * videos rows and schedule is in video_store.c.
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
#include "store_direct.h"
#include "store_spi.h"
#include "video_store.h"
#include "token_seal.h"

void
store_exec(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls, int expect)
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
char *
store_server_text(const char *s)
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
	return CStringGetTextDatum(store_server_text(s));
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
	store_exec("INSERT INTO tiktrack.creator_tokens AS t"
		 " (creator_id, api, access_token, refresh_token, access_expires_at, refresh_expires_at, scope,"
		 "  obtained_at, rotated_at)"
		 " VALUES ($1, $2, $3, $4, $5, $6, $7, pg_catalog.now(), pg_catalog.now())"
		 " ON CONFLICT (creator_id) DO UPDATE SET api = excluded.api,"
		 "  access_token = excluded.access_token, refresh_token = excluded.refresh_token,"
		 "  access_expires_at = excluded.access_expires_at,"
		 "  refresh_expires_at = excluded.refresh_expires_at,"
		 "  scope = excluded.scope, obtained_at = excluded.obtained_at, rotated_at = excluded.rotated_at",
		 7, types, v, nulls, SPI_OK_INSERT);
	store_exec("UPDATE tiktrack.creators SET authorized_via = $2, auth_status = 'authorized',"
		 " authorized_at = pg_catalog.now(), last_error = NULL, updated_at = pg_catalog.now() WHERE id = $1",
		 2, types, v, nulls, SPI_OK_UPDATE);
	/*
	 * videos that waited for this authorization (parked until their end,
	 * see schedule_video() in worker_video_store.c) can be fetched now
	 */
	if (store_schema_has_schedule())
		store_exec("WITH woken AS ("
			 " UPDATE tiktrack.videos SET state = 'tracking', last_error = NULL"
			 " WHERE creator_id = $1 AND state = 'awaiting_authorization' RETURNING id)"
			 " UPDATE tiktrack.video_schedule s SET next_fetch_at = pg_catalog.now()"
			 " FROM woken w WHERE s.video_id = w.id",
			 1, types, v, nulls, SPI_OK_UPDATE);
	else
		store_exec("UPDATE tiktrack.videos SET state = 'tracking', last_error = NULL,"
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
	store_exec("UPDATE tiktrack.creator_tokens SET access_token = $2, refresh_token = $3,"
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

/* An event on channel tiktrack_events, unless tiktrack.events is off. */
void
store_notify_event(const char *event, const char *id_key, int64 id, bool has_creator, int64 creator_id)
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
		store_exec("SELECT pg_catalog.pg_notify('tiktrack_events',"
			 " pg_catalog.json_build_object('event', $1, $2, $3)::pg_catalog.text)"
			 " WHERE tiktrack.events_enabled()",
			 3, types, v, nulls, SPI_OK_SELECT);
	else
		store_exec("SELECT pg_catalog.pg_notify('tiktrack_events',"
			 " pg_catalog.json_build_object('event', $1, $2, $3, 'creator_id', $4)::pg_catalog.text)"
			 " WHERE tiktrack.events_enabled()",
			 4, types, v, nulls, SPI_OK_SELECT);
}

/* ---- set-based writes: one array per column, unnest()ed by one statement ---- */

ArrayBuildState *
store_column_new(Oid elemtype)
{
	return initArrayResult(elemtype, CurrentMemoryContext, false);
}

void
store_column_add(ArrayBuildState *col, bool has, Datum value)
{
	accumArrayResult(col, has ? value : (Datum) 0, !has, col->element_type,
					 CurrentMemoryContext);
}

/* Text from TikTok (UTF-8) in the database encoding, or NULL. */
void
store_column_add_text(ArrayBuildState *col, const char *s)
{
	store_column_add(col, s != NULL, s ? CStringGetTextDatum(store_server_text(s)) : (Datum) 0);
}

Datum
store_column_array(ArrayBuildState *col)
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
		col[i] = store_column_new(elem[i]);
	for (i = 0; i < ncalls; i++)
	{
		FetchCall  *c = calls[i];

		store_column_add(col[C_AT], true, TimestampTzGetDatum(c->requested_at));
		store_column_add(col[C_API], true, CStringGetTextDatum(call_log_api(c)));
		store_column_add(col[C_ENDPOINT], true, CStringGetTextDatum(c->endpoint));
		store_column_add(col[C_STATUS], c->http_status != 0, Int32GetDatum((int32) c->http_status));
		store_column_add_text(col[C_CODE], c->error_code);
		store_column_add_text(col[C_LOG_ID], c->log_id);
		store_column_add(col[C_MS], true, Float8GetDatum(c->duration_ms));
		store_column_add(col[C_COUNT], true, Int32GetDatum(c->video_count));
		store_column_add(col[C_VIDEO], c->video_id != 0, Int64GetDatum(c->video_id));
		store_column_add(col[C_CREATOR], c->creator_id != 0, Int64GetDatum(c->creator_id));
		store_column_add_text(col[C_MESSAGE], c->message && c->message[0] ? c->message : NULL);
	}
	for (i = 0; i < NCOLS; i++)
	{
		values[i] = store_column_array(col[i]);
		types[i] = get_array_type(elem[i]);
	}
	store_exec("INSERT INTO tiktrack.fetch_log (requested_at, api, endpoint, http_status, error_code,"
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

	for (i = 0; i < NCOLS; i++)
		col[i] = store_column_new(elem[i]);
	for (i = lo; i < hi; i++)
	{
		FetchVideo *fv = &b->videos[i];
		FetchVideoStats *s = &fv->stats;

		if (fv->outcome != FETCH_OK)
			continue;
		store_column_add(col[C_ID], true, Int64GetDatum(fv->video_id));
		store_column_add(col[C_SOURCE], true, CStringGetTextDatum(fetch_api_name(fv->cred->api)));
		store_column_add(col[C_VIEWS], s->has_views, Int64GetDatum(s->views));
		store_column_add(col[C_LIKES], s->has_likes, Int64GetDatum(s->likes));
		store_column_add(col[C_COMMENTS], s->has_comments, Int64GetDatum(s->comments));
		store_column_add(col[C_SHARES], s->has_shares, Int64GetDatum(s->shares));
		store_column_add(col[C_SAVES], s->has_saves, Int64GetDatum(s->saves));
		store_column_add(col[C_REACH], s->has_reach, Int64GetDatum(s->reach));
		store_column_add(col[C_COMPLETION], s->has_completion_rate, Float8GetDatum(s->completion_rate));
		store_column_add(col[C_AVG_WATCH], s->has_avg_watch_time, Float8GetDatum(s->avg_watch_time_s));
		store_column_add(col[C_TOTAL_WATCH], s->has_total_watch_time, Float8GetDatum(s->total_watch_time_s));
		n++;
	}
	if (n == 0)
		return;
	types[0] = TIMESTAMPTZOID;
	values[0] = TimestampTzGetDatum(b->captured_at);
	for (i = 0; i < NCOLS; i++)
	{
		types[i + 1] = get_array_type(elem[i]);
		values[i + 1] = store_column_array(col[i]);
	}
	/*
	 * The snapshots, and from the rows actually inserted (not those a
	 * retried batch stored already) their latest_snapshots rows, in one
	 * statement; the trigger stands aside for it (the whole store step
	 * runs under store_step_run()).
	 */
	store_exec("WITH ins AS ("
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
			   NCOLS + 1, types, values, NULL, SPI_OK_INSERT);
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
		store_exec("UPDATE tiktrack.creators SET last_error = $2, updated_at = pg_catalog.now() WHERE id = $1",
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
	store_exec("INSERT INTO tiktrack.creator_stats (creator_id, captured_at, followers, following,"
		 " likes, videos, audience, source)"
		 " VALUES ($1, $2, $3, $4, $5, $6, $7::pg_catalog.jsonb, $8)"
		 " ON CONFLICT (creator_id, captured_at) DO NOTHING",
		 8, types, v, nulls, SPI_OK_INSERT);
	store_exec("UPDATE tiktrack.creators SET display_name = coalesce($9, display_name),"
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
	store_exec("SELECT 1 FROM tiktrack.creators WHERE id = $1 AND auth_status = 'reauthorization_needed'",
		 1, types, v, nulls, SPI_OK_SELECT);
	already = (SPI_processed > 0);
	store_exec("UPDATE tiktrack.creators SET auth_status = 'reauthorization_needed',"
		 " last_error = $2 OPERATOR(pg_catalog.||) '; the creator must authorize again', updated_at = pg_catalog.now()"
		 " WHERE id = $1",
		 2, types, v, nulls, SPI_OK_UPDATE);
	/* the event of tiktrack.notify_creator_reauthorization, which stands aside */
	if (!already && SPI_processed > 0)
		store_notify_event("creator.reauthorization_needed", "creator_id", c->creator_id, false, 0);
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
 * The videos [lo, hi): the rows of their good answers directly where that
 * applies (store_direct.c), the rest by statements.
 */
static void
store_video_range_spi(FetchBatch *b, int lo, int hi)
{
	DirectStore *ds = direct_store_open(b, lo, hi);

	if (ds)
		direct_store_snapshots(ds);
	else
		store_snapshots_spi(b, lo, hi);
	/* placeholders take their real ids first: a schedule may name them */
	store_resolutions_spi(b, lo, hi);
	store_videos_spi(b, lo, hi, ds);
	store_traction_checks_spi(b, lo, hi);
	if (ds)
		direct_store_close(ds);
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
