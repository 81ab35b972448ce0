/*-------------------------------------------------------------------------
 *
 * claim_direct.c
 *	  The worker's claim of due videos read directly by index, as the
 *	  store step writes its rows directly (store_direct.c): the rows
 *	  CLAIM_DUE_VIDEOS returns, without the executor.
 *
 * Why: the statement's plan materializes three CTEs, probes videos with
 * a bitmap scan over the whole batch's ids, hashes the result, probes
 * creators once per video and copies each result row twice (SPI, then
 * the worker); that was about a sixth of the worker's CPU per snapshot
 * in the ingest benchmark.  Here each due video is one entry of the due
 * index, one primary-key probe of videos, and each creator one probe.
 *
 * What it reads is what the statement reads, under one snapshot, plus
 * the videos the worker holds in its own queue (held_videos.c), whose
 * rows are out of the due indexes:
 *   - the due videos: video_schedule_due_idx in order, claim_at <= now(),
 *     and the queue's due entries, the earliest max_videos of them by
 *     (due, creator, video);
 *   - their creators' videos due within the window after now():
 *     video_schedule_creator_due_idx, one range per creator, and the
 *     queue's entries of those creators, the earliest max_videos of them;
 *   - each queue entry's schedule row, where the worker wrote it, else by
 *     primary key: an entry counts only while its row says the worker
 *     holds it (claim_at NULL) and is due when its next_fetch_at says;
 *   - each one's videos row by primary key (a video without one is not
 *     claimed, as the statement's join drops it), looked for first where
 *     the worker last locked or wrote it (row_hints.c), and its creator's
 *     authorized API when the creator is authorized.
 *
 * When it applies: tiktrack.direct_access is on, a superuser claims (permissions and row security are
 * then moot), Citus is not installed (a distributed table's rows are not
 * in its local heap), and the tables and those five indexes are as
 * tiktrack made them (names, key columns and their types, default
 * operator classes, the due indexes' predicate).  Anything else runs the
 * statement.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relation.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "nodes/primnodes.h"
#include "storage/bufmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "claim_direct.h"
#include "direct_tables.h"
#include "held_videos.h"
#include "row_hints.h"

typedef struct ClaimColumn
{
	const char *name;
	Oid			type;
} ClaimColumn;

/* The columns read, by table. */
enum
{
	S_VIDEO_ID, S_NEXT_FETCH, S_CREATOR_ID, S_CLAIM_AT, NSCHEDULE
};
static const ClaimColumn schedule_columns[NSCHEDULE] = {
	{"video_id", INT8OID}, {"next_fetch_at", TIMESTAMPTZOID}, {"creator_id", INT8OID},
	{"claim_at", TIMESTAMPTZOID}
};

enum
{
	V_ID, V_CREATOR_ID, V_POSTED_AT, V_TRACKED_AT, V_TRACK_UNTIL, V_FAILURES,
	V_SHORT_URL, V_STATE, V_MISSING, V_LAST_ERROR, V_CAPTION, V_DURATION, V_KIND,
	NVIDEO
};
static const ClaimColumn video_columns[NVIDEO] = {
	{"id", INT8OID}, {"creator_id", INT8OID}, {"posted_at", TIMESTAMPTZOID},
	{"tracked_at", TIMESTAMPTZOID}, {"track_until", TIMESTAMPTZOID},
	{"fetch_failures", INT4OID}, {"short_url", TEXTOID}, {"state", TEXTOID},
	{"missing_count", INT4OID}, {"last_error", TEXTOID}, {"caption", TEXTOID},
	{"duration_s", FLOAT4OID}, {"kind", TEXTOID}
};

enum
{
	CR_ID, CR_AUTH_STATUS, CR_AUTHORIZED_VIA, NCREATOR
};
static const ClaimColumn creator_columns[NCREATOR] = {
	{"id", INT8OID}, {"auth_status", TEXTOID}, {"authorized_via", TEXTOID}
};

