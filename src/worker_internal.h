/*-------------------------------------------------------------------------
 *
 * worker_internal.h
 *	  What the parts of the background worker share: worker.c (the loop,
 *	  process state, maintenance), worker_videos.c and worker_video_store.c
 *	  (a round over videos, worker_videos.h), worker_creators.c (a round
 *	  over creators, worker_creators.h) and worker_settings.c.
 *	  Not for the rest of the extension (worker.h is its interface).
 *
 * The only mutable state shared between the files is the batch memory
 * context and the batch in flight (for wiping after an error); every
 * other piece of state belongs to one file.  Non-static names start with
 * worker_ so they cannot be taken for a symbol of the server or of
 * another library.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_WORKER_INTERNAL_H
#define TIKTRACK_WORKER_INTERNAL_H

#include "datatype/timestamp.h"
#include "utils/palloc.h"

#include "fetch.h"
#include "schedule.h"
#include "shmem.h"

/* ---- shared state (worker.c) ---- */

/* Reset after every round; holds the claims and the batch of one round. */
extern MemoryContext worker_batch_cxt;

/* The batch whose secrets are in memory, wiped by the error recovery. */
extern FetchBatch *worker_current_batch;

/* ---- units of work, SPI, arrays (worker.c) ---- */

extern void worker_set_state(TiktrackWorkerState state, const char *activity);
extern void worker_begin_unit(TiktrackWorkerState state, const char *activity);
extern void worker_end_unit(void);
extern void worker_spi_connect(void);
extern int	worker_spi_exec(const char *sql, int nargs, Oid *types, Datum *values,
							const char *nulls, int expected);
extern Datum worker_timestamptz_array(const TimestampTz *values, int n);
extern void worker_claim_without_wal_flush(void);

/* ---- scheduling (worker.c, worker_settings.c) ---- */

extern ScheduleSettings worker_schedule_settings(void);
extern void worker_new_jitter_seed(void);
extern double worker_creator_jitter(int64 creator_id);

/* ---- the fetch (worker.c) ---- */

extern void worker_run_execute(FetchBatch *batch, const char *what, int n);

#endif							/* TIKTRACK_WORKER_INTERNAL_H */
