/*-------------------------------------------------------------------------
 *
 * store_direct.c
 *	  The rows a good answer writes (the snapshot, its latest_snapshots row,
 *	  the video's schedule, and on a first fetch its metadata) written with
 *	  the executor's row primitives, as COPY and logical replication's apply
 *	  worker write theirs, instead of planned statements.
 *
 * Why: those statements are most of the worker's CPU per snapshot.  Each
 * video is an index probe and a heap write per table here; the statements
 * add a planner that, for a batch that is a tenth of a small table, picks
 * sequential scans and hash joins, a foreign-key check run as a query per
 * row, and ON CONFLICT's second index probe.
 *
 * What stays the same as the statements (snapshot_store.c, video_store.c),
 * which remain the path wherever this one does not apply:
 *   - the video's row is locked FOR KEY SHARE before its snapshot is
 *     written, as the foreign key's check would (so a concurrent untrack
 *     waits, or has won and the video is skipped, never an orphan);
 *   - a snapshot already stored at the same moment is skipped with its
 *     latest_snapshots change (ON CONFLICT DO NOTHING);
 *   - latest_snapshots counts the snapshot and takes its values when it is
 *     the newest (LATEST_SNAPSHOTS_UPSERT);
 *   - CHECK and NOT NULL constraints are checked (ExecConstraints), indexes
 *     kept, unique indexes enforced;
 *   - a row updated concurrently is updated in its newest version, as
 *     READ COMMITTED's EvalPlanQual does;
 *   - a video's row is written here only when a good answer changes nothing
 *     in it but its metadata (caption, posting time, duration, kind; its
 *     generated hashtags and mentions computed as an UPDATE would) and its
 *     triggers are tiktrack's, which stand aside for the store step; any
 *     other outcome goes to the outcome statement (video_store.c).
 *
 * When it applies (direct_store_open): tiktrack.direct_access is on, a
 * superuser runs the store step (the worker, or refresh() as the
 * extension's owner; permissions and row security are then moot), Citus
 * is not installed (a distributed table's rows are not in its local
 * heap), and the tables are as tiktrack made them (direct_tables.c).
 * Anything else, e.g. a user's own trigger on snapshots, keeps the
 * statements, which fire it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/tableam.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"

#include "direct_tables.h"
#include "row_hints.h"
#include "held_videos.h"
#include "store_direct.h"
#include "store_spi.h"
#include "video_store.h"

/* Snapshots written to the heap together (COPY buffers 1,000). */
#define SNAPSHOT_BUFFER 100

/* How a video fared when its row was locked. */
typedef enum DirectVideo
{
	V_NOT_HERE = 0,				/* no good answer: the statements store it */
	V_GONE,						/* deleted since the fetch was prepared */
	V_ACTIVE,					/* locked; its state schedules fetches */
	V_INACTIVE					/* locked; stopped, completed, unavailable */
} DirectVideo;

struct DirectStore
{
	FetchBatch *b;
	int			lo;
	int			hi;
	DirectTables tables;
	DirectVideo *video;			/* by batch index - lo */
	bool	   *video_written;	/* its videos row written here (metadata), or
								 * found with nothing to write */
	TupleTableSlot *snapshot_slots[SNAPSHOT_BUFFER];	/* made as needed */
	Datum		source[3];		/* snapshots.source by FetchApi */
};

DirectStore *
direct_store_open(FetchBatch *b, int lo, int hi)
{
	DirectStore *ds;

	if (hi <= lo || !tiktrack_direct_access || !superuser() ||
		OidIsValid(get_extension_oid("citus", true)))
		return NULL;
	ds = palloc0(sizeof(DirectStore));
	if (!direct_tables_open(&ds->tables))
	{
		pfree(ds);
		return NULL;
	}
	ds->b = b;
	ds->lo = lo;
	ds->hi = hi;
	ds->video = palloc0(sizeof(DirectVideo) * (hi - lo));
	ds->video_written = palloc0(sizeof(bool) * (hi - lo));
	ds->source[FETCH_API_NONE] = CStringGetTextDatum("none");
	ds->source[FETCH_API_DISPLAY] = CStringGetTextDatum("display");
	ds->source[FETCH_API_BUSINESS] = CStringGetTextDatum("business");
	return ds;
}

