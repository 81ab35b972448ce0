/*-------------------------------------------------------------------------
 *
 * creator_videos.c
 *	  tiktrack.creator_videos(handle, max_videos, posted_since): an
 *	  authorized creator's recent public videos with their current
 *	  counters, paged from TikTok.
 *
 * Pages are requested one after the other (each needs the cursor of the
 * previous answer), newest first, at most 20 videos each.  Before the
 * first page an expiring token is refreshed; a page refused with an
 * invalid token refreshes it once and asks for the same page again.  A
 * failed page fails the whole listing: a partial list would look
 * complete.  Stopping is decided by video_pager.c from the answers alone.
 *
 * Each page draws one request from TikTok's budget shared with the worker
 * and every session (fetch_budget.h), waiting a few seconds at most: when
 * the budget is spent before the first page the call fails as refresh()
 * does; later, paging stops with a WARNING and the videos listed so far.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "creator_videos.h"
#include "fetch_budget.h"
#include "http_client.h"
#include "provider_business.h"
#include "provider_display.h"
#include "refresh.h"
#include "search_path.h"

PG_FUNCTION_INFO_V1(tiktrack_creator_videos);

/* ------------------------------------------------------------------------
 * execute (no transaction, no SPI)
 * ------------------------------------------------------------------------
 */

/* Outcome for credentials that cannot be used (as fetch.c does for videos). */
static void
fail_for_cred(FetchCreatorVideos *cv)
{
	FetchCredentials *c = cv->cred;

	if (c->reauth_needed)
	{
		cv->outcome = FETCH_REAUTH;
		cv->call = c->refresh_call;
		cv->error = c->reauth_reason;
		return;
	}
	cv->outcome = FETCH_ERROR;
	cv->call = c->refresh_call;
	cv->error = psprintf("could not refresh the token of @%s before listing their videos: %s",
						 c->handle,
						 c->refresh_call ? fetch_call_describe(c->refresh_call) : "no token");
}

/* Request and decode one page; false when the request failed (see call). */
static bool
fetch_page(FetchBatch *b, FetchCredentials *c, int64 cursor, int max_count,
		   TtVideoList *list, FetchCall **callp)
{
	HttpRequest *req;
	FetchCall  *call;
	bool		ok;

	if (c->api == FETCH_API_BUSINESS)
	{
		req = business_video_page_request(c->access_token,
										  c->business_id ? c->business_id : "",
										  cursor, max_count);
		call = fetch_call_new(FETCH_API_BUSINESS, "/business/video/list/");
	}
	else
	{
		req = display_video_list_request(c->access_token, cursor, max_count);
		call = fetch_call_new(FETCH_API_DISPLAY, "/v2/video/list/");
	}
	call->creator_id = c->creator_id;
	call->video_count = max_count;
	http_execute_one(req);
	if (c->api == FETCH_API_BUSINESS)
		ok = business_decode_videos(req, call, list, false);
	else
		ok = display_decode_videos(req, call, list, false);
	http_request_wipe(req);
	fetch_batch_add_call(b, call);
	*callp = call;
	return ok;
}

/*
 * Takes the request of one page from the budget shared with the worker and
 * every session, waiting a little if needed.  When the wait would be long,
 * paging stops there: what was listed so far stands (FETCH_OK) and
 * cv->budget_wait_us says for how long the budget is spent.
 */
static bool
take_budget(FetchCreatorVideos *cv, FetchApi api)
{
	int			limiter = fetch_budget_for_video_list(api);
	int64		wait_us = fetch_budget_wait(limiter, 1);

	if (wait_us == 0)
		return true;
	cv->outcome = FETCH_OK;
	cv->budget_limiter = limiter;
	cv->budget_wait_us = wait_us;
	return false;
}

/*
 * One page, refreshing the token and asking again once if TikTok refused
 * it as invalid.  false when the listing cannot go on: cv->outcome says
 * why (FETCH_OK when the request budget stopped it).
 */
static bool
fetch_page_with_retry(FetchBatch *b, FetchCreatorVideos *cv, int page,
					  int64 cursor, int max_count, TtVideoList *list,
					  FetchRotationCallback on_rotation, void *arg)
{
	FetchCredentials *c = cv->cred;
	FetchCall  *call;

	if (!fetch_credentials_usable(c))
	{
		fail_for_cred(cv);
		return false;
	}
	if (!take_budget(cv, c->api))
		return false;
	if (fetch_page(b, c, cursor, max_count, list, &call))
		return true;
	if (call->auth_failed && c->refresh_token && !c->refreshed_this_batch)
	{
		fetch_refresh_credentials(b, &c, 1, on_rotation, arg);
		if (!fetch_credentials_usable(c))
		{
			fail_for_cred(cv);
			return false;
		}
		if (!take_budget(cv, c->api))
			return false;
		if (fetch_page(b, c, cursor, max_count, list, &call))
			return true;
	}
	cv->outcome = FETCH_ERROR;
	cv->call = call;
	cv->error = psprintf("could not list the videos of @%s (page %d): %s",
						 c->handle, page, fetch_call_describe(call));
	return false;
}

