/*-------------------------------------------------------------------------
 *
 * url_sql.c
 *	  SQL face of the URL parser: tiktrack.parse_url(url text)
 *	  returns (kind text, handle text, video_id bigint, canonical_url text).
 *
 * All the parsing is in url_parse.c; this file only converts between SQL
 * and C values and turns a parser error into an ERROR whose message quotes
 * what the user passed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "url_parse.h"

/*
 * At most this many bytes of the input are quoted in an error message: a
 * pasted document should not flood the log.
 */
#define URL_QUOTE_MAX_BYTES 100

PG_FUNCTION_INFO_V1(tiktrack_parse_url);

/*
 * The input as an error message quotes it: trimmed like the parser trims
 * it, clipped at a character boundary with "..." appended when long, and
 * with control characters escaped so the message stays on one line.
 */
static char *
quotable_url(const char *s, size_t len)
{
	StringInfoData buf;
	size_t		clip;
	size_t		i;

	tt_url_trim(&s, &len);
	clip = len;
	if (clip > URL_QUOTE_MAX_BYTES)
		clip = pg_mbcliplen(s, (int) Min(len, URL_QUOTE_MAX_BYTES + MAX_MULTIBYTE_CHAR_LEN),
							URL_QUOTE_MAX_BYTES);

	initStringInfo(&buf);
	for (i = 0; i < clip; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c == '\t')
			appendStringInfoString(&buf, "\\t");
		else if (c == '\n')
			appendStringInfoString(&buf, "\\n");
		else if (c == '\r')
			appendStringInfoString(&buf, "\\r");
		else if (c < 0x20 || c == 0x7f)
			appendStringInfo(&buf, "\\x%02X", c);
		else
			appendStringInfoChar(&buf, (char) c);
	}
	if (clip < len)
		appendStringInfoString(&buf, "...");
	return buf.data;
}

static Datum
text_or_null(const char *s, bool *isnull)
{
	*isnull = (s[0] == '\0');
	return *isnull ? (Datum) 0 : CStringGetTextDatum(s);
}

Datum
tiktrack_parse_url(PG_FUNCTION_ARGS)
{
	text	   *input = PG_GETARG_TEXT_PP(0);
	const char *s = VARDATA_ANY(input);
	size_t		len = VARSIZE_ANY_EXHDR(input);
	TupleDesc	tupdesc;
	TtUrl		url;
	const char *reason;
	Datum		values[4];
	bool		nulls[4];

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("function returning record called in context that cannot accept type record")));

	reason = tt_parse_url(s, len, &url);
	if (reason != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid TikTok URL: \"%s\"", quotable_url(s, len)),
				 errdetail_internal("%s", reason),
				 errhint("Paste a TikTok post link such as https://www.tiktok.com/@user/video/1234567890123456789, "
						 "a short link such as https://vm.tiktok.com/ZMabc123/, "
						 "or a profile link such as https://www.tiktok.com/@user.")));

	values[0] = CStringGetTextDatum(tt_url_kind_name(url.kind));
	nulls[0] = false;
	values[1] = text_or_null(url.handle, &nulls[1]);
	values[2] = Int64GetDatum((int64) url.video_id);
	nulls[2] = (url.video_id == 0);
	values[3] = text_or_null(url.canonical, &nulls[3]);

	tupdesc = BlessTupleDesc(tupdesc);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
