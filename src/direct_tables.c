/*-------------------------------------------------------------------------
 *
 * direct_tables.c
 *	  The tables the store step writes directly (store_direct.c), and the
 *	  executor's row primitives it writes them with.
 *
 * The direct path applies (direct_tables_open) where tiktrack's tables are
 * as tiktrack made them: plain tables without rules, with the expected
 * columns and types, no triggers but the foreign keys' (a key is never
 * changed here, and the store step locks the video's row as the check
 * would) and tiktrack's own, which stand aside for the store step, and
 * immediate unique indexes.  Anything else, e.g. a user's own trigger on
 * snapshots, keeps the statements, which fire it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "storage/bufmgr.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/index.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/nodeModifyTable.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "direct_tables.h"

/* Each DirectColumn's name and type. */
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
	{"creator_id", INT8OID}, {"claim_at", TIMESTAMPTZOID}, {"id", INT8OID}, {"state", TEXTOID},
	{"caption", TEXTOID}, {"posted_at", TIMESTAMPTZOID}, {"duration_s", FLOAT4OID},
	{"kind", TEXTOID}, {"fetch_failures", INT4OID}, {"missing_count", INT4OID},
	{"last_error", TEXTOID}, {"last_error_at", TIMESTAMPTZOID},
};

static const char *const table_names[NTABLES] = {
	"videos", "snapshots", "latest_snapshots", "video_schedule"
};

/* tiktrack.video_schedule_claim_at(), the trigger function the direct path stands in for */
static Oid
claim_at_trigger_function(void)
{
	Oid			nsp = get_namespace_oid("tiktrack", true);
	oidvector  *none = buildoidvector(NULL, 0);

	if (!OidIsValid(nsp))
		return InvalidOid;
	return GetSysCacheOid3(PROCNAMEARGSNSP, Anum_pg_proc_oid,
						   CStringGetDatum("video_schedule_claim_at"),
						   PointerGetDatum(none), ObjectIdGetDatum(nsp));
}

/*
 * Whether the direct path may stand in for the statements on rel: its
 * triggers are only foreign keys' (a key is never changed here, and the
 * video's row is locked as the check would) and tiktrack's own, whose WHEN
 * makes them stand aside for the store step, or whose work it does itself
 * (video_schedule's claim_at).
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
		/* the direct path sets claim_at itself (held_videos.c) */
		if (strcmp(t->tgname, "video_schedule_claim_at") == 0 &&
			t->tgfoid == claim_at_trigger_function())
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

/*
 * Maps the table's columns, which must be exactly cols (of their types):
 * a row written here has no value for any other column.
 */
static bool
map_exact_columns(DirectTable *t, const DirectColumn *cols, int n)
{
	TupleDesc	desc = RelationGetDescr(t->rel);
	int			mapped = 0;
	int			a;
	int			i;

	for (a = 0; a < desc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);

		if (att->attisdropped)
			continue;
		for (i = 0; i < n; i++)
			if (strcmp(NameStr(att->attname), column_defs[cols[i]].name) == 0)
				break;
		if (i == n || att->atttypid != column_defs[cols[i]].type || att->attgenerated)
			return false;
		t->attnum[cols[i]] = att->attnum;
		mapped++;
	}
	return mapped == n;
}

/*
 * Maps the named columns of videos, whose other columns a row written here
 * copies; false when one is missing or of another type.
 */
static bool
map_named_columns(DirectTable *t, const DirectColumn *cols, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		AttrNumber	a = get_attnum(RelationGetRelid(t->rel), column_defs[cols[i]].name);

		if (a == InvalidAttrNumber ||
			TupleDescAttr(RelationGetDescr(t->rel), a - 1)->atttypid != column_defs[cols[i]].type)
			return false;
		t->attnum[cols[i]] = a;
	}
	return true;
}

