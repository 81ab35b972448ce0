/*
 * The libFuzzer targets' invariant check: a failed one names the condition
 * and its line, then aborts, which libFuzzer reports as a crash with the
 * input that caused it.
 */
#ifndef TIKTRACK_FUZZ_CHECK_H
#define TIKTRACK_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "invariant failed: %s (line %d)\n", #cond, __LINE__); \
			abort(); \
		} \
	} while (0)

#endif							/* TIKTRACK_FUZZ_CHECK_H */