void
direct_store_close(DirectStore *ds)
{
	direct_tables_close(&ds->tables);
}

/* Whether a text datum is s (no copy of it, as TextDatumGetCString makes). */
static bool
text_is(Datum d, const char *s)
{
	text	   *t = DatumGetTextPP(d);
	size_t		len = VARSIZE_ANY_EXHDR(t);

	return len == strlen(s) && memcmp(VARDATA_ANY(t), s, len) == 0;
}

/* Locks the video's row FOR KEY SHARE, in its newest version. */
static DirectVideo
lock_video(DirectStore *ds, FetchVideo *fv)
{
	DirectTable *t = &ds->tables.t[T_VIDEOS];
	Datum		state;
	bool		isnull;

	if (!direct_find_row_at(&ds->tables, t, &fv->row_tid, C_ID, fv->video_id) ||
		!direct_lock_found_row(&ds->tables, t, LockTupleKeyShare))
		return V_GONE;			/* deleted, maybe meanwhile */
	/*
	 * Where the next claim finds it, unless its metadata moves it; the claim
	 * left the hint right where it found the row.
	 */
	if (!ItemPointerEquals(&fv->row_tid, &t->slot->tts_tid))
		row_hint_set(fv->video_id, HINT_VIDEO, &t->slot->tts_tid);
	state = slot_getattr(t->slot, t->attnum[C_STATE], &isnull);
	if (isnull)
		return V_INACTIVE;
	if (text_is(state, "tracking") || text_is(state, "failing") ||
		text_is(state, "awaiting_authorization") || text_is(state, "resolving"))
		return V_ACTIVE;
	return V_INACTIVE;
}

/*
 * Whether a good answer changes nothing in the video's row but its
 * metadata, judged on the row just locked: the outcome statement
 * (video_store.c) would leave it 'tracking' with no failure, no missing
 * count and no error, as it is.
 */
static bool
only_metadata_changes(DirectStore *ds, const FetchVideo *fv)
{
	DirectTable *t = &ds->tables.t[T_VIDEOS];
	bool		isnull;
	Datum		d;

	if (fv->note != NULL || (fv->scheduled && fv->next_fetch_at == DT_NOBEGIN))
		return false;
	d = slot_getattr(t->slot, t->attnum[C_STATE], &isnull);
	if (isnull || !text_is(d, "tracking"))
		return false;
	d = slot_getattr(t->slot, t->attnum[C_FAILURES], &isnull);
	if (isnull || DatumGetInt32(d) != 0)
		return false;
	d = slot_getattr(t->slot, t->attnum[C_MISSING], &isnull);
	if (isnull || DatumGetInt32(d) != 0)
		return false;
	(void) slot_getattr(t->slot, t->attnum[C_LAST_ERROR], &isnull);
	if (!isnull)
		return false;
	(void) slot_getattr(t->slot, t->attnum[C_LAST_ERROR_AT], &isnull);
	return isnull;
}

/* The snapshot's values, by our column numbers. */
typedef struct SnapshotRow
{
	Datum		values[NCOLUMNS];
	bool		has[NCOLUMNS];
} SnapshotRow;

