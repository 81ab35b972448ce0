/*-------------------------------------------------------------------------
 *
 * launcher.c
 *	  The launcher: keeps one worker running in every database in which
 *	  tiktrack is installed (see launcher.h), and the process utility hook
 *	  that keeps those workers out of the way of DROP DATABASE and its
 *	  kin.
 *
 * The launcher's loop, on its latch:
 *
 *	1. reap: a worker that stopped either found no extension (look again
 *	   after 15 s up to 5 min, or when a session creates it) or failed
 *	   (start it again after a pause that doubles, from 1 s up to a
 *	   minute, while it keeps failing: never a crash loop);
 *	2. scan pg_database (every LAUNCHER_SCAN_S, and after a worker
 *	   failed, since its database may be gone): new databases are started
 *	   at once, dropped ones forgotten;
 *	3. start the workers that are due.
 *
 * Workers are dynamic background workers that are never restarted by the
 * postmaster: the launcher decides.  They notify the launcher when they
 * stop (bgw_notify_pid), and also set its latch when they detach from
 * their slot, which is how a new launcher (after pg_terminate_backend)
 * keeps track of the workers its predecessor started.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "fetch_budget.h"
#include "launcher.h"
#include "shmem.h"
#include "worker.h"

/* How often pg_database is read. */
#define LAUNCHER_SCAN_S 5
/*
 * How often a database without the extension is looked at again: after
 * 15 s, doubling to 5 min while it stays without.  Only a fallback: a
 * session that creates the extension asks the launcher at once.
 */
#define LAUNCHER_RECHECK_S 15
#define LAUNCHER_MAX_RECHECK_S 300
/* Pauses before restarting a failed worker: 1 s, doubling up to this. */
#define LAUNCHER_MAX_BACKOFF_S 60
/* A worker that ran this long had not been failing. */
#define LAUNCHER_HEALTHY_S 60
/* Longest a statement that needs a database to itself holds its worker off. */
#define DATABASE_HOLD_S 60

typedef enum LauncherDbState
{
	DB_NEW,						/* found in pg_database, not looked at yet */
	DB_RUNNING,					/* a worker runs (or is starting) there */
	DB_NO_EXTENSION,			/* no tiktrack there when last looked */
	DB_RESTARTING				/* its worker failed; started again later */
} LauncherDbState;

/* What the launcher knows about one database (key: its oid). */
typedef struct LauncherDb
{
	Oid			dboid;
	NameData	name;
	LauncherDbState state;
	bool		seen;			/* in the latest scan of pg_database */
	bool		gone;			/* dropped (or excluded): forget it once stopped */
	int			slot;			/* shared slot while it has one, else -1 */
	BackgroundWorkerHandle *handle; /* NULL for an adopted worker */
	pid_t		adopted_pid;
	TimestampTz started_at;
	TimestampTz stopped_at;
	TimestampTz next_start;
	int			failures;		/* consecutive */
	int			absent_checks;	/* consecutive looks without the extension */
	bool		start_failure_logged;
} LauncherDb;

static HTAB *databases = NULL;

static ProcessUtility_hook_type prev_process_utility_hook = NULL;

/* ---- registration ---- */

void
launcher_register(void)
{
	BackgroundWorker bgw;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = 10;
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, "tiktrack");
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "tiktrack_launcher_main");
	snprintf(bgw.bgw_name, BGW_MAXLEN, "tiktrack launcher");
	snprintf(bgw.bgw_type, BGW_MAXLEN, "tiktrack launcher");
	RegisterBackgroundWorker(&bgw);
}

int
launcher_worker_slot(void)
{
	int			slot;

	memcpy(&slot, MyBgworkerEntry->bgw_extra, sizeof(slot));
	return slot;
}

/* Registers the worker of db; false when no worker process is free. */
static bool
register_database_worker(LauncherDb *db)
{
	BackgroundWorker bgw;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, "tiktrack");
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "tiktrack_worker_main");
	snprintf(bgw.bgw_name, BGW_MAXLEN, "tiktrack worker for database %s", NameStr(db->name));
	snprintf(bgw.bgw_type, BGW_MAXLEN, "tiktrack worker");
	bgw.bgw_main_arg = ObjectIdGetDatum(db->dboid);
	memcpy(bgw.bgw_extra, &db->slot, sizeof(db->slot));
	bgw.bgw_notify_pid = MyProcPid;
	return RegisterDynamicBackgroundWorker(&bgw, &db->handle);
}

/* ---- pg_database ---- */

/* Whether the launcher serves this database at all. */
static bool
database_is_served(Form_pg_database form)
{
	/* Nobody can connect; and a worker in a template would block CREATE DATABASE. */
	if (!form->datallowconn || form->datistemplate || database_is_invalid_form(form))
		return false;
	return tiktrack_database == NULL || tiktrack_database[0] == '\0' ||
		strcmp(NameStr(form->datname), tiktrack_database) == 0;
}

