/* A growable byte buffer with a small-size optimisation. */
#ifndef BUFFER_H
#define BUFFER_H

#include <stddef.h>

#define BUFFER_INLINE 32
#define BUFFER_MAX(a, b) ((a) > (b) ? (a) : (b))

typedef unsigned char byte;

enum buffer_mode {
    BUFFER_INLINE_MODE,
    BUFFER_HEAP_MODE = 1,
};

struct buffer {
    size_t len;
    size_t cap;
    byte *data;
    byte inline_data[BUFFER_INLINE];
    enum buffer_mode mode;
};

typedef struct {
    const char *name;
    int (*write)(struct buffer *, const byte *, size_t);
} buffer_sink;

union buffer_word {
    unsigned int u;
    float f;
};

extern const char *buffer_version;

void buffer_init(struct buffer *b);
int buffer_push(struct buffer *b, const byte *data, size_t len);
byte *buffer_detach(struct buffer *b, size_t *len);

#endif
