/* .env parsing: every form that the dotenv npm package and python-dotenv accept, and exact
 * messages for malformed files. */
#include "common/dotenv.h"

#include "testutil.h"

#include <unistd.h>

static mb_dotenv_t *parse_len(const char *text, size_t len)
{
   mb_dotenv_t *e = NULL;
   mb_error_t err;

   if (!mb_dotenv_parse(text, len, "test.env", &e, &err)) {
      fail_msg("parse failed: %s", err.message);
   }
   assert_non_null(e);
   return e;
}

static mb_dotenv_t *parse_ok(const char *text)
{
   return parse_len(text, strlen(text));
}

static void expect_entry(const mb_dotenv_t *e, int i, const char *key, const char *value, int line)
{
   assert_true(i < e->n);
   assert_string_equal(e->entries[i].key, key);
   assert_string_equal(e->entries[i].value, value);
   assert_int_equal(e->entries[i].line, line);
}

static void expect_error_len(const char *text, size_t len, const char *msg)
{
   mb_dotenv_t *e = (mb_dotenv_t *) 1;
   mb_error_t err;

   if (mb_dotenv_parse(text, len, "test.env", &e, &err)) {
      fail_msg("parsed, want error '%s'", msg);
   }
   assert_null(e);
   assert_error(&err, MB_EXIT_USAGE, msg);
}

static void test_basic(void **state)
{
   mb_dotenv_t *e;

   (void) state;
   e = parse_ok("MONGODB_URI=mongodb://u:p@h:27017/db?authSource=admin\nMAX_BACKUPS=7\n"
                "CRON_SCHEDULE=0 */6 * * *\n");
   assert_int_equal(e->n, 3);
   expect_entry(e, 0, "MONGODB_URI", "mongodb://u:p@h:27017/db?authSource=admin", 1);
   expect_entry(e, 1, "MAX_BACKUPS", "7", 2);
   expect_entry(e, 2, "CRON_SCHEDULE", "0 */6 * * *", 3);
   assert_string_equal(mb_dotenv_get(e, "MAX_BACKUPS"), "7");
   assert_null(mb_dotenv_get(e, "max_backups"));
   assert_null(mb_dotenv_get(e, "NOPE"));
   mb_dotenv_destroy(e);

   e = parse_ok("");
   assert_int_equal(e->n, 0);
   mb_dotenv_destroy(e);
   e = parse_len(NULL, 0);
   assert_int_equal(e->n, 0);
   mb_dotenv_destroy(e);

   /* the text need not end with NUL: only len bytes are read */
   e = parse_len("A=1B=2", 3);
   assert_int_equal(e->n, 1);
   expect_entry(e, 0, "A", "1", 1);
   mb_dotenv_destroy(e);

   mb_dotenv_destroy(NULL);
}

/* Texts holding exactly one assignment, key=value, on line 1. */
static void test_one_assignment(void **state)
{
   static const struct {
      const char *text, *key, *value;
   } cases[] = {
       /* keys and spacing */
       {"KEY = VALUE", "KEY", "VALUE"},
       {"  KEY\t=\tVALUE  \t", "KEY", "VALUE"},
       {"KEY=  inner  spaces kept  ", "KEY", "inner  spaces kept"},
       {"a.b-c_D9=1", "a.b-c_D9", "1"},
       {"_X=2", "_X", "2"},
       /* only the first '=' separates */
       {"A=b=c==", "A", "b=c=="},
       /* single quotes */
       {"A='literal $HOME \\n \\' # not a comment", "A", "literal $HOME \\n \\"},
       {"A='  spaced  '", "A", "  spaced  "},
       {"A='say \"hi\"'", "A", "say \"hi\""},
       {"A='a#b' # comment", "A", "a#b"},
       {"A=  'x'  ", "A", "x"},
       /* a single quote inside an unquoted value is just a character */
       {"A=it's", "A", "it's"},
       /* double quotes */
       {"A=\"l1\\nl2\\tT\\r\\\"q\\\" \\\\ \\$HOME $HOME\"", "A", "l1\nl2\tT\r\"q\" \\ $HOME $HOME"},
       /* other escapes stay as written */
       {"A=\"\\x41 \\u00e9 \\'\"", "A", "\\x41 \\u00e9 \\'"},
       {"A=\"  spaced # not a comment  \"", "A", "  spaced # not a comment  "},
       {"A=\"it's\"", "A", "it's"},
       /* UTF-8 passes through */
       {"A=\"caf\xc3\xa9\"", "A", "caf\xc3\xa9"},
       {"A=caf\xc3\xa9", "A", "caf\xc3\xa9"},
   };
   (void) state;

   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      mb_dotenv_t *e = parse_ok(cases[i].text);
      assert_int_equal(e->n, 1);
      expect_entry(e, 0, cases[i].key, cases[i].value, 1);
      mb_dotenv_destroy(e);
   }
}

#define MAX_ENTRIES 8

/* Files of several lines: every entry (key, value, line) in order, and what mb_dotenv_get
 * answers for some keys. */
