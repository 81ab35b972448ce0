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
 * When it applies (direct_store_open): a superuser runs the store step
 * (the worker; permissions and row security are then moot), Citus is not
 * installed (a distributed table's rows are not in its local heap), and
 * the tables are as tiktrack made them: plain tables without rules, with
 * exactly the expected columns and types, no triggers but the foreign
 * keys' checks (replaced by the lock) and tiktrack's snapshot triggers
 * (which stand aside for the store step anyway), immediate unique indexes.
 * Anything else, e.g. a user's own trigger on snapshots, keeps the
 * statements, which fire it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/nodeModifyTable.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"

#include "store_direct.h"
#include "store_spi.h"
#include "video_store.h"

/* The tables, in the order of the executor's range table. */
typedef enum DirectTableId
{
	T_VIDEOS,
	T_SNAPSHOTS,
	T_LATEST,
	T_SCHEDULE,
	NTABLES
} DirectTableId;

/* The columns written, by table; a table must have exactly these. */
typedef enum DirectColumn
{
	/* snapshots, and latest_snapshots with snapshot_count */
	C_VIDEO_ID, C_CAPTURED_AT, C_VIEWS, C_LIKES, C_COMMENTS, C_SHARES, C_SAVES,
	C_REACH, C_COMPLETION, C_AVG_WATCH, C_TOTAL_WATCH, C_SOURCE, C_COUNT,
	/* video_schedule (C_VIDEO_ID too) */
	C_NEXT_FETCH, C_LAST_FETCHED, C_CREATOR_ID,
	/* videos (only these are read or written; a good answer's metadata) */
	C_ID, C_STATE, C_CAPTION, C_POSTED_AT, C_DURATION, C_KIND, C_FAILURES,
	C_MISSING, C_LAST_ERROR, C_LAST_ERROR_AT,
	NCOLUMNS
} DirectColumn;

static const struct
{
	const char *name;
	Oid			type;
}			column_defs[NCOLUMNS] =
{
	{"video_id", INT8OID}, {"captured_at", TIMESTAMPTZOID}, {"views", INT8OID},
	{"likes", INT8OID}, {"comments", INT8OID}, {"shares", INT8OID}, {"saves", INT8OID},
	{"reach", INT8OID}, {"completion_rate", FLOAT8OID}, {"avg_watch_time_s", FLOAT8OID},
	{"total_watch_time_s", FLOAT8OID}, {"source", TEXTOID}, {"snapshot_count", INT8OID},
	{"next_fetch_at", TIMESTAMPTZOID}, {"last_fetched_at", TIMESTAMPTZOID},
	{"creator_id", INT8OID}, {"id", INT8OID}, {"state", TEXTOID},
	{"caption", TEXTOID}, {"posted_at", TIMESTAMPTZOID}, {"duration_s", FLOAT4OID},
	{"kind", TEXTOID}, {"fetch_failures", INT4OID}, {"missing_count", INT4OID},
	{"last_error", TEXTOID}, {"last_error_at", TIMESTAMPTZOID},
};

#define SNAPSHOT_COLUMNS(x) \
	x(C_VIDEO_ID) x(C_CAPTURED_AT) x(C_VIEWS) x(C_LIKES) x(C_COMMENTS) x(C_SHARES) \
	x(C_SAVES) x(C_REACH) x(C_COMPLETION) x(C_AVG_WATCH) x(C_TOTAL_WATCH) x(C_SOURCE)

typedef struct DirectTable
{
	const char *name;
	Relation	rel;
	Relation	pkey;			/* primary key: (video_id [, captured_at]) or (id) */
	ResultRelInfo *rri;			/* NULL for videos, which is only locked */
	AttrNumber	attnum[NCOLUMNS];	/* InvalidAttrNumber: not a column of it */
	TupleTableSlot *slot;		/* the row found */
	TupleTableSlot *newslot;	/* the row written */
	IndexScanDesc scan;			/* primary key probes, under ds->snapshot */
} DirectTable;

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
	EState	   *estate;
	DirectTable t[NTABLES];
	Snapshot	snapshot;		/* of the current step, registered */
	DirectVideo *video;			/* by batch index - lo */
	bool	   *video_written;	/* its videos row written here (metadata) */
	bool		videos_direct;	/* videos may be written here */
	TupleTableSlot *snapshot_slots[SNAPSHOT_BUFFER];	/* made as needed */
	Datum		source[3];		/* snapshots.source by FetchApi */
};

