/*-------------------------------------------------------------------------
 *
 * fetch_prepare.c
 *	  Step 1 of a fetch (fetch.h): the batch's videos or creators with
 *	  their credentials, read in the caller's transaction.
 *
 * The videos come either by id (fetch_prepare_videos: refresh(), which
 * reads their rows here) or as the caller read them already
 * (fetch_prepare_known_videos: the worker, whose claim reads the same
 * rows); either way the credentials are read here, once per creator, and
 * the tokens unsealed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "fetch.h"
#include "keyed_plan.h"
#include "token_seal.h"

/* ------------------------------------------------------------------------
 * prepare
 * ------------------------------------------------------------------------
 */

#define CRED_COLUMNS \
	"c.id, c.handle, c.auth_status, c.open_id, c.business_id, " \
	"t.api, t.access_token, t.refresh_token, t.access_expires_at, t.refresh_expires_at"

static char *
getstr(HeapTuple tup, TupleDesc desc, int col)
{
	return SPI_getvalue(tup, desc, col);
}

static Datum
getdatum(HeapTuple tup, TupleDesc desc, int col, bool *isnull)
{
	return SPI_getbinval(tup, desc, col, isnull);
}

/*
 * Credentials from the columns CRED_COLUMNS starting at column first;
 * NULL when the creator has no usable authorization.
 */
static FetchCredentials *
cred_from_row(FetchBatch *b, HeapTuple tup, TupleDesc desc, int first)
{
	bool		isnull;
	int64		creator_id;
	char	   *api;
	FetchCredentials *c;
	int			i;
	Datum		d;

	d = getdatum(tup, desc, first, &isnull);
	if (isnull)
		return NULL;
	creator_id = DatumGetInt64(d);
	for (i = 0; i < b->ncreds; i++)
		if (b->creds[i]->creator_id == creator_id)
			return b->creds[i];

	c = palloc0(sizeof(FetchCredentials));
	c->creator_id = creator_id;
	c->handle = getstr(tup, desc, first + 1);
	api = getstr(tup, desc, first + 5);
	c->open_id = getstr(tup, desc, first + 3);
	c->business_id = getstr(tup, desc, first + 4);
	c->api = fetch_api_from_name(api);
	if (c->api != FETCH_API_NONE)
	{
		bool		sealed_refresh;

		c->access_token = token_unseal_or_null(DatumGetByteaPP(getdatum(tup, desc, first + 6, &isnull)),
											   "access_token");
		d = getdatum(tup, desc, first + 7, &isnull);
		sealed_refresh = !isnull;
		if (sealed_refresh)
			c->refresh_token = token_unseal_or_null(DatumGetByteaPP(d), "refresh_token");
		if (c->access_token == NULL || (sealed_refresh && c->refresh_token == NULL))
		{
			/* this creator's tokens are unusable; the others' are fine */
			if (c->access_token)
				explicit_bzero(c->access_token, strlen(c->access_token));
			c->access_token = NULL;
			c->refresh_token = NULL;
			c->reauth_needed = true;
			c->reauth_reason = psprintf("the stored tokens of @%s cannot be unsealed (sealed under another key or altered)",
										c->handle);
		}
		c->access_expires_at = DatumGetTimestampTz(getdatum(tup, desc, first + 8, &isnull));
		d = getdatum(tup, desc, first + 9, &isnull);
		c->refresh_expires_at = isnull ? 0 : DatumGetTimestampTz(d);
	}
	else if (strcmp(getstr(tup, desc, first + 2), "authorized") == 0)
	{
		/*
		 * Authorized, yet no tokens: restored from a dump (tokens are never
		 * dumped) without the trigger that says so, or deleted by hand.  The
		 * creator must authorize again; fetch_store() records it.
		 */
		c->reauth_needed = true;
		c->reauth_reason = psprintf(FETCH_TOKENS_MISSING_FMT, c->handle);
	}
	if (b->ncreds % 16 == 0)
	{
		if (b->creds)
			b->creds = repalloc(b->creds, sizeof(FetchCredentials *) * (b->ncreds + 16));
		else
			b->creds = palloc(sizeof(FetchCredentials *) * 16);
	}
	b->creds[b->ncreds++] = c;
	return c;
}

