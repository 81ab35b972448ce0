/*-------------------------------------------------------------------------
 *
 * due_queue.h
 *	  The worker's own queue of the videos it holds: when each is due, in
 *	  the order the claim takes them, and by creator for the requests'
 *	  companions.
 *
 * Why: with the due order in video_schedule's indexes, every fetch changes
 * indexed columns, so the schedule row's update is never HOT and adds
 * three index entries; that was about a sixth of the worker's CPU per
 * snapshot in the ingest benchmark (test/bench/ingest.sh).  Videos the
 * worker holds here leave those indexes, and their reschedule becomes a
 * HOT update of columns no index carries.  The table stays the truth: the
 * queue is rebuilt from it when the worker starts, and the claim checks
 * each entry it takes against the row.
 *
 * Order: the oldest due first; ties by creator, then video id, so that the
 * videos of one creator due at the same moment come together (they share
 * requests) whatever the rows' physical order.
 *
 * Plain C99, no backend state: the caller passes the allocator, so the same
 * code runs in the worker (a memory context) and in the fuzz target
 * test/fuzz/fuzz_due_queue.c (malloc), which checks it against a naive
 * model.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_DUE_QUEUE_H
#define TIKTRACK_DUE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The creator_id of a video without a creator: its videos sort after
 * every creator's of the same time, as NULLs do in the creator index.
 */
#define DUE_NO_CREATOR INT64_MAX

/* One held video. */
typedef struct DueEntry
{
	int64_t		video_id;		/* the key: at most one entry per video */
	int64_t		creator_id;		/* DUE_NO_CREATOR when NULL */
	int64_t		due;			/* microseconds, as TimestampTz */
	uint64_t	tag;			/* the caller's (where the row was) */
} DueEntry;

/* Memory for the queue; alloc returns NULL when there is none. */
typedef struct DueQueueAllocator
{
	void	   *(*alloc) (void *ctx, size_t size);
	void		(*free) (void *ctx, void *p);
	void	   *ctx;
} DueQueueAllocator;

typedef struct DueQueue DueQueue;

/* An empty queue, or NULL without memory. */
extern DueQueue *due_queue_create(const DueQueueAllocator *a);
extern void due_queue_destroy(DueQueue *q);

/*
 * Holds e (replacing the entry of the same video).  False, with the queue
 * as it was, without memory.
 */
extern bool due_queue_put(DueQueue *q, const DueEntry *e);

/* Drops the video's entry; whether there was one (copied to old if given). */
extern bool due_queue_remove(DueQueue *q, int64_t video_id, DueEntry *old);

/* The video's entry, if held. */
extern bool due_queue_get(const DueQueue *q, int64_t video_id, DueEntry *out);

/*
 * Takes (removes and copies to out) the entries due at or before now, at
 * most max of them, oldest first (ties by creator, then video).
 */
extern int	due_queue_take_due(DueQueue *q, int64_t now, int max, DueEntry *out);

/*
 * Takes the creator's entries due after `after` and at or before upto, at
 * most max of them, earliest first (ties by video).  Entries of the
 * creator due at or before `after` stay.  -1, with the queue as it was,
 * without memory.
 */
extern int	due_queue_take_creator(DueQueue *q, int64_t creator_id, int64_t after,
								   int64_t upto, int max, DueEntry *out);

/* The earliest due time held; false when the queue is empty. */
extern bool due_queue_earliest(const DueQueue *q, int64_t *due);

extern size_t due_queue_size(const DueQueue *q);

#endif							/* TIKTRACK_DUE_QUEUE_H */
