/* The option table's parser (mb_args_*): long and short forms, '=' and attached values,
 * repeated options, positionals and "--", environment defaults, and the exact usage errors
 * (exit code 2) for unknown options, missing values and numbers or sizes out of range. */
#include "archive/compress.h"
#include "cli/connect.h"
#include "cli/options.h"
#include "common/redact.h"

#include "testutil.h"

#define MAX_ARGV 8

static const mb_command_t commands[] = {
    {"dump", "", "", "", NULL},
    {"restore", "", "", "", NULL},
    {"inspect", "", "", "", NULL},
};

static const mb_command_t *command(const char *name)
{
   for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
      if (strcmp(commands[i].name, name) == 0) {
         return &commands[i];
      }
   }
   fail_msg("no command %s", name);
   return NULL;
}

/* Parse the NULL-terminated words for cmd; argv stays valid for the args' lifetime. */
static bool parse(const char *cmd, const char *const *words, char **argv, mb_args_t **out,
                  mb_error_t *err)
{
   int argc = 0;

   while (argc < MAX_ARGV && words[argc]) {
      argv[argc] = (char *) words[argc];
      argc++;
   }
   argv[argc] = NULL;
   *out = NULL;
   memset(err, 0, sizeof *err);
   return mb_args_parse(command(cmd), argc, argv, out, err);
}

static void clear_env(void)
{
   unsetenv("MONGODB_URI");
   unsetenv("LOG_LEVEL");
   unsetenv("LOG_FORMAT");
}

typedef struct {
   const char *cmd;
   const char *argv[MAX_ARGV];
   const char *name; /* option looked at */
   const char *want; /* its last value; NULL: absent */
   int count;        /* how many times it was taken */
   const char *pos;  /* positionals joined with '|' */
} parse_case_t;

