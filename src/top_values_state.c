/*-------------------------------------------------------------------------
 *
 * top_values_state.c
 *	  tiktrack.top_values_state: the transition state of 0.2.0's
 *	  tiktrack.top_values(), a type of its own instead of "internal".
 *
 * Why: Citus aggregates partially on its shards only when the state has a
 * type it can ship, through the type's text output on the workers and its
 * text input on the coordinator.  With an "internal" state it pulls every
 * row to the coordinator instead, and the other aggregates of the query
 * with it.
 *
 * The state stays the hash table of src/top_values.c, kept as an expanded
 * object ("R/W expanded datum") in the aggregate's memory context: the
 * executor (plain, hashed, window and Citus' worker_partial_agg alike)
 * adopts it without copying, so a row costs what it cost with "internal".
 * It is flattened only when it leaves the aggregate: to a parallel
 * leader, to a Citus coordinator, or into a table.
 *
 * Forms: flat (varlena) = the binary form of top_values.h, which is also
 * the binary I/O; text = {"n": 10, "counts": {"value": count, ...}}, jsonb
 * (keys in jsonb's order).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/expandeddatum.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "top_values.h"

typedef struct TopValuesExpanded
{
	ExpandedObjectHeader hdr;
	TopValuesState state;		/* its context is hdr.eoh_context */
} TopValuesExpanded;

static Size top_values_get_flat_size(ExpandedObjectHeader *eohptr);
static void top_values_flatten_into(ExpandedObjectHeader *eohptr,
									void *result, Size allocated_size);

static const ExpandedObjectMethods top_values_methods =
{
	top_values_get_flat_size,
	top_values_flatten_into
};

static Size
top_values_get_flat_size(ExpandedObjectHeader *eohptr)
{
	TopValuesExpanded *e = (TopValuesExpanded *) eohptr;

	return VARHDRSZ + top_values_state_binary_size(&e->state);
}

static void
top_values_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	TopValuesExpanded *e = (TopValuesExpanded *) eohptr;

	SET_VARSIZE(result, allocated_size);
	top_values_state_write(&e->state, VARDATA(result));
}

/*
 * The memory context of the states under an aggregate's context: one child
 * of it, shared by all its states, found again by name.
 *
 * Why not a context per state, as expanded objects usually have: hash
 * aggregation measures its memory after each new group by walking every
 * child context, so a context per group made 100,000 groups cost seconds.
 * Sharing is safe because the executor deletes a transition value's
 * context (DeleteExpandedObject) only when the transition function returns
 * a different object than it got, and ours always return the R/W object
 * they were given; resetting the aggregate's context deletes the shared
 * one with it, and the next state makes a new one.
 */
static const char states_context_name[] = "tiktrack top_values states";

static MemoryContext
top_values_states_context(MemoryContext aggcontext)
{
	for (MemoryContext child = aggcontext->firstchild; child != NULL; child = child->nextchild)
	{
		if (child->name == states_context_name)
			return child;
	}
	/* (The macro form insists on a literal; the name must be this array.) */
	return AllocSetContextCreateInternal(aggcontext, states_context_name, ALLOCSET_DEFAULT_SIZES);
}

/* A new, empty state under the aggregate's context. */
static TopValuesExpanded *
top_values_expanded_create(MemoryContext aggcontext, int32 n, uint32 size)
{
	MemoryContext context = top_values_states_context(aggcontext);
	TopValuesExpanded *e = MemoryContextAlloc(context, sizeof(TopValuesExpanded));

	EOH_init_header(&e->hdr, &top_values_methods, context);
	top_values_state_init(&e->state, context, n, size);
	return e;
}

/* A state under the aggregate's context read from a flat value. */
static TopValuesExpanded *
top_values_expanded_from_flat(MemoryContext aggcontext, Datum d)
{
	MemoryContext context = top_values_states_context(aggcontext);
	TopValuesExpanded *e = MemoryContextAlloc(context, sizeof(TopValuesExpanded));
	struct varlena *flat = PG_DETOAST_DATUM(d);

	EOH_init_header(&e->hdr, &top_values_methods, context);
	top_values_state_read(&e->state, context, VARDATA(flat), VARSIZE(flat) - VARHDRSZ);
	return e;
}

/*
 * The expanded object behind a datum, if it is one of ours.  (The server's
 * DatumGetEOHP() is out of line; this runs once a row.)
 */