static const char *const table_names[NTABLES] = {
	"videos", "snapshots", "latest_snapshots", "video_schedule"
};

/*
 * Whether the direct path may stand in for the statements on rel: its
 * triggers are only foreign-key checks (the lock taken here is theirs) and
 * tiktrack's own snapshot triggers, which do not fire for the store step.
 */
static bool
triggers_allow_direct(Relation rel)
{
	TriggerDesc *td = rel->trigdesc;
	int			i;

	if (td == NULL)
		return true;
	for (i = 0; i < td->numtriggers; i++)
	{
		Trigger    *t = &td->triggers[i];

		if (t->tgenabled == TRIGGER_DISABLED)
			continue;
		/* a key is never changed here, and the lock is the check's */
		if (t->tgisinternal && RI_FKey_trigger_type(t->tgfoid) != RI_TRIGGER_NONE)
			continue;
		if (t->tgqual != NULL &&
			(strcmp(t->tgname, "snapshots_keep_latest") == 0 ||
			 strcmp(t->tgname, "snapshots_traction_breakout") == 0 ||
			 strcmp(t->tgname, "videos_notify_state") == 0))
			continue;
		return false;
	}
	return true;
}

/* Maps the table's columns; false when it has one the direct path lacks. */
static bool
map_columns(DirectTable *t)
{
	TupleDesc	desc = RelationGetDescr(t->rel);
	int			a;
	int			c;

	for (c = 0; c < NCOLUMNS; c++)
		t->attnum[c] = InvalidAttrNumber;
	for (a = 0; a < desc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);

		if (att->attisdropped)
			continue;
		for (c = 0; c < NCOLUMNS; c++)
			if (strcmp(NameStr(att->attname), column_defs[c].name) == 0)
				break;
		if (c == NCOLUMNS || att->atttypid != column_defs[c].type || att->attgenerated)
			return false;
		t->attnum[c] = att->attnum;
	}
	return true;
}

static bool
has_columns(DirectTable *t, const DirectColumn *cols, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		if (t->attnum[cols[i]] == InvalidAttrNumber)
			return false;
	return true;
}

/* Every column the direct path writes or reads, by table. */
static bool
columns_allow_direct(DirectStore *ds)
{
#define LIST(c) c,
	static const DirectColumn snap[] = {SNAPSHOT_COLUMNS(LIST)};
	static const DirectColumn latest[] = {SNAPSHOT_COLUMNS(LIST) C_COUNT};
#undef LIST
	static const DirectColumn sched[] = {C_VIDEO_ID, C_NEXT_FETCH, C_LAST_FETCHED, C_CREATOR_ID};
	static const DirectColumn video[] = {C_ID, C_STATE};
	int			i;

	for (i = 0; i < NTABLES; i++)
		if (i != T_VIDEOS && !map_columns(&ds->t[i]))
			return false;
	/* videos has more columns, which a write copies: only these are named */
	for (i = C_ID; i < NCOLUMNS; i++)
	{
		DirectTable *v = &ds->t[T_VIDEOS];
		AttrNumber	a = get_attnum(RelationGetRelid(v->rel), column_defs[i].name);

		if (a != InvalidAttrNumber &&
			TupleDescAttr(RelationGetDescr(v->rel), a - 1)->atttypid == column_defs[i].type)
			v->attnum[i] = a;
	}
	return has_columns(&ds->t[T_SNAPSHOTS], snap, lengthof(snap)) &&
		ds->t[T_SNAPSHOTS].attnum[C_COUNT] == InvalidAttrNumber &&
		has_columns(&ds->t[T_LATEST], latest, lengthof(latest)) &&
		has_columns(&ds->t[T_SCHEDULE], sched, lengthof(sched)) &&
		has_columns(&ds->t[T_VIDEOS], video, lengthof(video));
}

