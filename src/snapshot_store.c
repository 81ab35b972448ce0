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
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "fetch.h"
#include "snapshot_store.h"
#include "token_seal.h"

static void
exec(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls, int expect)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);

	if (rc != expect)
		elog(ERROR, "tiktrack store failed (%s): %s", SPI_result_code_string(rc), sql);
}

/* Text from TikTok (UTF-8) in the database encoding; NULL stays NULL. */
static Datum
text_arg(const char *s, char *nulls, int i)
{
	char	   *conv;

	if (s == NULL)
	{
		nulls[i] = 'n';
		return (Datum) 0;
	}
	nulls[i] = ' ';
	conv = pg_any_to_server(s, strlen(s), PG_UTF8);
	return CStringGetTextDatum(conv);
}

static Datum
int8_arg(bool has, int64 v, char *nulls, int i)
{
	nulls[i] = has ? ' ' : 'n';
	return Int64GetDatum(v);
}

static Datum
float8_arg(bool has, double v, char *nulls, int i)
{
	nulls[i] = has ? ' ' : 'n';
	return Float8GetDatum(v);
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
		 " VALUES ($1, $2, $3, $4, $5, $6, $7, now(), now())"
		 " ON CONFLICT (creator_id) DO UPDATE SET api = excluded.api,"
		 "  access_token = excluded.access_token, refresh_token = excluded.refresh_token,"
		 "  access_expires_at = excluded.access_expires_at,"
		 "  refresh_expires_at = excluded.refresh_expires_at,"
		 "  scope = excluded.scope, obtained_at = now(), rotated_at = now()",
		 7, types, v, nulls, SPI_OK_INSERT);
	exec("UPDATE tiktrack.creators SET authorized_via = $2, auth_status = 'authorized',"
		 " authorized_at = now(), last_error = NULL, updated_at = now() WHERE id = $1",
		 2, types, v, nulls, SPI_OK_UPDATE);
	/* videos that waited for this authorization can be fetched now */
	exec("UPDATE tiktrack.videos SET state = 'tracking', last_error = NULL,"
		 " next_fetch_at = coalesce(next_fetch_at, now())"
		 " WHERE creator_id = $1 AND state = 'awaiting_authorization'",
		 1, types, v, nulls, SPI_OK_UPDATE);
	pfree(DatumGetPointer(v[2]));
}

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
		 " rotated_at = now() WHERE creator_id = $1",
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

static void
store_calls_spi(FetchCall **calls, int ncalls)
{
	Oid			types[11] = {TIMESTAMPTZOID, TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID,
	FLOAT8OID, INT4OID, INT8OID, INT8OID, TEXTOID};
	int			i;

	for (i = 0; i < ncalls; i++)
	{
		FetchCall  *c = calls[i];
		Datum		v[11];
		char		nulls[12] = "           ";
		const char *api;

		if (c->api == FETCH_API_NONE)
			api = "web";
		else if (strncmp(c->endpoint, "/v2/oauth/", 10) == 0)
			api = "oauth";
		else if (strncmp(c->endpoint, "/tt_user/", 9) == 0)
			api = "business_oauth";
		else
			api = fetch_api_name(c->api);
		v[0] = TimestampTzGetDatum(c->requested_at);
		v[1] = CStringGetTextDatum(api);
		v[2] = CStringGetTextDatum(c->endpoint);
		v[3] = Int32GetDatum((int32) c->http_status);
		if (c->http_status == 0)
			nulls[3] = 'n';
		v[4] = text_arg(c->error_code, nulls, 4);
		v[5] = text_arg(c->log_id, nulls, 5);
		v[6] = Float8GetDatum(c->duration_ms);
		v[7] = Int32GetDatum(c->video_count);
		v[8] = Int64GetDatum(c->video_id);
		if (c->video_id == 0)
			nulls[8] = 'n';
		v[9] = Int64GetDatum(c->creator_id);
		if (c->creator_id == 0)
			nulls[9] = 'n';
		v[10] = text_arg(c->message && c->message[0] ? c->message : NULL, nulls, 10);
		exec("INSERT INTO tiktrack.fetch_log (requested_at, api, endpoint, http_status, error_code,"
			 " log_id, duration_ms, video_count, video_id, creator_id, message)"
			 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
			 11, types, v, nulls, SPI_OK_INSERT);
	}
}