static void test_parse(void **state)
{
   static const parse_case_t cases[] = {
       {"dump", {"--archive", "x.archive"}, "archive", "x.archive", 1, ""},
       {"dump", {"--archive=x.archive"}, "archive", "x.archive", 1, ""},
       {"dump", {"--archive=a=b"}, "archive", "a=b", 1, ""},
       {"dump", {"--archive="}, "archive", "", 1, ""},
       {"dump", {"-a", "x"}, "archive", "x", 1, ""},
       {"dump", {"-ax"}, "archive", "x", 1, ""},
       {"dump", {"-a", ""}, "archive", "", 1, ""},
       /* a value is taken as it is, even one that looks like an option */
       {"dump", {"--archive", "--db"}, "archive", "--db", 1, ""},
       {"dump", {"-a", "-"}, "archive", "-", 1, ""},
       {"dump", {"-q", "{\"a\": 1}"}, "query", "{\"a\": 1}", 1, ""},
       /* an option given twice: the last one wins, and it counts once */
       {"dump", {"--db", "a", "--db", "b"}, "db", "b", 1, ""},
       {"dump", {"-d", "a", "--db=b", "-dc"}, "db", "c", 1, ""},
       /* repeatable options keep every value in order */
       {"dump", {"--ns-include", "a.*", "--ns-include=b.*"}, "ns-include", "b.*", 2, ""},
       {"restore", {"--ns-from", "a.*", "--ns-to", "b.*"}, "ns-to", "b.*", 1, ""},
       /* flags */
       {"dump", {"--overwrite"}, "overwrite", "", 1, ""},
       {"dump", {NULL}, "overwrite", NULL, 0, ""},
       {"inspect", {"-h"}, "help", "", 1, ""},
       /* dump and restore: -h is --host, as in mongodump; --help stays */
       {"dump", {"-h", "db.example.com"}, "host", "db.example.com", 1, ""},
       {"dump", {"-hx"}, "host", "x", 1, ""},
       {"restore", {"-h", "rs/a,b:2"}, "host", "rs/a,b:2", 1, ""},
       {"dump", {"--help"}, "help", "", 1, ""},
       /* --password: its value is optional (prompted for when left out) */
       {"dump", {"-p"}, "password", "", 1, ""},
       {"dump", {"-p", "--db", "x"}, "password", "", 1, ""},
       {"dump", {"-p", "s3cret"}, "password", "s3cret", 1, ""},
       {"restore", {"-ps3cret"}, "password", "s3cret", 1, ""},
       {"restore", {"--password=-x"}, "password", "-x", 1, ""},
       {"inspect", {"--help", "a.archive"}, "help", "", 1, "a.archive"},
       /* mongodump's and mongorestore's spellings */
       {"dump", {"--gzip"}, "compress", "gzip", 1, ""},
       {"dump", {"--compress", "zstd", "--gzip"}, "compress", "gzip", 1, ""},
       {"restore", {"--gzip"}, "compress", NULL, 0, ""},
       {"dump", {"--nsInclude", "a.*", "--ns-include=b.*"}, "ns-include", "b.*", 2, ""},
       {"restore", {"--nsExclude=a.*"}, "ns-exclude", "a.*", 1, ""},
       {"dump", {"--numParallelCollections=3"}, "jobs", "3", 1, ""},
       {"restore", {"--nsFrom", "a.*", "--nsTo", "b.*"}, "ns-to", "b.*", 1, ""},
       {"restore", {"--dryRun"}, "dry-run", "", 1, ""},
       {"restore", {"--objcheck", "--stopOnError"}, "stop-on-error", "", 1, ""},
       {"restore", {"--noIndexRestore"}, "no-index-restore", "", 1, ""},
       {"restore", {"--writeConcern", "majority"}, "write-concern", "majority", 1, ""},
       {"dump", {"-v"}, "log-level", "debug", 1, ""},
       {"inspect", {"--verbose"}, "log-level", "debug", 1, ""},
       {"dump",
        {"--excludeCollection", "x", "--exclude-collection", "y"},
        "exclude-collection",
        "y",
        2,
        ""},
       {"dump",
        {"--excludeCollectionsWithPrefix=t"},
        "exclude-collections-with-prefix",
        "t",
        1,
        ""},
       {"dump", {"--queryFile", "q.json"}, "query-file", "q.json", 1, ""},
       {"dump", {"--readPreference", "secondary"}, "read-preference", "secondary", 1, ""},
       {"dump", {"--ssl", "--tlsCAFile=/ca"}, "tls-ca-file", "/ca", 1, ""},
       {"restore", {"--sslPEMKeyFile", "k.pem"}, "tls-certificate-key-file", "k.pem", 1, ""},
       {"dump", {"--authenticationDatabase", "admin"}, "authentication-database", "admin", 1, ""},
       /* options of every command */
       {"inspect", {"--log-level", "debug"}, "log-level", "debug", 1, ""},
       {"restore", {"--log-format=json"}, "log-format", "json", 1, ""},
       /* positionals: anywhere, "-" is one, and everything after "--" */
       {"inspect", {"x", "--json", "y"}, "json", "", 1, "x|y"},
       {"inspect", {"-"}, "json", NULL, 0, "-"},
       {"dump", {"--", "--db", "-a"}, "db", NULL, 0, "--db|-a"},
       {"dump", {"--db", "d", "--", "--"}, "db", "d", 1, "--"},
   };
   (void) state;

   clear_env();
   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      const parse_case_t *c = &cases[i];
      char *argv[MAX_ARGV + 1];
      char joined[256] = "";
      const char **pos;
      mb_args_t *a;
      mb_error_t err;
      const char *got;
      int npos;
      if (!parse(c->cmd, c->argv, argv, &a, &err)) {
         fail_msg("case %zu: %s", i, err.message);
      }
      got = mb_args_get(a, c->name);
      if (c->want == NULL ? got != NULL : got == NULL || strcmp(got, c->want) != 0) {
         fail_msg("case %zu: --%s is '%s', want '%s'", i, c->name, got ? got : "(absent)",
                  c->want ? c->want : "(absent)");
      }
      assert_int_equal(mb_args_flag(a, c->name), c->want != NULL);
      assert_int_equal(mb_args_count(a, c->name), c->count);
      npos = mb_args_positional(a, &pos);
      for (int k = 0; k < npos; k++) {
         size_t used = strlen(joined);
         snprintf(joined + used, sizeof joined - used, "%s%s", k ? "|" : "", pos[k]);
      }
      assert_string_equal(joined, c->pos);
      mb_args_destroy(a);
   }
}