/* Every column the direct path writes or reads, by table. */
static bool
columns_allow_direct(DirectTables *dt)
{
#define LIST(c) c,
	static const DirectColumn snap[] = {SNAPSHOT_COLUMNS(LIST)};
	static const DirectColumn latest[] = {SNAPSHOT_COLUMNS(LIST) C_COUNT};
#undef LIST
	static const DirectColumn sched[] = {C_VIDEO_ID, C_NEXT_FETCH, C_LAST_FETCHED, C_CREATOR_ID,
	C_CLAIM_AT};
	static const DirectColumn video[] = {C_ID, C_STATE};
	int			i,
				c;

	for (i = 0; i < NTABLES; i++)
		for (c = 0; c < NCOLUMNS; c++)
			dt->t[i].attnum[c] = InvalidAttrNumber;
	return map_exact_columns(&dt->t[T_SNAPSHOTS], snap, lengthof(snap)) &&
		map_exact_columns(&dt->t[T_LATEST], latest, lengthof(latest)) &&
		map_exact_columns(&dt->t[T_SCHEDULE], sched, lengthof(sched)) &&
		map_named_columns(&dt->t[T_VIDEOS], video, lengthof(video));
}

/*
 * Whether a good answer's metadata may be written to videos here: its
 * triggers are those allowed above (no user trigger to fire), no rule, the
 * columns written are there, unique indexes immediate.
 */