typedef struct ClaimTables
{
	Relation	schedule;
	Relation	schedule_pkey;	/* (video_id) */
	Relation	due_idx;		/* (claim_at) WHERE claim_at IS NOT NULL */
	Relation	creator_due_idx;	/* (creator_id, claim_at), the same */
	Relation	videos;
	Relation	videos_pkey;
	Relation	creators;
	Relation	creators_pkey;
	AttrNumber	s[NSCHEDULE];
	AttrNumber	v[NVIDEO];
	AttrNumber	cr[NCREATOR];
	Snapshot	snapshot;
	/* the held videos' rows (add_held), set up once per claim when needed */
	IndexScanDesc held_scan;	/* of schedule_pkey */
	TupleTableSlot *held_slot;
	BlockNumber schedule_blocks;
} ClaimTables;

/* A video_schedule row the claim chose. */
typedef struct ChosenRow
{
	int64		video_id;
	int64		creator_id;		/* DUE_NO_CREATOR when NULL */
	TimestampTz next_fetch_at;
	ItemPointerData tid;
	bool		held;			/* from the worker's queue, not an index */
} ChosenRow;

/* ---- whether the direct read applies ---- */

/* The relation tiktrack.name, opened, or NULL. */
static Relation
open_named(Oid nsp, const char *name, char relkind)
{
	Oid			relid = get_relname_relid(name, nsp);
	Relation	rel;

	if (!OidIsValid(relid))
		return NULL;
	rel = try_relation_open(relid, AccessShareLock);
	if (rel != NULL && rel->rd_rel->relkind != relkind)
	{
		relation_close(rel, AccessShareLock);
		return NULL;
	}
	return rel;
}

static void
close_tables(ClaimTables *t)
{
	Relation   *rels[] = {&t->due_idx, &t->creator_due_idx, &t->schedule_pkey, &t->videos_pkey,
	&t->creators_pkey, &t->schedule, &t->videos, &t->creators};
	int			i;

	for (i = 0; i < lengthof(rels); i++)
		if (*rels[i] != NULL)
			relation_close(*rels[i], NoLock);
}

/* Maps the named columns; false when one is missing or of another type. */
static bool
map_columns(Relation rel, const ClaimColumn *defs, int n, AttrNumber *attnums)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		AttrNumber	a = get_attnum(RelationGetRelid(rel), defs[i].name);

		if (a <= 0 || TupleDescAttr(RelationGetDescr(rel), a - 1)->atttypid != defs[i].type)
			return false;
		attnums[i] = a;
	}
	return true;
}

/* Whether pred is exactly "a IS NOT NULL" (a partial index's predicate). */
static bool
predicate_is_not_null(List *pred, AttrNumber a)
{
	NullTest   *nt;

	if (list_length(pred) != 1 || !IsA(linitial(pred), NullTest))
		return false;
	nt = linitial_node(NullTest, pred);
	return nt->nulltesttype == IS_NOT_NULL && IsA(nt->arg, Var) &&
		((Var *) nt->arg)->varattno == a;
}

/*
 * Whether idx is a valid btree index of heap on exactly the key columns
 * keys (ascending, default operator classes), and, with not_null, partial
 * on keys[nkeys - 1] IS NOT NULL, else not partial.
 */
static bool
btree_on(Relation idx, Relation heap, const AttrNumber *keys, int nkeys, bool not_null)
{
	Form_pg_index ix = idx->rd_index;
	List	   *pred;
	int			i;

	if (idx->rd_rel->relam != BTREE_AM_OID || ix->indrelid != RelationGetRelid(heap) ||
		!ix->indisvalid || !ix->indislive || ix->indnkeyatts != nkeys)
		return false;
	for (i = 0; i < nkeys; i++)
	{
		Oid			type = TupleDescAttr(RelationGetDescr(heap), keys[i] - 1)->atttypid;

		if (ix->indkey.values[i] != keys[i] || idx->rd_indoption[i] != 0 ||
			idx->rd_opfamily[i] != lookup_type_cache(type, TYPECACHE_BTREE_OPFAMILY)->btree_opf)
			return false;
	}
	pred = RelationGetIndexPredicate(idx);
	return not_null ? predicate_is_not_null(pred, keys[nkeys - 1]) : pred == NIL;
}

