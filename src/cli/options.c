#include "cli/options.h"

#include "common/confvars.h"
#include "common/parse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const mb_option_t mb_options[] = {
    {"help", 'h', "*", NULL, false, NULL, NULL, "show help for the command and exit"},
    {"env-file", 0, "dump restore backup daemon list prune schedule config status notify", "PATH",
     false, NULL, "./.env",
     "read configuration variables from this .env file (./.env is read when present); dump and "
     "restore take only MONGODB_URI or MONGODB_URI_FILE from it"},
    {"uri", 0, "dump restore backup daemon config", "URI", false, "MONGODB_URI",
     "mongodb://localhost:27017",
     "MongoDB connection string; TLS and authentication options work as in any libmongoc "
     "program; a database in its path (mongodb://host/shop) selects that database for dump, as "
     "with mongodump; without --uri, MONGODB_URI or MONGODB_URI_FILE is read from the environment, "
     "then from the .env file; the password and secret options are never printed"},
    {"archive", 'a', "dump restore", "PATH", false, NULL, NULL,
     "dump: archive to write (- for stdout; default dump-<UTC time>.archive[.zst|.gz] in the "
     "current directory); restore: archive to read (- or absent for stdin)"},
    {"out", 'o', "dump", "DIR", false, NULL, NULL,
     "write mongodump's directory layout instead of an archive: DIR/<db>/<coll>.bson and "
     ".metadata.json, DIR/prelude.json (.gz each with --compress gzip, the only compression it "
     "takes; plain by default), restorable with mongorestore DIR; written beside DIR and renamed "
     "at the end; an existing non-empty DIR is refused (exit code 13) without --overwrite"},
    {"dir", 0, "restore", "DIR", false, NULL, NULL,
     "restore a directory written by mongodump --out (plain or --gzip, detected) or by mongobak "
     "dump --out; the same as giving DIR as the argument, as with mongorestore DIR"},
    {"overwrite", 0, "dump", NULL, false, NULL, NULL,
     "replace an existing --archive file (without it an existing file is refused with exit code "
     "13; a generated name that exists gets a -N suffix instead)"},
    {"verify", 0, "list", NULL, false, NULL, NULL,
     "verify every backup completely and compare its SHA-256 with its manifest; exit code 3 "
     "unless all are sound (without it STATUS says unchecked: only sizes were compared)"},
    {"db", 'd', "dump", "DB", false, NULL, NULL, "dump only this database"},
    {"collection", 'c', "dump", "COLL", false, NULL, NULL,
     "dump only this collection (needs --db)"},
    {"ns-include", 0, "dump restore", "PATTERN", true, NULL, NULL,
     "only namespaces matching DB.COLL, where * matches any run of characters"},
    {"ns-exclude", 0, "dump restore", "PATTERN", true, NULL, NULL,
     "skip namespaces matching DB.COLL (* wildcards)"},
    {"query", 'q', "dump", "JSON", false, NULL, NULL,
     "only documents matching this filter, in Extended JSON (needs --collection)"},
    {"compress", 'z', "dump", "KIND", false, NULL, "zstd",
     "compression of the archive: zstd, gzip (readable by mongorestore --gzip) or none"},
    {"level", 0, "dump", "N", false, NULL, "zstd 3, gzip 3",
     "compression level: zstd 1-19; gzip 1-3 fast (ISA-L igzip), 4-9 smaller (zlib)"},
    {"compress-threads", 0, "dump", "N", false, NULL, "number of CPUs",
     "threads that compress (zstd workers or parallel gzip members)"},
    {"jobs", 'j', "dump restore", "N", false, NULL, "4",
     "collections read (dump) or restored (restore) in parallel"},
    {"backup-dir", 0, "backup daemon list prune config status", "DIR", false, NULL, "./backups",
     "directory of the scheduled backups (sets BACKUP_DIR)"},
    {"max-backups", 0, "backup daemon prune config", "N", false, NULL, "7",
     "complete backups kept by retention (sets MAX_BACKUPS)"},
    {"schedule", 0, "daemon schedule config status", "CRON", false, NULL, "0 0 * * *",
     "cron expression, 5 fields or 6 with seconds first (sets CRON_SCHEDULE)"},
    {"timezone", 0, "daemon schedule list config status", "ZONE", false, NULL, "UTC",
     "IANA time zone of the schedule (sets TIMEZONE)"},
    {"next", 'n', "schedule", "N", false, NULL, "5", "how many run times to print"},
    {"split", 0, "dump", NULL, false, NULL, NULL,
     "read each collection larger than --split-threshold as 2 x --jobs _id ranges in parallel"},
    {"split-threshold", 0, "dump", "SIZE", false, NULL, "256M",
     "size from which --split splits a collection (bytes, or with K, M, G)"},
    {"views-as-collections", 0, "dump", NULL, false, NULL, NULL,
     "dump only views, each as a collection of its documents (as mongodump does)"},
    {"dump-users-and-roles", 0, "dump", NULL, false, NULL, NULL,
     "also dump the users and roles defined on --db (stored as D.$admin.system.*)"},
    {"ns-from", 0, "restore", "PATTERN", true, NULL, NULL,
     "rename: source namespace pattern with * wildcards and $VAR$ placeholders (pair with "
     "--ns-to)"},
    {"ns-to", 0, "restore", "PATTERN", true, NULL, NULL,
     "rename: target namespace pattern using the same $VAR$ placeholders"},
    {"drop", 0, "restore", NULL, false, NULL, NULL,
     "drop each target collection before restoring it"},
    {"no-index-restore", 0, "restore", NULL, false, NULL, NULL,
     "restore documents only, build no indexes except _id"},
    {"preserve-uuid", 0, "restore", NULL, false, NULL, NULL,
     "keep the collection UUIDs recorded in the archive (needs --drop)"},
    {"dry-run", 0, "restore prune", NULL, false, NULL, NULL,
     "restore: read and check the whole archive and print what would be restored, writing "
     "nothing; prune: show what would be deleted"},
    {"stop-on-error", 0, "restore", NULL, false, NULL, NULL,
     "stop at the first document that fails to insert (duplicate key, validation)"},
    {"json", 0, "verify inspect dump restore list prune config status", NULL, false, NULL, NULL,
     "print the result as one JSON object on stdout instead of text"},
    {"quiet", 0, "verify dump restore", NULL, false, NULL, NULL,
     "print nothing but errors (verify: only the verdict line)"},
    {"test", 0, "notify", NULL, false, NULL, NULL,
     "send a sample report to every enabled channel and print which succeeded"},
    {"failure", 0, "notify", NULL, false, NULL, NULL,
     "with --test: send a sample failure report instead of a success"},
    {"log-level", 0, "*", "LEVEL", false, "LOG_LEVEL", "info",
     "log level on stderr: error, warn, info or debug"},
    {"log-format", 0, "*", "FORMAT", false, "LOG_FORMAT", "text",
     "log format on stderr: text, or json for one JSON object per line"},
    {NULL, 0, NULL, NULL, false, NULL, NULL, NULL},
};

