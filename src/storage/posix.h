/* The POSIX driver: a repository is a directory. Writes go to "<name>.<random>.partial" (created
 * with O_EXCL|O_NOFOLLOW, mode 0600), are fsynced, published by rename (renameat2
 * RENAME_NOREPLACE for MB_REPO_NO_REPLACE, "-N" names for MB_REPO_UNIQUE) and the directory is
 * fsynced: common/file.h does the work and says the details. */
#ifndef MB_STORAGE_POSIX_H
#define MB_STORAGE_POSIX_H

#include "storage/repo.h"

/* The directory dir as a repository; MB_REPO_CREATE makes it (mode 0700) when missing. With dir
 * "" names are paths, taken exactly as typed (mb_repo_locate); it cannot be listed. */
MB_MUST_CHECK bool mb_repo_posix_open(const char *dir, unsigned flags, mb_repo_t **out,
                                      mb_error_t *err);

#endif