void
fetch_execute_creator_videos(FetchBatch *b, FetchCreatorVideos *cv,
							 FetchRotationCallback on_rotation, void *arg)
{
	VideoPager *pager = palloc(sizeof(VideoPager));
	FetchCredentials *c = cv->cred;
	int64_t		cursor;
	int			max_count;

	vp_init(pager, cv->max_videos, cv->has_since, cv->since);
	cv->nvideos = 0;
	cv->videos = palloc0(sizeof(FetchListedVideo) * pager->max_videos);
	cv->pages = 0;
	cv->budget_limiter = -1;
	cv->budget_wait_us = 0;
	if (c == NULL || (c->api == FETCH_API_NONE && !c->reauth_needed))
	{
		cv->outcome = FETCH_NO_AUTH;
		return;
	}
	if (c->refresh_token && !c->reauth_needed && !c->refreshed_this_batch &&
		fetch_credentials_expiring(c))
		fetch_refresh_credentials(b, &c, 1, on_rotation, arg);

	while (vp_next_request(pager, &cursor, &max_count))
	{
		TtVideoList list;
		VpItem	   *items;
		bool	   *accepted;
		int			i;

		if (!fetch_page_with_retry(b, cv, pager->pages + 1, cursor, max_count, &list,
								   on_rotation, arg))
		{
			if (cv->budget_wait_us > 0)
				break;			/* keep what was listed */
			return;
		}
		items = palloc(sizeof(VpItem) * Max(list.nvideos, 1));
		accepted = palloc(sizeof(bool) * Max(list.nvideos, 1));
		for (i = 0; i < list.nvideos; i++)
		{
			items[i].id = list.videos[i].id;
			items[i].has_create_time = list.videos[i].has_create_time;
			items[i].create_time = list.videos[i].create_time;
		}
		vp_add_page(pager, items, list.nvideos, list.has_more, list.has_cursor,
					list.cursor, accepted);
		for (i = 0; i < list.nvideos; i++)
		{
			FetchListedVideo *lv;

			if (!accepted[i])
				continue;
			Assert(cv->nvideos < pager->max_videos);
			lv = &cv->videos[cv->nvideos++];
			lv->video_id = list.videos[i].id;
			fetch_video_stats_from(&lv->stats, &list.videos[i]);
		}
		cv->pages = pager->pages;
	}
	cv->outcome = FETCH_OK;
	cv->stop = pager->state;
	cv->pages = pager->pages;
}

/* ------------------------------------------------------------------------
 * SQL
 * ------------------------------------------------------------------------
 */

#define CREATOR_VIDEOS_COLS 12

/* Text from TikTok (UTF-8) in the database encoding. */
static Datum
server_text(const char *s)
{
	return CStringGetTextDatum(pg_any_to_server(s, strlen(s), PG_UTF8));
}

/* Upper end of a plausible create_time: 9999-12-31 (keeps the conversion in range). */
#define MAX_EPOCH_S INT64CONST(253402300799)