/* Opens what the claim reads; false (all closed again) when it does not apply. */
static bool
open_tables(ClaimTables *t)
{
	Oid			nsp;
	AttrNumber	due_key[1];
	AttrNumber	creator_due_key[2];

	memset(t, 0, sizeof(*t));
	if (!tiktrack_direct_access || !superuser() || OidIsValid(get_extension_oid("citus", true)))
		return false;
	nsp = get_namespace_oid("tiktrack", true);
	if (!OidIsValid(nsp))
		return false;
	t->schedule = open_named(nsp, "video_schedule", RELKIND_RELATION);
	t->videos = open_named(nsp, "videos", RELKIND_RELATION);
	t->creators = open_named(nsp, "creators", RELKIND_RELATION);
	t->schedule_pkey = open_named(nsp, "video_schedule_pkey", RELKIND_INDEX);
	t->due_idx = open_named(nsp, "video_schedule_due_idx", RELKIND_INDEX);
	t->creator_due_idx = open_named(nsp, "video_schedule_creator_due_idx", RELKIND_INDEX);
	t->videos_pkey = open_named(nsp, "videos_pkey", RELKIND_INDEX);
	t->creators_pkey = open_named(nsp, "creators_pkey", RELKIND_INDEX);
	if (t->schedule && t->videos && t->creators && t->due_idx && t->creator_due_idx &&
		t->schedule_pkey && t->videos_pkey && t->creators_pkey &&
		map_columns(t->schedule, schedule_columns, NSCHEDULE, t->s) &&
		map_columns(t->videos, video_columns, NVIDEO, t->v) &&
		map_columns(t->creators, creator_columns, NCREATOR, t->cr))
	{
		due_key[0] = t->s[S_CLAIM_AT];
		creator_due_key[0] = t->s[S_CREATOR_ID];
		creator_due_key[1] = t->s[S_CLAIM_AT];
		if (btree_on(t->due_idx, t->schedule, due_key, 1, true) &&
			btree_on(t->creator_due_idx, t->schedule, creator_due_key, 2, true) &&
			btree_on(t->schedule_pkey, t->schedule, &t->s[S_VIDEO_ID], 1, false) &&
			t->schedule_pkey->rd_index->indisunique &&
			btree_on(t->videos_pkey, t->videos, &t->v[V_ID], 1, false) &&
			t->videos_pkey->rd_index->indisunique &&
			btree_on(t->creators_pkey, t->creators, &t->cr[CR_ID], 1, false) &&
			t->creators_pkey->rd_index->indisunique)
			return true;
	}
	close_tables(t);
	return false;
}

/* ---- the reads ---- */

static int64
slot_int64(TupleTableSlot *slot, AttrNumber a, bool *isnull)
{
	Datum		d = slot_getattr(slot, a, isnull);

	return *isnull ? 0 : DatumGetInt64(d);
}

static TimestampTz
slot_timestamptz(TupleTableSlot *slot, AttrNumber a, bool *isnull)
{
	Datum		d = slot_getattr(slot, a, isnull);

	return *isnull ? 0 : DatumGetTimestampTz(d);
}

