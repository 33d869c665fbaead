/* A read-ahead source: one thread reads the source below (and so runs whatever work it does:
 * decompression, decryption, file or network reads) into a few chunks ahead of the caller, so
 * that work overlaps with the caller's own (parsing, inserting). Used above the decompressor of
 * every archive that is read (archive/compress.c), where it turns decompress-then-parse into a
 * pipeline of two threads.
 *
 * Only the read-ahead thread touches the source below until it reported the end of the stream
 * or an error; after that the source below is quiet again and the caller may read what follows
 * (the hash of the rest of a file, the final tag of an encrypted one) through its own pointer.
 * Counters read from another thread (mb_source_t.bytes_out) are atomic. */
#ifndef MB_COMMON_READAHEAD_H
#define MB_COMMON_READAHEAD_H

#include "common/stream.h"

/* Wrap down (taken: freed by the new source's destroy, also on failure) with depth chunks of
 * chunk bytes each, read ahead by a thread that starts at once. An error of down is handed to
 * the caller at the read that reaches its position, exactly as down reported it. */
MB_MUST_CHECK bool mb_readahead_source_new(mb_source_t *down, size_t chunk, int depth,
                                           mb_source_t **out, mb_error_t *err);

#endif
