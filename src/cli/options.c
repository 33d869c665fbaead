#include "cli/options.h"

#include "common/confvars.h"
#include "common/parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const mb_option_t mb_options[] = {
    {"help", 'h', "*", NULL, false, NULL, NULL, "show help for the command and exit"},
    {"env-file", 0,
     "dump restore verify inspect cat backup daemon list prune schedule config status notify",
     "PATH", false, NULL, "./.env",
     "read configuration variables from this .env file (./.env is read when present); dump and "
     "restore take only MONGODB_URI or MONGODB_URI_FILE and the ENCRYPTION_* variables from it, "
     "verify, inspect and cat only the ENCRYPTION_* variables"},
    {"uri", 0, "dump backup daemon config", "URI", false, "MONGODB_URI",
     "mongodb://localhost:27017",
     "MongoDB connection string of the server to back up; TLS and authentication options work "
     "as in any libmongoc program; a database in its path (mongodb://host/shop) selects that "
     "database, as with mongodump; without --uri, MONGODB_URI or MONGODB_URI_FILE is read from "
     "the environment, then from the .env file; a malformed one is exit code 2; the password and "
     "secret options are never printed"},
    {"uri", 0, "restore", "URI", false, "MONGODB_URI", "mongodb://localhost:27017",
     "MongoDB connection string of the server to restore into; TLS and authentication options "
     "work as in any libmongoc program; without --uri, MONGODB_URI or MONGODB_URI_FILE is read "
     "from the environment, then from the .env file; a malformed one is exit code 2; the "
     "password and secret options are never printed"},
    {"host", 'h', "dump restore", "HOST[:PORT]", false, NULL, NULL,
     "server to connect to, as in mongodump: HOST[:PORT], several separated by commas, or "
     "SET/HOST1,HOST2 for a replica set; replaces MONGODB_URI from the environment or .env, and "
     "cannot be combined with --uri"},
    {"port", 0, "dump restore", "PORT", false, NULL, "27017",
     "port of every --host given without one (cannot be combined with --uri)"},
    {"username", 'u', "dump restore", "USER", false, NULL, NULL,
     "user to authenticate as (added to the connection string)"},
    {"password", 'p', "dump restore", "[PASSWORD]", false, NULL, NULL,
     "password of --username; without a value it is asked for on the terminal without echo "
     "(refused without a terminal: use MONGODB_URI_FILE); never printed"},
    {"authentication-database", 0, "dump restore", "DB", false, NULL, NULL,
     "database holding the user's credentials (authSource)"},
    {"authentication-mechanism", 0, "dump restore", "MECH", false, NULL, NULL,
     "SCRAM-SHA-1, SCRAM-SHA-256, MONGODB-X509, ... (authMechanism)"},
    {"tls", 0, "dump restore", NULL, false, NULL, NULL, "connect with TLS (tls=true)"},
    {"tls-ca-file", 0, "dump restore", "FILE", false, NULL, NULL,
     "certificate authorities to trust, PEM (tlsCAFile)"},
    {"tls-certificate-key-file", 0, "dump restore", "FILE", false, NULL, NULL,
     "client certificate and key, PEM (tlsCertificateKeyFile)"},
    {"archive", 'a', "dump", "PATH", false, NULL, NULL,
     "archive to write, whose name says its compression: NAME.gz gzip, NAME.zst zstd, any "
     "other name uncompressed as mongodump writes it, unless --compress says otherwise (a "
     "--compress contradicting .gz or .zst is exit code 2); - for stdout (uncompressed unless "
     "--compress; refused with exit code 2 when stdout is a terminal); default "
     "dump-<UTC time>.archive.zst (.gz with --compress gzip) in the current directory, or in "
     "PATH when it is a directory"},
    {"archive", 'a', "restore", "PATH", false, NULL, "-",
     "archive to read, any compression (detected from its first bytes); - or absent: stdin "
     "(from a terminal, a line says that stdin is being read)"},
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
    {"encrypt-key-file", 0, "dump restore verify inspect cat backup daemon list config", "FILE",
     false, "ENCRYPTION_KEY_FILE", NULL,
     "key file written by 'mongobak keygen' (sets ENCRYPTION_KEY_FILE): dump and backup encrypt "
     "the archive with it (its name ends in .enc); restore, verify, inspect, cat and list "
     "--verify decrypt with it"},
    {"passphrase-file", 0, "dump restore verify inspect cat backup daemon list", "FILE", false,
     NULL, NULL,
     "read the encryption passphrase from FILE (instead of ENCRYPTION_PASSPHRASE or a key file; "
     "the trailing newline is dropped)"},
    {"decompress", 0, "cat", NULL, false, NULL, NULL,
     "write the uncompressed archive, as mongorestore --archive reads it (without it: the "
     "archive as stored, only decrypted)"},
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
    {"compress", 'z', "dump", "KIND", false, NULL,
     "what the --archive name says; zstd for a generated name",
     "compression of the archive: zstd, gzip (readable by mongorestore --gzip) or none"},
    {"level", 0, "dump", "N", false, NULL, "zstd 3, gzip 3",
     "compression level: zstd 1-19; gzip 1-3 fast (ISA-L igzip, the default 3), 4-9 smaller and "
     "slower (zlib)"},
    {"compress-threads", 0, "dump", "N", false, NULL, "number of CPUs",
     "threads that compress (zstd workers or parallel gzip members)"},
    {"jobs", 'j', "dump", "N", false, NULL, "4", "collections read in parallel"},
    {"jobs", 'j', "restore", "N", false, NULL, "4",
     "insert workers: collections restored in parallel"},
    {"backup-dir", 0, "backup daemon list prune config status restore", "DIR", false, NULL,
     "./backups", "directory of the scheduled backups (sets BACKUP_DIR)"},
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
    {"dry-run", 0, "restore", NULL, false, NULL, NULL,
     "read and check the whole archive and print what would be restored, writing nothing"},
    {"dry-run", 0, "prune", NULL, false, NULL, NULL, "show what would be deleted, delete nothing"},
    {"stop-on-error", 0, "restore", NULL, false, NULL, NULL,
     "stop at the first document that fails to insert (duplicate key, validation)"},
    {"query-file", 0, "dump", "FILE", false, NULL, NULL,
     "like --query, the filter read from FILE (needs --collection)"},
    {"exclude-collection", 0, "dump", "COLL", true, NULL, NULL,
     "skip collections of this name (in every selected database)"},
    {"exclude-collections-with-prefix", 0, "dump", "PREFIX", true, NULL, NULL,
     "skip collections whose name starts with PREFIX"},
    {"read-preference", 0, "dump", "MODE", false, NULL, "primary",
     "read from primary, primaryPreferred, secondary, secondaryPreferred or nearest (tags: "
     "readPreferenceTags in the connection string)"},
    {"write-concern", 0, "restore", "W", false, NULL, "the connection string's",
     "write concern of the inserts: majority or a number of members (journal and wtimeoutMS: in "
     "the connection string)"},
    {"json", 0, "verify inspect dump restore list prune config status", NULL, false, NULL, NULL,
     "print the result as one JSON object on stdout instead of text"},
    {"quiet", 0, "dump restore", NULL, false, NULL, NULL,
     "print nothing but errors (no progress, no summary)"},
    {"quiet", 0, "verify", NULL, false, NULL, NULL, "print only the verdict line and errors"},
    {"test", 0, "notify", NULL, false, NULL, NULL,
     "send a sample report to every enabled channel and print which succeeded"},
    {"failure", 0, "notify", NULL, false, NULL, NULL,
     "with --test: send a sample failure report instead of a success"},
    {"oplog", 0, "dump", NULL, false, NULL, NULL,
     "point in time, as mongodump --oplog: the oplog entries written while the collections are "
     "read are stored last in the archive, so that restore --oplog-replay restores to the "
     "moment the dump ended (the summary's point in time); needs local.oplog.rs (a replica set "
     "member; without it exit code 2) and a whole-server archive (not with --db or --out); an "
     "oplog that rolled over during the dump fails it (exit code 8)"},
    {"oplog-replay", 0, "restore", NULL, false, NULL, NULL,
     "after the collections, apply the archive's oplog in order (applyOps where the server has "
     "it, else each entry translated into inserts, updates, deletes and commands); filters and "
     "renames apply to its entries"},
    {"oplog-limit", 0, "restore", "SECONDS[:INC]", false, NULL, NULL,
     "with --oplog-replay: apply only the entries older than this timestamp (as mongorestore "
     "--oplogLimit)"},
    {"to-time", 0, "restore", "WHEN", false, NULL, NULL,
     "continuous point-in-time recovery (OPLOG_ARCHIVE): restore the newest backup of "
     "BACKUP_DIR (--backup-dir) whose oplog ends before WHEN, then replay its oplog and the "
     "oplog slices up to WHEN: a UTC time 2026-12-03T10:15:00Z or SECONDS (every entry of that "
     "second included) or SECONDS:INC (that entry included); a WHEN outside the restorable "
     "windows (`list` shows them) is exit code 2, with nothing written; with --dry-run prints "
     "the plan"},
    {"log-level", 0, "*", "LEVEL", false, "LOG_LEVEL", "info",
     "log level on stderr: error, warn, info or debug"},
    {"log-format", 0, "*", "FORMAT", false, "LOG_FORMAT", "text",
     "log format on stderr: text, or json for one JSON object per line"},
    {NULL, 0, NULL, NULL, false, NULL, NULL, NULL},
};

