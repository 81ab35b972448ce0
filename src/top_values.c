/*-------------------------------------------------------------------------
 *
 * top_values.c
 *	  tiktrack.top_values(items text[], n integer): the n most frequent
 *	  values over a set of arrays, as jsonb [{"value": ..., "count": ...}],
 *	  by count, then value.  campaign_metrics() uses it for the top
 *	  hashtags and mentions of a campaign's captions.
 *
 * Why C: the SQL form (unnest every array, GROUP BY, ORDER BY, LIMIT, once
 * per kind of tag) cost more than everything else in campaign_metrics()
 * together; this counts in a hash table during the same pass over the
 * posts that computes the other KPIs.
 *
 * The state is a hash table of distinct values (memory grows with the
 * number of distinct values, not rows), with combine, serialize and
 * deserialize functions so that parallel workers can count partially.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/varlena.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

/* Upper bound of n: a "top" list longer than this is a mistake. */
#define TOP_VALUES_MAX_N 10000

/* A value: its bytes (no NUL terminator needed) and their length. */
typedef struct ValueKey
{
	const char *data;
	uint32		len;
} ValueKey;

typedef struct ValueCount
{
	ValueKey	key;			/* data in the state's context */
	int64		count;
	uint32		hash;
	char		status;			/* used by simplehash */
} ValueCount;

#define SH_PREFIX		valuetab
#define SH_ELEMENT_TYPE ValueCount
#define SH_KEY_TYPE		ValueKey
#define SH_KEY			key
#define SH_HASH_KEY(tb, k) hash_bytes((const unsigned char *) (k).data, (k).len)
#define SH_EQUAL(tb, a, b) ((a).len == (b).len && memcmp((a).data, (b).data, (a).len) == 0)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

typedef struct TopValuesState
{
	MemoryContext context;		/* the aggregate's: table and values live here */
	valuetab_hash *table;
	int32		n;				/* how many values the result lists */
} TopValuesState;

static pg_noinline void
bad_n_error(int32 n)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("n of top_values must be between 1 and %d, got %d",
					TOP_VALUES_MAX_N, n)));
}

static pg_noinline void
n_mismatch_error(int32 n1, int32 n2)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("n of top_values must be the same in every row, got %d and %d", n1, n2),
			 errhint("Pass a constant, such as 10.")));
}

static TopValuesState *
top_values_state_create(MemoryContext context, int32 n)
{
	TopValuesState *state = MemoryContextAlloc(context, sizeof(TopValuesState));

	state->context = context;
	state->table = valuetab_create(context, 64, NULL);
	state->n = n;
	return state;
}

/*
 * Adds count occurrences of a value.  The bytes are looked up where they
 * are and copied (NUL-terminated, for the final ranking) only when the
 * value is new.
 */
static void
top_values_state_add(TopValuesState *state, const char *data, uint32 len, int64 count)
{
	ValueKey	key = {data, len};
	ValueCount *entry;
	bool		found;

	entry = valuetab_insert(state->table, key, &found);
	if (found)
	{
		entry->count += count;
		return;
	}
	entry->key.data = MemoryContextAlloc(state->context, len + 1);
	memcpy((char *) entry->key.data, data, len);
	((char *) entry->key.data)[len] = '\0';
	entry->count = count;
}

PG_FUNCTION_INFO_V1(tiktrack_top_values_accum);
Datum
tiktrack_top_values_accum(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	TopValuesState *state;
	ArrayType  *values;
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	int32		n;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "tiktrack_top_values_accum called in non-aggregate context");
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("n of top_values must not be NULL")));
	n = PG_GETARG_INT32(2);
	if (n < 1 || n > TOP_VALUES_MAX_N)
		bad_n_error(n);

	if (PG_ARGISNULL(0))
		state = top_values_state_create(aggcontext, n);
	else
	{
		state = (TopValuesState *) PG_GETARG_POINTER(0);
		if (state->n != n)
			n_mismatch_error(state->n, n);
	}
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(state);

	/* Each element counts, NULL elements do not. */
	values = PG_GETARG_ARRAYTYPE_P(1);
	deconstruct_array(values, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nelems);
	for (int i = 0; i < nelems; i++)
	{
		if (!nulls[i])
			top_values_state_add(state, VARDATA_ANY(DatumGetPointer(elems[i])),
								 VARSIZE_ANY_EXHDR(DatumGetPointer(elems[i])), 1);
	}
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(tiktrack_top_values_combine);
Datum
tiktrack_top_values_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	TopValuesState *a = PG_ARGISNULL(0) ? NULL : (TopValuesState *) PG_GETARG_POINTER(0);
	TopValuesState *b = PG_ARGISNULL(1) ? NULL : (TopValuesState *) PG_GETARG_POINTER(1);
	valuetab_iterator it;
	ValueCount *entry;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "tiktrack_top_values_combine called in non-aggregate context");
	if (b == NULL)
		PG_RETURN_POINTER(a);
	if (a == NULL)
		a = top_values_state_create(aggcontext, b->n);
	else if (a->n != b->n)
		n_mismatch_error(a->n, b->n);

	valuetab_start_iterate(b->table, &it);
	while ((entry = valuetab_iterate(b->table, &it)) != NULL)
		top_values_state_add(a, entry->key.data, entry->key.len, entry->count);
	PG_RETURN_POINTER(a);
}

