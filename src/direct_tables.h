/*-------------------------------------------------------------------------
 *
 * direct_tables.h
 *	  The tables the store step writes directly (store_direct.c): whether
 *	  that applies to them, and the row primitives it uses (a primary-key
 *	  probe, a row lock, an insert, an update in the row's newest version).
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_DIRECT_TABLES_H
#define TIKTRACK_DIRECT_TABLES_H

#include "access/genam.h"
#include "access/relscan.h"
#include "executor/executor.h"
#include "nodes/lockoptions.h"
#include "utils/relcache.h"
#include "utils/snapshot.h"
#include "utils/timestamp.h"

/*
 * tiktrack.direct_access: off keeps the claim (claim_direct.c) and the
 * store step (store_direct.c) on their statements.
 */
extern bool tiktrack_direct_access;

/* The tables, in the order of the executor's range table. */
typedef enum DirectTableId
{
	T_VIDEOS,
	T_SNAPSHOTS,
	T_LATEST,
	T_SCHEDULE,
	NTABLES
} DirectTableId;

/*
 * The columns read or written, by table: snapshots, latest_snapshots and
 * video_schedule must have exactly theirs; of videos only these are named.
 */
typedef enum DirectColumn
{
	/* snapshots, and latest_snapshots with snapshot_count */
	C_VIDEO_ID, C_CAPTURED_AT, C_VIEWS, C_LIKES, C_COMMENTS, C_SHARES, C_SAVES,
	C_REACH, C_COMPLETION, C_AVG_WATCH, C_TOTAL_WATCH, C_SOURCE, C_COUNT,
	/* video_schedule (C_VIDEO_ID too) */
	C_NEXT_FETCH, C_LAST_FETCHED, C_CREATOR_ID, C_CLAIM_AT,
	/* videos (only these are read or written; a good answer's metadata) */
	C_ID, C_STATE, C_CAPTION, C_POSTED_AT, C_DURATION, C_KIND, C_FAILURES,
	C_MISSING, C_LAST_ERROR, C_LAST_ERROR_AT,
	NCOLUMNS
} DirectColumn;

/* The columns of a snapshot, in snapshots and latest_snapshots, as an x-macro. */
#define SNAPSHOT_COLUMNS(x) \
	x(C_VIDEO_ID) x(C_CAPTURED_AT) x(C_VIEWS) x(C_LIKES) x(C_COMMENTS) x(C_SHARES) \
	x(C_SAVES) x(C_REACH) x(C_COMPLETION) x(C_AVG_WATCH) x(C_TOTAL_WATCH) x(C_SOURCE)

typedef struct DirectTable
{
	const char *name;
	Relation	rel;
	Relation	pkey;			/* primary key: (video_id [, captured_at]) or (id) */
	ResultRelInfo *rri;			/* its indexes, constraints, generated columns */
	AttrNumber	attnum[NCOLUMNS];	/* InvalidAttrNumber: not a column of it */
	TupleTableSlot *slot;		/* the row found */
	TupleTableSlot *newslot;	/* the row written */
	IndexScanDesc scan;			/* primary key probes, under the step's snapshot */
	BlockNumber nblocks;		/* its size when the step began */
} DirectTable;

/* The four tables, opened for a store step. */
typedef struct DirectTables
{
	EState	   *estate;
	DirectTable t[NTABLES];
	Snapshot	snapshot;		/* of the current step, registered */
	bool		videos_writable;	/* videos' rows may be written, not only locked */
} DirectTables;

/*
 * Opens the tables; false (all closed again) when the direct path does not
 * apply to them: see direct_tables.c.
 */
extern bool direct_tables_open(DirectTables *dt);
extern void direct_tables_close(DirectTables *dt);

/*
 * A step reads under a new snapshot that sees what the statements before
 * it wrote; between begin and end, rows are found by primary key.
 */
extern void direct_tables_begin_step(DirectTables *dt);
extern void direct_tables_end_step(DirectTables *dt);

/* The row of t whose key is id (and at, for snapshots), into t->slot. */
extern bool direct_find_row(DirectTable *t, int64 id, const TimestampTz *at);

/*
 * The same for t's row keyed id (key: C_ID or C_VIDEO_ID), looked for
 * first at tid, where the caller saw it in an earlier transaction.
 */
extern bool direct_find_row_at(DirectTables *dt, DirectTable *t, ItemPointer tid,
							   DirectColumn key, int64 id);

/* Locks t->slot's row in its newest version (into t->slot); false if gone. */
extern bool direct_lock_found_row(DirectTables *dt, DirectTable *t, LockTupleMode mode);

/* Building rows: from values by column, or as a copy of t->slot's row. */
extern void direct_fill_slot(DirectTable *t, TupleTableSlot *slot, const Datum *values,
							 const bool *has);
extern void direct_copy_found_row(DirectTable *t);
extern void direct_set_column(DirectTable *t, DirectColumn c, bool has, Datum value);
extern Datum direct_found_value(DirectTable *t, DirectColumn c, bool *isnull);

/* Inserts a row: constraints checked, index entries made. */
extern void direct_insert_row(DirectTables *dt, DirectTable *t, TupleTableSlot *slot);

/*
 * Builds t->newslot from t->slot's row; false when nothing would change.
 */
typedef bool (*DirectMakeRow) (DirectTable *t, void *arg);

/*
 * Replaces t->slot's row by what make_row() builds, in the row's newest
 * version; false when the row is gone.
 */
extern bool direct_update_row(DirectTables *dt, DirectTable *t, DirectMakeRow make_row,
							  void *arg);

#endif							/* TIKTRACK_DIRECT_TABLES_H */
