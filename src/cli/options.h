/* The option table: one description of every command and option drives parsing, validation,
 * `--help`, `mongobak help COMMAND` and the man page. */
#ifndef MB_CLI_OPTIONS_H
#define MB_CLI_OPTIONS_H

#include "common/error.h"

#include <stdio.h>

typedef struct mb_args mb_args_t;

typedef struct {
   const char *name;     /* long name, used as --name */
   char short_name;      /* 0 when none */
   const char *commands; /* space-separated commands it applies to; "*" = every command */
   const char *arg;      /* metavariable ("FILE"), "[FILE]" when optional, or NULL for a flag */
   bool repeatable;
   const char *env; /* environment variable giving the default, or NULL */
   const char *def; /* default as shown to users, or NULL */
   const char *help;
} mb_option_t;

typedef struct {
   const char *name;
   const char *synopsis; /* after "mongobak NAME " */
   const char *summary;  /* one line */
   const char *description;
   int (*run)(const mb_args_t *args);
} mb_command_t;

typedef struct {
   int code;
   const char *name;
   const char *meaning;
} mb_exit_doc_t;

/* mongodump's and mongorestore's spellings of options. An alias stands for one option of the
 * table (with a fixed value when it has one, e.g. --gzip is --compress gzip and takes no
 * value), or for nothing: then it is accepted because mongobak always does what it asks
 * (note says why), or refused with note as the reason. Never ignored silently. */
typedef struct {
   const char *name; /* as --name */
   char short_name;  /* 0 when none */
   const char *commands;
   const char *target; /* option of mb_options, or NULL */
   const char *value;  /* fixed value for target, or NULL */
   bool refused;
   const char *note; /* target NULL: why it is accepted, or why it is refused */
} mb_alias_t;

extern const mb_option_t mb_options[];
extern const mb_alias_t mb_aliases[];
extern const mb_exit_doc_t mb_exit_docs[];

/* Parse argv (after the command name) for cmd. Unknown options, missing values and misplaced
 * options fail with USAGE and a message naming the option. *out is made for the caller. */
MB_MUST_CHECK bool mb_args_parse(const mb_command_t *cmd, int argc, char **argv, mb_args_t **out,
                                 mb_error_t *err);
void mb_args_destroy(mb_args_t *a);

/* The last value of an option (or its environment variable), else NULL. */
const char *mb_args_get(const mb_args_t *a, const char *name);
bool mb_args_flag(const mb_args_t *a, const char *name);
/* True when the option was on the command line (not only its environment variable). */
bool mb_args_given(const mb_args_t *a, const char *name);
/* How many times an option was given, and its i-th value (0-based, in command-line order). */
int mb_args_count(const mb_args_t *a, const char *name);
const char *mb_args_nth(const mb_args_t *a, const char *name, int i);
/* Positional arguments. */
int mb_args_positional(const mb_args_t *a, const char ***values);
/* Integer option in [min, max]; def when absent; USAGE error naming the option otherwise. */
MB_MUST_CHECK bool mb_args_int(const mb_args_t *a, const char *name, long def, long min, long max,
                               long *out, mb_error_t *err);

/* Size option: bytes, or a number with K, M, G or T (binary units); def when absent. */
MB_MUST_CHECK bool mb_args_size(const mb_args_t *a, const char *name, int64_t def, int64_t *out,
                                mb_error_t *err);

/* Help text for one command, or the overview when cmd is NULL. */
void mb_help_print(FILE *f, const mb_command_t *commands, const mb_command_t *cmd);
/* The man page (roff), generated from the same tables. */
void mb_man_print(FILE *f, const mb_command_t *commands);

#endif
