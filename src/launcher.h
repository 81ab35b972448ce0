/*-------------------------------------------------------------------------
 *
 * launcher.h
 *	  The launcher: one background worker per server that finds the
 *	  databases in which tiktrack is installed and keeps one worker
 *	  (worker.c) running in each of them.
 *
 * The launcher is connected to no database: it reads the shared catalog
 * pg_database only.  Whether a database has the extension only a process
 * connected to it can tell, so the launcher starts a worker in every
 * database it does not know yet; a worker that finds no extension exits
 * at once, quietly, saying so in its slot (shmem.h), and the launcher
 * looks again after a while (15 s, doubling up to 5 min), or at once when
 * a session of that database creates the extension (its install script wakes the worker of
 * its database, which without a worker asks the launcher).
 *
 * A process utility hook in every session keeps the workers out of the
 * way of the statements that need a database to themselves (DROP
 * DATABASE, CREATE DATABASE ... TEMPLATE, ALTER DATABASE ... RENAME or
 * SET TABLESPACE): it stops the worker there and holds the launcher off
 * until the statement is over; DROP EXTENSION tiktrack wakes the worker
 * at commit so that it sees the extension gone and exits.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_LAUNCHER_H
#define TIKTRACK_LAUNCHER_H

#include "fmgr.h"

/* Called from _PG_init() while preloading. */
extern void launcher_register(void);
extern void launcher_install_hooks(void);

/*
 * In a database's worker: the shared slot the launcher assigned to its
 * database (passed in bgw_extra; the database's oid is bgw_main_arg).
 */
extern int	launcher_worker_slot(void);

extern PGDLLEXPORT void tiktrack_launcher_main(Datum main_arg);

#endif							/* TIKTRACK_LAUNCHER_H */