const mb_alias_t mb_aliases[] = {
    {"gzip", 0, "dump", "compress", "gzip", false, NULL},
    {"gzip", 0, "restore", NULL, NULL, false,
     "the compression of an archive is detected from its first bytes"},
    {"numParallelCollections", 0, "dump restore", "jobs", NULL, false, NULL},
    {"nsInclude", 0, "dump restore", "ns-include", NULL, false, NULL},
    {"nsExclude", 0, "dump restore", "ns-exclude", NULL, false, NULL},
    {"nsFrom", 0, "restore", "ns-from", NULL, false, NULL},
    {"nsTo", 0, "restore", "ns-to", NULL, false, NULL},
    {"dryRun", 0, "restore", "dry-run", NULL, false, NULL},
    {"queryFile", 0, "dump", "query-file", NULL, false, NULL},
    {"excludeCollection", 0, "dump", "exclude-collection", NULL, false, NULL},
    {"excludeCollectionsWithPrefix", 0, "dump", "exclude-collections-with-prefix", NULL, false,
     NULL},
    {"readPreference", 0, "dump", "read-preference", NULL, false, NULL},
    {"writeConcern", 0, "restore", "write-concern", NULL, false, NULL},
    {"authenticationDatabase", 0, "dump restore", "authentication-database", NULL, false, NULL},
    {"authenticationMechanism", 0, "dump restore", "authentication-mechanism", NULL, false, NULL},
    {"ssl", 0, "dump restore", "tls", NULL, false, NULL},
    {"tlsCAFile", 0, "dump restore", "tls-ca-file", NULL, false, NULL},
    {"sslCAFile", 0, "dump restore", "tls-ca-file", NULL, false, NULL},
    {"tlsCertificateKeyFile", 0, "dump restore", "tls-certificate-key-file", NULL, false, NULL},
    {"sslPEMKeyFile", 0, "dump restore", "tls-certificate-key-file", NULL, false, NULL},
    {"viewsAsCollections", 0, "dump", "views-as-collections", NULL, false, NULL},
    {"dumpDbUsersAndRoles", 0, "dump", "dump-users-and-roles", NULL, false, NULL},
    {"noIndexRestore", 0, "restore", "no-index-restore", NULL, false, NULL},
    {"preserveUUID", 0, "restore", "preserve-uuid", NULL, false, NULL},
    {"stopOnError", 0, "restore", "stop-on-error", NULL, false, NULL},
    {"verbose", 'v', "*", "log-level", "debug", false, NULL},
    {"objcheck", 0, "restore", NULL, NULL, false,
     "every document's BSON is always checked before it is inserted"},
    {"restoreDbUsersAndRoles", 0, "restore", NULL, NULL, false,
     "the users and roles an archive holds are always restored, after the collections"},
    {"db", 'd', "restore", NULL, NULL, true,
     "use --ns-include 'DB.*' (mongorestore refuses --db with --archive too)"},
    {"collection", 'c', "restore", NULL, NULL, true,
     "use --ns-include 'DB.COLL' (mongorestore refuses --collection with --archive too)"},
    {"noOptionsRestore", 0, "restore", NULL, NULL, true,
     "mongobak always creates collections with the options recorded in the archive"},
    {"maintainInsertionOrder", 0, "restore", NULL, NULL, true,
     "documents are inserted by unordered bulk writes from several workers"},
    {"numInsertionWorkersPerCollection", 0, "restore", NULL, NULL, true,
     "--jobs sets how many insert workers run"},
    {"bypassDocumentValidation", 0, "restore", NULL, NULL, true,
     "not implemented; documents are always validated by the server as they are inserted"},
    {"oplogReplay", 0, "restore", "oplog-replay", NULL, false, NULL},
    {"oplogLimit", 0, "restore", "oplog-limit", NULL, false, NULL},
    {NULL, 0, NULL, NULL, NULL, false, NULL},
};

