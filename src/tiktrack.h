/*-------------------------------------------------------------------------
 *
 * tiktrack.h
 *	  Settings and module-wide declarations of the tiktrack extension.
 *
 * Each concern keeps its own settings next to its code and defines them
 * from a *_define_gucs() function that _PG_init() calls; this header only
 * gathers those entry points.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_H
#define TIKTRACK_H

/* Settings that several modules read. */
extern bool tiktrack_worker_enabled;

extern void _PG_init(void);

#endif							/* TIKTRACK_H */
