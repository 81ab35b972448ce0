/*
 * The libFuzzer targets' palloc: in the server a memory context frees what
 * a decode allocated; here the linker routes palloc & co. (of libpgcommon's
 * JSON lexer too) to this small tracking allocator, and free_all() frees
 * everything after each input, so leak detection stays on and memory does
 * not grow.  Link with
 *   -Wl,--wrap=palloc,--wrap=palloc0,--wrap=repalloc,--wrap=pfree,--wrap=pstrdup
 * and include this file in exactly one file of the target.
 */
#ifndef TIKTRACK_FUZZ_ALLOC_H
#define TIKTRACK_FUZZ_ALLOC_H

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

#endif							/* TIKTRACK_FUZZ_ALLOC_H */