/*
 * Whether a good answer's metadata may be written to videos here: its
 * triggers are those allowed above (no user trigger to fire), no rule, the
 * columns written are there, unique indexes immediate.
 */
static bool
videos_allow_direct(DirectStore *ds)
{
	static const DirectColumn cols[] = {C_CAPTION, C_POSTED_AT, C_DURATION, C_KIND, C_FAILURES,
	C_MISSING, C_LAST_ERROR, C_LAST_ERROR_AT};
	DirectTable *t = &ds->t[T_VIDEOS];
	int			i;

	if (t->rel->rd_rules != NULL || !triggers_allow_direct(t->rel) ||
		!has_columns(t, cols, lengthof(cols)))
		return false;
	for (i = 0; i < t->rri->ri_NumIndices; i++)
		if (!t->rri->ri_IndexRelationDescs[i]->rd_index->indimmediate)
			return false;
	return true;
}

/* Its primary key leads with the video's id; unique indexes are immediate. */
static bool
indexes_allow_direct(DirectTable *t, bool is_videos)
{
	Oid			pkey = RelationGetPrimaryKeyIndex(t->rel);
	int			i;

	if (!OidIsValid(pkey))
		return false;
	t->pkey = index_open(pkey, AccessShareLock);
	if (t->pkey->rd_index->indkey.values[0] != t->attnum[is_videos ? C_ID : C_VIDEO_ID])
		return false;
	/* snapshots: (video_id, captured_at), probed for a snapshot stored already */
	if (IndexRelationGetNumberOfKeyAttributes(t->pkey) > 1 &&
		(IndexRelationGetNumberOfKeyAttributes(t->pkey) != 2 ||
		 t->pkey->rd_index->indkey.values[1] != t->attnum[C_CAPTURED_AT]))
		return false;
	if (is_videos)
		return true;			/* only locked, unless videos_allow_direct() */
	for (i = 0; i < t->rri->ri_NumIndices; i++)
		if (!t->rri->ri_IndexRelationDescs[i]->rd_index->indimmediate)
			return false;
	return true;
}

static void
close_tables(DirectStore *ds)
{
	int			i;

	for (i = 0; i < NTABLES; i++)
	{
		DirectTable *t = &ds->t[i];

		if (t->pkey)
			index_close(t->pkey, NoLock);
		if (t->rri)
			ExecCloseIndices(t->rri);
		if (t->rel)
			table_close(t->rel, NoLock);
	}
	ExecResetTupleTable(ds->estate->es_tupleTable, false);
	FreeExecutorState(ds->estate);
}

