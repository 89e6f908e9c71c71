/*
 * The allocator hooks a core takes (ring's arena, p2p's endpoint): where its
 * memory lives is the platform's choice (PSRAM through heap_caps_malloc on an
 * ESP32-S3). A core given NULL uses malloc/free.
 */
#ifndef IVXS_ALLOC_H
#define IVXS_ALLOC_H

#include <stddef.h>
#include <stdlib.h>

typedef struct {
	void *(*alloc)(size_t bytes, void *ctx);
	void (*free)(void *p, void *ctx);
	void *ctx;
} ivxs_allocator;

static inline void *ivxs_default_alloc(size_t bytes, void *ctx)
{
	(void)ctx;
	return malloc(bytes);
}

static inline void ivxs_default_free(void *p, void *ctx)
{
	(void)ctx;
	free(p);
}

/* malloc/free, for a core given no allocator. */
static inline ivxs_allocator ivxs_default_allocator(void)
{
	ivxs_allocator a = { ivxs_default_alloc, ivxs_default_free, NULL };
	return a;
}

#endif