const mb_exit_doc_t mb_exit_docs[] = {
    {MB_EXIT_OK, "ok", "success; for verify: the archive is sound"},
    {MB_EXIT_FAILURE, "failure", "an unexpected internal failure"},
    {MB_EXIT_USAGE, "usage", "bad command line, option value or configuration"},
    {MB_EXIT_CORRUPT, "corrupt",
     "the archive is corrupt or truncated (framing, headers, BSON or a CRC mismatch)"},
    {MB_EXIT_NOT_ARCHIVE, "not-archive",
     "the input is not a mongodump archive, or is compressed in a format mongobak does not read"},
    {MB_EXIT_IO, "io", "a local file could not be opened, read or written (including a full disk)"},
    {MB_EXIT_CONNECT, "connect", "the server is unreachable or the URI is malformed"},
    {MB_EXIT_AUTH, "auth", "authentication or authorization failed"},
    {MB_EXIT_SERVER, "server", "the server failed or went away during the operation"},
    {MB_EXIT_PARTIAL, "partial", "the operation finished but some items failed"},
    {MB_EXIT_TIMEOUT, "timeout", "the run exceeded its time limit"},
    {MB_EXIT_NOTHING, "nothing",
     "dump: the selection (--db, --collection, patterns) matched nothing; no archive was written"},
    {MB_EXIT_LOCKED, "locked",
     "another mongobak (backup or daemon) holds the lock of this backup directory"},
    {MB_EXIT_EXISTS, "exists",
     "the output file already exists and is not replaced without --overwrite"},
    {MB_EXIT_INTERRUPTED, "interrupted",
     "stopped by SIGINT or SIGTERM; no file was left under a final name"},
    {-1, NULL, NULL},
};

typedef struct {
   const mb_option_t *opt;
   const char *value; /* borrowed from argv or environ; "" for flags */
} pair_t;

struct mb_args {
   pair_t *pairs;
   int npairs;
   const char **pos;
   int npos;
};

