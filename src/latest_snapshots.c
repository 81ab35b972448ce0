/*-------------------------------------------------------------------------
 *
 * latest_snapshots.c
 *	  Keeps tiktrack.latest_snapshots, the latest snapshot of every video,
 *	  so that KPIs over many posts never walk a post's history.
 *
 * Two writers, one rule.  The store step (snapshot_store.c) writes its
 * batch's snapshots and their latest_snapshots rows in one statement,
 * set-based from the batch's arrays (an INSERT ... RETURNING feeding the
 * upsert), running as the store step (store_step_run()), for which the
 * row trigger's WHEN (NOT tiktrack.store_step_running()) does not fire:
 * no transition table, and a write path that does not depend on a
 * trigger (what a distributed table needs).  Any other INSERT INTO
 * tiktrack.snapshots -- manual entries, imports, README's examples, a
 * restore -- fires the row trigger below, which folds each new row in as
 * the store step does.  (0.1.0's statement trigger function stays for
 * databases not updated yet.)
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/rel.h"

#include "latest_snapshots.h"

PG_FUNCTION_INFO_V1(tiktrack_snapshots_keep_latest);
PG_FUNCTION_INFO_V1(tiktrack_snapshots_keep_latest_row);
PG_FUNCTION_INFO_V1(tiktrack_store_step_running);

/* Set while the store step's own statement runs. */
static bool store_keeps_latest = false;

/* The fold of new rows into latest_snapshots, as the store step does it. */
#define KEEP_LATEST_SQL \
	"INSERT INTO tiktrack.latest_snapshots AS l (" LATEST_SNAPSHOTS_COLUMNS ")" \
	" SELECT DISTINCT ON (n.video_id)" \
	"  n.video_id, n.captured_at, n.views, n.likes, n.comments, n.shares, n.saves, n.reach," \
	"  n.completion_rate, n.avg_watch_time_s, n.total_watch_time_s, n.source," \
	"  pg_catalog.count(*) OVER (PARTITION BY n.video_id)" \
	" FROM new_rows n" \
	" ORDER BY n.video_id, n.captured_at DESC" \
	LATEST_SNAPSHOTS_UPSERT

/*
 * Trigger function (AFTER INSERT ... FOR EACH STATEMENT, transition table
 * new_rows): folds the new snapshots into latest_snapshots, unless the
 * store step's own statement already did.
 */
Datum
tiktrack_snapshots_keep_latest(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || trigdata->tg_newtable == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("tiktrack.snapshots_keep_latest() must be an AFTER INSERT statement trigger with a NEW TABLE")));
	if (store_keeps_latest)
		return PointerGetDatum(NULL);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_register_trigger_data(trigdata) != SPI_OK_TD_REGISTER)
		elog(ERROR, "could not register the new snapshots");
	if (SPI_execute(KEEP_LATEST_SQL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not update tiktrack.latest_snapshots");
	SPI_finish();
	return PointerGetDatum(NULL);
}

/* The columns of a snapshot, in LATEST_SNAPSHOTS_COLUMNS order. */
static const char *const snapshot_columns[] = {
	"video_id", "captured_at", "views", "likes", "comments", "shares", "saves", "reach",
	"completion_rate", "avg_watch_time_s", "total_watch_time_s", "source"
};
#define NSNAPSHOT_COLUMNS lengthof(snapshot_columns)

/*
 * Trigger function of 0.2.0 (AFTER INSERT ... FOR EACH ROW, WHEN NOT
 * tiktrack.store_step_running()): folds one new snapshot into
 * latest_snapshots.  A row trigger needs no transition table, which the
 * store step's statements would capture for nothing (and which a
 * distributed table cannot have); the store step writes latest_snapshots
 * itself, and the trigger's WHEN keeps it from firing there at all.  The
 * upsert's plan is prepared once per session.
 */
Datum
tiktrack_snapshots_keep_latest_row(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	Datum		values[NSNAPSHOT_COLUMNS];
	char		nulls[NSNAPSHOT_COLUMNS];
	int			i;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("tiktrack.snapshots_keep_latest() must be an AFTER INSERT row trigger")));
	desc = RelationGetDescr(trigdata->tg_relation);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (plan == NULL)
	{
		Oid			types[NSNAPSHOT_COLUMNS];
		SPIPlanPtr	p;

		for (i = 0; i < (int) NSNAPSHOT_COLUMNS; i++)
		{
			int			attnum = SPI_fnumber(desc, snapshot_columns[i]);

			if (attnum <= 0)
				elog(ERROR, "tiktrack.snapshots has no column %s", snapshot_columns[i]);
			types[i] = SPI_gettypeid(desc, attnum);
		}
		p = SPI_prepare("INSERT INTO tiktrack.latest_snapshots AS l (" LATEST_SNAPSHOTS_COLUMNS ")"
						" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1)"
						LATEST_SNAPSHOTS_UPSERT,
						NSNAPSHOT_COLUMNS, types);
		if (p == NULL || SPI_keepplan(p) != 0)
			elog(ERROR, "could not prepare the update of tiktrack.latest_snapshots");
		plan = p;
	}
	for (i = 0; i < (int) NSNAPSHOT_COLUMNS; i++)
	{
		bool		isnull;

		values[i] = SPI_getbinval(trigdata->tg_trigtuple, desc,
								  SPI_fnumber(desc, snapshot_columns[i]), &isnull);
		nulls[i] = isnull ? 'n' : ' ';
	}
	if (SPI_execute_plan(plan, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not update tiktrack.latest_snapshots");
	SPI_finish();
	return PointerGetDatum(NULL);
}

/*
 * tiktrack.store_step_running(): true while the store step's own
 * statements run, for the WHEN of the triggers on tiktrack.snapshots that
 * the store step does the work of.
 */
Datum
tiktrack_store_step_running(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(store_keeps_latest);
}

void
store_step_run(void (*step) (void *), void *arg)
{
	bool		was = store_keeps_latest;

	store_keeps_latest = true;
	PG_TRY();
	{
		step(arg);
	}
	PG_FINALLY();
	{
		store_keeps_latest = was;
	}
	PG_END_TRY();
}
