/*-------------------------------------------------------------------------
 *
 * json_tree.c
 *	  A small JSON tree over PostgreSQL's JSON lexer, with its accessors.
 *
 * Pure code: palloc and the lexer from src/common, nothing else of the
 * backend, so the fuzz targets link it with libpgcommon.  Strings are
 * repaired to valid UTF-8 (invalid bytes and \u escapes become U+FFFD),
 * nesting is limited to JSON_DECODE_MAX_DEPTH, numbers keep their token
 * text so that 64-bit integers are converted exactly.  The TikTok wire
 * formats decoded from this tree live in json_decode.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FRONTEND
#include "postgres.h"
#else
#include "postgres_fe.h"
#endif

#include <math.h>

#include "common/int.h"
#include "common/jsonapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

#include "json_tree.h"

/* ------------------------------------------------------------------------
 * Parsing into a tree
 * ------------------------------------------------------------------------
 */

typedef struct BuildState
{
	JsonNode   *root;
	JsonNode   *stack[JSON_DECODE_MAX_DEPTH + 2];
	int			depth;
	char	   *pending_key;
	bool		body_is_utf8;	/* every string is valid UTF-8 already */
	bool		too_deep;		/* refused: nested deeper than the limit */
} BuildState;

static bool utf8_make_valid(char **s);

static JsonNode *
node_new(JsonNodeType type)
{
	JsonNode   *n = palloc0(sizeof(JsonNode));

	n->type = type;
	return n;
}

static void
node_attach(BuildState *st, JsonNode *child)
{
	JsonNode   *parent;

	if (st->depth == 0)
	{
		st->root = child;
		return;
	}
	parent = st->stack[st->depth - 1];
	if (parent->n == parent->cap)
	{
		int			newcap = parent->cap ? parent->cap * 2 : 8;

		if (parent->items)
		{
			parent->items = repalloc(parent->items, sizeof(JsonNode *) * newcap);
			if (parent->type == JN_OBJECT)
				parent->keys = repalloc(parent->keys, sizeof(char *) * newcap);
		}
		else
		{
			parent->items = palloc(sizeof(JsonNode *) * newcap);
			if (parent->type == JN_OBJECT)
				parent->keys = palloc(sizeof(char *) * newcap);
		}
		parent->cap = newcap;
	}
	if (parent->type == JN_OBJECT)
		parent->keys[parent->n] = st->pending_key ? st->pending_key : pstrdup("");
	parent->items[parent->n++] = child;
	st->pending_key = NULL;
}

static void
tree_container_start(BuildState *st, JsonNodeType type)
{
	JsonNode   *n = node_new(type);

	node_attach(st, n);
	/* the parser refuses deeper input; stay safe anyway */
	if (st->depth < JSON_DECODE_MAX_DEPTH + 1)
		st->stack[st->depth++] = n;
}

static void
tree_end(BuildState *st)
{
	if (st->depth > 0)
		st->depth--;
}

static void
tree_scalar(BuildState *st, char *token, JsonTokenType tokentype)
{
	JsonNode   *n;

	switch (tokentype)
	{
		case JSON_TOKEN_STRING:
			n = node_new(JN_STRING);
			break;
		case JSON_TOKEN_NUMBER:
			n = node_new(JN_NUMBER);
			break;
		case JSON_TOKEN_TRUE:
		case JSON_TOKEN_FALSE:
			n = node_new(JN_BOOL);
			break;
		default:
			n = node_new(JN_NULL);
			break;
	}
	n->text = token;
	if (tokentype == JSON_TOKEN_STRING && token != NULL && !st->body_is_utf8)
		n->repaired = utf8_make_valid(&n->text);
	node_attach(st, n);
}

/*
 * Makes a decoded string valid UTF-8 in place of the parser's: each byte
 * that does not start a well-formed character becomes U+FFFD.  The parser
 * does not check the encoding of unescaped bytes (the backend's json_in
 * verifies its input first; a response from TikTok is not verified), and
 * text that is not valid UTF-8 cannot be stored.  Returns whether the
 * string was changed.
 */