static void
snapshot_row(DirectStore *ds, const FetchVideo *fv, SnapshotRow *r)
{
	const FetchVideoStats *s = &fv->stats;

	memset(r->has, false, sizeof(r->has));
#define SET(c, h, v) (r->has[c] = (h), r->values[c] = (v))
	SET(C_VIDEO_ID, true, Int64GetDatum(fv->video_id));
	SET(C_CAPTURED_AT, true, TimestampTzGetDatum(ds->b->captured_at));
	SET(C_VIEWS, s->has_views, Int64GetDatum(s->views));
	SET(C_LIKES, s->has_likes, Int64GetDatum(s->likes));
	SET(C_COMMENTS, s->has_comments, Int64GetDatum(s->comments));
	SET(C_SHARES, s->has_shares, Int64GetDatum(s->shares));
	SET(C_SAVES, s->has_saves, Int64GetDatum(s->saves));
	SET(C_REACH, s->has_reach, Int64GetDatum(s->reach));
	SET(C_COMPLETION, s->has_completion_rate, Float8GetDatum(s->completion_rate));
	SET(C_AVG_WATCH, s->has_avg_watch_time, Float8GetDatum(s->avg_watch_time_s));
	SET(C_TOTAL_WATCH, s->has_total_watch_time, Float8GetDatum(s->total_watch_time_s));
	SET(C_SOURCE, true, ds->source[fv->cred ? fv->cred->api : FETCH_API_NONE]);
	SET(C_COUNT, true, Int64GetDatum(1));
#undef SET
}

/* latest_snapshots' row counts the snapshot, and takes it when newer. */
static bool
make_latest_row(DirectTable *t, void *arg)
{
	SnapshotRow *r = (SnapshotRow *) arg;
	bool		isnull;
	int64		count = DatumGetInt64(direct_found_value(t, C_COUNT, &isnull));
	TimestampTz at = DatumGetTimestampTz(direct_found_value(t, C_CAPTURED_AT, &isnull));

	direct_copy_found_row(t);
	if (DatumGetTimestampTz(r->values[C_CAPTURED_AT]) > at)
	{
#define LIST(c) direct_set_column(t, c, r->has[c], r->values[c]);
		SNAPSHOT_COLUMNS(LIST)
#undef LIST
	}
	direct_set_column(t, C_COUNT, true, Int64GetDatum(count + 1));
	return true;
}

static bool
text_differs(DirectTable *t, DirectColumn c, const char *s)
{
	bool		isnull;
	Datum		d = direct_found_value(t, c, &isnull);

	return isnull || !text_is(d, s);
}

/*
 * The video's row with the metadata TikTok sent (coalesce(new, old), as
 * the outcome statement writes it); false when nothing differs.
 */
static bool
make_video_row(DirectTable *t, void *arg)
{
	const FetchVideoStats *s = &((FetchVideo *) arg)->stats;
	bool		changed = false;
	bool		isnull;
	Datum		d;

	direct_copy_found_row(t);
	if (s->caption && text_differs(t, C_CAPTION, store_server_text(s->caption)))
	{
		direct_set_column(t, C_CAPTION, true, CStringGetTextDatum(store_server_text(s->caption)));
		changed = true;
	}
	if (s->has_create_time && fetch_create_time_valid(s->create_time))
	{
		TimestampTz at = time_t_to_timestamptz((pg_time_t) s->create_time);

		d = direct_found_value(t, C_POSTED_AT, &isnull);
		if (isnull || DatumGetTimestampTz(d) != at)
		{
			direct_set_column(t, C_POSTED_AT, true, TimestampTzGetDatum(at));
			changed = true;
		}
	}
	if (s->has_duration)
	{
		float4		duration = (float4) s->duration_s;

		d = direct_found_value(t, C_DURATION, &isnull);
		if (isnull || !float4_eq(DatumGetFloat4(d), duration))
		{
			direct_set_column(t, C_DURATION, true, Float4GetDatum(duration));
			changed = true;
		}
	}
	if (s->kind && text_differs(t, C_KIND, store_server_text(s->kind)))
	{
		direct_set_column(t, C_KIND, true, CStringGetTextDatum(store_server_text(s->kind)));
		changed = true;
	}
	return changed;
}