static inline TopValuesExpanded *
top_values_expanded_of(Datum d)
{
	varatt_expanded ptr;

	if (!VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
		return NULL;
	VARATT_EXTERNAL_GET_POINTER(ptr, DatumGetPointer(d));
	if (ptr.eohptr->eoh_methods != &top_values_methods)
		return NULL;
	return (TopValuesExpanded *) ptr.eohptr;
}

static inline bool
is_top_values_expanded(Datum d)
{
	return top_values_expanded_of(d) != NULL;
}

/*
 * The state behind a datum, for reading: the expanded object itself, or
 * the flat form read into a new table in CurrentMemoryContext.
 */
static const TopValuesState *
top_values_state_for_reading(Datum d)
{
	TopValuesExpanded *e = top_values_expanded_of(d);
	TopValuesState *state;
	struct varlena *flat;

	if (e != NULL)
		return &e->state;
	flat = PG_DETOAST_DATUM(d);
	state = palloc(sizeof(TopValuesState));
	top_values_state_read(state, CurrentMemoryContext, VARDATA(flat), VARSIZE(flat) - VARHDRSZ);
	return state;
}

/*
 * The state behind a transition value, for updating in place: our own R/W
 * expanded object as it is, anything else (a flat value, or a read-only
 * reference) copied into a new expanded object under aggcontext.
 */
static inline TopValuesExpanded *
top_values_state_for_update(Datum d, MemoryContext aggcontext)
{
	const TopValuesState *from;
	TopValuesExpanded *e = top_values_expanded_of(d);

	if (likely(e != NULL) && VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)))
		return e;
	if (e == NULL)
		return top_values_expanded_from_flat(aggcontext, d);
	from = &e->state;
	e = top_values_expanded_create(aggcontext, from->n, from->table->members);
	top_values_state_merge(&e->state, from);
	return e;
}

PG_FUNCTION_INFO_V1(tiktrack_top_values_state_accum);
Datum
tiktrack_top_values_state_accum(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	TopValuesExpanded *e;
	int32		n;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "tiktrack_top_values_state_accum called in non-aggregate context");
	n = top_values_arg_n(fcinfo);

	if (PG_ARGISNULL(0))
		e = top_values_expanded_create(aggcontext, n, 64);
	else
	{
		e = top_values_state_for_update(PG_GETARG_DATUM(0), aggcontext);
		top_values_check_same_n(e->state.n, n);
	}
	if (!PG_ARGISNULL(1))
		top_values_state_add_array(&e->state, PG_GETARG_ARRAYTYPE_P(1));
	PG_RETURN_DATUM(EOHPGetRWDatum(&e->hdr));
}

PG_FUNCTION_INFO_V1(tiktrack_top_values_state_combine);
Datum
tiktrack_top_values_state_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	TopValuesExpanded *e;
	const TopValuesState *b;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "tiktrack_top_values_state_combine called in non-aggregate context");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (PG_ARGISNULL(0))
	{
		/*
		 * The first partial state: a copy of it becomes ours (an expanded
		 * one belongs to whoever made it, e.g. a partial aggregate below).
		 */
		if (!is_top_values_expanded(PG_GETARG_DATUM(1)))
			e = top_values_expanded_from_flat(aggcontext, PG_GETARG_DATUM(1));
		else
		{
			b = top_values_state_for_reading(PG_GETARG_DATUM(1));
			e = top_values_expanded_create(aggcontext, b->n, b->table->members);
			top_values_state_merge(&e->state, b);
		}
		PG_RETURN_DATUM(EOHPGetRWDatum(&e->hdr));
	}
	b = top_values_state_for_reading(PG_GETARG_DATUM(1));
	e = top_values_state_for_update(PG_GETARG_DATUM(0), aggcontext);
	top_values_state_merge(&e->state, b);
	PG_RETURN_DATUM(EOHPGetRWDatum(&e->hdr));
}

PG_FUNCTION_INFO_V1(tiktrack_top_values_state_final);
Datum
tiktrack_top_values_state_final(PG_FUNCTION_ARGS)
{
	const TopValuesState *state = NULL;

	if (!PG_ARGISNULL(0))
		state = top_values_state_for_reading(PG_GETARG_DATUM(0));
	PG_RETURN_JSONB_P(top_values_state_result(state, PG_GET_COLLATION()));
}

/* The flat form of a state built here (in CurrentMemoryContext). */
static Datum
top_values_state_flatten(const TopValuesState *state)
{
	Size		size = VARHDRSZ + top_values_state_binary_size(state);
	struct varlena *flat = palloc(size);

	SET_VARSIZE(flat, size);
	top_values_state_write(state, VARDATA(flat));
	return PointerGetDatum(flat);
}

static pg_noinline void
bad_text_error(const char *text, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type tiktrack.top_values_state: \"%s\"", text),
			 errdetail("%s", detail),
			 errhint("The form is {\"n\": 10, \"counts\": {\"value\": count, ...}}, n from 1 to %d, each count at least 1.",
					 TOP_VALUES_MAX_N)));
}