DirectStore *
direct_store_open(FetchBatch *b, int lo, int hi)
{
	DirectStore *ds;
	Oid			nsp;
	List	   *rtable = NIL;
	bool		ok = true;
	int			i;

	if (hi <= lo || !superuser() || OidIsValid(get_extension_oid("citus", true)))
		return NULL;
	nsp = get_namespace_oid("tiktrack", false);
	ds = palloc0(sizeof(DirectStore));
	ds->b = b;
	ds->lo = lo;
	ds->hi = hi;
	ds->estate = CreateExecutorState();
	for (i = 0; i < NTABLES && ok; i++)
	{
		DirectTable *t = &ds->t[i];
		LOCKMODE	mode = RowExclusiveLock;
		Oid			relid = get_relname_relid(table_names[i], nsp);
		RangeTblEntry *rte;

		t->name = table_names[i];
		if (!OidIsValid(relid))
		{
			ok = false;
			break;
		}
		t->rel = table_open(relid, mode);
		rte = makeNode(RangeTblEntry);
		rte->rtekind = RTE_RELATION;
		rte->relid = relid;
		rte->relkind = RELKIND_RELATION;
		rte->rellockmode = mode;
		rtable = lappend(rtable, rte);
		/* videos: rows locked, and written only if videos_allow_direct() */
		ok = t->rel->rd_rel->relkind == RELKIND_RELATION &&
			(i == T_VIDEOS || (t->rel->rd_rules == NULL && triggers_allow_direct(t->rel)));
	}
	if (ok)
	{
		ExecInitRangeTable(ds->estate, rtable);
		ds->estate->es_output_cid = GetCurrentCommandId(true);
		ok = columns_allow_direct(ds);
		for (i = 0; i < NTABLES && ok; i++)
		{
			DirectTable *t = &ds->t[i];

			t->rri = makeNode(ResultRelInfo);
			InitResultRelInfo(t->rri, t->rel, i + 1, NULL, 0);
			ExecOpenIndices(t->rri, false);
			CheckCmdReplicaIdentity(t->rel, i == T_SNAPSHOTS ? CMD_INSERT : CMD_UPDATE);
			ok = indexes_allow_direct(t, i == T_VIDEOS);
			t->slot = table_slot_create(t->rel, &ds->estate->es_tupleTable);
			t->newslot = table_slot_create(t->rel, &ds->estate->es_tupleTable);
		}
	}
	if (!ok)
	{
		close_tables(ds);
		pfree(ds);
		return NULL;
	}
	ds->video = palloc0(sizeof(DirectVideo) * (hi - lo));
	ds->video_written = palloc0(sizeof(bool) * (hi - lo));
	ds->videos_direct = videos_allow_direct(ds);
	ds->source[FETCH_API_NONE] = CStringGetTextDatum("none");
	ds->source[FETCH_API_DISPLAY] = CStringGetTextDatum("display");
	ds->source[FETCH_API_BUSINESS] = CStringGetTextDatum("business");
	return ds;
}

void
direct_store_close(DirectStore *ds)
{
	close_tables(ds);
}

/*
 * A step reads under a new snapshot that sees what the statements before it
 * wrote; its writes use the current command id.
 */
static void
step_begin(DirectStore *ds)
{
	int			i;

	CommandCounterIncrement();
	ds->estate->es_output_cid = GetCurrentCommandId(true);
	ds->snapshot = RegisterSnapshot(GetLatestSnapshot());
	for (i = 0; i < NTABLES; i++)
	{
		DirectTable *t = &ds->t[i];

		t->scan = index_beginscan(t->rel, t->pkey, ds->snapshot,
								  IndexRelationGetNumberOfKeyAttributes(t->pkey), 0);
	}
}

static void
step_end(DirectStore *ds)
{
	int			i;

	for (i = 0; i < NTABLES; i++)
	{
		index_endscan(ds->t[i].scan);
		ds->t[i].scan = NULL;
	}
	UnregisterSnapshot(ds->snapshot);
	ds->snapshot = NULL;
}