static bool
utf8_make_valid(char **s)
{
	const unsigned char *p = (const unsigned char *) *s;
	size_t		len = strlen(*s);
	size_t		i = 0;
	StringInfoData buf;
	bool		changed = false;

	/* the common case: valid, no copy */
	while (i < len)
	{
		int			l;

		if (p[i] < 0x80)
		{
			i++;
			continue;
		}
		l = pg_utf_mblen(p + i);

		if (l > (int) (len - i) || !pg_utf8_islegal(p + i, l))
			break;
		i += l;
	}
	if (i == len)
		return false;

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, *s, (int) i);
	while (i < len)
	{
		int			l = pg_utf_mblen(p + i);

		if (l <= (int) (len - i) && pg_utf8_islegal(p + i, l))
		{
			appendBinaryStringInfo(&buf, (const char *) p + i, l);
			i += l;
		}
		else
		{
			appendStringInfoString(&buf, "\xEF\xBF\xBD");
			changed = true;
			i++;
		}
	}
	*s = buf.data;
	return changed;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The code unit of a \uXXXX escape at p (p[0] == '\\'), or -1. */
static int
unicode_escape_at(const char *p, const char *end)
{
	int			v = 0;
	int			k;

	if (end - p < 6 || p[1] != 'u')
		return -1;
	for (k = 2; k < 6; k++)
	{
		int			h = hex_value(p[k]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/*
 * Rewrites, in place and at the same length, the escapes a TEXT value
 * cannot hold and on which the parser would reject the whole response:
 * \u0000 and unpaired UTF-16 surrogates become \ufffd.  One such string
 * in one video's caption must not cost every other video of the answer.
 */
static void
repair_unicode_escapes(char *data, size_t len)
{
	char	   *end = data + len;
	char	   *p;
	bool		in_string = false;

	for (p = data; p < end; p++)
	{
		int			u;

		if (!in_string)
		{
			if (*p == '"')
				in_string = true;
			continue;
		}
		if (*p == '"')
		{
			in_string = false;
			continue;
		}
		if (*p != '\\')
			continue;
		u = unicode_escape_at(p, end);
		if (u < 0)
		{
			p++;				/* skip the escaped character */
			continue;
		}
		if (u >= 0xD800 && u <= 0xDBFF)
		{
			int			lo = unicode_escape_at(p + 6, end);

			if (p + 6 < end && p[6] == '\\' && lo >= 0xDC00 && lo <= 0xDFFF)
			{
				p += 11;		/* a valid pair */
				continue;
			}
		}
		else if (u != 0 && (u < 0xDC00 || u > 0xDFFF))
		{
			p += 5;
			continue;
		}
		memcpy(p + 2, "fffd", 4);
		p += 5;
	}
}

/*
 * Why the parser stopped.  json_errdetail() is not part of the frontend
 * libpgcommon of PostgreSQL 15, so the decoders say it themselves (with
 * the byte offset, never the input: a body may hold a token).
 */
static const char *
parse_error_name(JsonParseErrorType rc)
{
	switch (rc)
	{
		case JSON_ESCAPING_INVALID:
		case JSON_ESCAPING_REQUIRED:
			return "invalid escape or control character in a string";
		case JSON_EXPECTED_ARRAY_FIRST:
		case JSON_EXPECTED_ARRAY_NEXT:
			return "malformed array";
		case JSON_EXPECTED_COLON:
		case JSON_EXPECTED_OBJECT_FIRST:
		case JSON_EXPECTED_OBJECT_NEXT:
		case JSON_EXPECTED_STRING:
			return "malformed object";
		case JSON_EXPECTED_END:
			return "garbage after the JSON value";
		case JSON_EXPECTED_JSON:
		case JSON_EXPECTED_MORE:
			return "unexpected end of input (truncated response?)";
		case JSON_INVALID_TOKEN:
			return "invalid token";
		case JSON_UNICODE_CODE_POINT_ZERO:
		case JSON_UNICODE_ESCAPE_FORMAT:
		case JSON_UNICODE_HIGH_ESCAPE:
		case JSON_UNICODE_HIGH_SURROGATE:
		case JSON_UNICODE_LOW_SURROGATE:
			return "invalid Unicode escape";
		default:
			return "parse error";
	}
}

/* ------------------------------------------------------------------------
 * The grammar, over PostgreSQL's lexer
 *
 * PostgreSQL 15's pg_parse_json() has its lexer de-escape every string into
 * a StringInfo one character at a time (appendStringInfoChar), the largest
 * single cost of decoding an answer.  Without that (need_escapes = false)
 * the lexer still checks every token, escapes included.  This recursive
 * descent is pg_parse_json()'s own, step for step: the same tokens read in
 * the same order, the same errors where it stops.  A string without a
 * backslash is taken as it stands in the input; only one with escapes is
 * de-escaped, by the lexer itself.
 * ------------------------------------------------------------------------
 */

static JsonParseErrorType parse_value(JsonLexContext *lex, BuildState *st);

/* What was expected instead of the token at hand (report_parse_error()). */
static JsonParseErrorType
expected(JsonLexContext *lex, JsonParseErrorType what)
{
	if (lex->token_start == NULL || lex->token_type == JSON_TOKEN_END)
		return JSON_EXPECTED_MORE;
	return what;
}

static JsonParseErrorType
expect(JsonLexContext *lex, JsonTokenType tok, JsonParseErrorType what)
{
	if (lex->token_type != tok)
		return expected(lex, what);
	return json_lex(lex);
}

/* A copy of len bytes at s, terminated (palloc: the fuzz targets track it). */
static char *
copy_slice(const char *s, size_t len)
{
	char	   *c = palloc(len + 1);

	memcpy(c, s, len);
	c[len] = '\0';
	return c;
}

/* The value of the string token at hand. */
static JsonParseErrorType
string_value(JsonLexContext *lex, char **out)
{
	char	   *start = lex->token_start + 1;
	int			len = (int) (lex->token_terminator - lex->token_start) - 2;
	JsonLexContext *one;
	JsonParseErrorType rc;

	if (memchr(start, '\\', len) == NULL)
	{
		*out = copy_slice(start, len);
		return JSON_SUCCESS;
	}
	one = makeJsonLexContextCstringLen(lex->token_start, len + 2, PG_UTF8, true);
	rc = json_lex(one);
	if (rc != JSON_SUCCESS)
		return rc;
	*out = one->strval->data;
	return JSON_SUCCESS;
}

static JsonParseErrorType
parse_scalar(JsonLexContext *lex, BuildState *st)
{
	JsonTokenType tok = lex->token_type;
	char	   *val;
	JsonParseErrorType rc;

	if (tok == JSON_TOKEN_STRING)
	{
		rc = string_value(lex, &val);
		if (rc != JSON_SUCCESS)
			return rc;
	}
	else if (tok == JSON_TOKEN_NUMBER || tok == JSON_TOKEN_TRUE ||
			 tok == JSON_TOKEN_FALSE || tok == JSON_TOKEN_NULL)
		val = copy_slice(lex->token_start, lex->token_terminator - lex->token_start);
	else
		return expected(lex, JSON_EXPECTED_JSON);
	rc = json_lex(lex);
	if (rc != JSON_SUCCESS)
		return rc;
	tree_scalar(st, val, tok);
	return JSON_SUCCESS;
}

static JsonParseErrorType
parse_field(JsonLexContext *lex, BuildState *st)
{
	char	   *key;
	JsonParseErrorType rc;

	if (lex->token_type != JSON_TOKEN_STRING)
		return expected(lex, JSON_EXPECTED_STRING);
	rc = string_value(lex, &key);
	if (rc == JSON_SUCCESS)
		rc = json_lex(lex);
	if (rc == JSON_SUCCESS)
		rc = expect(lex, JSON_TOKEN_COLON, JSON_EXPECTED_COLON);
	if (rc != JSON_SUCCESS)
		return rc;
	st->pending_key = key;
	return parse_value(lex, st);
}

/*
 * An object or array one level deeper, unless that is past the limit: the
 * parser recurses per level, and a response is never nested that deep.
 */
static JsonParseErrorType
open_container(BuildState *st, JsonNodeType type)
{
	if (st->depth >= JSON_DECODE_MAX_DEPTH)
	{
		st->too_deep = true;
		return JSON_EXPECTED_MORE;	/* (reported as too_deep) */
	}
	tree_container_start(st, type);
	return JSON_SUCCESS;
}

/*
 * An object's members or an array's elements up to its closing bracket,
 * as pg_parse_json()'s parse_object() and parse_array() read them.
 */
static JsonParseErrorType
parse_container(JsonLexContext *lex, BuildState *st, JsonNodeType type)
{
	bool		object = (type == JN_OBJECT);
	JsonTokenType end = object ? JSON_TOKEN_OBJECT_END : JSON_TOKEN_ARRAY_END;
	JsonParseErrorType (*element) (JsonLexContext *, BuildState *) =
		object ? parse_field : parse_value;
	JsonParseErrorType rc = open_container(st, type);

	if (rc == JSON_SUCCESS)
		rc = json_lex(lex);
	if (rc != JSON_SUCCESS)
		return rc;
	if (object && lex->token_type != JSON_TOKEN_STRING && lex->token_type != end)
		rc = expected(lex, JSON_EXPECTED_OBJECT_FIRST);
	else if (lex->token_type != end)
	{
		rc = element(lex, st);
		while (rc == JSON_SUCCESS && lex->token_type == JSON_TOKEN_COMMA)
		{
			rc = json_lex(lex);
			if (rc == JSON_SUCCESS)
				rc = element(lex, st);
		}
	}
	if (rc == JSON_SUCCESS)
		rc = expect(lex, end, object ? JSON_EXPECTED_OBJECT_NEXT : JSON_EXPECTED_ARRAY_NEXT);
	if (rc != JSON_SUCCESS)
		return rc;
	tree_end(st);
	return JSON_SUCCESS;
}

/* Recursion is bounded: open_container() refuses deep input. */
static JsonParseErrorType
parse_value(JsonLexContext *lex, BuildState *st)
{
	switch (lex->token_type)
	{
		case JSON_TOKEN_OBJECT_START:
			return parse_container(lex, st, JN_OBJECT);
		case JSON_TOKEN_ARRAY_START:
			return parse_container(lex, st, JN_ARRAY);
		default:
			return parse_scalar(lex, st);
	}
}

char *
json_decode_parse(const char *data, size_t len, JsonNode **out)
{
	JsonLexContext *lex;
	BuildState	st;
	JsonParseErrorType rc;
	char	   *copy;

	*out = NULL;
	if (len == 0)
		return pstrdup("empty response body");
	if (len > (size_t) 0x3fffffff)
		return pstrdup("response body too large");

	copy = palloc(len + 1);
	memcpy(copy, data, len);
	copy[len] = '\0';
	if (memchr(copy, '\\', len) != NULL)
		repair_unicode_escapes(copy, len);

	memset(&st, 0, sizeof(st));

	/*
	 * A body that is valid UTF-8 as a whole (the usual answer) has only
	 * valid strings: quotes never split a character, and the parser decodes
	 * the \u escapes left after the repair above to valid UTF-8.  Otherwise
	 * each string is checked and repaired on its own.
	 */
	st.body_is_utf8 = pg_encoding_verifymbstr(PG_UTF8, copy, (int) len) == (int) len;
	lex = makeJsonLexContextCstringLen(copy, (int) len, PG_UTF8, false);
	rc = json_lex(lex);
	if (rc == JSON_SUCCESS)
		rc = parse_value(lex, &st);
	if (rc == JSON_SUCCESS)
		rc = expect(lex, JSON_TOKEN_END, JSON_EXPECTED_END);
	if (st.too_deep)
		return psprintf("JSON nested deeper than %d levels", JSON_DECODE_MAX_DEPTH);
	if (rc != JSON_SUCCESS)
		return psprintf("invalid JSON: %s at byte %d", parse_error_name(rc),
						(int) (lex->token_start ? lex->token_start - copy : 0));
	if (st.root == NULL)
		return pstrdup("invalid JSON: no value");
	*out = st.root;
	return NULL;
}

/* ------------------------------------------------------------------------
 * Accessors
 * ------------------------------------------------------------------------
 */

JsonNode *
json_get(const JsonNode *obj, const char *key)
{
	int			i;

	if (obj == NULL || obj->type != JN_OBJECT)
		return NULL;
	for (i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return obj->items[i];
	return NULL;
}

JsonNode *
json_path(const JsonNode *root, const char *dotted)
{
	const JsonNode *cur = root;
	char		buf[128];
	const char *p = dotted;

	while (cur && *p)
	{
		size_t		k = strcspn(p, ".");

		if (k >= sizeof(buf))
			return NULL;
		memcpy(buf, p, k);
		buf[k] = '\0';
		cur = json_get(cur, buf);
		p += k;
		if (*p == '.')
			p++;
	}
	return (JsonNode *) cur;
}

/* Exact int64 from decimal text; accepts a zero fraction ("12.0"). */
static bool
parse_int64_text(const char *s, int64 *v)
{
	bool		neg = false;
	int64		acc = 0;
	const char *p = s;

	if (*p == '-')
	{
		neg = true;
		p++;
	}
	if (!isdigit((unsigned char) *p))
		return false;
	for (; isdigit((unsigned char) *p); p++)
	{
		int			d = *p - '0';

		/* accumulate negatively so INT64_MIN fits */
		if (pg_mul_s64_overflow(acc, 10, &acc) ||
			pg_sub_s64_overflow(acc, d, &acc))
			return false;
	}
	if (*p == '.')
	{
		p++;
		if (!isdigit((unsigned char) *p))
			return false;
		while (*p == '0')
			p++;
	}
	if (*p != '\0')
		return false;
	if (!neg)
	{
		if (acc == PG_INT64_MIN)
			return false;
		acc = -acc;
	}
	*v = acc;
	return true;
}

bool
json_int64(const JsonNode *n, int64 *v, bool *err)
{
	if (n == NULL || n->type == JN_NULL)
		return false;
	if ((n->type == JN_NUMBER || n->type == JN_STRING) && n->text &&
		parse_int64_text(n->text, v))
		return true;
	*err = true;
	return false;
}

bool
json_double(const JsonNode *n, double *v, bool *err)
{
	char	   *end;
	double		d;

	if (n == NULL || n->type == JN_NULL)
		return false;
	if ((n->type == JN_NUMBER || n->type == JN_STRING) && n->text && n->text[0])
	{
		errno = 0;
		d = strtod(n->text, &end);
		if (*end == '\0' && errno == 0 && !isnan(d) && !isinf(d))
		{
			*v = d;
			return true;
		}
	}
	*err = true;
	return false;
}

bool
json_bool(const JsonNode *n, bool *v, bool *err)
{
	if (n == NULL || n->type == JN_NULL)
		return false;
	if (n->type == JN_BOOL)
	{
		*v = (strcmp(n->text, "true") == 0);
		return true;
	}
	if (n->type == JN_NUMBER && n->text)
	{
		*v = strcmp(n->text, "0") != 0;
		return true;
	}
	*err = true;
	return false;
}

char *
json_text(const JsonNode *n)
{
	if (n == NULL || (n->type != JN_STRING && n->type != JN_NUMBER))
		return NULL;
	return n->text;
}

void
json_append_string(StringInfo buf, const char *s)
{
	appendStringInfoChar(buf, '"');
	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		switch (c)
		{
			case '"':
				appendStringInfoString(buf, "\\\"");
				break;
			case '\\':
				appendStringInfoString(buf, "\\\\");
				break;
			case '\n':
				appendStringInfoString(buf, "\\n");
				break;
			case '\r':
				appendStringInfoString(buf, "\\r");
				break;
			case '\t':
				appendStringInfoString(buf, "\\t");
				break;
			default:
				if (c < 0x20)
					appendStringInfo(buf, "\\u%04x", c);
				else
					appendStringInfoChar(buf, c);
		}
	}
	appendStringInfoChar(buf, '"');
}

void
json_append_serialized(StringInfo buf, const JsonNode *n)
{
	int			i;

	switch (n->type)
	{
		case JN_NULL:
			appendStringInfoString(buf, "null");
			break;
		case JN_BOOL:
		case JN_NUMBER:
			appendStringInfoString(buf, n->text);
			break;
		case JN_STRING:
			json_append_string(buf, n->text);
			break;
		case JN_OBJECT:
			appendStringInfoChar(buf, '{');
			for (i = 0; i < n->n; i++)
			{
				if (i)
					appendStringInfoString(buf, ", ");
				json_append_string(buf, n->keys[i]);
				appendStringInfoString(buf, ": ");
				json_append_serialized(buf, n->items[i]);
			}
			appendStringInfoChar(buf, '}');
			break;
		case JN_ARRAY:
			appendStringInfoChar(buf, '[');
			for (i = 0; i < n->n; i++)
			{
				if (i)
					appendStringInfoString(buf, ", ");
				json_append_serialized(buf, n->items[i]);
			}
			appendStringInfoChar(buf, ']');
			break;
	}
}

char *
json_serialize(const JsonNode *n)
{
	StringInfoData buf;

	initStringInfo(&buf);
	json_append_serialized(&buf, n);
	return buf.data;
}