/* A jsonb number that must be a whole number from min to max. */
static int64
jsonb_whole_number(JsonbValue *v, int64 min, int64 max, const char *text, const char *what)
{
	Numeric		num;
	int64		result;

	if (v == NULL || v->type != jbvNumeric)
		bad_text_error(text, psprintf("%s is not a number.", what));
	num = v->val.numeric;
	if (numeric_is_nan(num) || numeric_is_inf(num) ||
		!DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(num),
										  DirectFunctionCall2(numeric_round, NumericGetDatum(num),
															  Int32GetDatum(0)))))
		bad_text_error(text, psprintf("%s is not a whole number.", what));
	if (!DatumGetBool(DirectFunctionCall2(numeric_ge, NumericGetDatum(num),
										  NumericGetDatum(int64_to_numeric(min)))) ||
		!DatumGetBool(DirectFunctionCall2(numeric_le, NumericGetDatum(num),
										  NumericGetDatum(int64_to_numeric(max)))))
		bad_text_error(text, psprintf("%s is out of range.", what));
	result = DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(num)));
	return result;
}

PG_FUNCTION_INFO_V1(tiktrack_top_values_state_in);
Datum
tiktrack_top_values_state_in(PG_FUNCTION_ARGS)
{
	char	   *text = PG_GETARG_CSTRING(0);
	Jsonb	   *jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
	JsonbValue *nvalue;
	JsonbValue *counts;
	JsonbValue	k;
	JsonbValue	v;
	JsonbIterator *it;
	JsonbIteratorToken token;
	TopValuesState state;

	if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_COUNT(jb) != 2)
		bad_text_error(text, "It is not an object of the two keys n and counts.");
	nvalue = getKeyJsonValueFromContainer(&jb->root, "n", 1, NULL);
	counts = getKeyJsonValueFromContainer(&jb->root, "counts", 6, NULL);
	if (nvalue == NULL || counts == NULL)
		bad_text_error(text, "It is not an object of the two keys n and counts.");
	if (counts->type != jbvBinary || !JsonContainerIsObject(counts->val.binary.data))
		bad_text_error(text, "counts is not an object.");

	top_values_state_init(&state, CurrentMemoryContext,
						  (int32) jsonb_whole_number(nvalue, 1, TOP_VALUES_MAX_N, text, "n"),
						  JsonContainerSize(counts->val.binary.data));
	it = JsonbIteratorInit(counts->val.binary.data);
	while ((token = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		if (token != WJB_KEY)
			continue;
		token = JsonbIteratorNext(&it, &v, true);
		Assert(token == WJB_VALUE);
		/* jsonb keeps one value per key: each value is added once. */
		top_values_state_add_value(&state, k.val.string.val, k.val.string.len,
								   jsonb_whole_number(&v, 1, PG_INT64_MAX, text, "A count"));
	}
	PG_RETURN_DATUM(top_values_state_flatten(&state));
}

PG_FUNCTION_INFO_V1(tiktrack_top_values_state_out);
Datum
tiktrack_top_values_state_out(PG_FUNCTION_ARGS)
{
	const TopValuesState *state = top_values_state_for_reading(PG_GETARG_DATUM(0));
	JsonbParseState *ps = NULL;
	JsonbValue	v;
	JsonbValue *result;
	valuetab_iterator it;
	ValueCount *entry;

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	v.type = jbvString;
	v.val.string.val = "n";
	v.val.string.len = 1;
	pushJsonbValue(&ps, WJB_KEY, &v);
	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(state->n);
	pushJsonbValue(&ps, WJB_VALUE, &v);
	v.type = jbvString;
	v.val.string.val = "counts";
	v.val.string.len = 6;
	pushJsonbValue(&ps, WJB_KEY, &v);
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	valuetab_start_iterate(state->table, &it);
	while ((entry = valuetab_iterate(state->table, &it)) != NULL)
	{
		v.type = jbvString;
		v.val.string.val = (char *) entry->key.data;
		v.val.string.len = entry->key.len;
		pushJsonbValue(&ps, WJB_KEY, &v);
		v.type = jbvNumeric;
		v.val.numeric = int64_to_numeric(entry->count);
		pushJsonbValue(&ps, WJB_VALUE, &v);
	}
	pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	result = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	PG_RETURN_CSTRING(JsonbToCString(NULL, &JsonbValueToJsonb(result)->root, 0));
}

PG_FUNCTION_INFO_V1(tiktrack_top_values_state_recv);
Datum
tiktrack_top_values_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	TopValuesState state;

	top_values_state_read(&state, CurrentMemoryContext, buf->data + buf->cursor,
						  buf->len - buf->cursor);
	buf->cursor = buf->len;
	PG_RETURN_DATUM(top_values_state_flatten(&state));
}

PG_FUNCTION_INFO_V1(tiktrack_top_values_state_send);
Datum
tiktrack_top_values_state_send(PG_FUNCTION_ARGS)
{
	Datum		d = PG_GETARG_DATUM(0);

	/* The flat form is the binary form behind a varlena header: a bytea. */
	if (is_top_values_expanded(d))
		PG_RETURN_DATUM(top_values_state_flatten(top_values_state_for_reading(d)));
	PG_RETURN_BYTEA_P((bytea *) PG_DETOAST_DATUM_COPY(d));
}