/* The row of t whose key is id (and at, for snapshots), into t->slot. */
static bool
find_row(DirectTable *t, int64 id, const TimestampTz *at)
{
	ScanKeyData key[2];
	int			nkeys = 1;

	ScanKeyInit(&key[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(id));
	if (at)
	{
		ScanKeyInit(&key[1], 2, BTEqualStrategyNumber, F_TIMESTAMPTZ_EQ,
					TimestampTzGetDatum(*at));
		nkeys = 2;
	}
	index_rescan(t->scan, key, nkeys, NULL, 0);
	return index_getnext_slot(t->scan, ForwardScanDirection, t->slot);
}

/* Locks the video's row FOR KEY SHARE, in its newest version. */
static DirectVideo
lock_video(DirectStore *ds, int64 id)
{
	DirectTable *t = &ds->t[T_VIDEOS];
	TM_FailureData tmfd;
	TM_Result	res;
	Datum		state;
	bool		isnull;
	const char *s;

	if (!find_row(t, id, NULL))
		return V_GONE;
	res = table_tuple_lock(t->rel, &t->slot->tts_tid, ds->snapshot, t->slot,
						   GetCurrentCommandId(false), LockTupleKeyShare, LockWaitBlock,
						   TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &tmfd);
	if (res != TM_Ok)
		return V_GONE;			/* deleted meanwhile */
	state = slot_getattr(t->slot, t->attnum[C_STATE], &isnull);
	if (isnull)
		return V_INACTIVE;
	s = TextDatumGetCString(state);
	if (strcmp(s, "tracking") == 0 || strcmp(s, "failing") == 0 ||
		strcmp(s, "awaiting_authorization") == 0 || strcmp(s, "resolving") == 0)
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
	DirectTable *t = &ds->t[T_VIDEOS];
	bool		isnull;
	Datum		d;

	if (fv->note != NULL || (fv->scheduled && fv->next_fetch_at == DT_NOBEGIN))
		return false;
	d = slot_getattr(t->slot, t->attnum[C_STATE], &isnull);
	if (isnull || strcmp(TextDatumGetCString(d), "tracking") != 0)
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

/* Fills a slot of t from values by our column numbers; NULL where !has. */
static void
fill_slot(DirectTable *t, TupleTableSlot *slot, const Datum *values, const bool *has)
{
	int			c;

	ExecClearTuple(slot);
	memset(slot->tts_isnull, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);
	for (c = 0; c < NCOLUMNS; c++)
	{
		AttrNumber	a = t->attnum[c];

		if (a == InvalidAttrNumber || !has[c])
			continue;
		slot->tts_values[a - 1] = values[c];
		slot->tts_isnull[a - 1] = false;
	}
	ExecStoreVirtualTuple(slot);
}

/* Copies t->slot (the row found) into t->newslot, to change some columns. */
static void
copy_found_row(DirectTable *t)
{
	int			natts = t->slot->tts_tupleDescriptor->natts;

	slot_getallattrs(t->slot);
	ExecClearTuple(t->newslot);
	memcpy(t->newslot->tts_values, t->slot->tts_values, sizeof(Datum) * natts);
	memcpy(t->newslot->tts_isnull, t->slot->tts_isnull, sizeof(bool) * natts);
	ExecStoreVirtualTuple(t->newslot);
}

static void
set_column(DirectTable *t, DirectColumn c, bool has, Datum value)
{
	AttrNumber	a = t->attnum[c];

	t->newslot->tts_values[a - 1] = has ? value : (Datum) 0;
	t->newslot->tts_isnull[a - 1] = !has;
}

static Datum
found_value(DirectTable *t, DirectColumn c, bool *isnull)
{
	return slot_getattr(t->slot, t->attnum[c], isnull);
}

static void
insert_row(DirectStore *ds, DirectTable *t, TupleTableSlot *slot)
{
	ExecConstraints(t->rri, slot, ds->estate);
	table_tuple_insert(t->rel, slot, ds->estate->es_output_cid, 0, NULL);
	if (t->rri->ri_NumIndices > 0)
		ExecInsertIndexTuples(t->rri, slot, ds->estate, false, false, NULL, NIL);
}

/*
 * Replaces t->slot's row (found under the step's snapshot) by what
 * make_row() builds from it into t->newslot.  Updated or deleted since the
 * snapshot: locks its newest version and builds again from it, as
 * EvalPlanQual would.  false when the row is gone.
 */
static bool
update_row(DirectStore *ds, DirectTable *t, bool (*make_row) (DirectStore *, DirectTable *, void *),
		   void *arg)
{
	for (;;)
	{
		TM_FailureData tmfd;
		LockTupleMode lockmode;
		bool		update_indexes;
		TM_Result	res;

		if (!make_row(ds, t, arg))
			return true;		/* nothing to change */
		/* videos' hashtags and mentions, from the caption (all of them: CMD_INSERT) */
		if (t->rel->rd_att->constr && t->rel->rd_att->constr->has_generated_stored)
			ExecComputeStoredGenerated(t->rri, ds->estate, t->newslot, CMD_INSERT);
		ExecConstraints(t->rri, t->newslot, ds->estate);
		res = table_tuple_update(t->rel, &t->slot->tts_tid, t->newslot,
								 ds->estate->es_output_cid, ds->snapshot, InvalidSnapshot,
								 true, &tmfd, &lockmode, &update_indexes);
		if (res == TM_Ok)
		{
			if (update_indexes && t->rri->ri_NumIndices > 0)
				ExecInsertIndexTuples(t->rri, t->newslot, ds->estate, true, false, NULL, NIL);
			return true;
		}
		if (res == TM_SelfModified)
			elog(ERROR, "tiktrack: a row of %s was written twice in one store step", t->name);
		if (res != TM_Updated && res != TM_Deleted)
			elog(ERROR, "tiktrack: unexpected result %d updating %s", (int) res, t->name);
		res = table_tuple_lock(t->rel, &t->slot->tts_tid, ds->snapshot, t->slot,
							   ds->estate->es_output_cid, lockmode, LockWaitBlock,
							   TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &tmfd);
		if (res != TM_Ok)
			return false;
	}
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
make_latest_row(DirectStore *ds, DirectTable *t, void *arg)
{
	SnapshotRow *r = (SnapshotRow *) arg;
	bool		isnull;
	int64		count = DatumGetInt64(found_value(t, C_COUNT, &isnull));
	TimestampTz at = DatumGetTimestampTz(found_value(t, C_CAPTURED_AT, &isnull));

	copy_found_row(t);
	if (ds->b->captured_at > at)
	{
#define LIST(c) set_column(t, c, r->has[c], r->values[c]);
		SNAPSHOT_COLUMNS(LIST)
#undef LIST
	}
	set_column(t, C_COUNT, true, Int64GetDatum(count + 1));
	return true;
}

static bool
text_differs(DirectTable *t, DirectColumn c, const char *s)
{
	bool		isnull;
	Datum		d = found_value(t, c, &isnull);

	return isnull || strcmp(TextDatumGetCString(d), s) != 0;
}

/*
 * The video's row with the metadata TikTok sent (coalesce(new, old), as
 * the outcome statement writes it); false when nothing differs.
 */
static bool
make_video_row(DirectStore *ds, DirectTable *t, void *arg)
{
	const FetchVideoStats *s = &((FetchVideo *) arg)->stats;
	bool		changed = false;
	bool		isnull;
	Datum		d;

	copy_found_row(t);
	if (s->caption && text_differs(t, C_CAPTION, store_server_text(s->caption)))
	{
		set_column(t, C_CAPTION, true, CStringGetTextDatum(store_server_text(s->caption)));
		changed = true;
	}
	if (s->has_create_time && fetch_create_time_valid(s->create_time))
	{
		TimestampTz at = time_t_to_timestamptz((pg_time_t) s->create_time);

		d = found_value(t, C_POSTED_AT, &isnull);
		if (isnull || DatumGetTimestampTz(d) != at)
		{
			set_column(t, C_POSTED_AT, true, TimestampTzGetDatum(at));
			changed = true;
		}
	}
	if (s->has_duration)
	{
		float4		duration = (float4) s->duration_s;

		d = found_value(t, C_DURATION, &isnull);
		if (isnull || !float4_eq(DatumGetFloat4(d), duration))
		{
			set_column(t, C_DURATION, true, Float4GetDatum(duration));
			changed = true;
		}
	}
	if (s->kind && text_differs(t, C_KIND, store_server_text(s->kind)))
	{
		set_column(t, C_KIND, true, CStringGetTextDatum(store_server_text(s->kind)));
		changed = true;
	}
	return changed;
}

/* Whether the snapshot of video i may already be stored (a batch stored twice). */
static bool
snapshot_stored(DirectStore *ds, int64 id)
{
	DirectTable *latest = &ds->t[T_LATEST];
	bool		isnull;
	TimestampTz at = DatumGetTimestampTz(found_value(latest, C_CAPTURED_AT, &isnull));

	/* the newest is older: it cannot be there */
	if (at < ds->b->captured_at)
		return false;
	return find_row(&ds->t[T_SNAPSHOTS], id, &ds->b->captured_at);
}

/*
 * The buffered snapshots in as few heap writes as COPY makes (a WAL record
 * per page, not per row), then their index entries.
 */
static void
flush_snapshots(DirectStore *ds, int n)
{
	DirectTable *snap = &ds->t[T_SNAPSHOTS];
	int			i;

	if (n == 0)
		return;
	table_multi_insert(snap->rel, ds->snapshot_slots, n, ds->estate->es_output_cid, 0, NULL);
	for (i = 0; i < n; i++)
	{
		if (snap->rri->ri_NumIndices > 0)
			ExecInsertIndexTuples(snap->rri, ds->snapshot_slots[i], ds->estate,
								  false, false, NULL, NIL);
		ResetPerTupleExprContext(ds->estate);
	}
}

void
direct_store_snapshots(DirectStore *ds)
{
	DirectTable *snap = &ds->t[T_SNAPSHOTS];
	DirectTable *latest = &ds->t[T_LATEST];
	int			n = 0;
	int			i;

	step_begin(ds);
	for (i = ds->lo; i < ds->hi; i++)
	{
		FetchVideo *fv = &ds->b->videos[i];
		SnapshotRow r;
		TupleTableSlot *slot;

		if (fv->outcome != FETCH_OK)
			continue;
		CHECK_FOR_INTERRUPTS();
		ds->video[i - ds->lo] = lock_video(ds, fv->video_id);
		if (ds->video[i - ds->lo] == V_GONE)
			continue;
		/* a first fetch's caption, posting time, duration and kind */
		if (ds->videos_direct && !video_row_unchanged(fv) && only_metadata_changes(ds, fv))
		{
			update_row(ds, &ds->t[T_VIDEOS], make_video_row, fv);
			ResetPerTupleExprContext(ds->estate);
			ds->video_written[i - ds->lo] = true;
		}
		if (n == SNAPSHOT_BUFFER)
		{
			flush_snapshots(ds, n);
			n = 0;
		}
		if (ds->snapshot_slots[n] == NULL)
			ds->snapshot_slots[n] = table_slot_create(snap->rel, &ds->estate->es_tupleTable);
		slot = ds->snapshot_slots[n];
		snapshot_row(ds, fv, &r);
		fill_slot(snap, slot, r.values, r.has);
		ExecConstraints(snap->rri, slot, ds->estate);
		ResetPerTupleExprContext(ds->estate);
		if (!find_row(latest, fv->video_id, NULL))
		{
			fill_slot(latest, latest->newslot, r.values, r.has);
			insert_row(ds, latest, latest->newslot);
		}
		else if (snapshot_stored(ds, fv->video_id))
			continue;			/* ON CONFLICT DO NOTHING */
		else
			update_row(ds, latest, make_latest_row, &r);
		ResetPerTupleExprContext(ds->estate);
		n++;
	}
	flush_snapshots(ds, n);
	step_end(ds);
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

/* The schedule after video fv's good answer (UPDATE_SCHEDULE's CASEs). */
static bool
make_schedule_row(DirectStore *ds, DirectTable *t, void *arg)
{
	FetchVideo *fv = (FetchVideo *) arg;
	DirectVideo v = ds->video[fv - ds->b->videos - ds->lo];
	bool		null_next;
	bool		null_last;
	Datum		next = found_value(t, C_NEXT_FETCH, &null_next);
	Datum		last = found_value(t, C_LAST_FETCHED, &null_last);
	TimestampTz at = ds->b->captured_at;

	copy_found_row(t);
	if (fv->scheduled)
	{
		null_next = (v != V_ACTIVE || fv->next_fetch_at == DT_NOBEGIN);
		next = TimestampTzGetDatum(fv->next_fetch_at);
	}
	set_column(t, C_NEXT_FETCH, !null_next, next);
	if (null_last || DatumGetTimestampTz(last) < at)
		last = TimestampTzGetDatum(at);
	set_column(t, C_LAST_FETCHED, true, last);
	return true;
}

void
direct_store_schedules(DirectStore *ds)
{
	DirectTable *sched = &ds->t[T_SCHEDULE];
	int			i;

	step_begin(ds);
	for (i = ds->lo; i < ds->hi; i++)
	{
		FetchVideo *fv = &ds->b->videos[i];

		if (ds->video[i - ds->lo] != V_ACTIVE && ds->video[i - ds->lo] != V_INACTIVE)
			continue;
		if (find_row(sched, fv->video_id, NULL))
			update_row(ds, sched, make_schedule_row, fv);
		ResetPerTupleExprContext(ds->estate);
	}
	step_end(ds);
}
