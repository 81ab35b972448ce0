/*
 * libFuzzer target: the JSON tree of src/json_tree.c against PostgreSQL's
 * own pg_parse_json() on arbitrary bytes.  json_tree.c drives the lexer
 * with pg_parse_json()'s grammar but without de-escaping every string,
 * and skips the per-string UTF-8 check when the whole body is valid; the
 * reference here parses the same repaired text with pg_parse_json() and
 * its semantic actions, checking every string.  Both must accept and
 * refuse the same inputs and build identical trees: same node types,
 * keys, texts and repaired flags.  A refusal for depth must be true.
 *
 * json_tree.c is included, not linked, to reach its static helpers (the
 * repair and the tree builder).
 *
 * FUZZ_SOURCES:
 * FUZZ_LIBS: -Wl,--wrap=palloc,--wrap=palloc0,--wrap=repalloc,--wrap=pfree,--wrap=pstrdup @PGLIB@/libpgcommon.a @PGLIB@/libpgport.a
 */
#define FRONTEND 1
#include "postgres_fe.h"

#include "json_tree.c"
#include "fuzz_alloc.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
ref_object_start(void *state)
{
	tree_container_start((BuildState *) state, JN_OBJECT);
}

static void
ref_array_start(void *state)
{
	tree_container_start((BuildState *) state, JN_ARRAY);
}

static void
ref_end(void *state)
{
	tree_end((BuildState *) state);
}

static void
ref_field_start(void *state, char *fname, bool isnull)
{
	((BuildState *) state)->pending_key = fname;
}

static void
ref_scalar(void *state, char *token, JsonTokenType tokentype)
{
	tree_scalar((BuildState *) state, token, tokentype);
}

/*
 * Nesting depth of a JSON text, counting brackets outside strings; pg_parse_json()
 * recurses per level, so the reference refuses deep input before parsing
 * (json_tree.c refuses it while parsing).
 */
static int
max_depth(const char *data, size_t len)
{
	int			depth = 0;
	int			maxd = 0;
	bool		in_string = false;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		char		c = data[i];

		if (in_string)
		{
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"')
			in_string = true;
		else if (c == '{' || c == '[')
		{
			if (++depth > maxd)
				maxd = depth;
		}
		else if (c == '}' || c == ']')
			depth--;
	}
	return maxd;
}

/* json_decode_parse() as it was: pg_parse_json() with semantic actions. */
static bool
reference_parse(const char *data, size_t len, JsonNode **out)
{
	JsonLexContext *lex;
	JsonSemAction sem;
	BuildState	st;
	char	   *copy;

	if (len == 0 || max_depth(data, len) > JSON_DECODE_MAX_DEPTH)
		return false;
	copy = copy_slice(data, len);
	repair_unicode_escapes(copy, len);
	memset(&st, 0, sizeof(st));
	st.body_is_utf8 = false;	/* every string checked on its own */
	memset(&sem, 0, sizeof(sem));
	sem.semstate = &st;
	sem.object_start = ref_object_start;
	sem.object_end = ref_end;
	sem.array_start = ref_array_start;
	sem.array_end = ref_end;
	sem.object_field_start = ref_field_start;
	sem.scalar = ref_scalar;
	lex = makeJsonLexContextCstringLen(copy, (int) len, PG_UTF8, true);
	if (pg_parse_json(lex, &sem) != JSON_SUCCESS || st.root == NULL)
		return false;
	*out = st.root;
	return true;
}

static bool
same_text(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
same_tree(const JsonNode *a, const JsonNode *b)
{
	int			i;

	if (a->type != b->type || a->n != b->n || a->repaired != b->repaired ||
		!same_text(a->text, b->text))
		return false;
	for (i = 0; i < a->n; i++)
	{
		if (a->type == JN_OBJECT && !same_text(a->keys[i], b->keys[i]))
			return false;
		if (!same_tree(a->items[i], b->items[i]))
			return false;
	}
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	JsonNode   *tree = NULL;
	JsonNode   *ref = NULL;
	char	   *error = json_decode_parse((const char *) data, size, &tree);
	bool		ok = (error == NULL);

	if (!ok && strstr(error, "nested deeper") != NULL &&
		max_depth((const char *) data, size) <= JSON_DECODE_MAX_DEPTH)
	{
		fprintf(stderr, "refused as too deep, but nested %d levels\n",
				max_depth((const char *) data, size));
		abort();
	}

	if (ok != reference_parse((const char *) data, size, &ref))
	{
		fprintf(stderr, "json_tree.c %s what pg_parse_json() %s\n",
				ok ? "accepts" : "refuses", ok ? "refuses" : "accepts");
		abort();
	}
	if (ok && !same_tree(tree, ref))
	{
		fprintf(stderr, "json_tree.c and pg_parse_json() build different trees\n");
		abort();
	}
	free_all();
	return 0;
}
