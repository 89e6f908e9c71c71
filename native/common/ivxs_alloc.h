/*
 * The allocator hooks a core takes (ring's arena, p2p's endpoint): where its
 * memory lives is the platform's choice (PSRAM through heap_caps_malloc on an
 * ESP32-S3). A core given NULL uses malloc/free.
 */
#ifndef IVXS_ALLOC_H
#define IVXS_ALLOC_H

#include <stddef.h>

typedef struct {
	void *(*alloc)(size_t bytes, void *ctx);
	void (*free)(void *p, void *ctx);
	void *ctx;
} ivxs_allocator;

#endif
