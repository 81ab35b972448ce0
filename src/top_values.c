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
 * number of distinct values, not rows).  This file holds the counting
 * (top_values.h) and the entry points of 0.1.0's aggregate, whose state is
 * "internal" with combine, serialize and deserialize functions for
 * parallel workers; 0.2.0's aggregate keeps the same table in an expanded
 * object of type tiktrack.top_values_state (src/top_values_state.c), which
 * Citus can also aggregate partially on its shards.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "fmgr.h"
#include "port/pg_bswap.h"
#include "utils/builtins.h"
#include "utils/varlena.h"
#include "utils/numeric.h"

#include "top_values.h"

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

/* Only hand-made states can get there: a count is at most one per row. */
static pg_noinline void
count_overflow_error(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("count of a value in top_values out of range")));
}

void
top_values_check_n(int32 n)
{
	if (n < 1 || n > TOP_VALUES_MAX_N)
		bad_n_error(n);
}

/*
 * n of a call of a transition function (its third argument): not NULL
 * and within range, for both states' aggregates.
 */
int32
top_values_arg_n(FunctionCallInfo fcinfo)
{
	int32		n;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("n of top_values must not be NULL")));
	n = PG_GETARG_INT32(2);
	top_values_check_n(n);
	return n;
}

void
top_values_check_same_n(int32 n1, int32 n2)
{
	if (n1 != n2)
		n_mismatch_error(n1, n2);
}

/* size: expected number of distinct values (the table grows past it). */
void
top_values_state_init(TopValuesState *state, MemoryContext context, int32 n, uint32 size)
{
	state->context = context;
	state->table = valuetab_create(context, Max(size, 64), NULL);
	state->n = n;
}

TopValuesState *
top_values_state_create(MemoryContext context, int32 n, uint32 size)
{
	TopValuesState *state = MemoryContextAlloc(context, sizeof(TopValuesState));

	top_values_state_init(state, context, n, size);
	return state;
}

/*
 * Adds count occurrences of a value.  The bytes are looked up where they
 * are and copied (NUL-terminated, for the final ranking) only when the
 * value is new.
 */
static inline void
top_values_state_add(TopValuesState *state, const char *data, uint32 len, int64 count)
{
	ValueKey	key = {data, len};
	ValueCount *entry;
	bool		found;

	entry = valuetab_insert(state->table, key, &found);
	if (found)
	{
		if (unlikely(pg_add_s64_overflow(entry->count, count, &entry->count)))
			count_overflow_error();
		return;
	}
	entry->key.data = MemoryContextAlloc(state->context, len + 1);
	memcpy((char *) entry->key.data, data, len);
	((char *) entry->key.data)[len] = '\0';
	entry->count = count;
}

void
top_values_state_add_value(TopValuesState *state, const char *data, uint32 len, int64 count)
{
	top_values_state_add(state, data, len, count);
}

/* Counts each element of the array; NULL elements do not count. */
void
top_values_state_add_array(TopValuesState *state, ArrayType *values)
{
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;

	deconstruct_array(values, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nelems);
	for (int i = 0; i < nelems; i++)
	{
		if (!nulls[i])
			top_values_state_add(state, VARDATA_ANY(DatumGetPointer(elems[i])),
								 VARSIZE_ANY_EXHDR(DatumGetPointer(elems[i])), 1);
	}
}

void
top_values_state_merge(TopValuesState *into, const TopValuesState *from)
{
	valuetab_iterator it;
	ValueCount *entry;

	top_values_check_same_n(into->n, from->n);
	valuetab_start_iterate(from->table, &it);
	while ((entry = valuetab_iterate(from->table, &it)) != NULL)
		top_values_state_add(into, entry->key.data, entry->key.len, entry->count);
}

Size
top_values_state_binary_size(const TopValuesState *state)
{
	valuetab_iterator it;
	ValueCount *entry;
	Size		size = 2 * sizeof(int32);

	valuetab_start_iterate(state->table, &it);
	while ((entry = valuetab_iterate(state->table, &it)) != NULL)
		size += sizeof(int64) + sizeof(int32) + entry->key.len;
	return size;
}

static inline char *
write_uint32(char *dest, uint32 v)
{
	v = pg_hton32(v);
	memcpy(dest, &v, sizeof(v));
	return dest + sizeof(v);
}

static inline char *
write_uint64(char *dest, uint64 v)
{
	v = pg_hton64(v);
	memcpy(dest, &v, sizeof(v));
	return dest + sizeof(v);
}

/* Writes the binary form into dest, top_values_state_binary_size() bytes. */
void
top_values_state_write(const TopValuesState *state, char *dest)
{
	valuetab_iterator it;
	ValueCount *entry;

	dest = write_uint32(dest, (uint32) state->n);
	dest = write_uint32(dest, state->table->members);
	valuetab_start_iterate(state->table, &it);
	while ((entry = valuetab_iterate(state->table, &it)) != NULL)
	{
		dest = write_uint64(dest, (uint64) entry->count);
		dest = write_uint32(dest, entry->key.len);
		memcpy(dest, entry->key.data, entry->key.len);
		dest += entry->key.len;
	}
}

static pg_noinline void
bad_binary_error(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid binary form of a top_values state"),
			 errdetail("%s", detail)));
}

