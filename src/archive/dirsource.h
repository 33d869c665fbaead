/* A mongodump directory (mongodump --out, plain or --gzip) read as an archive: a source whose
 * bytes are the archive stream the directory stands for, so that the archive reader and
 * everything after it (restore's planner and engine, verify, inspect) take a directory as they
 * take an archive (docs/archive-format.md §6).
 *
 * The stream: the prelude (server_version from prelude.json, "0.0.0" without one: dumps older than
 * mongodump 100.12; one namespace per <coll>.metadata.json or <coll>.bson in every database
 * directory, named by the metadata's collectionName or else the file name unescaped), then each
 * namespace in turn, users and roles first: one segment holding its .bson file's bytes and its
 * EOF block with their CRC. A view (metadata only) gets an empty segment. ".gz" files are
 * decompressed. The oplog.bson of a dump made with --oplog is not read. */
#ifndef MB_ARCHIVE_DIRSOURCE_H
#define MB_ARCHIVE_DIRSOURCE_H

#include "common/stream.h"

/* Whether path is a directory (a restore of a directory rather than of an archive file). */
bool mb_dirsource_is_dir(const char *path);

/* Scan the directory dir and make the source (mb_source_destroy). Fails with NOT_ARCHIVE when dir
 * holds no database directory with .bson or .metadata.json files, IO when it cannot be read. A
 * .bson file that ends inside a document fails later, on read, with CORRUPT naming the file. */
MB_MUST_CHECK bool mb_dirsource_open(const char *dir, mb_source_t **out, mb_error_t *err);

#endif
