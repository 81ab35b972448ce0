/*-------------------------------------------------------------------------
 *
 * refresh.c
 *	  tiktrack.refresh(video_id) and tiktrack.refresh_creator(handle): the
 *	  prepare, execute and store steps of fetch.h in the caller's
 *	  transaction.
 *
 * The rule for a synchronous refresh: an API failure is an ERROR that
 * names the video, endpoint, TikTok error code and log_id, and nothing is
 * written (the fetch_log rows roll back with it; the message carries the
 * same facts).  An answer that changes the video's or creator's state
 * (TikTok did not return the video; the creator is not or no longer
 * authorized; a short link redirects off TikTok or to no video) is
 * stored, reported as a WARNING, and NULL is returned.
 * One exception protects the creator: when TikTok rotated the tokens
 * during the call and the fetch then failed, the new tokens must survive,
 * so the failure is stored and reported as a WARNING instead.
 *
 * The request draws from TikTok's budget that every session shares with
 * the background worker (fetch_budget.h): when the budget is spent the
 * call waits a few seconds at most, else fails saying when to retry,
 * before anything is sent.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "fetch.h"
#include "fetch_budget.h"
#include "provider_display.h"
#include "refresh.h"
#include "search_path.h"

PG_FUNCTION_INFO_V1(tiktrack_refresh);
PG_FUNCTION_INFO_V1(tiktrack_refresh_creator);

static int
failure_errcode(const FetchCall *call)
{
	if (call == NULL)
		return ERRCODE_EXTERNAL_ROUTINE_EXCEPTION;
	if (call->rate_limited)
		return ERRCODE_CONFIGURATION_LIMIT_EXCEEDED;
	if (call->http_status == 0 && call->error_code &&
		strcmp(call->error_code, "refused") == 0)
		return ERRCODE_INSUFFICIENT_PRIVILEGE;
	if (call->http_status == 0)
		return ERRCODE_CONNECTION_FAILURE;
	if (call->auth_failed)
		return ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION;
	return ERRCODE_EXTERNAL_ROUTINE_EXCEPTION;
}

void
refresh_raise_failure(FetchBatch *b, const char *error, const FetchCall *call)
{
	bool		rotated = fetch_batch_rotated(b);
	const char *hint = fetch_call_hint(call);

	if (rotated)
	{
		/* keep the rotated tokens: store, then only warn */
		fetch_store(b);
		fetch_batch_wipe(b);
		ereport(WARNING,
				(errcode(failure_errcode(call)),
				 errmsg("%s", error),
				 errdetail("The creator's tokens were refreshed during the call; the new tokens and the failure are stored.")));
		return;
	}
	fetch_batch_wipe(b);
	if (call && call->rate_limited)
		hint = psprintf("TikTok is rate limiting; try again later%s.",
						call->retry_after_s >= 0 ? psprintf(" (after %d s)", call->retry_after_s) : "");
	ereport(ERROR,
			(errcode(failure_errcode(call)),
			 errmsg("%s", error),
			 hint ? errhint("%s", hint) : 0));
}

/*
 * Takes the one request a refresh sends from the budget shared with the
 * worker, waiting a little if needed; when the wait would be long, fails
 * before anything is sent (tokens wiped first, like every failure here).
 */
static void
draw_budget(FetchBatch *b, int limiter, const char *what)
{
	int64		wait_us = fetch_budget_wait(limiter, 1);

	if (wait_us > 0)
	{
		fetch_batch_wipe(b);
		fetch_budget_exhausted(limiter, wait_us, what);
	}
}

/*
 * Whether a short link's answer settles the matter: it redirects somewhere
 * we refuse to go, or to a page that names no video.  Asking again gives
 * the same answer, so it is stored (last_error) rather than rolled back.
 */
static bool
short_link_refused(const FetchVideo *v)
{
	return v->outcome == FETCH_ERROR && v->call && v->call->error_code &&
		(strcmp(v->call->error_code, "redirect_refused") == 0 ||
		 strcmp(v->call->error_code, "redirect_unparsable") == 0);
}

/*
 * Why a creator cannot be fetched, for a WARNING: the reason it must
 * authorize again when it must (e.g. no tokens after a restore), else
 * that it has not authorized.
 */