static void
emit_rows(FunctionCallInfo fcinfo, const char *handle, FetchApi api,
		  const FetchCreatorVideos *cv)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	for (i = 0; i < cv->nvideos; i++)
	{
		const FetchListedVideo *lv = &cv->videos[i];
		const FetchVideoStats *s = &lv->stats;
		const char *kind = s->kind ? s->kind : "video";
		Datum		values[CREATOR_VIDEOS_COLS];
		bool		nulls[CREATOR_VIDEOS_COLS];

		memset(nulls, 0, sizeof(nulls));
		values[0] = Int64GetDatum(lv->video_id);
		values[1] = CStringGetTextDatum(kind);
		if (s->has_create_time && s->create_time >= 0 && s->create_time <= MAX_EPOCH_S)
			values[2] = TimestampTzGetDatum(time_t_to_timestamptz((pg_time_t) s->create_time));
		else
			nulls[2] = true;
		if (s->caption)
			values[3] = server_text(s->caption);
		else
			nulls[3] = true;
		values[4] = CStringGetTextDatum(psprintf("https://www.tiktok.com/@%s/%s/" INT64_FORMAT,
												 handle, kind, lv->video_id));
		values[5] = Int64GetDatum(s->views);
		nulls[5] = !s->has_views;
		values[6] = Int64GetDatum(s->likes);
		nulls[6] = !s->has_likes;
		values[7] = Int64GetDatum(s->comments);
		nulls[7] = !s->has_comments;
		values[8] = Int64GetDatum(s->shares);
		nulls[8] = !s->has_shares;
		values[9] = Int64GetDatum(s->saves);
		nulls[9] = !s->has_saves;
		values[10] = Int64GetDatum(s->reach);
		nulls[10] = !s->has_reach;
		values[11] = CStringGetTextDatum(fetch_api_name(api));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

static Datum
creator_videos(PG_FUNCTION_ARGS)
{
	char	   *handle;
	int			max_videos;
	FetchCreatorVideos cv;
	FetchBatch *b;
	int64		creator_id;
	char	   *auth_status;
	Oid			htypes[1] = {TEXTOID};
	Datum		h[1];
	bool		isnull;
	MemoryContext callerctx = CurrentMemoryContext;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("handle and max_videos must not be NULL")));
	handle = text_to_cstring(PG_GETARG_TEXT_PP(0));
	max_videos = PG_GETARG_INT32(1);
	if (max_videos < 1 || max_videos > VP_MAX_VIDEOS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_videos must be between 1 and %d, got %d", VP_MAX_VIDEOS, max_videos)));
	memset(&cv, 0, sizeof(cv));
	cv.max_videos = max_videos;
	if (!PG_ARGISNULL(2))
	{
		TimestampTz since = PG_GETARG_TIMESTAMPTZ(2);

		if (TIMESTAMP_NOT_FINITE(since))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("posted_since must be a finite timestamp")));
		cv.has_since = true;
		cv.since = (int64) timestamptz_to_time_t(since);
		/* a fraction of a second after a whole second still includes later posts only */
		if (time_t_to_timestamptz((pg_time_t) cv.since) < since)
			cv.since++;
	}

	h[0] = CStringGetTextDatum(handle);
	SPI_connect();
	if (SPI_execute_with_args("SELECT id, auth_status, handle FROM tiktrack.creators"
							  " WHERE handle = pg_catalog.lower(pg_catalog.ltrim(pg_catalog.btrim($1), '@'))",
							  1, htypes, h, NULL, true, 0) != SPI_OK_SELECT || SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("creator \"%s\" does not exist", handle)));
	creator_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	{
		/* copies that outlive SPI_finish */
		MemoryContext spictx = MemoryContextSwitchTo(callerctx);

		auth_status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
		handle = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
		MemoryContextSwitchTo(spictx);
	}
	SPI_finish();

	b = fetch_prepare_creators(&creator_id, 1);
	cv.cred = b->creators[0].cred;
	fetch_execute_creator_videos(b, &cv, NULL, NULL);

	InitMaterializedSRF(fcinfo, 0);
	switch (cv.outcome)
	{
		case FETCH_OK:
			break;
		case FETCH_NO_AUTH:
			fetch_batch_wipe(b);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("creator @%s has not authorized tiktrack (auth_status %s)",
							handle, auth_status),
					 errdetail("Listing a creator's videos needs their authorization through the Display API (scope video.list) or the Business API."),
					 errhint("Authorize through tiktrack.authorize_url() or tiktrack.connect_creator().")));
			break;
		case FETCH_REAUTH:
			fetch_store(b);
			fetch_batch_wipe(b);
			ereport(WARNING,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("the videos of @%s were not listed: %s", handle, cv.error),
					 errhint("The creator must authorize again through tiktrack.authorize_url() or tiktrack.connect_creator().")));
			PG_RETURN_NULL();
		default:
			refresh_raise_failure(b, cv.error ? cv.error :
								  psprintf("could not list the videos of @%s", handle),
								  cv.call);
			PG_RETURN_NULL();
	}

	if (cv.budget_wait_us > 0 && cv.pages == 0 && !fetch_batch_rotated(b))
	{
		/* nothing listed and no new tokens to keep: fail like refresh() */
		fetch_batch_wipe(b);
		fetch_budget_exhausted(cv.budget_limiter, cv.budget_wait_us,
							   psprintf("could not list the videos of @%s", handle));
	}
	fetch_store(b);
	fetch_batch_wipe(b);
	if (cv.budget_wait_us > 0)
		ereport(WARNING,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("listing the videos of @%s stopped after %d pages with %d videos: the request budget is used up for the next %ld s",
						handle, cv.pages, cv.nvideos,
						(long) ((cv.budget_wait_us + USECS_PER_SEC - 1) / USECS_PER_SEC)),
				 errdetail("The videos listed so far are returned; the budget is shared with the background worker and every session of this server."),
				 errhint("Call it again later for the rest, or raise the budget (tiktrack.display_requests_per_minute, tiktrack.business_requests_per_*).")));
	else if (vp_state_is_guard(cv.stop))
		ereport(WARNING,
				(errmsg("listing the videos of @%s stopped after %d pages with %d videos: %s",
						handle, cv.pages, cv.nvideos, vp_state_describe(cv.stop)),
				 errdetail("The videos listed so far are returned.")));
	emit_rows(fcinfo, handle, cv.cred->api, &cv);
	PG_RETURN_NULL();
}

/* ---- SQL entry points: the work above under a pinned search_path ---- */

Datum
tiktrack_creator_videos(PG_FUNCTION_ARGS)
{
	return search_path_call(creator_videos, fcinfo);
}
