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

/* text holds exactly one assignment, key=value. */
static void expect_one(const char *text, const char *key, const char *value)
{
   mb_dotenv_t *e = parse_ok(text);

   assert_int_equal(e->n, 1);
   expect_entry(e, 0, key, value, 1);
   mb_dotenv_destroy(e);
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

static void expect_error(const char *text, const char *msg)
{
   expect_error_len(text, strlen(text), msg);
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

   /* no final line end; blank and blank-only lines */
   e = parse_ok("\n\n  \t\nA=1\n\n B=2");
   assert_int_equal(e->n, 2);
   expect_entry(e, 0, "A", "1", 4);
   expect_entry(e, 1, "B", "2", 6);
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

static void test_keys_and_spacing(void **state)
{
   mb_dotenv_t *e;

   (void) state;
   expect_one("KEY = VALUE", "KEY", "VALUE");
   expect_one("  KEY\t=\tVALUE  \t", "KEY", "VALUE");
   expect_one("KEY=  inner  spaces kept  ", "KEY", "inner  spaces kept");
   expect_one("a.b-c_D9=1", "a.b-c_D9", "1");
   expect_one("_X=2", "_X", "2");
   /* only the first '=' separates */
   expect_one("A=b=c==", "A", "b=c==");
   e = parse_ok("export A=1\nexport\tB=2\nexport   C = 3\nexport=4\nexport = 5\nexports=6\n");
   assert_int_equal(e->n, 6);
   expect_entry(e, 0, "A", "1", 1);
   expect_entry(e, 1, "B", "2", 2);
   expect_entry(e, 2, "C", "3", 3);
   expect_entry(e, 3, "export", "4", 4);
   expect_entry(e, 4, "export", "5", 5);
   expect_entry(e, 5, "exports", "6", 6);
   mb_dotenv_destroy(e);
}

static void test_comments(void **state)
{
   mb_dotenv_t *e;

   (void) state;
   e = parse_ok("# a comment\n   # indented comment\n#A=1\nA=1 # trailing\nB=a#b\nC=a #b\n"
                "D= # only a comment\nE=#hash\nF=x\t# after a tab\nG='q' # c\nH=\"q\"#c\n");
   assert_int_equal(e->n, 8);
   expect_entry(e, 0, "A", "1", 4);
   expect_entry(e, 1, "B", "a#b", 5);
   expect_entry(e, 2, "C", "a", 6);
   expect_entry(e, 3, "D", "", 7);
   expect_entry(e, 4, "E", "#hash", 8);
   expect_entry(e, 5, "F", "x", 9);
   expect_entry(e, 6, "G", "q", 10);
   expect_entry(e, 7, "H", "q", 11);
   mb_dotenv_destroy(e);
}

static void test_single_quotes(void **state)
{
   mb_dotenv_t *e;

   (void) state;
   expect_one("A='literal $HOME \\n \\' # not a comment", "A", "literal $HOME \\n \\");
   expect_one("A='  spaced  '", "A", "  spaced  ");
   expect_one("A='say \"hi\"'", "A", "say \"hi\"");
   expect_one("A='a#b' # comment", "A", "a#b");
   expect_one("A=  'x'  ", "A", "x");
   /* a single quote inside an unquoted value is just a character */
   expect_one("A=it's", "A", "it's");
   /* may span lines, like the reference tools */
   e = parse_ok("KEY='-----BEGIN KEY-----\nabc\n-----END KEY-----'\nNEXT=1\n");
   assert_int_equal(e->n, 2);
   expect_entry(e, 0, "KEY", "-----BEGIN KEY-----\nabc\n-----END KEY-----", 1);
   expect_entry(e, 1, "NEXT", "1", 4);
   mb_dotenv_destroy(e);
}

static void test_double_quotes(void **state)
{
   mb_dotenv_t *e;

   (void) state;
   expect_one("A=\"l1\\nl2\\tT\\r\\\"q\\\" \\\\ \\$HOME $HOME\"", "A",
              "l1\nl2\tT\r\"q\" \\ $HOME $HOME");
   /* other escapes stay as written */
   expect_one("A=\"\\x41 \\u00e9 \\'\"", "A", "\\x41 \\u00e9 \\'");
   expect_one("A=\"  spaced # not a comment  \"", "A", "  spaced # not a comment  ");
   expect_one("A=\"it's\"", "A", "it's");
   e = parse_ok("A=\"line1\nline2\n\n  line4\"\nB=2\n");
   assert_int_equal(e->n, 2);
   expect_entry(e, 0, "A", "line1\nline2\n\n  line4", 1);
   expect_entry(e, 1, "B", "2", 5);
   mb_dotenv_destroy(e);
   /* CRLF inside a quoted value becomes "\n" */
   e = parse_ok("A=\"x\r\ny\"\r\nB=1\r\n");
   assert_int_equal(e->n, 2);
   expect_entry(e, 0, "A", "x\ny", 1);
   expect_entry(e, 1, "B", "1", 3);
   mb_dotenv_destroy(e);
   /* UTF-8 passes through */
   expect_one("A=\"caf\xc3\xa9\"", "A", "caf\xc3\xa9");
   expect_one("A=caf\xc3\xa9", "A", "caf\xc3\xa9");
}

static void test_empty_values(void **state)
{
   mb_dotenv_t *e;

   (void) state;
   e = parse_ok("A=\nB=\"\"\nC=''\nD=   \nE= \"\" # c\n");
   assert_int_equal(e->n, 5);
   expect_entry(e, 0, "A", "", 1);
   expect_entry(e, 1, "B", "", 2);
   expect_entry(e, 2, "C", "", 3);
   expect_entry(e, 3, "D", "", 4);
   expect_entry(e, 4, "E", "", 5);
   assert_string_equal(mb_dotenv_get(e, "A"), "");
   mb_dotenv_destroy(e);
}

static void test_line_ends_and_bom(void **state)
{
   mb_dotenv_t *e;

   (void) state;
   e = parse_ok("A=1\r\nB=two\r\n# c\r\nC='3'\r\n");
   assert_int_equal(e->n, 3);
   expect_entry(e, 0, "A", "1", 1);
   expect_entry(e, 1, "B", "two", 2);
   expect_entry(e, 2, "C", "3", 4);
   mb_dotenv_destroy(e);
   /* a lone CR ends a line too */
   e = parse_ok("A=1\rB=2\r\rC=3");
   assert_int_equal(e->n, 3);
   expect_entry(e, 0, "A", "1", 1);
   expect_entry(e, 1, "B", "2", 2);
   expect_entry(e, 2, "C", "3", 4);
   mb_dotenv_destroy(e);
   e = parse_ok("\xef\xbb\xbf"
                "A=1\n");
   assert_int_equal(e->n, 1);
   expect_entry(e, 0, "A", "1", 1);
   mb_dotenv_destroy(e);
   e = parse_ok("\xef\xbb\xbf# only a comment\n");
   assert_int_equal(e->n, 0);
   mb_dotenv_destroy(e);
   /* a BOM anywhere else is not skipped */
   expect_error("A=1\n\xef\xbb\xbf"
                "B=2\n",
                "test.env:2: invalid key '\xef\xbb\xbf"
                "B' (use letters, digits, '_', '.' and '-', not starting with a digit)");
}

static void test_duplicates(void **state)
{
   mb_dotenv_t *e;

   (void) state;
   e = parse_ok("A=1\nB=x\nA=2\n");
   assert_int_equal(e->n, 3);
   expect_entry(e, 0, "A", "1", 1);
   expect_entry(e, 2, "A", "2", 3);
   assert_string_equal(mb_dotenv_get(e, "A"), "2");
   assert_string_equal(mb_dotenv_get(e, "B"), "x");
   mb_dotenv_destroy(e);
}

static void test_errors(void **state)
{
   mb_error_t err;
   mb_dotenv_t *e = NULL;

   (void) state;
   expect_error("A=1\nBOGUS\n", "test.env:2: missing '=' (expected KEY=VALUE)");
   expect_error("export A\n", "test.env:1: missing '=' (expected KEY=VALUE)");
   expect_error("A # comment\n", "test.env:1: missing '=' (expected KEY=VALUE)");
   expect_error("1A=x\n", "test.env:1: invalid key '1A' (use letters, digits, '_', '.' and '-', "
                          "not starting with a digit)");
   expect_error("A=1\nMY KEY=x\n", "test.env:2: invalid key 'MY KEY' (use letters, digits, "
                                   "'_', '.' and '-', not starting with a digit)");
   expect_error("=x\n", "test.env:1: invalid key '' (use letters, digits, '_', '.' and '-', not "
                        "starting with a digit)");
   expect_error("A$B=x\n", "test.env:1: invalid key 'A$B' (use letters, digits, '_', '.' and "
                           "'-', not starting with a digit)");
   expect_error("A\x01=x\n", "test.env:1: invalid key 'A?' (use letters, digits, '_', '.' and "
                             "'-', not starting with a digit)");
   expect_error("a123456789b123456789c123456789d123456789e123456789 x=1",
                "test.env:1: invalid key 'a123456789b123456789c123456789d123456789...' (use "
                "letters, digits, '_', '.' and '-', not starting with a digit)");
   /* an unterminated quote is reported where it starts */
   expect_error("A=1\nB=\"abc\nC=2\nD=3\n", "test.env:2: unterminated double-quoted value");
   expect_error("A='abc\n\n", "test.env:1: unterminated single-quoted value");
   expect_error("A=\"abc\\\"", "test.env:1: unterminated double-quoted value");
   expect_error("A=\"abc\\", "test.env:1: unterminated double-quoted value");
   /* text after a closing quote is reported where it is */
   expect_error("A=\"abc\" def\n", "test.env:1: unexpected text after the closing quote");
   expect_error("A='abc'def\n", "test.env:1: unexpected text after the closing quote");
   expect_error("A=\"x\ny\"z\n", "test.env:2: unexpected text after the closing quote");
   expect_error_len("A=1\r\nB=x\0y\n", 11,
                    "test.env:2: unexpected NUL byte (is this a text file?)");
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
       cmocka_unit_test(test_basic),
       cmocka_unit_test(test_keys_and_spacing),
       cmocka_unit_test(test_comments),
       cmocka_unit_test(test_single_quotes),
       cmocka_unit_test(test_double_quotes),
       cmocka_unit_test(test_empty_values),
       cmocka_unit_test(test_line_ends_and_bom),
       cmocka_unit_test(test_duplicates),
       cmocka_unit_test(test_errors),
       cmocka_unit_test(test_load),
   };

   return cmocka_run_group_tests(tests, NULL, NULL);
}
