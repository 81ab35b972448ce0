/*-------------------------------------------------------------------------
 *
 * caption_tags.c
 *	  tiktrack.caption_tags(caption, sigil): the hashtags or mentions of a
 *	  caption, lower-cased, each once, in order of first appearance.
 *
 * videos.hashtags and videos.mentions are generated from it, so it runs
 * twice for every video row written with a caption.  It used to be a SQL
 * function around regexp_matches(..., 'g'), lower() and GROUP BY; this is
 * the same computation without the executor around it.  To give exactly
 * the same arrays in every collation it uses the same pieces:
 * PostgreSQL's regex engine with the same pattern and flags (through the
 * backend's regex cache, so a pattern is compiled once per collation),
 * the same global-match loop as regexp_matches(), str_tolower() as
 * lower() does, and deduplication on the bytes of the lowered tag (which
 * is what GROUP BY means for the deterministic collations the regex
 * engine accepts).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "regex/regex.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(tiktrack_caption_tags);

/*
 * The pattern of 0.1.0's SQL function, character for character: a tag is
 * the sigil after the start of the caption or a character that cannot be
 * part of a tag, then one tag character, or several where dots may
 * appear inside but not at either end.  The leading group consumes the
 * character before the sigil, which decides which of "#a#b" matches.
 */
#define TAG_PATTERN_HEAD "(?:^|[^[:alnum:]_])"
#define TAG_PATTERN_TAIL "([[:alnum:]_][[:alnum:]_.]*[[:alnum:]_]|[[:alnum:]_])"

/* regexp_matches() without flags compiles with REG_ADVANCED only. */
#define TAG_PATTERN_CFLAGS REG_ADVANCED

/* One match: its lower-cased tag and whether it is the first of its value. */
typedef struct CaptionTag
{
	text	   *tag;
	int			ordinal;		/* match number, breaks ties when sorting */
	bool		first;
} CaptionTag;

/* The matches of one caption, in order. */
typedef struct CaptionTags
{
	CaptionTag *items;
	int			count;
	int			allocated;
} CaptionTags;

/*
 * The pattern text for a sigil, built once per backend.  The regex cache
 * is keyed on the pattern's bytes, so a long-lived copy saves building it
 * on every call.
 */
static text *
tag_pattern(bool hashtag)
{
	static text *patterns[2];
	text	  **pattern = &patterns[hashtag ? 1 : 0];

	if (*pattern == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		*pattern = cstring_to_text(hashtag ?
								   TAG_PATTERN_HEAD "#" TAG_PATTERN_TAIL :
								   TAG_PATTERN_HEAD "@" TAG_PATTERN_TAIL);
		MemoryContextSwitchTo(old);
	}
	return *pattern;
}

/*
 * The SQL function's CASE: '#' gives hashtags, any other sigil mentions.
 * The comparison is on bytes, as texteq is for the deterministic
 * collations the regex engine accepts.
 */
static bool
sigil_is_hashtag(text *sigil)
{
	return VARSIZE_ANY_EXHDR(sigil) == 1 && *VARDATA_ANY(sigil) == '#';
}

/*
 * The collation to match and lower-case with.  In the SQL function the
 * argument's collation beat the default collation of the pattern
 * literal, and an argument without one (an implicit conflict, say)
 * left the default collation in charge: do the same.
 */
static Oid
caption_collation(Oid input_collation)
{
	return OidIsValid(input_collation) ? input_collation : DEFAULT_COLLATION_OID;
}

/*
 * pg_regexec() with regexp.c's error handling: an interrupt surfaces as
 * REG_CANCEL, anything else but a match or no match is the engine's
 * failure.
 */
static bool
tag_regexec(regex_t *re, pg_wchar *wide, int wide_len, int search_start,
			regmatch_t *pmatch)
{
	int			rc;

	rc = pg_regexec(re, wide, wide_len, search_start, NULL, 2, pmatch, 0);
	if (rc == REG_NOMATCH)
		return false;
	if (rc != REG_OKAY)
	{
		char		message[100];

		CHECK_FOR_INTERRUPTS();
		pg_regerror(rc, re, message, sizeof(message));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
				 errmsg("regular expression failed: %s", message)));
	}
	return true;
}

static void
caption_tags_append(CaptionTags *tags, text *tag)
{
	if (tags->count == tags->allocated)
	{
		if (tags->allocated >= (int) (MaxAllocSize / sizeof(CaptionTag) / 2))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many tags in caption: more than %d",
							tags->allocated)));
		tags->allocated = tags->allocated ? tags->allocated * 2 : 8;
		tags->items = tags->items ?
			repalloc(tags->items, tags->allocated * sizeof(CaptionTag)) :
			palloc(tags->allocated * sizeof(CaptionTag));
	}
	tags->items[tags->count].tag = tag;
	tags->items[tags->count].ordinal = tags->count;
	tags->items[tags->count].first = false;
	tags->count++;
}

