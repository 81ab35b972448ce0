/*-------------------------------------------------------------------------
 *
 * json_tree.h
 *	  A small JSON tree (JsonNode) parsed with PostgreSQL's JSON lexer.
 *
 * Built on PostgreSQL's own JSON lexer (common/jsonapi.h), with
 * pg_parse_json()'s grammar and no backend state: the same code links into the
 * server and, with libpgcommon/libpgport, into the libFuzzer targets.
 * A response is parsed into a small tree (JsonNode); numbers keep their
 * token text so that 64-bit integers are converted exactly, never through
 * a double.  Strings are valid UTF-8 (invalid input becomes U+FFFD).
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_JSON_TREE_H
#define TIKTRACK_JSON_TREE_H

#include "lib/stringinfo.h"

/* Deepest nesting accepted; TikTok's responses need about 5 levels. */
#define JSON_DECODE_MAX_DEPTH 32

typedef enum JsonNodeType
{
	JN_NULL,
	JN_BOOL,
	JN_NUMBER,
	JN_STRING,
	JN_OBJECT,
	JN_ARRAY
} JsonNodeType;

typedef struct JsonNode
{
	JsonNodeType type;
	char	   *text;			/* string value, number token, "true"/"false" */
	bool		repaired;		/* string: invalid UTF-8 replaced by U+FFFD */
	int			n;				/* children of an object or array */
	int			cap;
	char	  **keys;			/* object member names */
	struct JsonNode **items;
} JsonNode;

/* Parse; NULL on success (*out set) or an error message. */
extern char *json_decode_parse(const char *data, size_t len, JsonNode **out);

extern JsonNode *json_get(const JsonNode *obj, const char *key);
extern JsonNode *json_path(const JsonNode *root, const char *dotted);	/* "a.b.c" */

/*
 * Exact integer of a number (or of a string holding one: TikTok sends ids
 * as strings).  Returns false if absent/null; sets *err for a wrong type
 * or a value that is not an integer within int64.
 */
extern bool json_int64(const JsonNode *n, int64 *v, bool *err);
extern bool json_double(const JsonNode *n, double *v, bool *err);
extern bool json_bool(const JsonNode *n, bool *v, bool *err);
/* string or number text; NULL if absent or null */
extern char *json_text(const JsonNode *n);
/* Serialize a subtree back to JSON text (for jsonb audience columns). */
extern char *json_serialize(const JsonNode *n);
/* The same, appended to buf; and a C string as a JSON string literal. */
extern void json_append_serialized(StringInfo buf, const JsonNode *n);
extern void json_append_string(StringInfo buf, const char *s);

#endif							/* TIKTRACK_JSON_TREE_H */
