/*-------------------------------------------------------------------------
 *
 * latest_snapshots.h
 *	  tiktrack.latest_snapshots, the latest snapshot of every video: kept
 *	  by the store step itself for its batches, by a trigger for any other
 *	  INSERT INTO tiktrack.snapshots.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_LATEST_SNAPSHOTS_H
#define TIKTRACK_LATEST_SNAPSHOTS_H

/* The columns of an INSERT INTO tiktrack.latest_snapshots. */
#define LATEST_SNAPSHOTS_COLUMNS \
	"video_id, captured_at, views, likes, comments, shares, saves, reach," \
	" completion_rate, avg_watch_time_s, total_watch_time_s, source, snapshot_count"

/*
 * The ON CONFLICT clause of that INSERT (table alias l): counts the new
 * snapshots, and takes the new values when they are the latest.
 */
#define LATEST_IF_NEWER(col) \
	"  " col " = CASE WHEN excluded.captured_at > l.captured_at THEN excluded." col " ELSE l." col " END"
#define LATEST_SNAPSHOTS_UPSERT \
	" ON CONFLICT (video_id) DO UPDATE SET" \
	"  snapshot_count = l.snapshot_count + excluded.snapshot_count," \
	LATEST_IF_NEWER("views") "," LATEST_IF_NEWER("likes") "," \
	LATEST_IF_NEWER("comments") "," LATEST_IF_NEWER("shares") "," \
	LATEST_IF_NEWER("saves") "," LATEST_IF_NEWER("reach") "," \
	LATEST_IF_NEWER("completion_rate") "," LATEST_IF_NEWER("avg_watch_time_s") "," \
	LATEST_IF_NEWER("total_watch_time_s") "," LATEST_IF_NEWER("source") "," \
	LATEST_IF_NEWER("captured_at")

/*
 * Runs step(arg) as the store step: tiktrack.store_step_running() is true
 * meanwhile, so the triggers whose work the store step does itself
 * (latest_snapshots, early traction, the state events) stand aside.
 */
extern void store_step_run(void (*step) (void *), void *arg);

#endif							/* TIKTRACK_LATEST_SNAPSHOTS_H */