/*
 * Every match of the pattern in the caption, lower-cased, in order.  The
 * loop is regexp_matches()'s with the 'g' flag: the next search starts
 * where the match ended (one character later after an empty match, which
 * this pattern cannot produce), so the character consumed before a sigil
 * is not available to the next match.
 */
static void
collect_tags(CaptionTags *tags, text *caption, regex_t *re, Oid collation)
{
	int			len = VARSIZE_ANY_EXHDR(caption);
	pg_wchar   *wide = palloc((len + 1) * sizeof(pg_wchar));
	char	   *conv = palloc(len + 1);
	int			wide_len;
	int			search_start = 0;
	regmatch_t	pmatch[2];

	wide_len = pg_mb2wchar_with_len(VARDATA_ANY(caption), wide, len);
	while (tag_regexec(re, wide, wide_len, search_start, pmatch))
	{
		int			so = pmatch[1].rm_so;
		int			nbytes;
		char	   *lowered;

		/* A substring's bytes never outnumber the caption's. */
		nbytes = pg_wchar2mb_with_len(wide + so, conv, pmatch[1].rm_eo - so);
		lowered = str_tolower(conv, nbytes, collation);
		caption_tags_append(tags, cstring_to_text(lowered));
		pfree(lowered);

		search_start = pmatch[0].rm_eo;
		if (pmatch[0].rm_so == pmatch[0].rm_eo)
			search_start++;
		if (search_start > wide_len)
			break;
	}
	pfree(conv);
	pfree(wide);
}

/* Whether two matches lowered to the same bytes. */
static bool
same_tag(const CaptionTag *x, const CaptionTag *y)
{
	return VARSIZE(x->tag) == VARSIZE(y->tag) &&
		memcmp(VARDATA(x->tag), VARDATA(y->tag), VARSIZE(x->tag) - VARHDRSZ) == 0;
}

/* Orders matches by value (any total order), then by position. */
static int
caption_tag_cmp(const void *a, const void *b)
{
	const CaptionTag *x = *(const CaptionTag *const *) a;
	const CaptionTag *y = *(const CaptionTag *const *) b;
	Size		xlen = VARSIZE(x->tag);
	Size		ylen = VARSIZE(y->tag);
	int			cmp;

	if (xlen != ylen)
		return xlen < ylen ? -1 : 1;
	cmp = memcmp(VARDATA(x->tag), VARDATA(y->tag), xlen - VARHDRSZ);
	if (cmp != 0)
		return cmp;
	return (x->ordinal > y->ordinal) - (x->ordinal < y->ordinal);
}

/*
 * Marks the first occurrence of each value: after sorting, the head of
 * each run of equal values.  Sorting keeps an adversarial caption of
 * thousands of tags at O(n log n).
 */
static void
mark_first_occurrences(CaptionTags *tags)
{
	CaptionTag **sorted;
	int			i;

	if (tags->count == 0)
		return;
	sorted = palloc(tags->count * sizeof(CaptionTag *));
	for (i = 0; i < tags->count; i++)
		sorted[i] = &tags->items[i];
	qsort(sorted, tags->count, sizeof(CaptionTag *), caption_tag_cmp);
	for (i = 0; i < tags->count; i++)
		sorted[i]->first = i == 0 || !same_tag(sorted[i - 1], sorted[i]);
	pfree(sorted);
}

/* The first occurrences as text[], in order; '{}' when there are none. */
static ArrayType *
first_occurrences_array(CaptionTags *tags)
{
	Datum	   *elems = palloc(Max(tags->count, 1) * sizeof(Datum));
	int			n = 0;
	int			i;
	ArrayType  *result;

	for (i = 0; i < tags->count; i++)
		if (tags->items[i].first)
			elems[n++] = PointerGetDatum(tags->items[i].tag);
	if (n == 0)
		result = construct_empty_array(TEXTOID);
	else
		result = construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT);
	pfree(elems);
	return result;
}

Datum
tiktrack_caption_tags(PG_FUNCTION_ARGS)
{
	text	   *caption = PG_GETARG_TEXT_PP(0);
	text	   *sigil = PG_GETARG_TEXT_PP(1);
	Oid			collation = caption_collation(PG_GET_COLLATION());
	regex_t    *re;
	CaptionTags tags = {0};
	ArrayType  *result;
	int			i;

	re = RE_compile_and_cache(tag_pattern(sigil_is_hashtag(sigil)),
							  TAG_PATTERN_CFLAGS, collation);
	collect_tags(&tags, caption, re, collation);
	mark_first_occurrences(&tags);
	result = first_occurrences_array(&tags);

	for (i = 0; i < tags.count; i++)
		pfree(tags.items[i].tag);
	if (tags.items)
		pfree(tags.items);
	PG_RETURN_ARRAYTYPE_P(result);
}