const mb_exit_doc_t mb_exit_docs[] = {
    {MB_EXIT_OK, "ok", "success; for verify: the archive is sound"},
    {MB_EXIT_FAILURE, "failure", "an unexpected internal failure"},
    {MB_EXIT_USAGE, "usage",
     "bad command line, option value or configuration (a malformed --uri or MONGODB_URI "
     "included)"},
    {MB_EXIT_CORRUPT, "corrupt",
     "the archive is corrupt or truncated (framing, headers, BSON or a CRC mismatch), or "
     "encrypted and the key is missing or wrong or it fails authentication"},
    {MB_EXIT_NOT_ARCHIVE, "not-archive",
     "the input is not a mongodump archive, or is compressed in a format mongobak does not read"},
    {MB_EXIT_IO, "io", "a local file could not be opened, read or written (including a full disk)"},
    {MB_EXIT_CONNECT, "connect", "the server is unreachable (no server selected in time)"},
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
   bool from_env;
} pair_t;

struct mb_args {
   pair_t *pairs;
   int npairs;
   const char **pos;
   int npos;
};

/* Whether a space-separated list of commands ("*": every one) holds cmd. */
static bool applies_to(const char *commands, const char *cmd)
{
   size_t n = strlen(cmd);
   const char *p = commands;

   if (strcmp(p, "*") == 0) {
      return true;
   }
   while ((p = strstr(p, cmd)) != NULL) {
      if ((p == commands || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0')) {
         return true;
      }
      p += n;
   }
   return false;
}

static bool applies(const mb_option_t *o, const char *cmd)
{
   return applies_to(o->commands, cmd);
}

static const mb_alias_t *find_alias(const char *cmd, const char *name, size_t len, char c)
{
   for (const mb_alias_t *al = mb_aliases; al->name; al++) {
      if (((name && strlen(al->name) == len && strncmp(al->name, name, len) == 0) ||
           (!name && al->short_name == c)) &&
          applies_to(al->commands, cmd)) {
         return al;
      }
   }
   return NULL;
}

/* Edit distance of two option names, ignoring case and '-' (nsinclude = ns-include). */
static size_t name_distance(const char *a, size_t la, const char *b)
{
   char x[64], y[64];
   size_t nx = 0, ny = 0, row[65];

   for (size_t k = 0; k < la && nx < sizeof x; k++) {
      if (a[k] != '-') {
         x[nx++] = (char) tolower((unsigned char) a[k]);
      }
   }
   for (; *b && ny < sizeof y; b++) {
      if (*b != '-') {
         y[ny++] = (char) tolower((unsigned char) *b);
      }
   }
   for (size_t j = 0; j <= ny; j++) {
      row[j] = j;
   }
   for (size_t k = 1; k <= nx; k++) {
      size_t prev = row[0]++;
      for (size_t j = 1; j <= ny; j++) {
         size_t here = row[j], sub = prev + (x[k - 1] != y[j - 1]);
         row[j] = sub < here + 1 ? sub : here + 1;
         row[j] = row[j] < row[j - 1] + 1 ? row[j] : row[j - 1] + 1;
         prev = here;
      }
   }
   return row[ny];
}

/* The supported option of cmd nearest to an unknown name, or NULL when none is near. */
static const char *nearest(const char *cmd, const char *name, size_t len)
{
   size_t best = (len / 3 > 2 ? len / 3 : 2) + 1;
   const char *found = NULL;

   if (len < 2) {
      return NULL;
   }
   for (const mb_option_t *o = mb_options; o->name; o++) {
      size_t d = applies(o, cmd) ? name_distance(name, len, o->name) : best;
      if (d < best) {
         best = d;
         found = o->name;
      }
   }
   for (const mb_alias_t *al = mb_aliases; al->name; al++) {
      size_t d =
          applies_to(al->commands, cmd) && !al->refused ? name_distance(name, len, al->name) : best;
      if (d < best) {
         best = d;
         found = al->target ? al->target : al->name;
      }
   }
   return found;
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

/* A command's own options come before the global ones: -h is --host for dump and restore,
 * --help elsewhere. */
static const mb_option_t *find_short(const char *cmd, char c)
{
   const mb_option_t *global = NULL;

   for (const mb_option_t *o = mb_options; o->name; o++) {
      if (o->short_name == c && applies(o, cmd)) {
         if (strcmp(o->commands, "*") != 0) {
            return o;
         }
         global = global ? global : o;
      }
   }
   return global;
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
      } else if (o->arg[0] == '[' && (*i + 1 >= argc || argv[*i + 1][0] == '-')) {
         v = ""; /* an optional value left out */
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

/* An alias as written (spelled: "--nsInclude", "-v"), inl its attached value or NULL. */
static bool take_alias(mb_args_t *a, const mb_command_t *cmd, const mb_alias_t *al,
                       const char *spelled, const char *inl, int argc, char **argv, int *i,
                       mb_error_t *err)
{
   const mb_option_t *o = al->target ? find_long(cmd->name, al->target, strlen(al->target)) : NULL;

   if (al->refused) {
      mb_error_set(err, MB_EXIT_USAGE, "option '%s' is not supported by 'mongobak %s': %s", spelled,
                   cmd->name, al->note);
      return false;
   }
   if ((!o || al->value) && inl) {
      mb_error_set(err, MB_EXIT_USAGE, "option %s takes no value", spelled);
      return false;
   }
   if (!o) {
      return true; /* what it asks for is always done (al->note) */
   }
   return take(a, cmd, o, al->value ? al->value : inl, argc, argv, i, err);
}

static void unknown_option(const mb_command_t *cmd, const char *s, size_t len, mb_error_t *err)
{
   const char *near = s[1] == '-' ? nearest(cmd->name, s + 2, len - 2) : NULL;

   mb_error_set(err, MB_EXIT_USAGE, "unknown option '%.*s' for '%s'%s%s%s; see 'mongobak help %s'",
                (int) len, s, cmd->name, near ? " (did you mean --" : "", near ? near : "",
                near ? "?)" : "", cmd->name);
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
      const mb_alias_t *al;
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
         char spelled[80];
         o = find_long(cmd->name, s + 2, len);
         al = o ? NULL : find_alias(cmd->name, s + 2, len, 0);
         snprintf(spelled, sizeof spelled, "%.*s", (int) (len + 2), s);
         if (!o && !al) {
            unknown_option(cmd, s, len + 2, err);
            goto fail;
         }
         if (o ? !take(a, cmd, o, eq ? eq + 1 : NULL, argc, argv, &i, err)
               : !take_alias(a, cmd, al, spelled, eq ? eq + 1 : NULL, argc, argv, &i, err)) {
            goto fail;
         }
         continue;
      }
      o = find_short(cmd->name, s[1]);
      al = o ? NULL : find_alias(cmd->name, NULL, 0, s[1]);
      if (al && (!s[2] || al->refused)) {
         if (!take_alias(a, cmd, al, s, NULL, argc, argv, &i, err)) {
            goto fail;
         }
         continue;
      }
      if (!o || (s[2] && !o->arg)) {
         unknown_option(cmd, s, strlen(s), err);
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
         a->pairs[a->npairs - 1].from_env = true;
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

bool mb_args_given(const mb_args_t *a, const char *name)
{
   for (int k = 0; k < a->npairs; k++) {
      if (strcmp(a->pairs[k].opt->name, name) == 0 && !a->pairs[k].from_env) {
         return true;
      }
   }
   return false;
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

/* The short name of o as cmd reads it ('\0' when another option of cmd takes it). */
static char short_of(const char *cmd, const mb_option_t *o)
{
   return o->short_name && find_short(cmd, o->short_name) == o ? o->short_name : '\0';
}

static void print_option(FILE *f, const char *cmd, const mb_option_t *o)
{
   char left[80];

   if (short_of(cmd, o)) {
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

/* What an alias does, as help shows it. */
static void alias_meaning(const mb_alias_t *al, char *buf, size_t size)
{
   if (al->target) {
      snprintf(buf, size, "--%s%s%s", al->target, al->value ? " " : "", al->value ? al->value : "");
   } else {
      snprintf(buf, size, "%s: %s", al->refused ? "refused" : "accepted", al->note);
   }
}

static void print_aliases(FILE *f, const char *cmd)
{
   char left[80], meaning[256];
   bool first = true;

   for (const mb_alias_t *al = mb_aliases; al->name; al++) {
      if (!applies_to(al->commands, cmd)) {
         continue;
      }
      if (first) {
         fprintf(f, "\nmongodump's and mongorestore's spellings:\n");
         first = false;
      }
      if (al->short_name) {
         snprintf(left, sizeof left, "-%c, --%s", al->short_name, al->name);
      } else {
         snprintf(left, sizeof left, "    --%s", al->name);
      }
      alias_meaning(al, meaning, sizeof meaning);
      fprintf(f, "  %-28s %s\n", left, meaning);
   }
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
         print_option(f, cmd->name, o);
      }
   }
   print_aliases(f, cmd->name);
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

static void man_aliases(FILE *f, const char *cmd)
{
   char meaning[256];

   for (const mb_alias_t *al = mb_aliases; al->name; al++) {
      if (!applies_to(al->commands, cmd) || strcmp(al->commands, "*") == 0) {
         continue;
      }
      fprintf(f, ".TP\n");
      if (al->short_name) {
         fprintf(f, "\\fB\\-%c\\fR, ", al->short_name);
      }
      fprintf(f, "\\fB\\-\\-%s\\fR\n", al->name);
      alias_meaning(al, meaning, sizeof meaning);
      fprintf(f, "as in mongodump or mongorestore: ");
      roff(f, meaning);
      fputc('\n', f);
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
         if (short_of(c->name, o)) {
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
      man_aliases(f, c->name);
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
   fprintf(f, ".TP\n\\fB\\-v\\fR, \\fB\\-\\-verbose\\fR\nmongodump's spelling of "
              "\\fB\\-\\-log\\-level debug\\fR\n");
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