static void test_repeated_values_in_order(void **state)
{
   static const char *const words[] = {
       "--ns-exclude", "a", "--ns-include=x", "--ns-exclude=b", "--ns-exclude", "c", NULL};
   char *argv[MAX_ARGV + 1];
   mb_args_t *a;
   mb_error_t err;
   (void) state;

   clear_env();
   assert_true(parse("restore", words, argv, &a, &err));
   assert_int_equal(mb_args_count(a, "ns-exclude"), 3);
   assert_string_equal(mb_args_nth(a, "ns-exclude", 0), "a");
   assert_string_equal(mb_args_nth(a, "ns-exclude", 1), "b");
   assert_string_equal(mb_args_nth(a, "ns-exclude", 2), "c");
   assert_null(mb_args_nth(a, "ns-exclude", 3));
   assert_string_equal(mb_args_nth(a, "ns-include", 0), "x");
   assert_null(mb_args_nth(a, "ns-from", 0));
   assert_int_equal(mb_args_count(a, "ns-from"), 0);
   mb_args_destroy(a);
}

typedef struct {
   const char *cmd;
   const char *argv[MAX_ARGV];
   const char *msg;
} parse_error_t;

static void test_parse_errors(void **state)
{
   static const parse_error_t cases[] = {
       {"dump", {"--bogus"}, "unknown option '--bogus' for 'dump'; see 'mongobak help dump'"},
       {"dump", {"--bogus=1"}, "unknown option '--bogus' for 'dump'; see 'mongobak help dump'"},
       /* the nearest supported option is named */
       {"dump",
        {"--ns-inclde", "a.*"},
        "unknown option '--ns-inclde' for 'dump' (did you mean --ns-include?); see 'mongobak help "
        "dump'"},
       {"dump",
        {"--nsinclude", "a.*"},
        "unknown option '--nsinclude' for 'dump' (did you mean --ns-include?); see 'mongobak help "
        "dump'"},
       {"restore",
        {"--numInsertionWorkers", "2"},
        "unknown option '--numInsertionWorkers' for 'restore'; see 'mongobak help restore'"},
       /* mongorestore's options that mongobak does not have: refused with the reason */
       {"restore",
        {"--noOptionsRestore"},
        "option '--noOptionsRestore' is not supported by 'mongobak restore': mongobak always "
        "creates collections with the options recorded in the archive"},
       {"restore",
        {"--maintainInsertionOrder"},
        "option '--maintainInsertionOrder' is not supported by 'mongobak restore': documents are "
        "inserted by unordered bulk writes from several workers"},
       {"dump", {"--oplog=1"}, "option --oplog takes no value"},
       {"restore", {"--oplogReplay=true"}, "option --oplog-replay takes no value"},
       {"dump", {"--gzip=1"}, "option --gzip takes no value"},
       {"restore", {"--objcheck=true"}, "option --objcheck takes no value"},
       {"dump", {"x", "--bogus"}, "unknown option '--bogus' for 'dump'; see 'mongobak help dump'"},
       /* no abbreviations, no prefixes, exact case */
       {"dump", {"--over"}, "unknown option '--over' for 'dump'; see 'mongobak help dump'"},
       {"dump",
        {"--overwritex"},
        "unknown option '--overwritex' for 'dump' (did you mean --overwrite?); see 'mongobak help "
        "dump'"},
       {"dump",
        {"--DB", "x"},
        "unknown option '--DB' for 'dump' (did you mean --db?); see 'mongobak help dump'"},
       {"dump",
        {"---db", "x"},
        "unknown option '---db' for 'dump' (did you mean --db?); see 'mongobak help dump'"},
       {"dump", {"--=x"}, "unknown option '--' for 'dump'; see 'mongobak help dump'"},
       /* an option of another command */
       {"dump",
        {"--ns-from", "a.*"},
        "unknown option '--ns-from' for 'dump'; see 'mongobak help dump'"},
       {"restore",
        {"--db", "x"},
        "option '--db' is not supported by 'mongobak restore': use --ns-include 'DB.*' "
        "(mongorestore refuses --db with --archive too)"},
       {"restore",
        {"-d", "x"},
        "option '-d' is not supported by 'mongobak restore': use --ns-include 'DB.*' "
        "(mongorestore refuses --db with --archive too)"},
       {"inspect",
        {"--uri", "mongodb://x"},
        "unknown option '--uri' for 'inspect'; see 'mongobak help inspect'"},
       /* short options */
       {"dump", {"-x"}, "unknown option '-x' for 'dump'; see 'mongobak help dump'"},
       {"dump", {"-h"}, "option --host needs a value (HOST[:PORT]); see 'mongobak help dump'"},
       {"inspect", {"-hx"}, "unknown option '-hx' for 'inspect'; see 'mongobak help inspect'"},
       {"dump", {"-A", "x"}, "unknown option '-A' for 'dump'; see 'mongobak help dump'"},
       /* missing values, in both forms */
       {"dump", {"--archive"}, "option --archive needs a value (PATH); see 'mongobak help dump'"},
       {"dump", {"-a"}, "option --archive needs a value (PATH); see 'mongobak help dump'"},
       {"dump",
        {"--db", "x", "--query"},
        "option --query needs a value (JSON); see 'mongobak help dump'"},
       {"restore",
        {"--ns-from", "a.*", "--ns-to"},
        "option --ns-to needs a value (PATTERN); see 'mongobak help restore'"},
       /* a flag given a value */
       {"dump", {"--overwrite=yes"}, "option --overwrite takes no value"},
       {"dump", {"--overwrite="}, "option --overwrite takes no value"},
       {"inspect", {"--help=1"}, "option --help takes no value"},
   };
   (void) state;

   clear_env();
   assert_int_equal(MB_EXIT_USAGE, 2); /* the documented exit code of usage errors */
   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      char *argv[MAX_ARGV + 1];
      mb_args_t *a;
      mb_error_t err;
      if (parse(cases[i].cmd, cases[i].argv, argv, &a, &err)) {
         fail_msg("case %zu: accepted", i);
      }
      assert_null(a);
      assert_error(&err, MB_EXIT_USAGE, cases[i].msg);
   }
}

