/* Namespace patterns as mongodump/mongorestore take them: "db.coll" where '*' matches any run
 * of characters (dots included) and '\' escapes the next character. */
#ifndef MB_COMMON_NSMATCH_H
#define MB_COMMON_NSMATCH_H

#include <stdbool.h>

bool mb_ns_match(const char *pattern, const char *ns);

#endif
