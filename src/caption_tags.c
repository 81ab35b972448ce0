/*-------------------------------------------------------------------------
 *
 * caption_tags.c
 *	  tiktrack.caption_tags(caption, sigil): the hashtags or mentions of a
 *	  caption, lower-cased, each once, in order of first appearance.
 *
 * videos.hashtags and videos.mentions are generated from it, so it runs
 * twice for every video row written with a caption.  0.1.0 defined it in
 * SQL as
 *
 *	 regexp_matches(caption, '(?:^|[^[:alnum:]_])' || sigil ||
 *					'([[:alnum:]_][[:alnum:]_.]*[[:alnum:]_]|[[:alnum:]_])', 'g')
 *
 * then lower() and GROUP BY; this gives exactly the same arrays, about ten
 * times faster.
 *
 * Running that pattern through pg_regexec() once per match costs about
 * 1.5 us a match (the engine builds its DFA afresh on every call), a third
 * of the old cost.  But the only part of the pattern that depends on the
 * collation is one question: is a character in [[:alnum:]_]?  So that
 * question, and only that one, is put to PostgreSQL's regex engine (the
 * class compiled for the collation through the backend's regex cache),
 * once per character and collation, and the answers are remembered; the
 * fixed structure around it is matched here with regexp_matches()'s
 * semantics (see next_match()).  Lower-casing is lower()'s own
 * str_tolower(), and duplicates are dropped on the bytes of the lowered
 * tag, which is what GROUP BY means for the deterministic collations that
 * regular expressions accept.
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
#include "utils/hsearch.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(tiktrack_caption_tags);

/*
 * A tag character, the class of the old pattern, compiled with the flags
 * regexp_matches() uses when given none.
 */
#define TAG_CHAR_CLASS "[[:alnum:]_]"
#define TAG_CHAR_CFLAGS REG_ADVANCED

/* Inside a tag (not at either end) a dot may also appear. */
#define TAG_INNER_DOT ((pg_wchar) '.')

/* Answers remembered per collation: ASCII in an array, the rest hashed. */
#define TAG_CHAR_UNKNOWN 0
#define TAG_CHAR_NO 1
#define TAG_CHAR_YES 2

/*
 * Enough for every letter of the scripts captions are written in; past
 * it the engine is asked each time, so hostile input cannot grow a
 * backend without bound.
 */
#define TAG_CHAR_CACHE_MAX 65536

typedef struct TagCharEntry
{
	pg_wchar	c;				/* hash key */
	bool		is_tag_char;
} TagCharEntry;

/* What the regex engine said about characters, for one collation. */
typedef struct TagCharCache
{
	Oid			collation;
	uint8		ascii[128];
	HTAB	   *others;
	struct TagCharCache *next;
} TagCharCache;

/* The classes of the collations this backend has used. */
static TagCharCache *tag_char_caches = NULL;

/* One caption's classifier: the collation's compiled class and cache. */
typedef struct TagClassifier
{
	regex_t    *re;
	TagCharCache *cache;
} TagClassifier;

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
 * The class pattern as text, built once per backend: the regex cache is
 * keyed on the pattern's bytes and the collation.
 */
static text *
tag_char_pattern(void)
{
	static text *pattern = NULL;

	if (pattern == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		pattern = cstring_to_text(TAG_CHAR_CLASS);
		MemoryContextSwitchTo(old);
	}
	return pattern;
}

/*
 * The SQL function's CASE: '#' gives hashtags, any other sigil mentions.
 * The comparison is on bytes, as texteq is for the deterministic
 * collations the regex engine accepts.
 */
static pg_wchar
caption_sigil(text *sigil)
{
	if (VARSIZE_ANY_EXHDR(sigil) == 1 && *VARDATA_ANY(sigil) == '#')
		return (pg_wchar) '#';
	return (pg_wchar) '@';
}

/*
 * The collation to classify and lower-case with.  In the SQL function the
 * argument's collation beat the default collation of the pattern
 * literal, and an argument without one (an implicit conflict, say) left
 * the default collation in charge: do the same.
 */
static Oid
caption_collation(Oid input_collation)
{
	return OidIsValid(input_collation) ? input_collation : DEFAULT_COLLATION_OID;
}

/* The cache of a collation; a backend uses few, so a list will do. */
static TagCharCache *
tag_char_cache(Oid collation)
{
	TagCharCache *cache;
	HTAB	   *others;
	HASHCTL		ctl;

	for (cache = tag_char_caches; cache != NULL; cache = cache->next)
		if (cache->collation == collation)
			return cache;

	/* Both live as long as the backend (dynahash's default is TopMemoryContext). */
	ctl.keysize = sizeof(pg_wchar);
	ctl.entrysize = sizeof(TagCharEntry);
	others = hash_create("tiktrack caption tag characters", 256, &ctl,
						 HASH_ELEM | HASH_BLOBS);
	cache = MemoryContextAllocZero(TopMemoryContext, sizeof(TagCharCache));
	cache->collation = collation;
	cache->others = others;
	cache->next = tag_char_caches;
	tag_char_caches = cache;
	return cache;
}

/*
 * The classifier for a caption in a collation.  The class is compiled (or
 * found in the regex cache) on every call, even when the cache could
 * answer everything: the regex engine's refusal of a nondeterministic
 * collation must stay what it was.
 */
static TagClassifier
tag_classifier(Oid collation)
{
	TagClassifier classifier;

	classifier.re = RE_compile_and_cache(tag_char_pattern(), TAG_CHAR_CFLAGS,
										 collation);
	classifier.cache = tag_char_cache(collation);
	return classifier;
}

