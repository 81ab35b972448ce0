/*-------------------------------------------------------------------------
 *
 * snapshot_store.h
 *	  The store step of a fetch (declared in fetch.h): snapshots, video and
 *	  creator state, creator stats, token rotations, fetch_log rows.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_SNAPSHOT_STORE_H
#define TIKTRACK_SNAPSHOT_STORE_H

#include "fetch.h"

/*
 * Stores new tokens for a creator (sealed) and marks them authorized via
 * api; used by the OAuth functions.  Requires SPI to be connected.
 */
extern bool store_schema_has_schedule(void);
extern void store_tokens_spi(int64 creator_id, FetchApi api,
							 const char *access_token, const char *refresh_token,
							 TimestampTz access_expires_at,
							 TimestampTz refresh_expires_at, const char *scope);

#endif							/* TIKTRACK_SNAPSHOT_STORE_H */