/* The videos row's columns FETCH_STORED_COLUMNS from column first. */
void
fetch_stored_from_row(FetchStoredVideo *o, HeapTuple tup, TupleDesc desc, int first)
{
	bool		isnull;
	Datum		d;

	o->known = true;
	o->fetch_failures = DatumGetInt32(getdatum(tup, desc, first, &isnull));
	o->missing_count = DatumGetInt32(getdatum(tup, desc, first + 1, &isnull));
	o->has_error = DatumGetBool(getdatum(tup, desc, first + 2, &isnull));
	o->caption = getstr(tup, desc, first + 3);
	d = getdatum(tup, desc, first + 4, &isnull);
	o->has_posted_at = !isnull;
	o->posted_at = isnull ? 0 : DatumGetTimestampTz(d);
	d = getdatum(tup, desc, first + 5, &isnull);
	o->has_duration = !isnull;
	o->duration_s = isnull ? 0 : DatumGetFloat4(d);
	o->kind = getstr(tup, desc, first + 6);
}

Datum
fetch_int8_array(const int64 *ids, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = Int64GetDatum(ids[i]);
	return PointerGetDatum(construct_array(d, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

FetchBatch *
fetch_prepare_videos(const int64 *video_ids, int n)
{
	MemoryContext callerctx = CurrentMemoryContext;
	FetchBatch *b = palloc0(sizeof(FetchBatch));
	Oid			argtypes[1] = {INT8ARRAYOID};
	Datum		args[1];
	int			rc;
	int			nest_level;
	uint64		i;

	args[0] = fetch_int8_array(video_ids, n);
	SPI_connect();
	nest_level = keyed_plan_begin();
	rc = SPI_execute_with_args(
							   "SELECT v.id, v.creator_id, v.short_url, v.state, " CRED_COLUMNS ","
							   " " FETCH_STORED_COLUMNS
							   " FROM pg_catalog.unnest($1::pg_catalog.int8[]) WITH ORDINALITY u(id, ord)"
							   /* index probes whatever the estimates */
							   " JOIN tiktrack.videos v ON v.id = u.id"
							   "  AND v.id OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.int8[])"
							   " LEFT JOIN tiktrack.creators c ON c.id = v.creator_id"
							   " LEFT JOIN tiktrack.creator_tokens t ON t.creator_id = c.id"
							   "  AND c.auth_status = 'authorized'"
							   " ORDER BY u.ord",
							   1, argtypes, args, NULL, false, 0);
	keyed_plan_end(nest_level);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read the videos to fetch: %s", SPI_result_code_string(rc));

	/* results must outlive SPI_finish: build them in the caller's context */
	{
		MemoryContext spictx = MemoryContextSwitchTo(callerctx);
		TupleDesc	desc = SPI_tuptable->tupdesc;

		b->nvideos = (int) SPI_processed;
		b->videos = palloc0(sizeof(FetchVideo) * Max(b->nvideos, 1));
		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			FetchVideo *v = &b->videos[i];
			bool		isnull;
			Datum		d;

			v->video_id = DatumGetInt64(getdatum(tup, desc, 1, &isnull));
			d = getdatum(tup, desc, 2, &isnull);
			v->creator_id = isnull ? 0 : DatumGetInt64(d);
			v->short_url = getstr(tup, desc, 3);
			v->state = getstr(tup, desc, 4);
			v->cred = cred_from_row(b, tup, desc, 5);
			fetch_stored_from_row(&v->stored, tup, desc, 15);
			if (v->cred && v->cred->api == FETCH_API_NONE && !v->cred->reauth_needed)
				v->cred = NULL;
		}
		MemoryContextSwitchTo(spictx);
	}
	SPI_finish();
	return b;
}


/*
 * The id of the creator with this handle, as a user types it (any case,
 * with or without the @); an unknown handle is an ERROR.
 */
int64
fetch_creator_id_by_handle(const char *handle)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	bool		isnull;
	int64		creator_id;

	args[0] = CStringGetTextDatum(handle);
	SPI_connect();
	if (SPI_execute_with_args("SELECT id FROM tiktrack.creators WHERE handle = pg_catalog.lower(pg_catalog.ltrim(pg_catalog.btrim($1), '@'))",
							  1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT || SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("creator \"%s\" does not exist", handle)));
	creator_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return creator_id;
}

/*
 * The CRED_COLUMNS of the creators ids (unknown ones left out), in their
 * order, into SPI_tuptable; SPI is connected.
 */
static void
select_credentials(const int64 *ids, int n)
{
	Oid			argtypes[1] = {INT8ARRAYOID};
	Datum		args[1];
	int			nest_level;
	int			rc;

	args[0] = fetch_int8_array(ids, n);
	nest_level = keyed_plan_begin();
	rc = SPI_execute_with_args(
							   "SELECT " CRED_COLUMNS
							   " FROM pg_catalog.unnest($1::pg_catalog.int8[]) WITH ORDINALITY u(id, ord)"
							   " JOIN tiktrack.creators c ON c.id = u.id"
							   " LEFT JOIN tiktrack.creator_tokens t ON t.creator_id = c.id"
							   "  AND c.auth_status = 'authorized'"
							   " ORDER BY u.ord",
							   1, argtypes, args, NULL, false, 0);
	keyed_plan_end(nest_level);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read the creators to fetch: %s", SPI_result_code_string(rc));
}

FetchBatch *
fetch_prepare_creators(const int64 *creator_ids, int n)
{
	MemoryContext callerctx = CurrentMemoryContext;
	FetchBatch *b = palloc0(sizeof(FetchBatch));
	uint64		i;

	SPI_connect();
	select_credentials(creator_ids, n);
	{
		MemoryContext spictx = MemoryContextSwitchTo(callerctx);
		TupleDesc	desc = SPI_tuptable->tupdesc;

		b->ncreators = (int) SPI_processed;
		b->creators = palloc0(sizeof(FetchCreator) * Max(b->ncreators, 1));
		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			FetchCreator *c = &b->creators[i];
			bool		isnull;

			c->creator_id = DatumGetInt64(getdatum(tup, desc, 1, &isnull));
			c->cred = cred_from_row(b, tup, desc, 1);
			if (c->cred && c->cred->api == FETCH_API_NONE && !c->cred->reauth_needed)
				c->cred = NULL;
		}
		MemoryContextSwitchTo(spictx);
	}
	SPI_finish();
	return b;
}