/*
 * Reads pg_database (a shared catalog, readable without a database):
 * marks the databases still there and adds the new ones, due at once.
 */
static void
scan_databases(TimestampTz now)
{
	HASH_SEQ_STATUS seq;
	LauncherDb *db;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;

	hash_seq_init(&seq, databases);
	while ((db = hash_seq_search(&seq)) != NULL)
		db->seen = false;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	pgstat_report_activity(STATE_RUNNING, "reading pg_database");
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database form = (Form_pg_database) GETSTRUCT(tup);
		bool		found;

		if (!database_is_served(form))
			continue;
		db = hash_search(databases, &form->oid, HASH_ENTER, &found);
		if (!found)
		{
			memset(((char *) db) + sizeof(Oid), 0, sizeof(LauncherDb) - sizeof(Oid));
			db->state = DB_NEW;
			db->slot = -1;
			db->next_start = now;
		}
		db->name = form->datname;
		db->seen = true;
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);

	hash_seq_init(&seq, databases);
	while ((db = hash_seq_search(&seq)) != NULL)
	{
		if (db->seen || db->gone)
			continue;
		db->gone = true;
		if (db->state == DB_RUNNING && db->handle != NULL)
			TerminateBackgroundWorker(db->handle);
		else if (db->state == DB_RUNNING)
			tiktrack_terminate_database_worker(db->dboid);
	}
}

/*
 * Takes over the workers a previous launcher started (they outlive it):
 * those still attached to their database's slot.
 */
static void
adopt_running_workers(void)
{
	HASH_SEQ_STATUS seq;
	LauncherDb *db;

	hash_seq_init(&seq, databases);
	while ((db = hash_seq_search(&seq)) != NULL)
	{
		pid_t		pid;
		int			slot = tiktrack_slot_of_running_worker(db->dboid, &pid);

		if (slot < 0)
			continue;
		db->state = DB_RUNNING;
		db->slot = slot;
		db->handle = NULL;
		db->adopted_pid = pid;
		db->started_at = GetCurrentTimestamp();
	}
}

/* ---- workers stopping and starting ---- */

static bool
worker_stopped(LauncherDb *db)
{
	pid_t		pid;

	if (db->handle != NULL)
	{
		BgwHandleStatus status = GetBackgroundWorkerPid(db->handle, &pid);

		if (status == BGWH_POSTMASTER_DIED)
			proc_exit(1);
		return status == BGWH_STOPPED;
	}
	return tiktrack_slot_of_running_worker(db->dboid, &pid) < 0 || pid != db->adopted_pid;
}

static void
forget_slot(LauncherDb *db)
{
	if (db->slot >= 0)
		tiktrack_slot_release(db->slot);
	db->slot = -1;
}

/*
 * Decides what follows a worker's exit; true when it failed (its database
 * may have been dropped: read pg_database before starting it again).
 */
static bool
worker_exited(LauncherDb *db, TimestampTz now)
{
	pid_t		other_pid;
	int			other_slot;
	int64		backoff_s;

	if (db->handle != NULL)
	{
		pfree(db->handle);
		db->handle = NULL;
	}
	db->adopted_pid = 0;
	db->stopped_at = now;

	/* A worker of a previous launcher still runs there: keep that one. */
	other_slot = tiktrack_slot_of_running_worker(db->dboid, &other_pid);
	if (other_slot >= 0 && !db->gone)
	{
		db->slot = other_slot;
		db->adopted_pid = other_pid;
		return false;
	}

	if (db->gone)
	{
		forget_slot(db);
		hash_search(databases, &db->dboid, HASH_REMOVE, NULL);
		return false;
	}
	if (db->slot >= 0 && tiktrack_slot_exit_reason(db->slot) == TT_EXIT_NO_EXTENSION)
	{
		int64		recheck_s;

		forget_slot(db);
		db->state = DB_NO_EXTENSION;
		db->failures = 0;
		db->absent_checks++;
		recheck_s = Min((int64) LAUNCHER_RECHECK_S << Min(db->absent_checks - 1, 5),
						LAUNCHER_MAX_RECHECK_S);
		/* Created while that worker looked: look again soon, not later. */
		if (tiktrack_launcher_recheck_requested_at() >= db->started_at)
			recheck_s = 1;
		db->next_start = TimestampTzPlusMilliseconds(now, recheck_s * 1000);
		return false;
	}

	db->absent_checks = 0;
	if (TimestampDifferenceExceeds(db->started_at, now, LAUNCHER_HEALTHY_S * 1000))
		db->failures = 0;
	db->failures++;
	backoff_s = Min((int64) 1 << Min(db->failures - 1, 6), LAUNCHER_MAX_BACKOFF_S);
	db->state = DB_RESTARTING;
	db->next_start = TimestampTzPlusMilliseconds(now, backoff_s * 1000);
	if (db->failures >= 3)
		ereport(LOG,
				(errmsg("tiktrack launcher: the worker of database \"%s\" stopped %d times in a row; next start in " INT64_FORMAT " s",
						NameStr(db->name), db->failures, backoff_s)));
	return true;
}

