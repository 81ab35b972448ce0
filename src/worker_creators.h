/*-------------------------------------------------------------------------
 *
 * worker_creators.h
 *	  One round of the background worker over authorized creators
 *	  (worker_creators.c).  Internal to the worker.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_WORKER_CREATORS_H
#define TIKTRACK_WORKER_CREATORS_H

extern int	worker_run_creator_round(void);

#endif							/* TIKTRACK_WORKER_CREATORS_H */