/*
 * The credentials of the batch's creators, read once per creator (a batch
 * of 2,000 videos has about a hundred): every video takes its creator's.
 */
static void
attach_credentials(FetchBatch *b)
{
	int64	   *ids = palloc(sizeof(int64) * Max(b->nvideos, 1));
	MemoryContext callerctx = CurrentMemoryContext;
	int			n = 0;
	int			i,
				k;

	for (i = 0; i < b->nvideos; i++)
	{
		int64		creator_id = b->videos[i].creator_id;

		for (k = 0; k < n && ids[k] != creator_id; k++)
			;
		if (creator_id != 0 && k == n)
			ids[n++] = creator_id;
	}
	if (n == 0)
		return;
	SPI_connect();
	select_credentials(ids, n);
	{
		MemoryContext spictx = MemoryContextSwitchTo(callerctx);
		uint64		r;

		for (r = 0; r < SPI_processed; r++)
			(void) cred_from_row(b, SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1);
		for (i = 0; i < b->nvideos; i++)
		{
			FetchVideo *v = &b->videos[i];

			for (k = 0; k < b->ncreds; k++)
				if (b->creds[k]->creator_id == v->creator_id)
					v->cred = b->creds[k];
			if (v->cred && v->cred->api == FETCH_API_NONE && !v->cred->reauth_needed)
				v->cred = NULL;
		}
		MemoryContextSwitchTo(spictx);
	}
	SPI_finish();
}

FetchBatch *
fetch_prepare_known_videos(const FetchKnownVideo *videos, int n)
{
	FetchBatch *b = palloc0(sizeof(FetchBatch));
	int			i;

	b->nvideos = n;
	b->videos = palloc0(sizeof(FetchVideo) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		FetchVideo *v = &b->videos[i];

		v->video_id = videos[i].video_id;
		v->creator_id = videos[i].creator_id;
		v->short_url = videos[i].short_url;
		v->state = videos[i].state;
		v->stored = videos[i].stored;
		v->row_tid = videos[i].row_tid;
		v->schedule_tid = videos[i].schedule_tid;
		v->latest_tid = videos[i].latest_tid;
	}
	attach_credentials(b);
	return b;
}