static bool applies(const mb_option_t *o, const char *cmd)
{
   size_t n = strlen(cmd);
   const char *p = o->commands;

   if (strcmp(p, "*") == 0) {
      return true;
   }
   while ((p = strstr(p, cmd)) != NULL) {
      if ((p == o->commands || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0')) {
         return true;
      }
      p += n;
   }
   return false;
}

static const mb_option_t *find_long(const char *cmd, const char *name, size_t len)
{
   for (const mb_option_t *o = mb_options; o->name; o++) {
      if (strlen(o->name) == len && strncmp(o->name, name, len) == 0 && applies(o, cmd)) {
         return o;
      }
   }
   return NULL;
}

static const mb_option_t *find_short(const char *cmd, char c)
{
   for (const mb_option_t *o = mb_options; o->name; o++) {
      if (o->short_name == c && applies(o, cmd)) {
         return o;
      }
   }
   return NULL;
}

static void add_pair(mb_args_t *a, const mb_option_t *o, const char *v)
{
   a->pairs[a->npairs].opt = o;
   a->pairs[a->npairs].value = v;
   a->npairs++;
}

static bool take(mb_args_t *a, const mb_command_t *cmd, const mb_option_t *o, const char *inl,
                 int argc, char **argv, int *i, mb_error_t *err)
{
   const char *v = "";

   if (o->arg) {
      if (inl) {
         v = inl;
      } else if (*i + 1 < argc) {
         v = argv[++*i];
      } else {
         mb_error_set(err, MB_EXIT_USAGE, "option --%s needs a value (%s); see 'mongobak help %s'",
                      o->name, o->arg, cmd->name);
         return false;
      }
   } else if (inl) {
      mb_error_set(err, MB_EXIT_USAGE, "option --%s takes no value", o->name);
      return false;
   }
   if (!o->repeatable) {
      for (int k = 0; k < a->npairs; k++) {
         if (a->pairs[k].opt == o) {
            a->pairs[k].value = v; /* the last one wins, as in most tools */
            return true;
         }
      }
   }
   add_pair(a, o, v);
   return true;
}

bool mb_args_parse(const mb_command_t *cmd, int argc, char **argv, mb_args_t **out, mb_error_t *err)
{
   mb_args_t *a = calloc(1, sizeof *a);
   bool only_pos = false;

   if (!a || !(a->pairs = calloc((size_t) argc + 64, sizeof *a->pairs)) ||
       !(a->pos = calloc((size_t) argc + 1, sizeof *a->pos))) {
      mb_args_destroy(a);
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      return false;
   }
   for (int i = 0; i < argc; i++) {
      const char *s = argv[i];
      const mb_option_t *o;
      if (only_pos || s[0] != '-' || strcmp(s, "-") == 0) {
         a->pos[a->npos++] = s;
         continue;
      }
      if (strcmp(s, "--") == 0) {
         only_pos = true;
         continue;
      }
      if (s[1] == '-') {
         const char *eq = strchr(s + 2, '=');
         size_t len = eq ? (size_t) (eq - s - 2) : strlen(s + 2);
         o = find_long(cmd->name, s + 2, len);
         if (!o) {
            mb_error_set(err, MB_EXIT_USAGE,
                         "unknown option '%.*s' for '%s'; see 'mongobak help %s'", (int) (len + 2),
                         s, cmd->name, cmd->name);
            goto fail;
         }
         if (!take(a, cmd, o, eq ? eq + 1 : NULL, argc, argv, &i, err)) {
            goto fail;
         }
         continue;
      }
      o = find_short(cmd->name, s[1]);
      if (!o || (s[2] && !o->arg)) {
         mb_error_set(err, MB_EXIT_USAGE, "unknown option '%s' for '%s'; see 'mongobak help %s'", s,
                      cmd->name, cmd->name);
         goto fail;
      }
      if (!take(a, cmd, o, s[2] ? s + 2 : NULL, argc, argv, &i, err)) {
         goto fail;
      }
   }
   /* environment variables fill what the command line left unset */
   for (const mb_option_t *o = mb_options; o->name; o++) {
      const char *v = o->env ? getenv(o->env) : NULL;
      if (v && *v && applies(o, cmd->name) && !mb_args_get(a, o->name)) {
         add_pair(a, o, v);
      }
   }
   *out = a;
   return true;
fail:
   mb_args_destroy(a);
   return false;
}

void mb_args_destroy(mb_args_t *a)
{
   if (a) {
      free(a->pairs);
      free(a->pos);
      free(a);
   }
}

const char *mb_args_get(const mb_args_t *a, const char *name)
{
   for (int k = a->npairs - 1; k >= 0; k--) {
      if (strcmp(a->pairs[k].opt->name, name) == 0) {
         return a->pairs[k].value;
      }
   }
   return NULL;
}

bool mb_args_flag(const mb_args_t *a, const char *name)
{
   return mb_args_get(a, name) != NULL;
}

int mb_args_count(const mb_args_t *a, const char *name)
{
   int n = 0;

   for (int k = 0; k < a->npairs; k++) {
      n += strcmp(a->pairs[k].opt->name, name) == 0;
   }
   return n;
}

const char *mb_args_nth(const mb_args_t *a, const char *name, int i)
{
   for (int k = 0; k < a->npairs; k++) {
      if (strcmp(a->pairs[k].opt->name, name) == 0 && i-- == 0) {
         return a->pairs[k].value;
      }
   }
   return NULL;
}

int mb_args_positional(const mb_args_t *a, const char ***values)
{
   *values = a->pos;
   return a->npos;
}

bool mb_args_int(const mb_args_t *a, const char *name, long def, long min, long max, long *out,
                 mb_error_t *err)
{
   const char *s = mb_args_get(a, name);
   char flag[64];

   if (!s) {
      *out = def;
      return true;
   }
   snprintf(flag, sizeof flag, "--%s", name);
   return mb_parse_int(flag, s, NULL, min, max, out, err);
}

bool mb_args_size(const mb_args_t *a, const char *name, int64_t def, int64_t *out, mb_error_t *err)
{
   const char *s = mb_args_get(a, name);
   char flag[64];

   if (!s) {
      *out = def;
      return true;
   }
   snprintf(flag, sizeof flag, "--%s", name);
   return mb_parse_size(flag, s, out, err);
}

static void print_option(FILE *f, const mb_option_t *o)
{
   char left[80];

   if (o->short_name) {
      snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
               o->arg ? o->arg : "");
   } else {
      snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
   }
   fprintf(f, "  %-28s %s", left, o->help);
   if (o->def) {
      fprintf(f, " (default: %s)", o->def);
   }
   if (o->env) {
      fprintf(f, " [env %s]", o->env);
   }
   if (o->repeatable) {
      fprintf(f, " (repeatable)");
   }
   fputc('\n', f);
}

