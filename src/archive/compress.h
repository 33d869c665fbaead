/* Compression as stream filters: none, zstd (multi-threaded) and gzip (independent members per
 * block, compressed in parallel; mongorestore --gzip reads concatenated members as one stream).
 * On reading, the format is detected from the first bytes. */
#ifndef MB_ARCHIVE_COMPRESS_H
#define MB_ARCHIVE_COMPRESS_H

#include "common/stream.h"

typedef enum { MB_COMPRESS_NONE = 0, MB_COMPRESS_GZIP, MB_COMPRESS_ZSTD } mb_compress_t;

/* "none" | "gzip" | "zstd"; false when unknown. */
bool mb_compress_parse(const char *s, mb_compress_t *out);
const char *mb_compress_name(mb_compress_t c);
/* File name extension: "", ".gz" or ".zst". */
const char *mb_compress_extension(mb_compress_t c);
/* Default level (zstd 3, gzip 3) and the valid range. gzip levels 1-3 use ISA-L's igzip
 * (the default 3: about 7x faster than zlib 6 here, at 1.07-1.11x its output size on the
 * benchmark's documents), 4-9 zlib (smaller, several times slower). */
int mb_compress_default_level(mb_compress_t c);
bool mb_compress_level_valid(mb_compress_t c, int level);

/* A compressing filter in front of down. Takes ownership of down (closed by close, destroyed
 * by destroy) also on failure. threads: worker threads (zstd workers, parallel gzip members);
 * 0 or 1 compresses on the caller's thread. For NONE, *out is down itself. */
MB_MUST_CHECK bool mb_compress_sink_new(mb_compress_t c, int level, int threads, mb_sink_t *down,
                                        mb_sink_t **out, mb_error_t *err);

/* A decompressing filter over down, detecting none/gzip/zstd from the first bytes. Takes
 * ownership of down also on failure. A stream compressed with another known tool (xz, bzip2,
 * lz4) fails with NOT_ARCHIVE and says how to decompress it; corrupt or truncated compressed
 * data fails later, on read, with CORRUPT. */
MB_MUST_CHECK bool mb_decompress_source_new(mb_source_t *down, mb_source_t **out,
                                            mb_compress_t *detected, mb_error_t *err);

#endif