/* Environment variables fill what the command line left unset, for the commands they apply to;
 * an empty one counts as unset. */
static void test_environment(void **state)
{
   static const char *const none[] = {NULL};
   static const char *const uri[] = {"--uri", "mongodb://cli", NULL};
   char *argv[MAX_ARGV + 1];
   mb_args_t *a;
   mb_error_t err;
   (void) state;

   clear_env();
   setenv("MONGODB_URI", "mongodb://env", 1);
   setenv("LOG_LEVEL", "debug", 1);
   assert_true(parse("dump", none, argv, &a, &err));
   assert_string_equal(mb_args_get(a, "uri"), "mongodb://env");
   assert_int_equal(mb_args_count(a, "uri"), 1);
   assert_string_equal(mb_args_get(a, "log-level"), "debug");
   assert_null(mb_args_get(a, "log-format"));
   mb_args_destroy(a);

   assert_true(parse("dump", uri, argv, &a, &err));
   assert_string_equal(mb_args_get(a, "uri"), "mongodb://cli");
   assert_int_equal(mb_args_count(a, "uri"), 1);
   mb_args_destroy(a);

   /* inspect has no --uri: MONGODB_URI is not its business */
   assert_true(parse("inspect", none, argv, &a, &err));
   assert_null(mb_args_get(a, "uri"));
   assert_string_equal(mb_args_get(a, "log-level"), "debug");
   mb_args_destroy(a);

   setenv("MONGODB_URI", "", 1);
   assert_true(parse("restore", none, argv, &a, &err));
   assert_null(mb_args_get(a, "uri"));
   mb_args_destroy(a);
   clear_env();
}

typedef struct {
   const char *argv[MAX_ARGV];
   const char *want; /* the connection string, or the error */
} connect_case_t;