/* Binary form for parallel workers: n, entries, then (count, length, bytes) each. */
PG_FUNCTION_INFO_V1(tiktrack_top_values_serialize);
Datum
tiktrack_top_values_serialize(PG_FUNCTION_ARGS)
{
	TopValuesState *state = (TopValuesState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	valuetab_iterator it;
	ValueCount *entry;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, state->n);
	pq_sendint32(&buf, state->table->members);
	valuetab_start_iterate(state->table, &it);
	while ((entry = valuetab_iterate(state->table, &it)) != NULL)
	{
		pq_sendint64(&buf, entry->count);
		pq_sendint32(&buf, entry->key.len);
		pq_sendbytes(&buf, entry->key.data, entry->key.len);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(tiktrack_top_values_deserialize);
Datum
tiktrack_top_values_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcontext;
	StringInfoData buf;
	TopValuesState *state;
	int32		n;
	int32		members;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "tiktrack_top_values_deserialize called in non-aggregate context");
	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, VARDATA_ANY(bytes), VARSIZE_ANY_EXHDR(bytes));
	n = pq_getmsgint(&buf, 4);
	if (n < 1 || n > TOP_VALUES_MAX_N)
		bad_n_error(n);
	state = top_values_state_create(aggcontext, n);
	members = pq_getmsgint(&buf, 4);
	for (int32 i = 0; i < members; i++)
	{
		int64		count = pq_getmsgint64(&buf);
		uint32		len = pq_getmsgint(&buf, 4);
		const char *data = pq_getmsgbytes(&buf, len);

		top_values_state_add(state, data, len, count);
	}
	pq_getmsgend(&buf);
	pfree(buf.data);
	PG_RETURN_POINTER(state);
}

/* Ranks by count, descending, then by value in the collation *arg. */
static int
compare_ranked(const void *pa, const void *pb, void *arg)
{
	const ValueCount *a = *(ValueCount *const *) pa;
	const ValueCount *b = *(ValueCount *const *) pb;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return varstr_cmp(a->key.data, a->key.len, b->key.data, b->key.len,
					  *(Oid *) arg);
}

static void
push_text(JsonbParseState **ps, JsonbIteratorToken token, const char *s)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) s;
	v.val.string.len = strlen(s);
	pushJsonbValue(ps, token, &v);
}

PG_FUNCTION_INFO_V1(tiktrack_top_values_final);
Datum
tiktrack_top_values_final(PG_FUNCTION_ARGS)
{
	TopValuesState *state = PG_ARGISNULL(0) ? NULL : (TopValuesState *) PG_GETARG_POINTER(0);
	JsonbParseState *ps = NULL;
	JsonbValue *result;
	ValueCount **ranked;
	valuetab_iterator it;
	ValueCount *entry;
	uint32		nranked = 0;
	Oid			collation;

	pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	if (state != NULL && state->table->members > 0)
	{
		/* Sort pointers, not the table: the final function may run again. */
		ranked = palloc(sizeof(ValueCount *) * state->table->members);
		valuetab_start_iterate(state->table, &it);
		while ((entry = valuetab_iterate(state->table, &it)) != NULL)
			ranked[nranked++] = entry;
		collation = OidIsValid(PG_GET_COLLATION()) ? PG_GET_COLLATION() : DEFAULT_COLLATION_OID;
		qsort_arg(ranked, nranked, sizeof(ValueCount *), compare_ranked, &collation);

		for (uint32 i = 0; i < nranked && i < (uint32) state->n; i++)
		{
			JsonbValue	count;

			pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
			push_text(&ps, WJB_KEY, "value");
			push_text(&ps, WJB_VALUE, ranked[i]->key.data);
			push_text(&ps, WJB_KEY, "count");
			count.type = jbvNumeric;
			count.val.numeric = int64_to_numeric(ranked[i]->count);
			pushJsonbValue(&ps, WJB_VALUE, &count);
			pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
		}
	}
	result = pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(result));
}
