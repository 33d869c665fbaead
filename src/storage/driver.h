/* For storage drivers only: the operations every backend implements and the struct each
 * driver's repository embeds as its first member. Callers use storage/repo.h. A new backend is
 * one module implementing mb_repo_ops_t plus its scheme in repo.c's table. */
#ifndef MB_STORAGE_DRIVER_H
#define MB_STORAGE_DRIVER_H

#include "storage/repo.h"

typedef struct {
   const char *scheme; /* "file", "s3", ... (for messages) */
   /* Every entry whose name starts with prefix, page after page (an object store lists 1,000
    * keys per request), until fn returns false. */
   bool (*list)(mb_repo_t *r, const char *prefix, mb_repo_list_fn fn, void *user_data,
                mb_error_t *err);
   /* A sink whose close commits atomically (a rename; a CompleteMultipartUpload) and whose
    * destroy before a successful close aborts (unlink the temporary; AbortMultipartUpload). */
   bool (*create)(mb_repo_t *r, const char *name, unsigned flags, mb_sink_t **out, mb_error_t *err);
   /* The committed name of a sink made by create (repository-relative, borrowed). */
   const char *(*sink_name)(const mb_repo_t *r, const mb_sink_t *s);
   /* Write a small object whole and atomically (a temporary file and a rename; a single PUT,
    * with If-None-Match for MB_REPO_NO_REPLACE): manifests, the state file. */
   bool (*put)(mb_repo_t *r, const char *name, unsigned flags, const void *data, size_t len,
               mb_error_t *err);
   /* A source from byte offset on (a ranged GET for an object store). */
   bool (*open_read)(mb_repo_t *r, const char *name, uint64_t offset, mb_source_t **out,
                     mb_error_t *err);
   bool (*stat)(mb_repo_t *r, const char *name, mb_repo_entry_t *out, bool *exists,
                mb_error_t *err);
   /* Missing is success (S3 DELETE is idempotent too). */
   bool (*remove)(mb_repo_t *r, const char *name, mb_error_t *err);
   /* May be NULL: the driver cannot rename (mb_repo_rename fails with FAILURE). */
   bool (*rename)(mb_repo_t *r, const char *from, const char *to, unsigned flags, char **final,
                  mb_error_t *err);
   /* May be NULL: the driver leaves no unfinished writes behind (mb_repo_abort_uploads). */
   bool (*abort_uploads)(mb_repo_t *r, const char *prefix, mb_repo_upload_fn fn, void *user_data,
                         int *aborted, mb_error_t *err);
   /* Free the driver's part; repo.c frees url. */
   void (*destroy)(mb_repo_t *r);
} mb_repo_ops_t;

struct mb_repo {
   const mb_repo_ops_t *ops;
   char *url; /* as given; "" in the repository of mb_repo_locate for a path (names are paths) */
};

#endif
