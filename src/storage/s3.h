/* The S3 driver: a repository is "s3://BUCKET/PREFIX" on any S3-compatible service (AWS, MinIO,
 * Ceph, SeaweedFS, Cloudflare R2, Backblaze B2, ...). Requests are signed with libcurl's SigV4;
 * answers are read with expat (storage/s3xml.h).
 *
 * - list: ListObjectsV2, 1,000 keys a page, following continuation tokens.
 * - put: one PUT (Content-MD5; If-None-Match: * for MB_REPO_NO_REPLACE).
 * - create: a sink streaming into a multipart upload with bounded memory: parts of 8 MiB (the
 *   size doubles every 1,000 parts, so 10,000 parts hold more than 5 TB), S3_PARTS_IN_FLIGHT
 *   uploading at once plus one filling; each part carries Content-MD5 and is retried with
 *   exponential backoff on 5xx, 429, 503 SlowDown and dropped connections. Close completes the
 *   upload (the object appears whole, atomically); destroy before close aborts it. A stream
 *   shorter than one part is sent with a single PUT. Unfinished uploads of the same key left by
 *   a killed process are aborted when a new upload of that key starts.
 * - abort_uploads: ListMultipartUploads, every page (key-marker, upload-id-marker), aborting the
 *   uploads the caller picks by name and initiation time.
 * - open_read: ranged GETs of 8 MiB, each resumed from its last byte received when the
 *   connection drops; If-Match holds the object to the version first read.
 * - stat: HEAD; remove: DELETE; rename: none (an object store cannot rename atomically).
 *
 * Errors are one line: "S3 PUT s3://b/k: 403 SignatureDoesNotMatch: check AWS_SECRET_ACCESS_KEY";
 * codes: AUTH for refused credentials, EXISTS for MB_REPO_NO_REPLACE, IO for everything else. */
#ifndef MB_STORAGE_S3_H
#define MB_STORAGE_S3_H

#include "common/confvars.h"
#include "storage/repo.h"

/* Read the S3 settings (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION,
 * AWS_ENDPOINT_URL, S3_FORCE_PATH_STYLE, S3_TIMEOUT, S3_RETRIES, S3_PARTS_IN_FLIGHT) through get
 * for every repository opened afterwards (get NULL: the process environment). USAGE on a
 * malformed value. */
MB_MUST_CHECK bool mb_repo_s3_configure(mb_confvar_get_fn get, void *user_data, mb_error_t *err);

/* The names of the S3 settings (NULL-terminated). */
extern const char *const mb_repo_s3_settings[];

/* The settings last configured, as name/value strings appended to doc (for a child process,
 * which reads them back with mb_repo_s3_configure and a getter over doc). Secrets included:
 * never log doc. */
void mb_repo_s3_export(bson_t *doc);

/* The repository at url ("s3://BUCKET" or "s3://BUCKET/PREFIX"); USAGE when it has no bucket.
 * Nothing is contacted here. */
MB_MUST_CHECK bool mb_repo_s3_open(const char *url, unsigned flags, mb_repo_t **out,
                                   mb_error_t *err);

/* Whether location is an s3:// URL. */
bool mb_repo_is_s3(const char *location);

#endif