/*
 * The regex engine's answer for one character: does the class match it?
 * Error handling as in regexp.c: an interrupt surfaces as REG_CANCEL,
 * anything but a match or no match is the engine's failure.
 */
static bool
regex_says_tag_char(regex_t *re, pg_wchar c)
{
	int			rc;

	rc = pg_regexec(re, &c, 1, 0, NULL, 0, NULL, 0);
	if (rc == REG_OKAY)
		return true;
	if (rc != REG_NOMATCH)
	{
		char		message[100];

		CHECK_FOR_INTERRUPTS();
		pg_regerror(rc, re, message, sizeof(message));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
				 errmsg("regular expression failed: %s", message)));
	}
	return false;
}

/* Is c in [[:alnum:]_] in the classifier's collation? */
static bool
is_tag_char(TagClassifier *classifier, pg_wchar c)
{
	TagCharCache *cache = classifier->cache;
	TagCharEntry *entry;
	bool		found;
	bool		answer;

	if (c < lengthof(cache->ascii))
	{
		if (cache->ascii[c] == TAG_CHAR_UNKNOWN)
			cache->ascii[c] = regex_says_tag_char(classifier->re, c) ?
				TAG_CHAR_YES : TAG_CHAR_NO;
		return cache->ascii[c] == TAG_CHAR_YES;
	}

	entry = hash_search(cache->others, &c, HASH_FIND, NULL);
	if (entry != NULL)
		return entry->is_tag_char;

	/* Ask before entering, so an error cannot leave an entry unset. */
	answer = regex_says_tag_char(classifier->re, c);
	if (hash_get_num_entries(cache->others) < TAG_CHAR_CACHE_MAX)
	{
		entry = hash_search(cache->others, &c, HASH_ENTER, &found);
		entry->is_tag_char = answer;
	}
	return answer;
}

/* Can c continue a tag ([[:alnum:]_.])? */
static bool
is_tag_run_char(TagClassifier *classifier, pg_wchar c)
{
	return c == TAG_INNER_DOT || is_tag_char(classifier, c);
}

/*
 * The old pattern's next match at or after search_start, as
 * regexp_matches() with 'g' finds it: the leftmost start, then the
 * longest match there.  A match starts either at the very start of the
 * caption with the sigil (^ matches nowhere else, whatever search_start
 * is), or at a non-tag character followed by the sigil; either way a tag
 * character must follow the sigil.  The two cannot both apply at one
 * position.  The longest tag runs over tag characters and dots and ends
 * at the last tag character of that run.  Sets the tag's bounds; the
 * match ends where the tag does.
 */
static bool
next_match(TagClassifier *classifier, const pg_wchar *wide, int len,
		   int search_start, pg_wchar sigil, int *tag_start, int *tag_end)
{
	int			start;

	for (start = search_start; start + 1 < len; start++)
	{
		int			at_sigil;
		int			i;

		if (start == 0 && wide[0] == sigil &&
			is_tag_char(classifier, wide[1]))
			at_sigil = 0;
		else if (wide[start + 1] == sigil && start + 2 < len &&
				 !is_tag_char(classifier, wide[start]) &&
				 is_tag_char(classifier, wide[start + 2]))
			at_sigil = start + 1;
		else
			continue;

		*tag_start = at_sigil + 1;
		*tag_end = *tag_start + 1;
		for (i = *tag_end; i < len && is_tag_run_char(classifier, wide[i]); i++)
			if (wide[i] != TAG_INNER_DOT)
				*tag_end = i + 1;
		return true;
	}
	return false;
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
 * Every match in the caption, lower-cased, in order.  As with
 * regexp_matches() and 'g', the next search starts where the match ended,
 * so the character a match consumed before its sigil cannot start the
 * next one: "#a#b" gives only "a".  (Matches are never empty, so the
 * one-character step regexp_matches() takes after an empty match never
 * applies.)
 */
static void
collect_tags(CaptionTags *tags, text *caption, pg_wchar sigil, Oid collation)
{
	TagClassifier classifier = tag_classifier(collation);
	int			len = VARSIZE_ANY_EXHDR(caption);
	pg_wchar   *wide = palloc((len + 1) * sizeof(pg_wchar));
	char	   *conv = palloc(len + 1);
	int			wide_len;
	int			search_start = 0;
	int			tag_start;
	int			tag_end;

	wide_len = pg_mb2wchar_with_len(VARDATA_ANY(caption), wide, len);
	while (next_match(&classifier, wide, wide_len, search_start, sigil,
					  &tag_start, &tag_end))
	{
		int			nbytes;
		char	   *lowered;

		/* A substring's bytes never outnumber the caption's. */
		nbytes = pg_wchar2mb_with_len(wide + tag_start, conv, tag_end - tag_start);
		lowered = str_tolower(conv, nbytes, collation);
		caption_tags_append(tags, cstring_to_text(lowered));
		pfree(lowered);
		search_start = tag_end;
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
	CaptionTags tags = {0};
	ArrayType  *result;
	int			i;

	collect_tags(&tags, caption, caption_sigil(sigil), collation);
	mark_first_occurrences(&tags);
	result = first_occurrences_array(&tags);

	for (i = 0; i < tags.count; i++)
		pfree(tags.items[i].tag);
	if (tags.items)
		pfree(tags.items);
	PG_RETURN_ARRAYTYPE_P(result);
}