/* Reaps the stopped workers; true if one of them failed. */
static bool
reap_stopped_workers(TimestampTz now)
{
	HASH_SEQ_STATUS seq;
	LauncherDb *db;
	bool		failed = false;
	bool		stopped = false;

	hash_seq_init(&seq, databases);
	while ((db = hash_seq_search(&seq)) != NULL)
	{
		if (db->state == DB_RUNNING && worker_stopped(db))
		{
			stopped = true;
			failed |= worker_exited(db, now);
		}
		else if (db->state != DB_RUNNING && db->gone)
		{
			forget_slot(db);
			hash_search(databases, &db->dboid, HASH_REMOVE, NULL);
		}
	}

	/* A worker process is free now: the databases that found none try again. */
	if (stopped)
	{
		hash_seq_init(&seq, databases);
		while ((db = hash_seq_search(&seq)) != NULL)
			if (db->state != DB_RUNNING && db->start_failure_logged)
				db->next_start = now;
	}
	return failed;
}

/* A session created the extension somewhere: look at every database now. */
static void
recheck_databases_without_worker(TimestampTz now)
{
	HASH_SEQ_STATUS seq;
	LauncherDb *db;

	hash_seq_init(&seq, databases);
	while ((db = hash_seq_search(&seq)) != NULL)
	{
		/* at most once a second, however often sessions ask */
		if (db->state == DB_NO_EXTENSION)
			db->next_start = Min(db->next_start,
								 TimestampTzPlusMilliseconds(db->stopped_at, 1000));
	}
}

static void
start_worker(LauncherDb *db, TimestampTz now)
{
	db->slot = tiktrack_slot_assign(db->dboid);
	if (db->slot >= 0 && register_database_worker(db))
	{
		db->state = DB_RUNNING;
		db->started_at = now;
		db->start_failure_logged = false;
		return;
	}
	db->handle = NULL;
	if (!db->start_failure_logged)
		ereport(WARNING,
				(errmsg("tiktrack launcher: could not start a worker for database \"%s\"",
						NameStr(db->name)),
				 errdetail("All %d background worker processes are in use.", max_worker_processes),
				 errhint("Raise max_worker_processes (each database with tiktrack needs one).")));
	db->start_failure_logged = true;
	forget_slot(db);
	db->next_start = TimestampTzPlusMilliseconds(now, LAUNCHER_RECHECK_S * 1000);
}

/*
 * Starts the workers that are due, unless a session holds their database;
 * returns when the next one is due.
 */
static TimestampTz
start_due_workers(TimestampTz now)
{
	HASH_SEQ_STATUS seq;
	LauncherDb *db;
	TimestampTz next = DT_NOEND;

	hash_seq_init(&seq, databases);
	while ((db = hash_seq_search(&seq)) != NULL)
	{
		TimestampTz held_until;

		if (db->state == DB_RUNNING || db->gone)
			continue;
		held_until = tiktrack_database_held_until(db->dboid);
		if (held_until > db->next_start)
			db->next_start = held_until;
		if (db->next_start <= now)
			start_worker(db, now);
		if (db->state != DB_RUNNING && db->next_start < next)
			next = db->next_start;
	}
	return next;
}

/* ---- the loop ---- */

static long
ms_until(TimestampTz now, TimestampTz when)
{
	if (when <= now)
		return 0;
	return (long) Min((when - now + 999) / 1000, (int64) LAUNCHER_SCAN_S * 1000);
}

