/*-------------------------------------------------------------------------
 *
 * search_path.h
 *	  The search_path under which every statement tiktrack issues runs.
 *
 * Whoever's session runs them, the statements tiktrack sends through SPI
 * resolve only to pg_catalog and tiktrack objects: a role that can create
 * objects in a schema on someone's search_path (public, "$user") must not
 * get its look-alike unnest(), || or now() run by the superuser worker or
 * by a superuser calling tiktrack.refresh().  The background worker pins
 * its session's search_path once; the C functions called from SQL pin it
 * for their duration, as PostgreSQL's own maintenance code does
 * (NewGUCNestLevel, set_config_option with GUC_ACTION_SAVE,
 * AtEOXact_GUC).  The SQL text is schema-qualified as well.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_SEARCH_PATH_H
#define TIKTRACK_SEARCH_PATH_H

#include "fmgr.h"

#define TIKTRACK_SEARCH_PATH "pg_catalog, pg_temp"

/* The background worker: for the whole session, once connected. */
extern void search_path_pin_session(void);

/*
 * A SQL-callable C function: calls fn(fcinfo) with the search_path pinned
 * and restores the caller's afterwards (an ERROR restores it through the
 * (sub)transaction's abort).
 */
extern Datum search_path_call(PGFunction fn, FunctionCallInfo fcinfo);

#endif							/* TIKTRACK_SEARCH_PATH_H */
