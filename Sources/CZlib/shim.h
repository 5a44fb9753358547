// zlib, the system library: Keel reads .csv.gz files through its inflate stream.
#include <zlib.h>

// inflateInit2 is a macro; Swift calls it through this function.
static inline int keel_inflate_init(z_stream *stream) {
    // 15 + 32: the largest window, and the gzip or zlib header detected from the first bytes.
    return inflateInit2(stream, 15 + 32);
}

// deflateInit2 is a macro too: a gzip stream (15 + 16) at `level`, for the report's packed series.
static inline int keel_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