/* mongodump's connection options make the connection string of dump and restore. */
static void test_connect_uri(void **state)
{
   static const connect_case_t ok[] = {
       {{"-h", "db.example.com:27018"}, "mongodb://db.example.com:27018/"},
       {{"--host", "rs0/a:1,b", "--port", "2"}, "mongodb://a:1,b:2/?replicaSet=rs0"},
       {{"--port", "27999"}, "mongodb://localhost:27999/"},
       {{NULL}, "mongodb://localhost:27017"},
       {{"-h", "h", "-u", "me", "--password=p@ss:w"}, "mongodb://me:p%40ss%3Aw@h/"},
       {{"--uri", "mongodb://me@h/db?retryWrites=false", "-p", "pw", "--authentication-database",
         "admin"},
        "mongodb://me:pw@h/db?retryWrites=false&authSource=admin"},
       {{"--uri", "mongodb://h:1", "--tls", "--tls-ca-file", "/c a.pem"},
        "mongodb://h:1/?tlsCAFile=%2Fc%20a.pem&tls=true"},
       {{"--uri", "mongodb://u:p@h/?authSource=admin", "-u", "u", "--authentication-database",
         "admin"},
        "mongodb://u:p@h/?authSource=admin"},
       {{"--uri", "mongodb://h/?appname=x", "--readPreference", "secondary"},
        "mongodb://h/?appname=x&readPreference=secondary"},
   };
   static const connect_case_t bad[] = {
       {{"--uri", "mongodb://h", "-h", "x"},
        "--host cannot be combined with --uri (as in mongodump): put the hosts in the connection "
        "string, or drop --uri"},
       {{"--uri", "mongodb://h", "--port", "1"},
        "--port cannot be combined with --uri (as in mongodump): put the hosts in the connection "
        "string, or drop --uri"},
       {{"--uri", "mongodb://a:b@h", "-u", "c"},
        "--username contradicts the user in the connection string"},
       {{"--uri", "mongodb://a:b@h", "-p", "c"},
        "--password contradicts the password in the connection string"},
       {{"-h", "h", "-p", "x"}, "--password needs --username (or a user in the URI)"},
       {{"--uri", "mongodb://h/?authSource=x", "--authentication-database", "y"},
        "--authentication-database 'y' contradicts authSource=x in the connection string"},
       {{"--port", "1x"}, "--port must be a port number, not '1x'"},
       {{"--uri", "mongodb://h/?w=1", "--writeConcern", "majority"},
        "--write-concern 'majority' contradicts w=1 in the connection string"},
       {{"--write-concern", "{w: 1}"},
        "--write-concern must be majority or a number of members, not '{w: 1}' (journal and "
        "wtimeoutMS: in the connection string)"},
       {{"-h", "u@h"}, "--host must be HOST[:PORT][,HOST[:PORT]...] or SET/HOST,HOST, not 'u@h'"},
   };
   char *argv[MAX_ARGV + 1], *uri, text[64];
   mb_args_t *a;
   mb_error_t err;
   (void) state;

   clear_env();
   setenv("MONGODB_URI", "mongodb://from-env", 1); /* --host and --port replace it */
   for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
      if (i == 3) {
         unsetenv("MONGODB_URI");
      }
      assert_true(parse("dump", ok[i].argv, argv, &a, &err));
      if (!mb_connect_uri(a, "mongodb://localhost:27017", &uri, &err)) {
         fail_msg("case %zu: %s", i, err.message);
      }
      assert_string_equal(uri, ok[i].want);
      bson_free(uri);
      mb_args_destroy(a);
   }
   for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      assert_true(parse("restore", bad[i].argv, argv, &a, &err));
      if (mb_connect_uri(a, "mongodb://localhost:27017", &uri, &err)) {
         fail_msg("case %zu: accepted as %s", i, uri);
      }
      assert_null(uri);
      assert_error(&err, MB_EXIT_USAGE, bad[i].want);
      mb_args_destroy(a);
   }
   static const char *const wc[] = {"--uri", "mongodb://h", "--writeConcern", "majority", NULL};
   assert_true(parse("restore", wc, argv, &a, &err));
   assert_true(mb_connect_uri(a, "mongodb://localhost:27017", &uri, &err));
   assert_string_equal(uri, "mongodb://h/?w=majority");
   bson_free(uri);
   mb_args_destroy(a);
   /* a password given as an option is masked like one in a URI */
   snprintf(text, sizeof text, "login failed for p@ss:w");
   mb_redact_text(text, sizeof text);
   assert_string_equal(text, "login failed for ***");
   clear_env();
}

typedef struct {
   const char *arg; /* "--jobs=..." or NULL for absent */
   bool ok;
   long want;
} int_case_t;

