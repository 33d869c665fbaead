/* The configuration variables of mongobak, declared once: name, type, range, default, secret,
 * help, the version that introduced it. The table drives parsing and validation (the typed
 * getters below, used by the CLI's checks and by the notification loader alike), `mongobak
 * config`, `.env.example`, the man page's ENVIRONMENT section and the README's table.
 *
 * Values come through a getter (flags > environment > .env > nothing, *_FILE resolved). An
 * empty value means unset, everywhere: the typed getters then return the table's default. */
#ifndef MB_COMMON_CONFVARS_H
#define MB_COMMON_CONFVARS_H

#include "common/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum {
   MB_CONFVAR_STRING,  /* free text (a host, a user, a template string) */
   MB_CONFVAR_PATH,    /* a file or directory */
   MB_CONFVAR_INT,     /* a whole number in [min, max] */
   MB_CONFVAR_BOOL,    /* true/false, 1/0, yes/no, on/off */
   MB_CONFVAR_SECONDS, /* seconds, decimals allowed, in [min, max]; read in milliseconds */
   MB_CONFVAR_ENUM,    /* one of choices */
   MB_CONFVAR_URI,     /* a MongoDB connection string */
   MB_CONFVAR_URL,     /* an http:// or https:// URL */
   MB_CONFVAR_ZONE,    /* an IANA time zone */
   MB_CONFVAR_CRON,    /* a cron expression */
   MB_CONFVAR_ADDR,    /* HOST:PORT */
   MB_CONFVAR_EMAILS   /* comma-separated email addresses */
} mb_confvar_type_t;

typedef struct {
   const char *name;
   mb_confvar_type_t type;
   double min, max;     /* INT and SECONDS */
   const char *noun;    /* INT: how a value is called in messages; NULL = "a whole number" */
   const char *choices; /* ENUM: "none, gzip or zstd" */
   const char *def;     /* as written in a .env file; NULL: unset */
   const char *flag;    /* command-line option that sets it, or NULL */
   bool secret;
   const char *since; /* the mongobak version that introduced it */
   const char *help;
} mb_confvar_t;

/* Every variable, in the order `mongobak config` shows them; ends with a NULL name. */
extern const mb_confvar_t mb_confvars[];

/* The variable called name, or NULL. */
const mb_confvar_t *mb_confvar_find(const char *name);

/* The known name nearest to an unknown one (edit distance at most a third of its length, at
 * least 2), or NULL when none is near: MAX_BACKUP -> MAX_BACKUPS. NAME_FILE counts as NAME. */
const char *mb_confvar_nearest(const char *name);

/* The accepted form of v's values, as messages say it: "a whole number from 1 to 64", "true or
 * false", "a number of seconds from 0.1 to 300", "none, gzip or zstd", "" for free text. */
void mb_confvar_form(const mb_confvar_t *v, char *buf, size_t size);

/* The type as documentation names it: "integer 1-64", "boolean", "seconds", "text", ... */
void mb_confvar_type_name(const mb_confvar_t *v, char *buf, size_t size);

/* Where values come from: the value of name, or NULL when unset. Empty counts as unset. */
typedef const char *(*mb_confvar_get_fn)(const char *name, void *user_data);

/* Typed values: the getter's value (get may be NULL: defaults only), else the table's default.
 * On a malformed or out-of-range value: false, *out holds the default, and err (USAGE) says
 * "NAME must be FORM, not 'VALUE'". *str is NULL when the variable is unset with no default. */
MB_MUST_CHECK bool mb_confvar_int(mb_confvar_get_fn get, void *user_data, const char *name,
                                  long *out, mb_error_t *err);
MB_MUST_CHECK bool mb_confvar_bool(mb_confvar_get_fn get, void *user_data, const char *name,
                                   bool *out, mb_error_t *err);
MB_MUST_CHECK bool mb_confvar_ms(mb_confvar_get_fn get, void *user_data, const char *name,
                                 long *out, mb_error_t *err);
const char *mb_confvar_str(mb_confvar_get_fn get, void *user_data, const char *name);

/* Generated documentation: .env.example (every variable, its help, type and default) and the
 * README's Markdown table. (The man page's entries are written by the CLI's man printer.) */
void mb_confvar_print_env_example(FILE *f);
void mb_confvar_print_markdown(FILE *f);

#endif