void mb_help_print(FILE *f, const mb_command_t *commands, const mb_command_t *cmd)
{
   if (!cmd) {
      fprintf(f, "mongobak %s - MongoDB backups without the MongoDB tools\n\n", MONGOBAK_VERSION);
      fprintf(f, "usage: mongobak COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
      for (const mb_command_t *c = commands; c->name; c++) {
         fprintf(f, "  %-10s %s\n", c->name, c->summary);
      }
      fprintf(f, "\n  --version    print the version and exit\n"
                 "  --help       show this help\n\n"
                 "Run 'mongobak help COMMAND' for a command's options, 'man mongobak' for "
                 "everything.\n\nexit codes:\n");
      for (const mb_exit_doc_t *e = mb_exit_docs; e->name; e++) {
         fprintf(f, "  %3d  %s\n", e->code, e->meaning);
      }
      return;
   }
   fprintf(f, "usage: mongobak %s %s\n\n%s\n\n%s\n\noptions:\n", cmd->name, cmd->synopsis,
           cmd->summary, cmd->description);
   for (const mb_option_t *o = mb_options; o->name; o++) {
      if (applies(o, cmd->name)) {
         print_option(f, o);
      }
   }
}

/* roff needs '-' escaped and lines starting with '.' or '\'' protected. */
static void roff(FILE *f, const char *s)
{
   for (; *s; s++) {
      if (*s == '-') {
         fputs("\\-", f);
      } else if (*s == '\\') {
         fputs("\\e", f);
      } else {
         fputc(*s, f);
      }
   }
}

/* Every configuration variable (common/confvars) with its type, default and help; which
 * option sets it. An empty value is unset; NAME_FILE reads a value from a file. */
static void man_environment(FILE *f)
{
   char type[128];

   roff(f, "The scheduled-backup commands read these variables from the environment or a .env "
           "file (precedence: command-line flags, environment, .env, defaults). An empty value "
           "means unset. NAME_FILE=/path reads NAME from a file (for secrets). A .env key that "
           "names no variable is reported with a warning.");
   fputc('\n', f);
   for (const mb_confvar_t *v = mb_confvars; v->name; v++) {
      mb_confvar_type_name(v, type, sizeof type);
      fprintf(f, ".TP\n.B %s\n", v->name);
      roff(f, v->help);
      fprintf(f, " (");
      roff(f, type);
      if (v->def) {
         fprintf(f, "; default ");
         roff(f, v->def);
      }
      if (v->flag) {
         fprintf(f, "; set by \\fB\\-\\-");
         roff(f, v->flag);
         fprintf(f, "\\fR");
      }
      fprintf(f, "%s)\n",
              v->secret && !strstr(v->help, "never printed") ? "; a secret, never printed" : "");
   }
   for (const mb_option_t *o = mb_options; o->name; o++) {
      if (o->env && !mb_confvar_find(o->env)) {
         fprintf(f, ".TP\n.B %s\ndefault for \\fB\\-\\-", o->env);
         roff(f, o->name);
         fprintf(f, "\\fR\n");
      }
   }
}

void mb_man_print(FILE *f, const mb_command_t *commands)
{
   fprintf(f, ".\\\" Generated by 'mongobak help --man' from the option table; do not edit.\n");
   fprintf(f, ".TH MONGOBAK 1 \"\" \"mongobak %s\" \"User Commands\"\n", MONGOBAK_VERSION);
   fprintf(f, ".SH NAME\nmongobak \\- MongoDB backups without the MongoDB tools\n");
   fprintf(f, ".SH SYNOPSIS\n.B mongobak\n.I COMMAND\n[\\fIOPTIONS\\fR] [\\fIARGS\\fR]\n");
   fprintf(f, ".SH DESCRIPTION\nmongobak reads and writes archives in the format of\n"
              ".BR mongodump (1)\n\\-\\-archive, so that the real\n.BR mongorestore (1)\n"
              "restores what mongobak writes, and mongobak reads what mongodump writes "
              "(uncompressed, gzip or zstd, detected from the first bytes).\n");
   fprintf(f, ".SH COMMANDS\n");
   for (const mb_command_t *c = commands; c->name; c++) {
      fprintf(f, ".SS \"mongobak %s ", c->name);
      roff(f, c->synopsis);
      fprintf(f, "\"\n");
      roff(f, c->summary);
      fprintf(f, "\n.PP\n");
      roff(f, c->description);
      fputc('\n', f);
      for (const mb_option_t *o = mb_options; o->name; o++) {
         if (!applies(o, c->name) || strcmp(o->commands, "*") == 0) {
            continue;
         }
         fprintf(f, ".TP\n");
         if (o->short_name) {
            fprintf(f, "\\fB\\-%c\\fR, ", o->short_name);
         }
         fprintf(f, "\\fB\\-\\-");
         roff(f, o->name);
         fprintf(f, "\\fR%s%s%s\n", o->arg ? " \\fI" : "", o->arg ? o->arg : "",
                 o->arg ? "\\fR" : "");
         roff(f, o->help);
         if (o->def) {
            fprintf(f, " (default: ");
            roff(f, o->def);
            fputc(')', f);
         }
         if (o->repeatable) {
            fprintf(f, " Repeatable.");
         }
         fputc('\n', f);
      }
   }
   fprintf(f, ".SH GLOBAL OPTIONS\n.TP\n\\fB\\-\\-version\\fR\nprint the version and exit\n");
   for (const mb_option_t *o = mb_options; o->name; o++) {
      if (strcmp(o->commands, "*") != 0) {
         continue;
      }
      fprintf(f, ".TP\n");
      if (o->short_name) {
         fprintf(f, "\\fB\\-%c\\fR, ", o->short_name);
      }
      fprintf(f, "\\fB\\-\\-");
      roff(f, o->name);
      fprintf(f, "\\fR%s%s%s\n", o->arg ? " \\fI" : "", o->arg ? o->arg : "", o->arg ? "\\fR" : "");
      roff(f, o->help);
      if (o->def) {
         fprintf(f, " (default: ");
         roff(f, o->def);
         fputc(')', f);
      }
      fputc('\n', f);
   }
   fprintf(f, ".SH ENVIRONMENT\n");
   man_environment(f);
   fprintf(f, ".SH EXIT STATUS\n");
   for (const mb_exit_doc_t *e = mb_exit_docs; e->name; e++) {
      fprintf(f, ".TP\n.B %d\n", e->code);
      roff(f, e->meaning);
      fputc('\n', f);
   }
   fprintf(f, ".SH FILES\n.TP\n.I NAME.XXXXXX.partial\na file being written, created exclusively "
              "under a random name; renamed to NAME only after it is complete and synced, removed "
              "on failure or signal\n");
   fprintf(f, ".SH SEE ALSO\n.BR mongodump (1),\n.BR mongorestore (1)\n");
}