static char *
slot_text(TupleTableSlot *slot, AttrNumber a)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, a, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* Appends the schedule rows idx finds for keys, at most max of them. */
static int
scan_schedule(ClaimTables *t, Relation idx, ScanKey keys, int nkeys, int max,
			  ChosenRow *rows, int n)
{
	IndexScanDesc scan = index_beginscan(t->schedule, idx, t->snapshot, nkeys, 0);
	TupleTableSlot *slot = table_slot_create(t->schedule, NULL);

	index_rescan(scan, keys, nkeys, NULL, 0);
	while (max-- > 0 && index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		bool		no_creator;
		int64		creator = slot_int64(slot, t->s[S_CREATOR_ID], &no_creator);

		rows[n].video_id = slot_int64(slot, t->s[S_VIDEO_ID], &isnull);
		rows[n].creator_id = no_creator ? DUE_NO_CREATOR : creator;
		/* the index's key: next_fetch_at as the row's last writer set it */
		rows[n].next_fetch_at = slot_timestamptz(slot, t->s[S_CLAIM_AT], &isnull);
		rows[n].held = false;
		ItemPointerCopy(&slot->tts_tid, &rows[n].tid);
		n++;
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	return n;
}

static int
compare_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* The claim's order: due first, then creator (NULL last), then video. */
static int
compare_chosen(const void *a, const void *b)
{
	const ChosenRow *x = a;
	const ChosenRow *y = b;

	if (x->next_fetch_at != y->next_fetch_at)
		return x->next_fetch_at < y->next_fetch_at ? -1 : 1;
	if (x->creator_id != y->creator_id)
		return x->creator_id < y->creator_id ? -1 : 1;
	return x->video_id < y->video_id ? -1 : (x->video_id > y->video_id ? 1 : 0);
}

/* ---- the videos the worker holds (held_videos.c) ---- */

static DueEntry
held_entry(const ChosenRow *row)
{
	DueEntry	e;

	e.video_id = row->video_id;
	e.creator_id = row->creator_id;
	e.due = row->next_fetch_at;
	e.tag = held_videos_tid_tag((ItemPointer) &row->tid);
	return e;
}

/*
 * The schedule row of a video taken from the worker's queue, looked for
 * where the worker wrote it, else by primary key: true, with row and e
 * filled from the row, when the row still says the worker holds it
 * (claim_at NULL, next_fetch_at set).  Otherwise the entry is stale (the
 * row is gone, unscheduled, or back in the due indexes, where the claim
 * finds it).
 */
static bool
check_held(ClaimTables *t, DueEntry *e, ChosenRow *row)
{
	IndexScanDesc pkscan = t->held_scan;
	TupleTableSlot *slot = t->held_slot;
	ItemPointerData tid;
	bool		isnull;
	bool		no_creator;
	int64		creator;

	held_videos_tag_tid(e->tag, &tid);
	if (!(ItemPointerIsValid(&tid) && ItemPointerGetBlockNumber(&tid) < t->schedule_blocks &&
		  table_tuple_fetch_row_version(t->schedule, &tid, t->snapshot, slot) &&
		  slot_int64(slot, t->s[S_VIDEO_ID], &isnull) == e->video_id && !isnull))
	{
		ScanKeyData key;

		ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(e->video_id));
		index_rescan(pkscan, &key, 1, NULL, 0);
		if (!index_getnext_slot(pkscan, ForwardScanDirection, slot))
			return false;
	}
	(void) slot_getattr(slot, t->s[S_CLAIM_AT], &isnull);
	if (!isnull)
		return false;
	row->next_fetch_at = slot_timestamptz(slot, t->s[S_NEXT_FETCH], &isnull);
	if (isnull)
		return false;
	creator = slot_int64(slot, t->s[S_CREATOR_ID], &no_creator);
	row->video_id = e->video_id;
	row->creator_id = no_creator ? DUE_NO_CREATOR : creator;
	row->held = true;
	ItemPointerCopy(&slot->tts_tid, &row->tid);
	*e = held_entry(row);
	return true;
}

/*
 * Appends to rows[n..] the n_held videos taken from the worker's queue
 * whose rows hold them due by upto; the others due later go back as their
 * rows say, and the stale ones are dropped.
 */
