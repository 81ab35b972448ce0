/*-------------------------------------------------------------------------
 *
 * video_store.c
 *	  The store step's writes per video (snapshot_store.c runs them): what
 *	  each fetch means for its videos row (outcome, state, counts, error,
 *	  changed metadata), written only where something changed; the next
 *	  fetch in video_schedule; short links taking their real ids; the
 *	  state events; and the early-traction check of the young posts.
 *
 * Set-based like the rest of the store step: one statement each for the
 * whole batch (arrays unnest()ed), every statement reaching the batch's
 * rows by index whatever the table sizes, and written so that Citus can
 * plan it on a distributed install.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "fetch.h"
#include "store_spi.h"
#include "video_store.h"
#include "worker.h"

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
		store_notify_event(completed[i] ? "tracking.completed" : "video.unavailable", "video_id", ids[i],
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
bool
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
store_schedule_spi(FetchBatch *b, int lo, int hi, DirectStore *ds)
{
	ArrayBuildState *ids = store_column_new(INT8OID);
	ArrayBuildState *oks = store_column_new(BOOLOID);
	ArrayBuildState *scheduled = store_column_new(BOOLOID);
	ArrayBuildState *next = store_column_new(TIMESTAMPTZOID);
	Oid			types[5] = {TIMESTAMPTZOID, INT8ARRAYOID, BOOLARRAYOID, BOOLARRAYOID,
	TIMESTAMPTZARRAYOID};
	Datum		values[5];
	int			n = 0;
	int			i;

	for (i = lo; i < hi; i++)
	{
		FetchVideo *fv = &b->videos[i];
		int64		id = fv->video_id;

		if (direct_store_schedules_video(ds, i))
			continue;
		if (fv->outcome == FETCH_RESOLVED)
		{
			if (!fv->scheduled || !resolved_id_free(b, fv->resolved_id))
				continue;
			id = fv->resolved_id;
		}
		else if (!fv->scheduled && fv->outcome != FETCH_OK)
			continue;
		store_column_add(ids, true, Int64GetDatum(id));
		store_column_add(oks, true, BoolGetDatum(fv->outcome == FETCH_OK));
		store_column_add(scheduled, true, BoolGetDatum(fv->scheduled));
		store_column_add(next, fv->scheduled && fv->next_fetch_at != DT_NOBEGIN,
				   TimestampTzGetDatum(fv->next_fetch_at));
		n++;
	}
	if (ds)
		direct_store_schedules(ds);
	if (n == 0)
		return;
	values[0] = TimestampTzGetDatum(b->captured_at);
	values[1] = store_column_array(ids);
	values[2] = store_column_array(oks);
	values[3] = store_column_array(scheduled);
	values[4] = store_column_array(next);
	store_exec(UPDATE_SCHEDULE, 5, types, values, NULL, SPI_OK_UPDATE);
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
void
store_videos_spi(FetchBatch *b, int lo, int hi, DirectStore *ds)
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
		col[i] = store_column_new(elem[i]);
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
		if (direct_store_wrote_video(ds, i) || video_row_unchanged(fv))
			continue;
		if (fv->outcome == FETCH_ERROR || fv->outcome == FETCH_MISSING ||
			fv->outcome == FETCH_REAUTH)
			error = fv->error;
		if (fv->outcome == FETCH_ERROR && error == NULL)
			error = "fetch failed";
		if (ok)
			error = fv->note;	/* what was wrong with a usable answer */
		store_column_add(col[C_ID], true, Int64GetDatum(id));
		store_column_add(col[C_OUTCOME], true, CStringGetTextDatum(outcome));
		store_column_add_text(col[C_ERROR], error);
		store_column_add(col[C_SCHEDULED], true, BoolGetDatum(fv->scheduled));
		store_column_add(col[C_NEXT], fv->scheduled && fv->next_fetch_at != DT_NOBEGIN,
				   TimestampTzGetDatum(fv->next_fetch_at));
		store_column_add(col[C_FAILING], true, BoolGetDatum(fv->scheduled && fv->becomes_failing));
		store_column_add_text(col[C_CAPTION], ok ? s->caption : NULL);
		store_column_add(col[C_POSTED], ok && s->has_create_time && fetch_create_time_valid(s->create_time),
				   TimestampTzGetDatum(time_t_to_timestamptz((pg_time_t) s->create_time)));
		store_column_add(col[C_DURATION], ok && s->has_duration, Float4GetDatum((float4) s->duration_s));
		store_column_add_text(col[C_KIND], ok ? s->kind : NULL);
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
			values[i + 2] = store_column_array(col[i]);
		}
		/*
		 * The ids again as an array of n's, not $3: Citus sends a
		 * statement whose CTE it runs first with its parameters
		 * misnumbered when the outer statement names one.
		 */
		if (nmeta > 0)
			store_exec(NEW_OUTCOME
				 " UPDATE tiktrack.videos v SET" SET_OUTCOME ","
				 " caption = n.caption, posted_at = n.posted_at, duration_s = n.duration_s, kind = n.kind"
				 " FROM n WHERE v.id = n.id AND v.id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT n2.id FROM n n2))"
				 " AND (n.metadata_changed OR" OUTCOME_CHANGED ")"
				 RETURNING_STATES,
				 NCOLS + 2, types, values, NULL, SPI_OK_UPDATE_RETURNING);
		else
			store_exec(NEW_OUTCOME
				 " UPDATE tiktrack.videos v SET" SET_OUTCOME
				 " FROM n WHERE v.id = n.id AND v.id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT n2.id FROM n n2))"
				 " AND" OUTCOME_CHANGED
				 RETURNING_STATES,
				 NCOLS + 2, types, values, NULL, SPI_OK_UPDATE_RETURNING);
		notify_state_changes_spi();
	}
	store_schedule_spi(b, lo, hi, ds);
}