typedef struct {
   const char *what, *text;
   struct {
      const char *key, *value;
      int line;
   } entries[MAX_ENTRIES]; /* up to the first NULL key */
   struct {
      const char *key, *value;
   } gets[2];
} file_case_t;

static void test_files(void **state)
{
   static const file_case_t cases[] = {
       {"no final line end; blank and blank-only lines",
        "\n\n  \t\nA=1\n\n B=2",
        {{"A", "1", 4}, {"B", "2", 6}},
        {{NULL, NULL}}},
       {"export",
        "export A=1\nexport\tB=2\nexport   C = 3\nexport=4\nexport = 5\nexports=6\n",
        {{"A", "1", 1},
         {"B", "2", 2},
         {"C", "3", 3},
         {"export", "4", 4},
         {"export", "5", 5},
         {"exports", "6", 6}},
        {{NULL, NULL}}},
       {"comments",
        "# a comment\n   # indented comment\n#A=1\nA=1 # trailing\nB=a#b\nC=a #b\n"
        "D= # only a comment\nE=#hash\nF=x\t# after a tab\nG='q' # c\nH=\"q\"#c\n",
        {{"A", "1", 4},
         {"B", "a#b", 5},
         {"C", "a", 6},
         {"D", "", 7},
         {"E", "#hash", 8},
         {"F", "x", 9},
         {"G", "q", 10},
         {"H", "q", 11}},
        {{NULL, NULL}}},
       {"single quotes may span lines, like the reference tools",
        "KEY='-----BEGIN KEY-----\nabc\n-----END KEY-----'\nNEXT=1\n",
        {{"KEY", "-----BEGIN KEY-----\nabc\n-----END KEY-----", 1}, {"NEXT", "1", 4}},
        {{NULL, NULL}}},
       {"double quotes may span lines",
        "A=\"line1\nline2\n\n  line4\"\nB=2\n",
        {{"A", "line1\nline2\n\n  line4", 1}, {"B", "2", 5}},
        {{NULL, NULL}}},
       {"CRLF inside a quoted value becomes \\n",
        "A=\"x\r\ny\"\r\nB=1\r\n",
        {{"A", "x\ny", 1}, {"B", "1", 3}},
        {{NULL, NULL}}},
       {"empty values",
        "A=\nB=\"\"\nC=''\nD=   \nE= \"\" # c\n",
        {{"A", "", 1}, {"B", "", 2}, {"C", "", 3}, {"D", "", 4}, {"E", "", 5}},
        {{"A", ""}}},
       {"CRLF line ends",
        "A=1\r\nB=two\r\n# c\r\nC='3'\r\n",
        {{"A", "1", 1}, {"B", "two", 2}, {"C", "3", 4}},
        {{NULL, NULL}}},
       {"a lone CR ends a line too",
        "A=1\rB=2\r\rC=3",
        {{"A", "1", 1}, {"B", "2", 2}, {"C", "3", 4}},
        {{NULL, NULL}}},
       {"a BOM at the start is skipped",
        "\xef\xbb\xbf"
        "A=1\n",
        {{"A", "1", 1}},
        {{NULL, NULL}}},
       {"a BOM and only a comment",
        "\xef\xbb\xbf# only a comment\n",
        {{NULL, NULL, 0}},
        {{NULL, NULL}}},
       {"duplicates: every entry is kept, the last one counts",
        "A=1\nB=x\nA=2\n",
        {{"A", "1", 1}, {"B", "x", 2}, {"A", "2", 3}},
        {{"A", "2"}, {"B", "x"}}},
   };
   (void) state;

   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      const file_case_t *c = &cases[i];
      mb_dotenv_t *e = parse_ok(c->text);
      int n = 0;
      while (n < MAX_ENTRIES && c->entries[n].key) {
         n++;
      }
      if (e->n != n) {
         fail_msg("%s: %d entries, want %d", c->what, e->n, n);
      }
      for (int k = 0; k < n; k++) {
         expect_entry(e, k, c->entries[k].key, c->entries[k].value, c->entries[k].line);
      }
      for (int k = 0; k < 2 && c->gets[k].key; k++) {
         assert_string_equal(mb_dotenv_get(e, c->gets[k].key), c->gets[k].value);
      }
      mb_dotenv_destroy(e);
   }
}

#define BAD_KEY(line, key)                                                                         \
   "test.env:" #line ": invalid key '" key "' (use letters, digits, '_', '.' and '-', not "        \
   "starting with a digit)"