static int
add_held(ClaimTables *t, DueEntry *held, int nheld, TimestampTz upto, ChosenRow *rows, int n)
{
	int			i;

	if (nheld > 0 && t->held_scan == NULL)
	{
		t->held_scan = index_beginscan(t->schedule, t->schedule_pkey, t->snapshot, 1, 0);
		t->held_slot = table_slot_create(t->schedule, NULL);
		t->schedule_blocks = RelationGetNumberOfBlocks(t->schedule);
	}
	for (i = 0; i < nheld; i++)
	{
		if (!check_held(t, &held[i], &rows[n]))
			continue;
		if (held[i].due > upto)
			held_videos_put(&held[i]);
		else
			n++;
	}
	return n;
}

/* Rows not claimed after all: the held ones go back to the queue. */
static void
put_back_held(const ChosenRow *rows, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		if (rows[i].held)
		{
			DueEntry	e = held_entry(&rows[i]);

			held_videos_put(&e);
		}
}

/* Keeps the first max of rows[0..n) in the claim's order. */
static int
keep_earliest(ChosenRow *rows, int n, int max)
{
	qsort(rows, n, sizeof(ChosenRow), compare_chosen);
	if (n <= max)
		return n;
	put_back_held(rows + max, n - max);
	return max;
}

/*
 * The videos of these creators due after now and by upto, the earliest
 * max of them, from the index and from the worker's queue, appended to
 * rows[n..].
 */
static int
scan_companions(ClaimTables *t, int64 *creators, int ncreators, TimestampTz now,
				TimestampTz upto, int max, ChosenRow *rows, int n)
{
	ChosenRow  *found = palloc(sizeof(ChosenRow) * Max(max, 1) * 3);
	DueEntry   *held = palloc(sizeof(DueEntry) * Max(max, 1));
	int			nfound = 0;
	int			i;

	qsort(creators, ncreators, sizeof(int64), compare_int64);
	for (i = 0; i < ncreators; i++)
	{
		ScanKeyData keys[3];

		if (i > 0 && creators[i] == creators[i - 1])
			continue;
		CHECK_FOR_INTERRUPTS();
		ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(creators[i]));
		ScanKeyInit(&keys[1], 2, BTGreaterStrategyNumber, F_TIMESTAMPTZ_GT, TimestampTzGetDatum(now));
		ScanKeyInit(&keys[2], 2, BTLessEqualStrategyNumber, F_TIMESTAMPTZ_LE, TimestampTzGetDatum(upto));
		/* each creator's earliest max are enough; keep room for the next one's */
		nfound = scan_schedule(t, t->creator_due_idx, keys, 3, max, found, nfound);
		nfound = add_held(t, held, held_videos_take_creator(creators[i], now, upto, max, held),
						  upto, found, nfound);
		nfound = keep_earliest(found, nfound, max);
	}
	memcpy(rows + n, found, sizeof(ChosenRow) * nfound);
	n += nfound;
	pfree(found);
	pfree(held);
	return n;
}

/* The API of an authorized creator (authorized_via), else NULL. */
static char *
creator_api(ClaimTables *t, IndexScanDesc scan, TupleTableSlot *slot, int64 id)
{
	ScanKeyData key;
	char	   *status;

	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(id));
	index_rescan(scan, &key, 1, NULL, 0);
	if (!index_getnext_slot(scan, ForwardScanDirection, slot))
		return NULL;
	status = slot_text(slot, t->cr[CR_AUTH_STATUS]);
	if (status == NULL || strcmp(status, "authorized") != 0)
		return NULL;
	return slot_text(slot, t->cr[CR_AUTHORIZED_VIA]);
}

