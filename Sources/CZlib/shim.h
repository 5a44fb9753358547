// zlib, the system library: Keel reads .csv.gz files through its inflate stream.
#include <zlib.h>

// inflateInit2 is a macro; Swift calls it through this function.
static inline int keel_inflate_init(z_stream *stream) {
    // 15 + 32: the largest window, and the gzip or zlib header detected from the first bytes.
    return inflateInit2(stream, 15 + 32);
}