void
tiktrack_launcher_main(Datum main_arg)
{
	HASHCTL		ctl;
	TimestampTz next_scan;
	TimestampTz recheck_seen = 0;
	TimestampTz recheck_at;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	/* No database: the shared catalogs are all the launcher reads. */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("tiktrack launcher");
	tiktrack_launcher_attach(MyLatch);
	on_shmem_exit(tiktrack_launcher_detach, (Datum) 0);
	/* The budget of the TikTok apps, shared by every database. */
	fetch_budget_configure();

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(LauncherDb);
	databases = hash_create("tiktrack launcher databases", 16, &ctl, HASH_ELEM | HASH_BLOBS);

	ereport(LOG, (errmsg("tiktrack launcher started")));
	scan_databases(GetCurrentTimestamp());
	adopt_running_workers();
	next_scan = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), LAUNCHER_SCAN_S * 1000);

	for (;;)
	{
		TimestampTz now;
		TimestampTz next_start;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			fetch_budget_configure();
		}

		now = GetCurrentTimestamp();
		/* Created in a database we may not have read yet: read them now. */
		recheck_at = tiktrack_launcher_recheck_requested_at();
		if (recheck_at > recheck_seen)
		{
			recheck_seen = recheck_at;
			recheck_databases_without_worker(now);
			next_scan = now;
		}
		if (reap_stopped_workers(now))
			next_scan = now;
		if (now >= next_scan)
		{
			scan_databases(now);
			(void) reap_stopped_workers(now);
			next_scan = TimestampTzPlusMilliseconds(now, LAUNCHER_SCAN_S * 1000);
		}
		next_start = start_due_workers(now);

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Min(ms_until(now, next_scan), ms_until(now, next_start)),
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* ---- statements that need a database to themselves ---- */

static const char *
option_string(List *options, const char *name)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *opt = lfirst_node(DefElem, lc);

		if (strcmp(opt->defname, name) == 0 && opt->arg != NULL)
			return defGetString(opt);
	}
	return NULL;
}

/*
 * The database that stmt needs without other sessions (DROP DATABASE,
 * CREATE DATABASE's template, ALTER DATABASE RENAME or SET TABLESPACE),
 * if the user may do that to it; else InvalidOid.
 */
static Oid
database_needing_exclusive_access(Node *stmt)
{
	const char *name = NULL;
	Oid			dboid;

	if (IsA(stmt, DropdbStmt))
		name = ((DropdbStmt *) stmt)->dbname;
	else if (IsA(stmt, CreatedbStmt))
	{
		name = option_string(((CreatedbStmt *) stmt)->options, "template");
		if (name == NULL)
			name = "template1";
	}
	else if (IsA(stmt, RenameStmt) && ((RenameStmt *) stmt)->renameType == OBJECT_DATABASE)
		name = ((RenameStmt *) stmt)->subname;
	else if (IsA(stmt, AlterDatabaseStmt) &&
			 option_string(((AlterDatabaseStmt *) stmt)->options, "tablespace") != NULL)
		name = ((AlterDatabaseStmt *) stmt)->dbname;
	if (name == NULL)
		return InvalidOid;

	dboid = get_database_oid(name, true);
	/* Nobody else may stop our worker (the statement would fail anyway). */
	if (!OidIsValid(dboid) || !pg_database_ownercheck(dboid, GetUserId()))
		return InvalidOid;
	return dboid;
}

/* DROP EXTENSION tiktrack: its worker should notice at commit, not later. */
static bool
drops_tiktrack(Node *stmt)
{
	ListCell   *lc;

	if (!IsA(stmt, DropStmt) || ((DropStmt *) stmt)->removeType != OBJECT_EXTENSION)
		return false;
	foreach(lc, ((DropStmt *) stmt)->objects)
		if (IsA(lfirst(lc), String) && strcmp(strVal(lfirst(lc)), "tiktrack") == 0)
			return true;
	return false;
}

/* Holds the launcher off dboid and stops the worker there, if any. */
static void
clear_database_of_worker(Oid dboid)
{
	tiktrack_hold_database(dboid, TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
															   DATABASE_HOLD_S * 1000));
	/* Same as DROP DATABASE ... WITH (FORCE) does; the worker loses nothing. */
	tiktrack_terminate_database_worker(dboid);
}

static void
tiktrack_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
						 ProcessUtilityContext context, ParamListInfo params,
						 QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *stmt = pstmt->utilityStmt;
	volatile Oid dboid = database_needing_exclusive_access(stmt);

	if (OidIsValid(dboid))
		clear_database_of_worker(dboid);
	if (drops_tiktrack(stmt))
		tiktrack_wake_worker_at_commit();

	PG_TRY();
	{
		if (prev_process_utility_hook)
			prev_process_utility_hook(pstmt, queryString, readOnlyTree, context, params,
									  queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
									queryEnv, dest, qc);
	}
	PG_CATCH();
	{
		if (OidIsValid(dboid))
			tiktrack_release_hold(dboid);
		PG_RE_THROW();
	}
	PG_END_TRY();

	/* A dropped database stays held until the launcher sees it gone. */
	if (OidIsValid(dboid) && !IsA(stmt, DropdbStmt))
		tiktrack_release_hold(dboid);
}

void
launcher_install_hooks(void)
{
	prev_process_utility_hook = ProcessUtility_hook;
	ProcessUtility_hook = tiktrack_process_utility;
}
