/*-------------------------------------------------------------------------
 *
 * held_videos.c
 *	  The background worker's queue of the videos it holds, and the
 *	  trigger that gives a video written by anyone else back to
 *	  video_schedule's due indexes.
 *
 * Why: every fetch reschedules its video.  With the due order in indexes,
 * that update changes indexed columns: never HOT, three index entries per
 * fetch, about a sixth of the worker's CPU per snapshot in the ingest
 * benchmark.  So the worker's store step writes a video it fetched with
 * claim_at NULL (outside the due indexes, whose key claim_at is) and holds
 * it here; its next reschedule changes only next_fetch_at and
 * last_fetched_at, which no index carries, and is a HOT update.
 *
 * The table stays the truth, and the queue only says where to look:
 *   - every write by anyone else sets claim_at := next_fetch_at (the
 *     trigger below), so a video a user makes due, tracks, postpones or
 *     restores is found by index, whatever the queue says;
 *   - the claim checks each entry it takes against the row
 *     (claim_direct.c): an entry whose row is gone, unscheduled or back in
 *     the indexes is dropped, one whose row says another time is moved;
 *   - the queue is built from the table (claim_at NULL, next_fetch_at set)
 *     when the worker starts and again every HELD_RELOAD_INTERVAL, so that
 *     nothing the worker may have missed stays unseen;
 *   - entries taken out for a claim go back at the end of the round unless
 *     the store step held the video anew, so a round that fails or is
 *     postponed loses none;
 *   - when the worker claims by statement (no direct path: Citus, another
 *     user, tiktrack.direct_access off), it first gives every held row back
 *     to the indexes, once.
 * A killed worker loses nothing: the rows say what it held.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "held_videos.h"
#include "shmem.h"

/* The queue is rebuilt from the table at least this often. */
#define HELD_RELOAD_INTERVAL (10 * 60 * USECS_PER_SEC)

static MemoryContext held_cxt = NULL;
static DueQueue *queue = NULL;
static Oid	queue_relid = InvalidOid;
static TimestampTz queue_built_at = 0;
static bool handed_back = false;

/* Claimed by the round in progress. */
static DueEntry *taken = NULL;
static int	ntaken = 0;
static int	taken_cap = 0;

static void *
held_alloc(void *ctx, size_t size)
{
	return MemoryContextAllocExtended((MemoryContext) ctx, size,
									  MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

static void
held_free(void *ctx, void *p)
{
	pfree(p);
}

uint64
held_videos_tid_tag(ItemPointer tid)
{
	return ((uint64) ItemPointerGetBlockNumberNoCheck(tid) << 16) |
		ItemPointerGetOffsetNumberNoCheck(tid);
}

void
held_videos_tag_tid(uint64 tag, ItemPointer tid)
{
	ItemPointerSet(tid, (BlockNumber) (tag >> 16), (OffsetNumber) (tag & 0xffff));
}

/* Drops the queue (and what was taken out of it). */
static void
forget_queue(void)
{
	if (held_cxt != NULL)
		MemoryContextReset(held_cxt);
	queue = NULL;
	taken = NULL;
	ntaken = 0;
	taken_cap = 0;
	queue_relid = InvalidOid;
}

bool
held_videos_active(void)
{
	return queue != NULL;
}

/* Puts e in the queue; without memory, the next claim rebuilds it. */
static void
put_or_rebuild(const DueEntry *e)
{
	if (queue != NULL && !due_queue_put(queue, e))
	{
		ereport(WARNING,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("tiktrack worker: out of memory for its queue of due videos"),
				 errdetail("The queue is rebuilt from tiktrack.video_schedule at the next claim.")));
		queue_built_at = 0;
	}
}

void
held_videos_load(Relation schedule, Snapshot snapshot, AttrNumber next_col,
				 AttrNumber creator_col, AttrNumber claim_col, AttrNumber id_col)
{
	DueQueueAllocator a;
	TableScanDesc scan;
	TupleTableSlot *slot;
	TimestampTz now = GetCurrentTimestamp();

	if (!IsBackgroundWorker)
		return;					/* a user's call of claim_due_videos() */
	if (queue != NULL && queue_relid == RelationGetRelid(schedule) &&
		(ntaken > 0 || now - queue_built_at < HELD_RELOAD_INTERVAL))
		return;
	forget_queue();
	if (held_cxt == NULL)
		held_cxt = AllocSetContextCreate(TopMemoryContext, "tiktrack held videos",
										 ALLOCSET_DEFAULT_SIZES);
	a.alloc = held_alloc;
	a.free = held_free;
	a.ctx = held_cxt;
	queue = due_queue_create(&a);
	if (queue == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("tiktrack worker: out of memory for its queue of due videos")));
	slot = table_slot_create(schedule, NULL);
	scan = table_beginscan(schedule, snapshot, 0, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		bool		no_creator;
		Datum		next;
		Datum		creator;
		DueEntry	e;

		CHECK_FOR_INTERRUPTS();
		(void) slot_getattr(slot, claim_col, &isnull);
		if (!isnull)
			continue;			/* in the due indexes */
		next = slot_getattr(slot, next_col, &isnull);
		if (isnull)
			continue;			/* not scheduled */
		creator = slot_getattr(slot, creator_col, &no_creator);
		e.video_id = DatumGetInt64(slot_getattr(slot, id_col, &isnull));
		e.creator_id = no_creator ? DUE_NO_CREATOR : DatumGetInt64(creator);
		e.due = DatumGetTimestampTz(next);
		e.tag = held_videos_tid_tag(&slot->tts_tid);
		if (!due_queue_put(queue, &e))
		{
			forget_queue();
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("tiktrack worker: out of memory for its queue of due videos")));
		}
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	queue_relid = RelationGetRelid(schedule);
	queue_built_at = now;
	handed_back = false;
}