/*
 * Short links whose redirect named the video: the placeholder rows take
 * their real ids (tiktrack.resolve_placeholder), in one statement.
 */
void
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
		col[i] = store_column_new(elem[i]);
	for (i = lo; i < hi; i++)
	{
		FetchVideo *fv = &b->videos[i];

		if (fv->outcome != FETCH_RESOLVED)
			continue;
		store_column_add(col[C_ID], true, Int64GetDatum(fv->video_id));
		store_column_add(col[C_REAL_ID], true, Int64GetDatum(fv->resolved_id));
		store_column_add_text(col[C_HANDLE], fv->resolved_handle);
		store_column_add_text(col[C_KIND], fv->resolved_kind);
		store_column_add_text(col[C_URL], fv->resolved_url);
		n++;
	}
	if (n == 0)
		return;
	for (i = 0; i < NCOLS; i++)
	{
		types[i] = get_array_type(elem[i]);
		values[i] = store_column_array(col[i]);
	}
	store_exec("SELECT pg_catalog.count(tiktrack.resolve_placeholder(u.id, u.real_id, u.handle, u.kind, u.url))"
		 " FROM ROWS FROM ("
		 "  pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),"
		 "  pg_catalog.unnest($4), pg_catalog.unnest($5))"
		 " AS u(id, real_id, handle, kind, url)",
		 NCOLS, types, values, NULL, SPI_OK_SELECT);
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
void
store_traction_checks_spi(FetchBatch *b, int lo, int hi)
{
	ArrayBuildState *ids = store_column_new(INT8OID);
	ArrayBuildState *at = store_column_new(TIMESTAMPTZOID);
	Oid			types[2] = {INT8ARRAYOID, TIMESTAMPTZARRAYOID};
	Datum		values[2];
	int			n = 0;
	int			i;

	for (i = lo; i < hi; i++)
	{
		FetchVideo *fv = &b->videos[i];

		if (fv->outcome != FETCH_OK || !video_may_be_young(fv, b->captured_at))
			continue;
		store_column_add(ids, true, Int64GetDatum(fv->video_id));
		store_column_add(at, true, TimestampTzGetDatum(b->captured_at));
		n++;
	}
	if (n == 0)
		return;
	values[0] = store_column_array(ids);
	values[1] = store_column_array(at);
	store_exec("SELECT tiktrack.check_traction_breakouts($1, $2)", 2, types, values, NULL, SPI_OK_SELECT);
}