/* The claim of a chosen video from its videos row in slot. */
static void
claim_from_row(ClaimTables *t, TupleTableSlot *slot, const ChosenRow *ch, DirectClaim *c)
{
	bool		isnull;
	TimestampTz posted = slot_timestamptz(slot, t->v[V_POSTED_AT], &isnull);
	bool		no_posted = isnull;
	FetchStoredVideo *o = &c->known.stored;
	Datum		d;

	memset(c, 0, sizeof(*c));
	c->id = slot_int64(slot, t->v[V_ID], &isnull);
	c->known.creator_id = slot_int64(slot, t->v[V_CREATOR_ID], &isnull);
	c->has_creator = !isnull;
	c->posted_at = no_posted ? slot_timestamptz(slot, t->v[V_TRACKED_AT], &isnull) : posted;
	c->track_until = slot_timestamptz(slot, t->v[V_TRACK_UNTIL], &isnull);
	c->fetch_failures = DatumGetInt32(slot_getattr(slot, t->v[V_FAILURES], &isnull));
	c->next_fetch_at = ch->next_fetch_at;
	c->known.video_id = c->id;
	c->known.short_url = slot_text(slot, t->v[V_SHORT_URL]);
	c->known.state = slot_text(slot, t->v[V_STATE]);
	/* FETCH_STORED_COLUMNS */
	o->known = true;
	o->fetch_failures = c->fetch_failures;
	o->missing_count = DatumGetInt32(slot_getattr(slot, t->v[V_MISSING], &isnull));
	(void) slot_getattr(slot, t->v[V_LAST_ERROR], &isnull);
	o->has_error = !isnull;
	o->caption = slot_text(slot, t->v[V_CAPTION]);
	o->has_posted_at = !no_posted;
	o->posted_at = no_posted ? 0 : posted;
	d = slot_getattr(slot, t->v[V_DURATION], &isnull);
	o->has_duration = !isnull;
	o->duration_s = isnull ? 0 : DatumGetFloat4(d);
	o->kind = slot_text(slot, t->v[V_KIND]);
	ItemPointerCopy(&slot->tts_tid, &c->known.row_tid);
	ItemPointerCopy(&ch->tid, &c->known.schedule_tid);
}

/*
 * The video's row, visible to the claim's snapshot, into slot: at hint,
 * where the worker last saw it, if it is still there, else by a probe of
 * the primary key.
 */
static bool
find_video(ClaimTables *t, IndexScanDesc scan, TupleTableSlot *slot, BlockNumber nblocks,
		   int64 id, ItemPointer hint)
{
	ScanKeyData key;
	bool		isnull;

	if (ItemPointerIsValid(hint) && ItemPointerGetBlockNumber(hint) < nblocks &&
		table_tuple_fetch_row_version(t->videos, hint, t->snapshot, slot) &&
		slot_int64(slot, t->v[V_ID], &isnull) == id && !isnull)
		return true;
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(id));
	index_rescan(scan, &key, 1, NULL, 0);
	if (!index_getnext_slot(scan, ForwardScanDirection, slot))
		return false;
	/* the store step only updates the hint when the row moves again */
	row_hint_set(id, HINT_VIDEO, &slot->tts_tid);
	return true;
}

