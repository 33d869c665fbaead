/* Namespace selection and renaming for restore, as mongorestore does it: --ns-include and
 * --ns-exclude match the archive's namespaces ("db.coll", '*' wildcards); --ns-from/--ns-to
 * pairs rename them with mongorestore's pattern syntax: '*' wildcards (matched in order), or
 * named $VAR$ placeholders that 'to' may reuse in any order. The last matching pair wins. */
#ifndef MB_RESTORE_NSMAP_H
#define MB_RESTORE_NSMAP_H

#include "common/error.h"

typedef struct mb_rnsmap mb_rnsmap_t;

/* Build a map from the option values (arrays borrowed for the call only). Errors (USAGE):
 * different numbers of --ns-from and --ns-to, an odd number of '$', a variable used twice in a
 * 'from' or unknown in its 'to', different numbers of '*' in a pair. */
MB_MUST_CHECK bool mb_rnsmap_new(const char *const *includes, int n_includes,
                                 const char *const *excludes, int n_excludes,
                                 const char *const *froms, const char *const *tos, int n_renames,
                                 mb_rnsmap_t **out, mb_error_t *err);

/* Whether ns ("db.coll") is selected: it matches an include (or there are none) and no
 * exclude. *why is set to a borrowed reason when it is not. */
bool mb_rnsmap_selected(const mb_rnsmap_t *m, const char *ns, const char **why);

/* The target "db.coll" of ns after renaming, made for the caller (bson_free); NULL when no
 * rule matches (the target is then the archive's own db and collection, whatever dots they
 * hold: see plan.c). */
char *mb_rnsmap_rename(const mb_rnsmap_t *m, const char *ns);

void mb_rnsmap_destroy(mb_rnsmap_t *m);

#endif
