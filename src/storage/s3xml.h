/* The XML answers of the S3 API that the S3 driver reads (ListObjectsV2, CreateMultipartUpload,
 * CompleteMultipartUpload, ListMultipartUploads, Error), parsed with expat. Element names are
 * matched without their namespace. */
#ifndef MB_STORAGE_S3XML_H
#define MB_STORAGE_S3XML_H

#include "common/error.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* One <Contents> of a ListObjectsV2 page (or one <Upload> of ListMultipartUploads: key and
 * upload_id). Strings borrowed for the call. */
typedef struct {
   const char *key;
   const char *upload_id;
   uint64_t size;
   time_t mtime;
} mb_s3xml_item_t;

typedef bool (*mb_s3xml_item_fn)(const mb_s3xml_item_t *item, void *user_data);

/* A page of a listing: fn for every <Contents> or <Upload>, in order (false stops early and
 * makes *stopped true); *next (bson_free) is the continuation token (NextContinuationToken, or
 * NextKeyMarker/NextUploadIdMarker for uploads joined by '\n') when IsTruncated is true, else
 * NULL. FAILURE with the parser's message on malformed XML. */
MB_MUST_CHECK bool mb_s3xml_list(const char *xml, size_t len, mb_s3xml_item_fn fn, void *user_data,
                                 bool *stopped, char **next, mb_error_t *err);

/* The text of the first element called name anywhere in xml (bson_free), or NULL when there is
 * none or the XML is malformed: <UploadId>, <Code>, <Message>. */
char *mb_s3xml_text(const char *xml, size_t len, const char *name);

/* An ISO 8601 UTC time as S3 writes it ("2026-12-03T16:34:24.000Z"); false when malformed. */
bool mb_s3xml_time(const char *s, time_t *out);

#endif