/* Whether the snapshot of video i may already be stored (a batch stored twice). */
static bool
snapshot_stored(DirectStore *ds, int64 id)
{
	DirectTable *latest = &ds->tables.t[T_LATEST];
	bool		isnull;
	TimestampTz at = DatumGetTimestampTz(direct_found_value(latest, C_CAPTURED_AT, &isnull));

	/* the newest is older: it cannot be there */
	if (at < ds->b->captured_at)
		return false;
	return direct_find_row(&ds->tables.t[T_SNAPSHOTS], id, &ds->b->captured_at);
}

/*
 * The buffered snapshots in as few heap writes as COPY makes (a WAL record
 * per page, not per row), then their index entries.
 */
static void
flush_snapshots(DirectStore *ds, int n)
{
	DirectTable *snap = &ds->tables.t[T_SNAPSHOTS];
	int			i;

	if (n == 0)
		return;
	table_multi_insert(snap->rel, ds->snapshot_slots, n, ds->tables.estate->es_output_cid, 0, NULL);
	for (i = 0; i < n; i++)
	{
		if (snap->rri->ri_NumIndices > 0)
			ExecInsertIndexTuples(snap->rri, ds->snapshot_slots[i], ds->tables.estate,
								  false, false, NULL, NIL);
		ResetPerTupleExprContext(ds->tables.estate);
	}
}

void
direct_store_snapshots(DirectStore *ds)
{
	DirectTable *snap = &ds->tables.t[T_SNAPSHOTS];
	DirectTable *latest = &ds->tables.t[T_LATEST];
	int			n = 0;
	int			i;

	direct_tables_begin_step(&ds->tables);
	for (i = ds->lo; i < ds->hi; i++)
	{
		FetchVideo *fv = &ds->b->videos[i];
		SnapshotRow r;
		TupleTableSlot *slot;
		ItemPointerData hint;

		if (fv->outcome != FETCH_OK)
			continue;
		CHECK_FOR_INTERRUPTS();
		ds->video[i - ds->lo] = lock_video(ds, fv);
		if (ds->video[i - ds->lo] == V_GONE)
			continue;
		/* a first fetch's caption, posting time, duration and kind */
		if (video_row_unchanged(fv))
			ds->video_written[i - ds->lo] = true;	/* (judged once) */
		else if (ds->tables.videos_writable && only_metadata_changes(ds, fv))
		{
			if (direct_update_row(&ds->tables, &ds->tables.t[T_VIDEOS], make_video_row, fv))
				row_hint_set(fv->video_id, HINT_VIDEO, &ds->tables.t[T_VIDEOS].newslot->tts_tid);
			ResetPerTupleExprContext(ds->tables.estate);
			ds->video_written[i - ds->lo] = true;
		}
		if (n == SNAPSHOT_BUFFER)
		{
			flush_snapshots(ds, n);
			n = 0;
		}
		if (ds->snapshot_slots[n] == NULL)
			ds->snapshot_slots[n] = table_slot_create(snap->rel, &ds->tables.estate->es_tupleTable);
		slot = ds->snapshot_slots[n];
		snapshot_row(ds, fv, &r);
		direct_fill_slot(snap, slot, r.values, r.has);
		ExecConstraints(snap->rri, slot, ds->tables.estate);
		ResetPerTupleExprContext(ds->tables.estate);
		/* where the claim said, else where this worker last wrote it */
		hint = fv->latest_tid;
		if (!ItemPointerIsValid(&hint))
			row_hint_get(fv->video_id, HINT_LATEST, &hint);
		if (!direct_find_row_at(&ds->tables, latest, &hint, C_VIDEO_ID, fv->video_id))
		{
			direct_fill_slot(latest, latest->newslot, r.values, r.has);
			direct_insert_row(&ds->tables, latest, latest->newslot);
			row_hint_set(fv->video_id, HINT_LATEST, &latest->newslot->tts_tid);
		}
		else if (snapshot_stored(ds, fv->video_id))
			continue;			/* ON CONFLICT DO NOTHING */
		else if (direct_update_row(&ds->tables, latest, make_latest_row, &r))
			row_hint_set(fv->video_id, HINT_LATEST, &latest->newslot->tts_tid);
		ResetPerTupleExprContext(ds->tables.estate);
		n++;
	}
	flush_snapshots(ds, n);
	direct_tables_end_step(&ds->tables);
}