void
fetch_store_calls(FetchCall **calls, int ncalls)
{
	SPI_connect();
	store_calls_spi(calls, ncalls);
	SPI_finish();
}

static void
store_video_ok(FetchBatch *b, FetchVideo *fv, FetchApi api)
{
	FetchVideoStats *s = &fv->stats;
	Oid			types[16] = {INT8OID, TIMESTAMPTZOID, INT8OID, INT8OID, INT8OID, INT8OID,
		INT8OID, INT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID, TEXTOID,
	TEXTOID, INT8OID, FLOAT8OID, TEXTOID};
	Datum		v[16];
	char		nulls[17];

	memset(nulls, ' ', sizeof(nulls));
	v[0] = Int64GetDatum(fv->video_id);
	v[1] = TimestampTzGetDatum(b->captured_at);
	v[2] = int8_arg(s->has_views, s->views, nulls, 2);
	v[3] = int8_arg(s->has_likes, s->likes, nulls, 3);
	v[4] = int8_arg(s->has_comments, s->comments, nulls, 4);
	v[5] = int8_arg(s->has_shares, s->shares, nulls, 5);
	v[6] = int8_arg(s->has_saves, s->saves, nulls, 6);
	v[7] = int8_arg(s->has_reach, s->reach, nulls, 7);
	v[8] = float8_arg(s->has_completion_rate, s->completion_rate, nulls, 8);
	v[9] = float8_arg(s->has_avg_watch_time, s->avg_watch_time_s, nulls, 9);
	v[10] = float8_arg(s->has_total_watch_time, s->total_watch_time_s, nulls, 10);
	v[11] = CStringGetTextDatum(fetch_api_name(api));
	v[12] = text_arg(s->caption, nulls, 12);
	v[13] = int8_arg(s->has_create_time, s->create_time, nulls, 13);
	v[14] = float8_arg(s->has_duration, s->duration_s, nulls, 14);
	v[15] = text_arg(s->kind, nulls, 15);

	exec("INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares,"
		 " saves, reach, completion_rate, avg_watch_time_s, total_watch_time_s, source)"
		 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
		 " ON CONFLICT (video_id, captured_at) DO NOTHING",
		 12, types, v, nulls, SPI_OK_INSERT);
	exec("UPDATE tiktrack.videos SET last_fetched_at = greatest(last_fetched_at, $2),"
		 " fetch_failures = 0, missing_count = 0, last_error = NULL, last_error_at = NULL,"
		 " caption = coalesce($13, caption),"
		 " posted_at = coalesce(pg_catalog.to_timestamp($14::float8), posted_at),"
		 " duration_s = coalesce($15::real, duration_s),"
		 " kind = coalesce($16, kind),"
		 " state = CASE WHEN state IN ('awaiting_authorization', 'failing') THEN 'tracking'"
		 "              ELSE state END"
		 " WHERE id = $1",
		 16, types, v, nulls, SPI_OK_UPDATE);
}

static void
store_video_state(FetchVideo *fv)
{
	Oid			types[3] = {INT8OID, TEXTOID, INT4OID};
	Datum		v[3];
	char		nulls[4] = "   ";

	v[0] = Int64GetDatum(fv->video_id);
	switch (fv->outcome)
	{
		case FETCH_MISSING:
			v[1] = text_arg(fv->error, nulls, 1);
			v[2] = Int32GetDatum(FETCH_MISSING_LIMIT);
			exec("UPDATE tiktrack.videos SET missing_count = missing_count + 1,"
				 " state = CASE WHEN missing_count + 1 >= $3 AND state NOT IN ('stopped', 'completed')"
				 "              THEN 'unavailable' ELSE state END,"
				 " next_fetch_at = CASE WHEN missing_count + 1 >= $3 THEN NULL ELSE next_fetch_at END,"
				 " last_error = CASE WHEN missing_count + 1 >= $3"
				 "   THEN $2 || ' in ' || (missing_count + 1) || ' consecutive fetches; marked unavailable'"
				 "   ELSE $2 || ' (' || (missing_count + 1) || ' of ' || $3 || ' before it is marked unavailable)' END,"
				 " last_error_at = now()"
				 " WHERE id = $1",
				 3, types, v, nulls, SPI_OK_UPDATE);
			break;
		case FETCH_NO_AUTH:
		case FETCH_REAUTH:
			{
				char	   *why;

				if (fv->outcome == FETCH_REAUTH)
					why = fv->error;
				else
					why = NULL;
				v[1] = text_arg(why, nulls, 1);
				exec("UPDATE tiktrack.videos v SET state = CASE WHEN v.state IN ('tracking', 'failing')"
					 "   THEN 'awaiting_authorization' ELSE v.state END,"
					 " last_error = coalesce($2 || '; ', '') || CASE WHEN c.id IS NULL"
					 "   THEN 'the video''s creator is not known yet, so no authorization can be used'"
					 "   ELSE 'creator @' || c.handle || ' has not authorized tiktrack (auth_status '"
					 "        || c.auth_status || '): they must authorize through the Display API"
					 " (tiktrack.authorize_url) or the Business API (tiktrack.connect_creator)' END,"
					 " last_error_at = now()"
					 " FROM tiktrack.videos v2 LEFT JOIN tiktrack.creators c ON c.id = v2.creator_id"
					 " WHERE v.id = $1 AND v2.id = v.id",
					 2, types, v, nulls, SPI_OK_UPDATE);
				break;
			}
		case FETCH_ERROR:
			v[1] = text_arg(fv->error, nulls, 1);
			exec("UPDATE tiktrack.videos SET fetch_failures = fetch_failures + 1,"
				 " last_error = $2, last_error_at = now() WHERE id = $1",
				 2, types, v, nulls, SPI_OK_UPDATE);
			break;
		default:
			break;
	}
}

