/*-------------------------------------------------------------------------
 *
 * store_direct.h
 *	  The store step's per-video rows of a good answer (the snapshot, its
 *	  latest_snapshots row, the schedule) written with the executor's row
 *	  primitives, as COPY and logical replication's apply do, instead of
 *	  planned statements; see store_direct.c for when this applies.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_STORE_DIRECT_H
#define TIKTRACK_STORE_DIRECT_H

#include "fetch.h"

typedef struct DirectStore DirectStore;

/*
 * Opens the tables for the videos [lo, hi) of a batch, or returns NULL
 * when the direct path does not apply here (then the statements do it).
 */
extern DirectStore *direct_store_open(FetchBatch *b, int lo, int hi);

/*
 * The snapshot and latest_snapshots row of every good answer of the range,
 * each video's row locked FOR KEY SHARE (what its foreign key would take),
 * and its new metadata where that is all the answer changes in the row;
 * a video deleted since the fetch was prepared is skipped.
 */
extern void direct_store_snapshots(DirectStore *ds);

/*
 * Whether video i's row in videos was written above (a good answer that
 * changed only its metadata, or nothing), so the outcome statement leaves
 * it alone.
 */
extern bool direct_store_wrote_video(DirectStore *ds, int i);

/*
 * Whether video i's schedule is written by direct_store_schedules() (its
 * answer was good and its row locked above) rather than by the statement.
 */
extern bool direct_store_schedules_video(DirectStore *ds, int i);

/* The schedule of those videos: the next fetch and the time of this one. */
extern void direct_store_schedules(DirectStore *ds);

extern void direct_store_close(DirectStore *ds);

#endif							/* TIKTRACK_STORE_DIRECT_H */
