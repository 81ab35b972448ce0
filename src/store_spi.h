/*-------------------------------------------------------------------------
 *
 * store_spi.h
 *	  Helpers shared by the parts of the store step (snapshot_store.c,
 *	  video_store.c): running a statement, building one array per column
 *	  for a set-based write, sending an event.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_STORE_SPI_H
#define TIKTRACK_STORE_SPI_H

#include "utils/array.h"

/* Runs a statement through SPI; anything but the expected result is an ERROR. */
extern void store_exec(const char *sql, int nargs, Oid *types, Datum *values,
					   const char *nulls, int expect);

/*
 * Text from TikTok in the database encoding (a character the encoding
 * lacks becomes '?'), as every text the store step writes.
 */
extern char *store_server_text(const char *s);

/* One column of a batch, as an array for unnest(). */
extern ArrayBuildState *store_column_new(Oid elemtype);
extern void store_column_add(ArrayBuildState *col, bool has, Datum value);
extern void store_column_add_text(ArrayBuildState *col, const char *s);
extern Datum store_column_array(ArrayBuildState *col);

/*
 * An event on channel tiktrack_events (the payloads of the triggers: the
 * event and ids only), unless tiktrack.events is off.
 */
extern void store_notify_event(const char *event, const char *id_key, int64 id,
							   bool has_creator, int64 creator_id);

#endif							/* TIKTRACK_STORE_SPI_H */