static bool
videos_allow_direct(DirectTables *dt)
{
	static const DirectColumn cols[] = {C_CAPTION, C_POSTED_AT, C_DURATION, C_KIND, C_FAILURES,
	C_MISSING, C_LAST_ERROR, C_LAST_ERROR_AT};
	DirectTable *t = &dt->t[T_VIDEOS];
	int			i;

	if (t->rel->rd_rules != NULL || !triggers_allow_direct(t->rel) ||
		!map_named_columns(t, cols, lengthof(cols)))
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

void
direct_tables_close(DirectTables *dt)
{
	int			i;

	for (i = 0; i < NTABLES; i++)
	{
		DirectTable *t = &dt->t[i];

		if (t->pkey)
			index_close(t->pkey, NoLock);
		if (t->rri)
			ExecCloseIndices(t->rri);
		if (t->rel)
			table_close(t->rel, NoLock);
	}
	ExecResetTupleTable(dt->estate->es_tupleTable, false);
	FreeExecutorState(dt->estate);
	dt->estate = NULL;
}

bool
direct_tables_open(DirectTables *dt)
{
	Oid			nsp = get_namespace_oid("tiktrack", false);
	List	   *rtable = NIL;
	bool		ok = true;
	int			i;

	memset(dt, 0, sizeof(DirectTables));
	dt->estate = CreateExecutorState();
	for (i = 0; i < NTABLES && ok; i++)
	{
		DirectTable *t = &dt->t[i];
		Oid			relid = get_relname_relid(table_names[i], nsp);
		RangeTblEntry *rte;

		t->name = table_names[i];
		if (!OidIsValid(relid))
		{
			ok = false;
			break;
		}
		t->rel = table_open(relid, RowExclusiveLock);
		rte = makeNode(RangeTblEntry);
		rte->rtekind = RTE_RELATION;
		rte->relid = relid;
		rte->relkind = RELKIND_RELATION;
		rte->rellockmode = RowExclusiveLock;
		rtable = lappend(rtable, rte);
		/* videos: rows locked, and written only if videos_allow_direct() */
		ok = t->rel->rd_rel->relkind == RELKIND_RELATION &&
			(i == T_VIDEOS || (t->rel->rd_rules == NULL && triggers_allow_direct(t->rel)));
	}
	if (ok)
	{
		ExecInitRangeTable(dt->estate, rtable);
		dt->estate->es_output_cid = GetCurrentCommandId(true);
		ok = columns_allow_direct(dt);
		for (i = 0; i < NTABLES && ok; i++)
		{
			DirectTable *t = &dt->t[i];

			t->rri = makeNode(ResultRelInfo);
			InitResultRelInfo(t->rri, t->rel, i + 1, NULL, 0);
			ExecOpenIndices(t->rri, false);
			CheckCmdReplicaIdentity(t->rel, i == T_SNAPSHOTS ? CMD_INSERT : CMD_UPDATE);
			ok = indexes_allow_direct(t, i == T_VIDEOS);
			t->slot = table_slot_create(t->rel, &dt->estate->es_tupleTable);
			t->newslot = table_slot_create(t->rel, &dt->estate->es_tupleTable);
		}
	}
	if (!ok)
	{
		direct_tables_close(dt);
		return false;
	}
	dt->videos_writable = videos_allow_direct(dt);
	return true;
}

/* Its writes use the current command id. */
void
direct_tables_begin_step(DirectTables *dt)
{
	int			i;

	CommandCounterIncrement();
	dt->estate->es_output_cid = GetCurrentCommandId(true);
	dt->snapshot = RegisterSnapshot(GetLatestSnapshot());
	for (i = 0; i < NTABLES; i++)
	{
		DirectTable *t = &dt->t[i];

		t->scan = index_beginscan(t->rel, t->pkey, dt->snapshot,
								  IndexRelationGetNumberOfKeyAttributes(t->pkey), 0);
		/* our lock keeps VACUUM from truncating it meanwhile */
		t->nblocks = RelationGetNumberOfBlocks(t->rel);
	}
}

void
direct_tables_end_step(DirectTables *dt)
{
	int			i;

	for (i = 0; i < NTABLES; i++)
	{
		index_endscan(dt->t[i].scan);
		dt->t[i].scan = NULL;
	}
	UnregisterSnapshot(dt->snapshot);
	dt->snapshot = NULL;
}

bool
direct_find_row(DirectTable *t, int64 id, const TimestampTz *at)
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

/*
 * A row version at tid is taken only if the step's snapshot sees it (so it
 * is the row's current version, not one updated or deleted since) and it
 * still has the key (a slot VACUUM freed may hold another row now); any
 * doubt, and the primary key finds the row.
 */
bool
direct_find_row_at(DirectTables *dt, DirectTable *t, ItemPointer tid, DirectColumn key, int64 id)
{
	if (ItemPointerIsValid(tid) && ItemPointerGetBlockNumber(tid) < t->nblocks &&
		table_tuple_fetch_row_version(t->rel, tid, dt->snapshot, t->slot))
	{
		bool		isnull;
		Datum		d = slot_getattr(t->slot, t->attnum[key], &isnull);

		if (!isnull && DatumGetInt64(d) == id)
			return true;
	}
	return direct_find_row(t, id, NULL);
}

bool
direct_lock_found_row(DirectTables *dt, DirectTable *t, LockTupleMode mode)
{
	TM_FailureData tmfd;

	return table_tuple_lock(t->rel, &t->slot->tts_tid, dt->snapshot, t->slot,
							GetCurrentCommandId(false), mode, LockWaitBlock,
							TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &tmfd) == TM_Ok;
}

void
direct_fill_slot(DirectTable *t, TupleTableSlot *slot, const Datum *values, const bool *has)
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

void
direct_copy_found_row(DirectTable *t)
{
	int			natts = t->slot->tts_tupleDescriptor->natts;

	slot_getallattrs(t->slot);
	ExecClearTuple(t->newslot);
	memcpy(t->newslot->tts_values, t->slot->tts_values, sizeof(Datum) * natts);
	memcpy(t->newslot->tts_isnull, t->slot->tts_isnull, sizeof(bool) * natts);
	ExecStoreVirtualTuple(t->newslot);
}

void
direct_set_column(DirectTable *t, DirectColumn c, bool has, Datum value)
{
	AttrNumber	a = t->attnum[c];

	t->newslot->tts_values[a - 1] = has ? value : (Datum) 0;
	t->newslot->tts_isnull[a - 1] = !has;
}

Datum
direct_found_value(DirectTable *t, DirectColumn c, bool *isnull)
{
	return slot_getattr(t->slot, t->attnum[c], isnull);
}

void
direct_insert_row(DirectTables *dt, DirectTable *t, TupleTableSlot *slot)
{
	ExecConstraints(t->rri, slot, dt->estate);
	table_tuple_insert(t->rel, slot, dt->estate->es_output_cid, 0, NULL);
	if (t->rri->ri_NumIndices > 0)
		ExecInsertIndexTuples(t->rri, slot, dt->estate, false, false, NULL, NIL);
}

/* Whether the update leaves the key columns of index ii as they were. */
static bool
index_key_unchanged(DirectTable *t, IndexInfo *ii)
{
	TupleDesc	desc = RelationGetDescr(t->rel);
	int			k;

	for (k = 0; k < ii->ii_NumIndexKeyAttrs; k++)
	{
		AttrNumber	a = ii->ii_IndexAttrNumbers[k];
		Form_pg_attribute att;
		bool		oldnull,
					newnull;
		Datum		oldv,
					newv;

		if (a <= 0)
			return false;		/* an expression */
		att = TupleDescAttr(desc, a - 1);
		oldv = slot_getattr(t->slot, a, &oldnull);
		newv = slot_getattr(t->newslot, a, &newnull);
		if (oldnull != newnull ||
			(!oldnull && !datumIsEqual(oldv, newv, att->attbyval, att->attlen)))
			return false;
	}
	return true;
}

/*
 * The index entries of an updated row's new version (t->newslot), as
 * ExecInsertIndexTuples makes an UPDATE's, but a unique index whose key
 * the update left as it was (a primary key: the direct path never changes
 * one) takes its entry without a uniqueness check and without bottom-up
 * deletion.  The old version, which this update holds, has the same key,
 * so no other row can have it (another writer of that key waits for this
 * transaction, then sees the new version); and the old versions bottom-up
 * deletion looks for on a full page are this batch's own, still live, so
 * the attempt cost about 3 % of the worker's CPU for nothing.  An
 * exclusion constraint or a partial unique index keeps the executor's way.
 */
static void
insert_updated_index_entries(DirectTables *dt, DirectTable *t)
{
	ResultRelInfo *rri = t->rri;
	ExprContext *econtext = GetPerTupleExprContext(dt->estate);
	Datum		values[INDEX_MAX_KEYS];
	bool		isnull[INDEX_MAX_KEYS];
	int			i;

	for (i = 0; i < rri->ri_NumIndices; i++)
	{
		IndexInfo  *ii = rri->ri_IndexRelationInfo[i];

		if (ii->ii_ExclusionOps != NULL || (ii->ii_Unique && ii->ii_Predicate != NIL))
		{
			ExecInsertIndexTuples(rri, t->newslot, dt->estate, true, false, NULL, NIL);
			return;
		}
	}
	econtext->ecxt_scantuple = t->newslot;
	for (i = 0; i < rri->ri_NumIndices; i++)
	{
		Relation	idx = rri->ri_IndexRelationDescs[i];
		IndexInfo  *ii = rri->ri_IndexRelationInfo[i];
		bool		unchanged;

		if (idx == NULL || !ii->ii_ReadyForInserts)
			continue;
		if (ii->ii_Predicate != NIL)
		{
			if (ii->ii_PredicateState == NULL)
				ii->ii_PredicateState = ExecPrepareQual(ii->ii_Predicate, dt->estate);
			if (!ExecQual(ii->ii_PredicateState, econtext))
				continue;
		}
		FormIndexDatum(ii, t->newslot, dt->estate, values, isnull);
		unchanged = index_key_unchanged(t, ii);
		/*
		 * Unique indexes are immediate here (indexes_allow_direct).  The
		 * last argument is the executor's "key unchanged" hint, which asks
		 * for bottom-up deletion: kept for the other indexes.
		 */
		(void) index_insert(idx, values, isnull, &t->newslot->tts_tid, t->rel,
							ii->ii_Unique && !unchanged ? UNIQUE_CHECK_YES : UNIQUE_CHECK_NO,
							unchanged && !ii->ii_Unique, ii);
	}
}

bool
direct_update_row(DirectTables *dt, DirectTable *t, DirectMakeRow make_row, void *arg)
{
	for (;;)
	{
		TM_FailureData tmfd;
		LockTupleMode lockmode;
		bool		update_indexes;
		TM_Result	res;

		if (!make_row(t, arg))
			return true;		/* nothing to change */
		/* videos' hashtags and mentions, from the caption (all of them: CMD_INSERT) */
		if (t->rel->rd_att->constr && t->rel->rd_att->constr->has_generated_stored)
			ExecComputeStoredGenerated(t->rri, dt->estate, t->newslot, CMD_INSERT);
		ExecConstraints(t->rri, t->newslot, dt->estate);
		res = table_tuple_update(t->rel, &t->slot->tts_tid, t->newslot,
								 dt->estate->es_output_cid, dt->snapshot, InvalidSnapshot,
								 true, &tmfd, &lockmode, &update_indexes);
		if (res == TM_Ok)
		{
			if (update_indexes && t->rri->ri_NumIndices > 0)
				insert_updated_index_entries(dt, t);
			return true;
		}
		if (res == TM_SelfModified)
			elog(ERROR, "tiktrack: a row of %s was written twice in one store step", t->name);
		if (res != TM_Updated && res != TM_Deleted)
			elog(ERROR, "tiktrack: unexpected result %d updating %s", (int) res, t->name);
		res = table_tuple_lock(t->rel, &t->slot->tts_tid, dt->snapshot, t->slot,
							   dt->estate->es_output_cid, lockmode, LockWaitBlock,
							   TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &tmfd);
		if (res != TM_Ok)
			return false;
	}
}