bool
direct_store_wrote_video(DirectStore *ds, int i)
{
	return ds != NULL && i >= ds->lo && i < ds->hi && ds->video_written[i - ds->lo];
}

bool
direct_store_schedules_video(DirectStore *ds, int i)
{
	return ds != NULL && i >= ds->lo && i < ds->hi && ds->video[i - ds->lo] != V_NOT_HERE;
}

/* A video's good answer, for its schedule. */
typedef struct ScheduleArg
{
	const FetchVideo *fv;
	DirectVideo video;
	TimestampTz captured_at;
	bool		hold;			/* for the worker's own queue */
	/* written */
	bool		scheduled;		/* next_fetch_at is set */
	TimestampTz next;
	int64		creator_id;		/* 0: NULL */
} ScheduleArg;

/* The schedule after a video's good answer (UPDATE_SCHEDULE's CASEs). */
static bool
make_schedule_row(DirectTable *t, void *arg)
{
	ScheduleArg *a = (ScheduleArg *) arg;
	const FetchVideo *fv = a->fv;
	bool		null_next;
	bool		null_last;
	bool		null_creator;
	Datum		creator;
	Datum		next = direct_found_value(t, C_NEXT_FETCH, &null_next);
	Datum		last = direct_found_value(t, C_LAST_FETCHED, &null_last);
	TimestampTz at = a->captured_at;

	direct_copy_found_row(t);
	if (fv->scheduled)
	{
		null_next = (a->video != V_ACTIVE || fv->next_fetch_at == DT_NOBEGIN);
		next = TimestampTzGetDatum(fv->next_fetch_at);
	}
	direct_set_column(t, C_NEXT_FETCH, !null_next, next);
	if (null_last || DatumGetTimestampTz(last) < at)
		last = TimestampTzGetDatum(at);
	direct_set_column(t, C_LAST_FETCHED, true, last);
	/*
	 * Held by the worker: out of the due indexes, whose key claim_at is,
	 * so that its next reschedule changes no indexed column (a HOT
	 * update).  Otherwise as the trigger writes it.
	 */
	direct_set_column(t, C_CLAIM_AT, !null_next && !a->hold, next);
	a->scheduled = !null_next;
	a->next = null_next ? 0 : DatumGetTimestampTz(next);
	creator = direct_found_value(t, C_CREATOR_ID, &null_creator);
	a->creator_id = null_creator ? 0 : DatumGetInt64(creator);
	return true;
}

void
direct_store_schedules(DirectStore *ds)
{
	DirectTable *sched = &ds->tables.t[T_SCHEDULE];
	bool		hold = held_videos_active();
	int			i;

	direct_tables_begin_step(&ds->tables);
	for (i = ds->lo; i < ds->hi; i++)
	{
		FetchVideo *fv = &ds->b->videos[i];
		ScheduleArg a = {fv, ds->video[i - ds->lo], ds->b->captured_at, hold};

		fv->held = false;
		if (a.video != V_ACTIVE && a.video != V_INACTIVE)
			continue;
		if (direct_find_row_at(&ds->tables, sched, &fv->schedule_tid, C_VIDEO_ID, fv->video_id) &&
			direct_update_row(&ds->tables, sched, make_schedule_row, &a) && hold && a.scheduled)
		{
			/* the worker holds it once this commits (worker_videos.c) */
			fv->held = true;
			fv->held_creator_id = a.creator_id;
			fv->held_next = a.next;
			ItemPointerCopy(&sched->newslot->tts_tid, &fv->held_tid);
		}
		ResetPerTupleExprContext(ds->tables.estate);
	}
	direct_tables_end_step(&ds->tables);
}