static char *
unauthorized_reason(int64 creator_id)
{
	Oid			types[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(creator_id)};
	char	   *reason = NULL;
	MemoryContext callerctx = CurrentMemoryContext;

	SPI_connect();
	if (SPI_execute_with_args("SELECT last_error FROM tiktrack.creators"
							  " WHERE id = $1 AND auth_status = 'reauthorization_needed'"
							  " AND last_error IS NOT NULL",
							  1, types, args, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		MemoryContext spictx = MemoryContextSwitchTo(callerctx);

		reason = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		MemoryContextSwitchTo(spictx);
	}
	SPI_finish();
	return reason ? reason :
		pstrdup("the creator has not authorized tiktrack through the Display or the Business API");
}

static HeapTuple
lookup_row(const char *sql, int64 id, TimestampTz at, TupleDesc *desc)
{
	Oid			types[2] = {INT8OID, TIMESTAMPTZOID};
	Datum		v[2];

	v[0] = Int64GetDatum(id);
	v[1] = TimestampTzGetDatum(at);
	if (SPI_execute_with_args(sql, 2, types, v, NULL, false, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		return NULL;
	*desc = SPI_tuptable->tupdesc;
	return SPI_tuptable->vals[0];
}

static Datum
refresh_video(PG_FUNCTION_ARGS)
{
	int64		video_id = PG_GETARG_INT64(0);
	FetchBatch *b;
	FetchVideo *v;
	TupleDesc	desc;
	HeapTuple	tup;
	Datum		result;

	b = fetch_prepare_videos(&video_id, 1);
	if (b->nvideos != 1)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("video " INT64_FORMAT " is not tracked", video_id),
				 errhint("Track it first with tiktrack.track(url).")));
	v = &b->videos[0];

	if (v->video_id < 0)
	{
		/* a short link: resolve it, store the real id, then fetch that */
		fetch_execute(b, NULL, NULL);
		if (v->outcome != FETCH_RESOLVED)
		{
			if (v->outcome == FETCH_MISSING)
			{
				fetch_store(b);
				ereport(WARNING,
						(errmsg("%s", v->error)));
				PG_RETURN_NULL();
			}
			if (short_link_refused(v))
			{
				fetch_store(b);
				ereport(WARNING,
						(errmsg("video " INT64_FORMAT " was not resolved: %s", video_id, v->error),
						 errdetail("Only redirects to https://www.tiktok.com (and TikTok's other web hosts) naming a video are followed; the video stays unresolved with this reason in last_error.")));
				PG_RETURN_NULL();
			}
			refresh_raise_failure(b, psprintf("could not refresh video " INT64_FORMAT ": %s",
									  video_id, v->error ? v->error : "short link not resolved"),
						  v->call);
			PG_RETURN_NULL();
		}
		fetch_store(b);
		video_id = v->resolved_id;
		b = fetch_prepare_videos(&video_id, 1);
		if (b->nvideos != 1)
			elog(ERROR, "resolved video " INT64_FORMAT " vanished", video_id);
		v = &b->videos[0];
	}

	if (v->cred != NULL)
		draw_budget(b, fetch_budget_for_videos(v->cred->api),
					psprintf("could not refresh video " INT64_FORMAT, video_id));
	fetch_execute(b, NULL, NULL);
	switch (v->outcome)
	{
		case FETCH_OK:
			break;
		case FETCH_MISSING:
		case FETCH_NO_AUTH:
		case FETCH_REAUTH:
			fetch_store(b);
			fetch_batch_wipe(b);
			SPI_connect();
			{
				Oid			types[1] = {INT8OID};
				Datum		args[1] = {Int64GetDatum(video_id)};

				SPI_execute_with_args("SELECT state, last_error FROM tiktrack.videos WHERE id = $1",
									  1, types, args, NULL, false, 1);
				if (SPI_processed == 1)
					ereport(WARNING,
							(errcode(v->outcome == FETCH_MISSING ? ERRCODE_NO_DATA_FOUND :
									 ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
							 errmsg("video " INT64_FORMAT " was not refreshed: %s",
									video_id,
									SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2)),
							 errdetail("Its state is now %s.",
									   SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1))));
			}
			SPI_finish();
			PG_RETURN_NULL();
		default:
			refresh_raise_failure(b, v->error ? v->error :
						  psprintf("could not refresh video " INT64_FORMAT, video_id),
						  v->call);
			PG_RETURN_NULL();
	}

	fetch_store(b);
	fetch_batch_wipe(b);
	SPI_connect();
	tup = lookup_row("SELECT * FROM tiktrack.snapshots WHERE video_id = $1 AND captured_at = $2",
					 video_id, b->captured_at, &desc);
	if (tup == NULL)
		elog(ERROR, "stored snapshot of video " INT64_FORMAT " not found", video_id);
	result = PointerGetDatum(SPI_returntuple(tup, desc));
	SPI_finish();
	PG_RETURN_DATUM(result);
}

static Datum
refresh_creator(PG_FUNCTION_ARGS)
{
	char	   *handle = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int64		creator_id;
	FetchBatch *b;
	FetchCreator *c;
	TupleDesc	desc;
	HeapTuple	tup;
	Datum		result;

	creator_id = fetch_creator_id_by_handle(handle);

	b = fetch_prepare_creators(&creator_id, 1);
	c = &b->creators[0];
	if (c->cred != NULL)
		draw_budget(b, fetch_budget_for_account(c->cred->api),
					psprintf("could not refresh creator @%s", handle));
	fetch_execute(b, NULL, NULL);
	if (c->outcome == FETCH_NO_AUTH || c->outcome == FETCH_REAUTH)
	{
		fetch_store(b);
		fetch_batch_wipe(b);
		ereport(WARNING,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("creator @%s was not refreshed: %s", handle,
						c->outcome == FETCH_REAUTH ? c->error : unauthorized_reason(creator_id)),
				 errhint("Authorize through tiktrack.authorize_url() or tiktrack.connect_creator().")));
		PG_RETURN_NULL();
	}
	if (c->outcome != FETCH_OK)
	{
		refresh_raise_failure(b, c->error ? c->error : psprintf("could not refresh creator @%s", handle),
					  c->call);
		PG_RETURN_NULL();
	}
	fetch_store(b);
	fetch_batch_wipe(b);
	SPI_connect();
	tup = lookup_row("SELECT * FROM tiktrack.creator_stats WHERE creator_id = $1 AND captured_at = $2",
					 creator_id, b->captured_at, &desc);
	if (tup == NULL)
		elog(ERROR, "stored stats of creator @%s not found", handle);
	result = PointerGetDatum(SPI_returntuple(tup, desc));
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/* ---- SQL entry points: the work above under a pinned search_path ---- */

Datum
tiktrack_refresh(PG_FUNCTION_ARGS)
{
	return search_path_call(refresh_video, fcinfo);
}

Datum
tiktrack_refresh_creator(PG_FUNCTION_ARGS)
{
	return search_path_call(refresh_creator, fcinfo);
}