static inline uint32
read_uint32(const char **p, const char *end)
{
	uint32		v;

	if (end - *p < (ptrdiff_t) sizeof(v))
		bad_binary_error("The data ends inside a number.");
	memcpy(&v, *p, sizeof(v));
	*p += sizeof(v);
	return pg_ntoh32(v);
}

static inline uint64
read_uint64(const char **p, const char *end)
{
	uint64		v;

	if (end - *p < (ptrdiff_t) sizeof(v))
		bad_binary_error("The data ends inside a number.");
	memcpy(&v, *p, sizeof(v));
	*p += sizeof(v);
	return pg_ntoh64(v);
}

/*
 * Reads the binary form into a new state in context.  The bytes may come
 * from outside (binary I/O), so every length is checked; a value listed
 * twice adds up.
 */
void
top_values_state_read(TopValuesState *state, MemoryContext context, const char *data, Size len)
{
	const char *p = data;
	const char *end = data + len;
	int32		n = (int32) read_uint32(&p, end);
	uint32		members = read_uint32(&p, end);

	top_values_check_n(n);
	/* Each value takes at least 12 bytes: no table bigger than the data. */
	if (members > (Size) (end - p) / (sizeof(int64) + sizeof(int32)))
		bad_binary_error("The number of values exceeds the data.");
	top_values_state_init(state, context, n, members);
	for (uint32 i = 0; i < members; i++)
	{
		int64		count = (int64) read_uint64(&p, end);
		uint32		vlen = read_uint32(&p, end);

		if (count < 1)
			bad_binary_error("A count is below 1.");
		if (vlen > (Size) (end - p))
			bad_binary_error("The data ends inside a value.");
		top_values_state_add(state, p, vlen, count);
		p += vlen;
	}
	if (p != end)
		bad_binary_error("Bytes follow the last value.");
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

/*
 * The n most frequent values as jsonb [{"value", "count"}]; state may be
 * NULL (no row): [].  The state is left as it is (a final function may
 * run again on it).
 */
Jsonb *
top_values_state_result(const TopValuesState *state, Oid collation)
{
	JsonbParseState *ps = NULL;
	JsonbValue *result;
	ValueCount **ranked;
	valuetab_iterator it;
	ValueCount *entry;
	uint32		nranked = 0;

	pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	if (state != NULL && state->table->members > 0)
	{
		/* Sort pointers, not the table. */
		ranked = palloc(sizeof(ValueCount *) * state->table->members);
		valuetab_start_iterate(state->table, &it);
		while ((entry = valuetab_iterate(state->table, &it)) != NULL)
			ranked[nranked++] = entry;
		if (!OidIsValid(collation))
			collation = DEFAULT_COLLATION_OID;
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
	return JsonbValueToJsonb(result);
}

/*
 * 0.1.0's aggregate, state "internal": a bare TopValuesState in the
 * aggregate's memory context.  Kept so that databases still on 0.1.0 work
 * with this library.
 */

PG_FUNCTION_INFO_V1(tiktrack_top_values_accum);
Datum
tiktrack_top_values_accum(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	TopValuesState *state;
	int32		n;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "tiktrack_top_values_accum called in non-aggregate context");
	n = top_values_arg_n(fcinfo);

	if (PG_ARGISNULL(0))
		state = top_values_state_create(aggcontext, n, 64);
	else
	{
		state = (TopValuesState *) PG_GETARG_POINTER(0);
		top_values_check_same_n(state->n, n);
	}
	if (!PG_ARGISNULL(1))
		top_values_state_add_array(state, PG_GETARG_ARRAYTYPE_P(1));
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(tiktrack_top_values_combine);
Datum
tiktrack_top_values_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	TopValuesState *a = PG_ARGISNULL(0) ? NULL : (TopValuesState *) PG_GETARG_POINTER(0);
	TopValuesState *b = PG_ARGISNULL(1) ? NULL : (TopValuesState *) PG_GETARG_POINTER(1);

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "tiktrack_top_values_combine called in non-aggregate context");
	if (b == NULL)
		PG_RETURN_POINTER(a);
	if (a == NULL)
		a = top_values_state_create(aggcontext, b->n, b->table->members);
	top_values_state_merge(a, b);
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(tiktrack_top_values_serialize);
Datum
tiktrack_top_values_serialize(PG_FUNCTION_ARGS)
{
	TopValuesState *state = (TopValuesState *) PG_GETARG_POINTER(0);
	Size		size = top_values_state_binary_size(state);
	bytea	   *result = palloc(VARHDRSZ + size);

	SET_VARSIZE(result, VARHDRSZ + size);
	top_values_state_write(state, VARDATA(result));
	PG_RETURN_BYTEA_P(result);
}

PG_FUNCTION_INFO_V1(tiktrack_top_values_deserialize);
Datum
tiktrack_top_values_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcontext;
	TopValuesState *state;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "tiktrack_top_values_deserialize called in non-aggregate context");
	state = MemoryContextAlloc(aggcontext, sizeof(TopValuesState));
	top_values_state_read(state, aggcontext, VARDATA_ANY(bytes), VARSIZE_ANY_EXHDR(bytes));
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(tiktrack_top_values_final);
Datum
tiktrack_top_values_final(PG_FUNCTION_ARGS)
{
	TopValuesState *state = PG_ARGISNULL(0) ? NULL : (TopValuesState *) PG_GETARG_POINTER(0);

	PG_RETURN_JSONB_P(top_values_state_result(state, PG_GET_COLLATION()));
}
