/*
 * libFuzzer target: every TikTok response decoder of src/json_decode.c
 * (over the JSON tree of src/json_tree.c) on arbitrary bytes.  The first
 * byte picks the decoder, the rest is the response body.  Decoders must
 * return a value or an error message, never crash, overflow or read out
 * of bounds.
 *
 * Memory: fuzz_alloc.h, freed after each input.
 *
 * FUZZ_SOURCES: src/json_decode.c src/json_tree.c
 * FUZZ_LIBS: -Wl,--wrap=palloc,--wrap=palloc0,--wrap=repalloc,--wrap=pfree,--wrap=pstrdup @PGLIB@/libpgcommon.a @PGLIB@/libpgport.a
 */
#define FRONTEND 1
#include "postgres_fe.h"

#include "json_decode.h"
#include "fuzz_alloc.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
decode(int which, const char *data, size_t size)
{
	JsonNode   *root = NULL;
	TtEnvelope	env;
	TtVideoList list;
	TtUser		user;
	TtToken		tok;

	if (which == 0)
	{
		(void) json_decode_oauth_token(data, size, &tok);
		return;
	}
	if (json_decode_parse(data, size, &root) != NULL)
		return;
	(void) json_serialize(root);
	if (which == 1)
	{
		if (json_decode_display_envelope(root, &env) == NULL)
		{
			(void) json_decode_display_videos(env.data, &list);
			(void) json_decode_display_user(env.data, &user);
		}
	}
	else if (json_decode_business_envelope(root, &env) == NULL)
	{
		if (which == 2)
		{
			(void) json_decode_business_videos(env.data, &list);
			(void) json_decode_business_token(env.data, &tok);
		}
		else
		{
			(void) json_decode_business_account(env.data, &user);
			(void) json_decode_business_token_info(env.data, &user);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	decode(data[0] % 4, (const char *) data + 1, size - 1);
	free_all();
	return 0;
}