static void test_errors(void **state)
{
   static const struct {
      const char *text;
      size_t len; /* 0: strlen(text) */
      const char *msg;
   } cases[] = {
       {"A=1\nBOGUS\n", 0, "test.env:2: missing '=' (expected KEY=VALUE)"},
       {"export A\n", 0, "test.env:1: missing '=' (expected KEY=VALUE)"},
       {"A # comment\n", 0, "test.env:1: missing '=' (expected KEY=VALUE)"},
       {"1A=x\n", 0, BAD_KEY(1, "1A")},
       {"A=1\nMY KEY=x\n", 0, BAD_KEY(2, "MY KEY")},
       {"=x\n", 0, BAD_KEY(1, "")},
       {"A$B=x\n", 0, BAD_KEY(1, "A$B")},
       {"A\x01=x\n", 0, BAD_KEY(1, "A?")},
       {"a123456789b123456789c123456789d123456789e123456789 x=1", 0,
        BAD_KEY(1, "a123456789b123456789c123456789d123456789...")},
       /* a BOM anywhere but at the start is not skipped */
       {"A=1\n\xef\xbb\xbf"
        "B=2\n",
        0,
        BAD_KEY(2, "\xef\xbb\xbf"
                   "B")},
       /* an unterminated quote is reported where it starts */
       {"A=1\nB=\"abc\nC=2\nD=3\n", 0, "test.env:2: unterminated double-quoted value"},
       {"A='abc\n\n", 0, "test.env:1: unterminated single-quoted value"},
       {"A=\"abc\\\"", 0, "test.env:1: unterminated double-quoted value"},
       {"A=\"abc\\", 0, "test.env:1: unterminated double-quoted value"},
       /* text after a closing quote is reported where it is */
       {"A=\"abc\" def\n", 0, "test.env:1: unexpected text after the closing quote"},
       {"A='abc'def\n", 0, "test.env:1: unexpected text after the closing quote"},
       {"A=\"x\ny\"z\n", 0, "test.env:2: unexpected text after the closing quote"},
       {"A=1\r\nB=x\0y\n", 11, "test.env:2: unexpected NUL byte (is this a text file?)"},
   };
   mb_error_t err;
   mb_dotenv_t *e = NULL;

   (void) state;
   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      expect_error_len(cases[i].text, cases[i].len ? cases[i].len : strlen(cases[i].text),
                       cases[i].msg);
   }
   /* a malformed line is never repeated: it may be a secret */
   assert_false(mb_dotenv_parse("hunter2-password\n", 17, "/etc/app/.env", &e, &err));
   assert_error(&err, MB_EXIT_USAGE, "/etc/app/.env:1: missing '=' (expected KEY=VALUE)");
}

static void test_load(void **state)
{
   char dir[64], path[128], big_path[128], want[256];
   mb_dotenv_t *e = NULL;
   mb_error_t err;
   char *big;

   (void) state;
   assert_true(tmpdir_make(dir, sizeof dir, "dotenv"));
   snprintf(path, sizeof path, "%s/.env", dir);
   {
      static const char text[] =
          "# settings\nexport BACKUP_DIR=/var/backups\nTIMEZONE=\"Europe/Berlin\"\n";
      file_put(path, text, sizeof text - 1);
   }
   assert_true(mb_dotenv_load(path, &e, &err));
   assert_int_equal(e->n, 2);
   expect_entry(e, 0, "BACKUP_DIR", "/var/backups", 2);
   expect_entry(e, 1, "TIMEZONE", "Europe/Berlin", 3);
   mb_dotenv_destroy(e);

   /* messages name the file */
   file_put(path, "A=1\nB='x\n", 9);
   assert_false(mb_dotenv_load(path, &e, &err));
   assert_null(e);
   snprintf(want, sizeof want, "%s:2: unterminated single-quoted value", path);
   assert_error(&err, MB_EXIT_USAGE, want);

   /* an empty file is an empty set */
   file_put(path, "", 0);
   assert_true(mb_dotenv_load(path, &e, &err));
   assert_int_equal(e->n, 0);
   mb_dotenv_destroy(e);

   assert_false(mb_dotenv_load("/nonexistent/.env", &e, &err));
   assert_null(e);
   assert_error(&err, MB_EXIT_IO, "cannot open '/nonexistent/.env': No such file or directory");
   assert_false(mb_dotenv_load(dir, &e, &err));
   snprintf(want, sizeof want, "cannot read '%s': Is a directory", dir);
   assert_error(&err, MB_EXIT_IO, want);

   /* a ceiling on the size: 1 MiB */
   snprintf(big_path, sizeof big_path, "%s/big.env", dir);
   big = malloc((1u << 20) + 1);
   assert_non_null(big);
   memset(big, '#', (1u << 20) + 1);
   file_put(big_path, big, 1u << 20);
   assert_true(mb_dotenv_load(big_path, &e, &err));
   assert_int_equal(e->n, 0);
   mb_dotenv_destroy(e);
   file_put(big_path, big, (1u << 20) + 1);
   assert_false(mb_dotenv_load(big_path, &e, &err));
   snprintf(want, sizeof want, "%s: larger than 1048576 bytes; is this a .env file?", big_path);
   assert_error(&err, MB_EXIT_USAGE, want);
   free(big);

   assert_int_equal(unlink(big_path), 0);
   assert_int_equal(unlink(path), 0);
   assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_basic), cmocka_unit_test(test_one_assignment),
       cmocka_unit_test(test_files), cmocka_unit_test(test_errors),
       cmocka_unit_test(test_load),
   };

   return cmocka_run_group_tests(tests, NULL, NULL);
}
