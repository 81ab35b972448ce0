/*-------------------------------------------------------------------------
 *
 * shmem.h
 *	  The small piece of shared memory through which backends reach the
 *	  background worker (to wake it) and read its counters.
 *
 * Only plain values live here: never a pointer to process-local memory,
 * a file descriptor or a curl handle.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_SHMEM_H
#define TIKTRACK_SHMEM_H

#include "storage/latch.h"
#include "storage/lwlock.h"

typedef struct TiktrackShared
{
	LWLock	   *lock;
	/* Set by the worker while it runs; the latch is its PGPROC's. */
	pid_t		worker_pid;
	Latch	   *worker_latch;
} TiktrackShared;

extern TiktrackShared *tiktrack_shared;

extern void tiktrack_shmem_install_hooks(void);
extern bool tiktrack_shmem_available(void);
extern void tiktrack_wake_worker(void);

#endif							/* TIKTRACK_SHMEM_H */