void
held_videos_claimed(const DueEntry *e)
{
	if (queue == NULL)
		return;
	if (ntaken == taken_cap)
	{
		int			cap = Max(taken_cap * 2, 64);
		DueEntry   *bigger = MemoryContextAllocHuge(held_cxt, sizeof(DueEntry) * cap);

		if (ntaken > 0)
			memcpy(bigger, taken, sizeof(DueEntry) * ntaken);
		if (taken)
			pfree(taken);
		taken = bigger;
		taken_cap = cap;
	}
	taken[ntaken++] = *e;
}

int
held_videos_take_due(TimestampTz now, int max, DueEntry *out)
{
	int			n;

	if (queue == NULL || max <= 0)
		return 0;
	n = due_queue_take_due(queue, now, max, out);
	return n;
}

int
held_videos_take_creator(int64 creator_id, TimestampTz after, TimestampTz upto, int max,
						 DueEntry *out)
{
	int			n;

	if (queue == NULL || max <= 0)
		return 0;
	n = due_queue_take_creator(queue, creator_id, after, upto, max, out);
	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("tiktrack worker: out of memory for its queue of due videos")));
	return n;
}

void
held_videos_put(const DueEntry *e)
{
	put_or_rebuild(e);
}

void
held_videos_hold(int64 video_id, int64 creator_id, TimestampTz due, ItemPointer tid)
{
	DueEntry	e;

	e.video_id = video_id;
	e.creator_id = creator_id == 0 ? DUE_NO_CREATOR : creator_id;
	e.due = due;
	e.tag = held_videos_tid_tag(tid);
	put_or_rebuild(&e);
}

void
held_videos_round_end(void)
{
	int			i;

	for (i = 0; queue != NULL && i < ntaken; i++)
	{
		DueEntry	now_held;

		/* held anew by the store step, else back as it was */
		if (!due_queue_get(queue, taken[i].video_id, &now_held))
			put_or_rebuild(&taken[i]);
	}
	ntaken = 0;
}

void
held_videos_round_aborted(void)
{
	held_videos_round_end();
	/* entries taken out and not yet claimed may be lost: read the table */
	queue_built_at = 0;
}

bool
held_videos_earliest(TimestampTz *due)
{
	int64		d;

	if (queue == NULL || !due_queue_earliest(queue, &d))
		return false;
	*due = (TimestampTz) d;
	return true;
}

int64
held_videos_count(void)
{
	return queue == NULL ? 0 : (int64) due_queue_size(queue);
}

void
held_videos_hand_back(void)
{
	if (handed_back || !IsBackgroundWorker)
		return;				/* a user's call of claim_due_videos() */
	/* the trigger sets claim_at := next_fetch_at */
	if (SPI_execute("UPDATE tiktrack.video_schedule SET next_fetch_at = next_fetch_at"
					" WHERE claim_at IS NULL AND next_fetch_at IS NOT NULL",
					false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "tiktrack: could not give the held videos back to the due indexes");
	forget_queue();
	handed_back = true;
}

/* ---- the trigger ---- */

PG_FUNCTION_INFO_V1(tiktrack_video_schedule_claim_at);

/*
 * BEFORE INSERT OR UPDATE row trigger on video_schedule: the row's claim_at
 * becomes its next_fetch_at, so that the claim finds the video by index,
 * and the worker wakes when the transaction commits (a video made due is
 * fetched at once, not when the worker next looks).  The worker's store
 * step writes the rows directly, without it; its own statements
 * (postponements) wake nobody.
 */
Datum
tiktrack_video_schedule_claim_at(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	tuple;
	int			next_col;
	int			claim_col;
	Datum		next;
	Datum		claim;
	bool		next_null;
	bool		claim_null;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) || TRIGGER_FIRED_BY_DELETE(td->tg_event) ||
		TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("tiktrack.video_schedule_claim_at() must be a BEFORE INSERT OR UPDATE row trigger")));
	tuple = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	desc = RelationGetDescr(td->tg_relation);
	next_col = SPI_fnumber(desc, "next_fetch_at");
	claim_col = SPI_fnumber(desc, "claim_at");
	if (next_col <= 0 || claim_col <= 0 ||
		TupleDescAttr(desc, next_col - 1)->atttypid != TIMESTAMPTZOID ||
		TupleDescAttr(desc, claim_col - 1)->atttypid != TIMESTAMPTZOID)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("table \"%s\" has no timestamptz columns next_fetch_at and claim_at",
						RelationGetRelationName(td->tg_relation))));
	if (!IsBackgroundWorker)
		tiktrack_wake_worker_at_commit();
	next = heap_getattr(tuple, next_col, desc, &next_null);
	claim = heap_getattr(tuple, claim_col, desc, &claim_null);
	if (next_null == claim_null &&
		(next_null || DatumGetTimestampTz(next) == DatumGetTimestampTz(claim)))
		return PointerGetDatum(tuple);
	return PointerGetDatum(heap_modify_tuple_by_cols(tuple, desc, 1, &claim_col, &next, &next_null));
}