static void
store_resolution(FetchVideo *fv)
{
	Oid			types[5] = {INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID};
	Datum		v[5];
	char		nulls[6] = "     ";

	v[0] = Int64GetDatum(fv->video_id);
	v[1] = Int64GetDatum(fv->resolved_id);
	v[2] = text_arg(fv->resolved_handle, nulls, 2);
	v[3] = text_arg(fv->resolved_kind, nulls, 3);
	v[4] = text_arg(fv->resolved_url, nulls, 4);
	exec("SELECT tiktrack.resolve_placeholder($1, $2, $3, $4, $5)",
		 5, types, v, nulls, SPI_OK_SELECT);
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

		if (fc->outcome == FETCH_NO_AUTH)
			msg = "the creator has not authorized tiktrack through the Display or the Business API";
		if (msg == NULL)
			return;
		v[1] = text_arg(msg, nulls, 1);
		types[1] = TEXTOID;
		exec("UPDATE tiktrack.creators SET last_error = $2, updated_at = now() WHERE id = $1",
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
		 " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)"
		 " ON CONFLICT (creator_id, captured_at) DO NOTHING",
		 8, types, v, nulls, SPI_OK_INSERT);
	exec("UPDATE tiktrack.creators SET display_name = coalesce($9, display_name),"
		 " avatar_url = coalesce($10, avatar_url), bio = coalesce($11, bio),"
		 " is_verified = coalesce($12, is_verified), last_error = NULL, updated_at = now()"
		 " WHERE id = $1",
		 12, types, v, nulls, SPI_OK_UPDATE);
}

static void
store_reauth(FetchCredentials *c)
{
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		v[2];
	char		nulls[3] = "  ";

	v[0] = Int64GetDatum(c->creator_id);
	v[1] = text_arg(c->reauth_reason, nulls, 1);
	exec("UPDATE tiktrack.creators SET auth_status = 'reauthorization_needed',"
		 " last_error = $2 || '; the creator must authorize again', updated_at = now()"
		 " WHERE id = $1",
		 2, types, v, nulls, SPI_OK_UPDATE);
}

void
fetch_store(FetchBatch *b)
{
	int			i;

	SPI_connect();
	/* tokens first: losing a rotated refresh token locks the creator out */
	for (i = 0; i < b->ncreds; i++)
	{
		FetchCredentials *c = b->creds[i];

		if (c->rotated && !c->rotation_stored)
			store_rotation_spi(c);
		if (c->reauth_needed)
			store_reauth(c);
	}
	for (i = 0; i < b->nvideos; i++)
	{
		FetchVideo *fv = &b->videos[i];

		if (fv->outcome == FETCH_OK)
			store_video_ok(b, fv, fv->cred->api);
		else if (fv->outcome == FETCH_RESOLVED)
			store_resolution(fv);
		else
			store_video_state(fv);
	}
	for (i = 0; i < b->ncreators; i++)
		store_creator(b, &b->creators[i]);
	store_calls_spi(b->calls, b->ncalls);
	SPI_finish();
}
