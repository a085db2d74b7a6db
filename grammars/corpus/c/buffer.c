/* Implementation of buffer.h. */
#include <stdlib.h>
#include <string.h>
#include "buffer.h"

#define GROWTH_FACTOR 2

const char *buffer_version = "1.2.0";
static const size_t min_heap = 64;
static int allocations = 0;
int debug_level;

static size_t next_capacity(size_t current, size_t needed)
{
    size_t cap = BUFFER_MAX(current, min_heap);
    while (cap < needed) {
        cap *= GROWTH_FACTOR;
    }
    return cap;
}

void buffer_init(struct buffer *b)
{
    b->len = 0;
    b->cap = BUFFER_INLINE;
    b->data = b->inline_data;
    b->mode = BUFFER_INLINE_MODE;
}

static int grow(struct buffer *b, size_t needed)
{
    size_t cap = next_capacity(b->cap, needed);
    byte *data = malloc(cap);
    if (!data) {
        return -1;
    }
    memcpy(data, b->data, b->len);
    if (b->mode == BUFFER_HEAP_MODE) {
        free(b->data);
    }
    allocations++;
    b->data = data;
    b->cap = cap;
    b->mode = BUFFER_HEAP_MODE;
    return 0;
}

int buffer_push(struct buffer *b, const byte *data, size_t len)
{
    if (b->len + len > b->cap && grow(b, b->len + len) != 0) {
        return -1;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

byte *buffer_detach(struct buffer *b, size_t *len)
{
    byte *out = b->data;
    if (b->mode == BUFFER_INLINE_MODE) {
        out = malloc(b->len);
        memcpy(out, b->data, b->len);
    }
    *len = b->len;
    buffer_init(b);
    return out;
}