/* Each chosen video with its videos row (one probe per video at most). */
static int
claim_videos(ClaimTables *t, const ChosenRow *chosen, int nchosen, DirectClaim *out)
{
	IndexScanDesc scan = index_beginscan(t->videos, t->videos_pkey, t->snapshot, 1, 0);
	TupleTableSlot *slot = table_slot_create(t->videos, NULL);
	BlockNumber nblocks = RelationGetNumberOfBlocks(t->videos);
	int			n = 0;
	int			i;

	for (i = 0; i < nchosen; i++)
	{
		ItemPointerData hints[2];	/* row_hints.c: where the worker saw them */

		CHECK_FOR_INTERRUPTS();
		row_hint_get_both(chosen[i].video_id, hints);
		if (find_video(t, scan, slot, nblocks, chosen[i].video_id, &hints[HINT_VIDEO]))
		{
			claim_from_row(t, slot, &chosen[i], &out[n]);
			/* for the store step, which checks it as well */
			out[n++].known.latest_tid = hints[HINT_LATEST];
		}
		/* else no videos row: the statement's join drops it */
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	return n;
}

/* The claimed videos' creators' APIs (one probe per creator). */
static void
claim_creator_apis(ClaimTables *t, DirectClaim *claims, int n)
{
	IndexScanDesc scan = index_beginscan(t->creators, t->creators_pkey, t->snapshot, 1, 0);
	TupleTableSlot *slot = table_slot_create(t->creators, NULL);
	int64	   *ids = palloc(sizeof(int64) * Max(n, 1));
	char	  **apis;
	int			nids = 0;
	int			k = 0;
	int			i;

	for (i = 0; i < n; i++)
		if (claims[i].has_creator)
			ids[nids++] = claims[i].known.creator_id;
	qsort(ids, nids, sizeof(int64), compare_int64);
	for (i = 0; i < nids; i++)
		if (k == 0 || ids[i] != ids[k - 1])
			ids[k++] = ids[i];
	nids = k;
	apis = palloc(sizeof(char *) * Max(nids, 1));
	for (i = 0; i < nids; i++)
		apis[i] = creator_api(t, scan, slot, ids[i]);
	for (i = 0; i < n; i++)
	{
		int64	   *at;

		if (!claims[i].has_creator)
			continue;
		at = bsearch(&claims[i].known.creator_id, ids, nids, sizeof(int64), compare_int64);
		claims[i].api = apis[at - ids];
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	pfree(ids);
	pfree(apis);
}

int
claim_direct(int max_videos, const Interval *window, DirectClaim **out)
{
	ClaimTables t;
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	ChosenRow  *chosen;
	DueEntry   *held;
	int64	   *creators;
	int			ncreators = 0;
	int			n;
	int			i;
	ScanKeyData key;

	if (!open_tables(&t))
		return -1;
	t.snapshot = RegisterSnapshot(GetTransactionSnapshot());
	max_videos = Max(max_videos, 0);
	chosen = palloc(sizeof(ChosenRow) * Max(3 * max_videos, 1));
	held = palloc(sizeof(DueEntry) * Max(max_videos, 1));
	creators = palloc(sizeof(int64) * Max(max_videos, 1));
	held_videos_load(t.schedule, t.snapshot, t.s[S_NEXT_FETCH], t.s[S_CREATOR_ID],
					 t.s[S_CLAIM_AT], t.s[S_VIDEO_ID]);

	/* the oldest due, from the due index and from the worker's queue */
	ScanKeyInit(&key, 1, BTLessEqualStrategyNumber, F_TIMESTAMPTZ_LE, TimestampTzGetDatum(now));
	n = scan_schedule(&t, t.due_idx, &key, 1, max_videos, chosen, 0);
	n = add_held(&t, held, held_videos_take_due(now, max_videos, held), now, chosen, n);
	n = keep_earliest(chosen, n, max_videos);
	for (i = 0; i < n; i++)
		if (chosen[i].creator_id != DUE_NO_CREATOR)
			creators[ncreators++] = chosen[i].creator_id;
	if (ncreators > 0 &&
		DatumGetBool(DirectFunctionCall2(interval_gt, IntervalPGetDatum(window),
										 IntervalPGetDatum(palloc0(sizeof(Interval))))))
	{
		TimestampTz upto = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
																   TimestampTzGetDatum(now),
																   IntervalPGetDatum(window)));

		n = scan_companions(&t, creators, ncreators, now, upto, max_videos, chosen, n);
	}
	/* the held ones go back at the end of the round unless stored anew */
	for (i = 0; i < n; i++)
		if (chosen[i].held)
		{
			DueEntry	e = held_entry(&chosen[i]);

			held_videos_claimed(&e);
		}

	*out = palloc(sizeof(DirectClaim) * Max(n, 1));
	n = claim_videos(&t, chosen, n, *out);
	claim_creator_apis(&t, *out, n);

	if (t.held_scan != NULL)
	{
		index_endscan(t.held_scan);
		ExecDropSingleTupleTableSlot(t.held_slot);
	}
	UnregisterSnapshot(t.snapshot);
	close_tables(&t);
	pfree(chosen);
	pfree(held);
	pfree(creators);
	return n;
}
