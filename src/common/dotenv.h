/* .env files the way common dotenv tools read them: KEY=VALUE lines, '#' comments (whole line,
 * or after an unquoted value following whitespace), an optional "export " prefix, single quotes
 * (literal), double quotes (escapes \n \r \t \" \\ \$, may span lines), unquoted values trimmed,
 * blank lines ignored. Variable expansion is not done. */
#ifndef MB_COMMON_DOTENV_H
#define MB_COMMON_DOTENV_H

#include "common/error.h"

typedef struct {
   char *key;
   char *value;
   int line;
} mb_dotenv_entry_t;

typedef struct {
   mb_dotenv_entry_t *entries; /* in file order; a key given twice keeps both, the last wins */
   int n;
} mb_dotenv_t;

/* Parse text (len bytes, need not be NUL-terminated); name is the file name for messages.
 * A malformed line fails with USAGE: "<name>:<line>: <what is wrong>". *out is made for the
 * caller. */
MB_MUST_CHECK bool mb_dotenv_parse(const char *text, size_t len, const char *name,
                                   mb_dotenv_t **out, mb_error_t *err);

/* Read and parse a file (IO error when it cannot be read). */
MB_MUST_CHECK bool mb_dotenv_load(const char *path, mb_dotenv_t **out, mb_error_t *err);

/* The last value given for key, or NULL. */
const char *mb_dotenv_get(const mb_dotenv_t *e, const char *key);

void mb_dotenv_destroy(mb_dotenv_t *e);

#endif