static void test_int_range(void **state)
{
   static const int_case_t cases[] = {
       {NULL, true, 4},
       {"--jobs=8", true, 8},
       {"--jobs=1", true, 1},
       {"--jobs=64", true, 64},
       {"--jobs=+8", true, 8},
       {"--jobs=0", false, 0},
       {"--jobs=65", false, 0},
       {"--jobs=-1", false, 0},
       {"--jobs=8x", false, 0},
       {"--jobs=0x10", false, 0},
       {"--jobs=1.5", false, 0},
       {"--jobs=", false, 0},
       {"--jobs=99999999999999999999", false, 0},
   };
   (void) state;

   clear_env();
   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      const char *words[] = {cases[i].arg, NULL};
      char *argv[MAX_ARGV + 1], msg[160];
      mb_args_t *a;
      mb_error_t err;
      long v = -7;
      assert_true(parse("dump", words, argv, &a, &err));
      if (mb_args_int(a, "jobs", 4, 1, 64, &v, &err) != cases[i].ok) {
         fail_msg("case %zu (%s): ok %d", i, cases[i].arg, !cases[i].ok);
      }
      if (cases[i].ok) {
         assert_int_equal(v, cases[i].want);
      } else {
         assert_int_equal(v, -7);
         snprintf(msg, sizeof msg, "--jobs must be a whole number from 1 to 64, not '%s'",
                  cases[i].arg + strlen("--jobs="));
         assert_error(&err, MB_EXIT_USAGE, msg);
      }
      mb_args_destroy(a);
   }
}

typedef struct {
   const char *value; /* NULL: absent */
   bool ok;
   int64_t want;
} size_case_t;

static void test_size(void **state)
{
   static const size_case_t cases[] = {
       {NULL, true, 256ll << 20},
       {"0", true, 0},
       {"10", true, 10},
       {"1k", true, 1024},
       {"1K", true, 1024},
       {"1.5K", true, 1536},
       {"512M", true, 512ll << 20},
       {"512m", true, 512ll << 20},
       {"1MiB", true, 1ll << 20},
       {"1MB", true, 1ll << 20},
       {"2G", true, 2ll << 30},
       {"3T", true, 3ll << 40},
       {"1e3", true, 1000},
       {"", false, 0},
       {"-1", false, 0},
       {"-1M", false, 0},
       {"1X", false, 0},
       {"1Mb", false, 0},
       {"1M ", false, 0},
       {"1P", false, 0},
       {"9000000T", false, 0},
   };
   (void) state;

   clear_env();
   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      char opt[64], *argv[MAX_ARGV + 1], msg[160];
      const char *words[] = {cases[i].value ? opt : NULL, NULL};
      mb_args_t *a;
      mb_error_t err;
      int64_t v = -7;
      snprintf(opt, sizeof opt, "--split-threshold=%s", cases[i].value ? cases[i].value : "");
      assert_true(parse("dump", words, argv, &a, &err));
      if (mb_args_size(a, "split-threshold", 256ll << 20, &v, &err) != cases[i].ok) {
         fail_msg("case %zu (%s): ok %d", i, cases[i].value, !cases[i].ok);
      }
      if (cases[i].ok) {
         assert_int_equal(v, cases[i].want);
      } else {
         snprintf(msg, sizeof msg, "--split-threshold must be a size like 512M or 2G, not '%s'",
                  cases[i].value);
         assert_error(&err, MB_EXIT_USAGE, msg);
      }
      mb_args_destroy(a);
   }
}

/* The defaults help shows are the code's: --level's default for each compression. */
static void test_help_defaults(void **state)
{
   char want[64];
   const mb_option_t *level = NULL;
   (void) state;

   for (const mb_option_t *o = mb_options; o->name; o++) {
      level = strcmp(o->name, "level") == 0 ? o : level;
   }
   assert_non_null(level);
   snprintf(want, sizeof want, "zstd %d, gzip %d", mb_compress_default_level(MB_COMPRESS_ZSTD),
            mb_compress_default_level(MB_COMPRESS_GZIP));
   assert_string_equal(level->def, want);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_parse),        cmocka_unit_test(test_repeated_values_in_order),
       cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_environment),
       cmocka_unit_test(test_int_range),    cmocka_unit_test(test_size),
       cmocka_unit_test(test_connect_uri),  cmocka_unit_test(test_help_defaults),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
