/*-------------------------------------------------------------------------
 *
 * citus_node.c
 *	  Whether this node is a Citus worker node.
 *
 * On a Citus cluster every node loads tiktrack (shared_preload_libraries
 * = 'citus,tiktrack') and CREATE EXTENSION tiktrack reaches every node,
 * so every node starts a tiktrack worker for the database.  Only the
 * coordinator's may fetch: it claims and stores through the distributed
 * tables, and a worker node fetching the same videos would spend the
 * same TikTok budget twice.  A node knows its role from Citus' catalog
 * pg_dist_local_group: group 0 is the coordinator (also a node not added
 * to a cluster yet), any other group a worker node.  The check runs every
 * round, so a node added to a cluster later stops fetching at its next
 * round.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "utils/snapmgr.h"

#include "citus_node.h"

/* Whether the last check found a worker node (to log the change once). */
static bool was_worker_node = false;

/* The group of this node, from Citus' catalog; 0 when it has no row. */
static int32
local_group_id(void)
{
	int32		group = 0;
	bool		isnull;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "tiktrack worker: SPI_connect failed");
	if (SPI_execute("SELECT groupid FROM pg_catalog.pg_dist_local_group", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "tiktrack worker: could not read pg_catalog.pg_dist_local_group");
	if (SPI_processed > 0)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			group = DatumGetInt32(d);
	}
	SPI_finish();
	return group;
}

bool
citus_node_is_worker(const char *database_name)
{
	bool		is_worker = false;
	int32		group = 0;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (OidIsValid(get_extension_oid("citus", true)))
	{
		group = local_group_id();
		is_worker = (group != 0);
	}
	PopActiveSnapshot();
	CommitTransactionCommand();

	if (is_worker && !was_worker_node)
		ereport(LOG,
				(errmsg("tiktrack worker idles: database \"%s\" is on Citus worker node (group %d); the coordinator fetches",
						database_name, group)));
	else if (!is_worker && was_worker_node)
		ereport(LOG,
				(errmsg("tiktrack worker resumes: database \"%s\" is no longer on a Citus worker node",
						database_name)));
	was_worker_node = is_worker;
	return is_worker;
}
