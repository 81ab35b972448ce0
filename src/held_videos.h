/*-------------------------------------------------------------------------
 *
 * held_videos.h
 *	  The background worker's queue of the videos it holds (due_queue.c in
 *	  a memory context), and the trigger that hands a video written by
 *	  anyone else back to video_schedule's due indexes.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_HELD_VIDEOS_H
#define TIKTRACK_HELD_VIDEOS_H

#include "access/tableam.h"
#include "storage/itemptr.h"
#include "utils/rel.h"
#include "utils/snapshot.h"
#include "utils/timestamp.h"

#include "due_queue.h"

/*
 * Whether this process's store step writes the schedule rows it stores for
 * its own queue: only the background worker's, once its queue is loaded.
 */
extern bool held_videos_active(void);

/*
 * Makes sure the queue holds every video of schedule (not a Citus table)
 * whose row says so (claim_at NULL, next_fetch_at set), reading the table
 * under snapshot when the queue is new, was built for another relation, or
 * is older than the rebuild interval and no entry is out.
 */
extern void held_videos_load(Relation schedule, Snapshot snapshot, AttrNumber next_col,
							 AttrNumber creator_col, AttrNumber claim_col, AttrNumber id_col);

/*
 * Entries taken out for a claim (due_queue.h): each is then claimed, put
 * back (not claimed after all, or corrected from its row) or dropped
 * (stale: its row no longer holds it).
 */
extern int	held_videos_take_due(TimestampTz now, int max, DueEntry *out);
extern int	held_videos_take_creator(int64 creator_id, TimestampTz after, TimestampTz upto,
									 int max, DueEntry *out);
extern void held_videos_put(const DueEntry *e);

/*
 * A claimed entry: it goes back at the end of the round unless the store
 * step held the video anew meanwhile.
 */
extern void held_videos_claimed(const DueEntry *e);

/* A video whose schedule row the store step wrote for the queue (committed). */
extern void held_videos_hold(int64 video_id, int64 creator_id, TimestampTz due,
							 ItemPointer tid);

/* The round is over: the entries claimed and not held anew go back. */
extern void held_videos_round_end(void);

/* The round failed: the same, and the queue is rebuilt at the next claim. */
extern void held_videos_round_aborted(void);

/* The earliest due time held (false: none). */
extern bool held_videos_earliest(TimestampTz *due);

/* The number of videos held. */
extern int64 held_videos_count(void);

/*
 * The worker claims by statement (no direct path): the videos held in the
 * table go back to the due indexes once, and the queue is dropped.
 */
extern void held_videos_hand_back(void);

/* A tag for a TID and back. */
extern uint64 held_videos_tid_tag(ItemPointer tid);
extern void held_videos_tag_tid(uint64 tag, ItemPointer tid);

#endif							/* TIKTRACK_HELD_VIDEOS_H */
