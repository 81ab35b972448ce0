/*-------------------------------------------------------------------------
 *
 * top_values.h
 *	  The counting behind tiktrack.top_values(): a hash table of distinct
 *	  values and their counts, its binary form and the ranked result.
 *
 * Two SQL-level states share it: the "internal" one of 0.1.0 (a bare
 * TopValuesState, src/top_values.c) and tiktrack.top_values_state of
 * 0.2.0, an expanded object that Citus can ship between nodes as text
 * (src/top_values_state.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_TOP_VALUES_H
#define TIKTRACK_TOP_VALUES_H

#include "common/hashfn.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/jsonb.h"

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
	MemoryContext context;		/* table and values live here */
	valuetab_hash *table;
	int32		n;				/* how many values the result lists */
} TopValuesState;

extern void top_values_check_n(int32 n);
extern int32 top_values_arg_n(FunctionCallInfo fcinfo);
extern void top_values_check_same_n(int32 n1, int32 n2);
extern void top_values_state_init(TopValuesState *state, MemoryContext context,
								  int32 n, uint32 size);
extern TopValuesState *top_values_state_create(MemoryContext context, int32 n,
											   uint32 size);
extern void top_values_state_add_value(TopValuesState *state, const char *data,
									   uint32 len, int64 count);
extern void top_values_state_add_array(TopValuesState *state, ArrayType *values);
extern void top_values_state_merge(TopValuesState *into, const TopValuesState *from);

/*
 * Binary form (network byte order): n int32, number of values int32, then
 * per value its count int64, its length int32 and its bytes.  It is the
 * parallel-query serialization of 0.1.0 and the flat form and binary I/O
 * of tiktrack.top_values_state.
 */
extern Size top_values_state_binary_size(const TopValuesState *state);
extern void top_values_state_write(const TopValuesState *state, char *dest);
extern void top_values_state_read(TopValuesState *state, MemoryContext context,
								  const char *data, Size len);

extern Jsonb *top_values_state_result(const TopValuesState *state, Oid collation);

#endif							/* TIKTRACK_TOP_VALUES_H */
