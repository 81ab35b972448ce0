/*
 * libFuzzer target: every TikTok response decoder of src/json_decode.c
 * (over the JSON tree of src/json_tree.c) on arbitrary bytes.  The first
 * byte picks the decoder, the rest is the response body.  Decoders must
 * return a value or an error message, never crash, overflow or read out
 * of bounds.
 *
 * In the server a memory context frees what a decode allocated; here the
 * linker routes palloc & co. (of libpgcommon's JSON parser too) to a small
 * tracking allocator that frees everything after each input, so leak
 * detection stays on and memory does not grow.
 *
 * FUZZ_SOURCES: src/json_decode.c src/json_tree.c
 * FUZZ_LIBS: -Wl,--wrap=palloc,--wrap=palloc0,--wrap=repalloc,--wrap=pfree,--wrap=pstrdup @PGLIB@/libpgcommon.a @PGLIB@/libpgport.a
 */
#define FRONTEND 1
#include "postgres_fe.h"

#include "json_decode.h"

typedef struct Block
{
	struct Block *prev;
	struct Block *next;
	size_t		size;
	size_t		pad;			/* keeps the payload 16-byte aligned */
} Block;

static Block *blocks = NULL;

void	   *__wrap_palloc(size_t size);
void	   *__wrap_palloc0(size_t size);
void	   *__wrap_repalloc(void *p, size_t size);
void		__wrap_pfree(void *p);
char	   *__wrap_pstrdup(const char *s);
int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
link_block(Block *b)
{
	b->prev = NULL;
	b->next = blocks;
	if (blocks)
		blocks->prev = b;
	blocks = b;
}

static void
unlink_block(Block *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		blocks = b->next;
	if (b->next)
		b->next->prev = b->prev;
}

void *
__wrap_palloc(size_t size)
{
	Block	   *b = malloc(sizeof(Block) + (size ? size : 1));

	if (b == NULL)
		abort();
	b->size = size;
	link_block(b);
	return b + 1;
}

void *
__wrap_palloc0(size_t size)
{
	void	   *p = __wrap_palloc(size);

	memset(p, 0, size);
	return p;
}

void *
__wrap_repalloc(void *p, size_t size)
{
	Block	   *b = ((Block *) p) - 1;
	Block	   *nb;

	unlink_block(b);
	nb = realloc(b, sizeof(Block) + (size ? size : 1));
	if (nb == NULL)
		abort();
	nb->size = size;
	link_block(nb);
	return nb + 1;
}

void
__wrap_pfree(void *p)
{
	Block	   *b = ((Block *) p) - 1;

	unlink_block(b);
	free(b);
}

char *
__wrap_pstrdup(const char *s)
{
	size_t		n = strlen(s) + 1;
	char	   *p = __wrap_palloc(n);

	memcpy(p, s, n);
	return p;
}

static void
free_all(void)
{
	while (blocks)
	{
		Block	   *b = blocks;

		blocks = b->next;
		free(b);
	}
}

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
