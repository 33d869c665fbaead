#include "service/child.h"
#include "common/buf.h"
#include "common/file.h"
#include "common/subproc.h"
#include "common/textfile.h"
#include "dump/dump.h"
#include "storage/s3.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Without a time limit a stalled server still ends the run, at the socket timeout: 5 s to 5 min,
 * BACKUP_TIMEOUT when it is in between. */
static long socket_timeout_ms(long timeout_ms)
{
   if (timeout_ms <= 0 || timeout_ms > 300000) {
      return 300000;
   }
   return timeout_ms < 5000 ? 5000 : timeout_ms;
}

/* The S3 settings of an s3:// output (they may come from .env or *_FILE, which the child does
 * not read; secrets never go through argv or the environment). */
static bool append_storage(const char *path, bson_t *in)
{
   bson_t s3;

   if (!mb_repo_is_s3(path)) {
      return true;
   }
   return BSON_APPEND_DOCUMENT_BEGIN(in, "s3", &s3) && (mb_repo_s3_export(&s3), true) &&
          bson_append_document_end(in, &s3);
}

static const char *s3_getter(const char *name, void *user_data)
{
   bson_iter_t it;

   return bson_iter_init_find(&it, user_data, name) && BSON_ITER_HOLDS_UTF8(&it)
              ? bson_iter_utf8(&it, NULL)
              : NULL;
}

static bool encode_input(const mb_child_dump_t *c, const char *path, bson_t *in)
{
   return BSON_APPEND_UTF8(in, "uri", c->uri) && BSON_APPEND_UTF8(in, "output", path) &&
          BSON_APPEND_INT32(in, "compress", (int32_t) c->compress) &&
          BSON_APPEND_INT32(in, "level", c->level) && BSON_APPEND_INT32(in, "jobs", c->jobs) &&
          BSON_APPEND_INT32(in, "threads", (int32_t) sysconf(_SC_NPROCESSORS_ONLN)) &&
          BSON_APPEND_INT32(in, "socket_timeout_ms", (int32_t) socket_timeout_ms(c->timeout_ms)) &&
          BSON_APPEND_INT32(in, "log_level", (int32_t) c->log_level) &&
          BSON_APPEND_BOOL(in, "log_json", c->log_json) &&
          BSON_APPEND_BOOL(in, "oplog", c->oplog) &&
          (!c->key_file || BSON_APPEND_UTF8(in, "key_file", c->key_file)) &&
          (!c->passphrase || BSON_APPEND_UTF8(in, "passphrase", c->passphrase)) &&
          append_storage(path, in);
}

static int64_t get_int(const bson_t *doc, const char *key)
{
   bson_iter_t it;
   return bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_NUMBER(&it)
              ? bson_iter_as_int64(&it)
              : 0;
}

static const char *get_str(const bson_t *doc, const char *key)
{
   bson_iter_t it;
   return bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_UTF8(&it)
              ? bson_iter_utf8(&it, NULL)
              : "";
}

/* The child's report -> run; or its error. */
static bool decode_output(const mb_buf_t *out, int status, mb_run_t *run, mb_error_t *err)
{
   bson_t doc;
   bson_iter_t it;
   bson_error_t e;
   size_t n = 0;
   bool ok = true;

   if (out->len == 0 ||
       !bson_init_from_json(&doc, (const char *) out->data, (ssize_t) out->len, &e)) {
      if (WIFSIGNALED(status)) {
         mb_error_set(err, MB_EXIT_FAILURE, "the dump process died of signal %d (%s)",
                      WTERMSIG(status), strsignal(WTERMSIG(status)));
      } else {
         mb_error_set(err, MB_EXIT_FAILURE,
                      "the dump process ended with exit code %d and no "
                      "report",
                      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
      }
      return false;
   }
   if (!bson_iter_init_find(&it, &doc, "ok") || !bson_iter_as_bool(&it)) {
      int64_t code = get_int(&doc, "code");
      mb_error_set(err, code > 0 && code < 256 ? (mb_exit_t) code : MB_EXIT_FAILURE, "%s",
                   get_str(&doc, "message"));
      ok = false;
   } else {
      run->docs = (uint64_t) get_int(&doc, "docs");
      run->bson_bytes = (uint64_t) get_int(&doc, "bytes_in");
      run->server_version = bson_strdup(get_str(&doc, "server_version"));
      ok = mb_ns_stats_array_from_bson(&doc, "ns", &run->ns, &n, err);
      run->nns = (int) n;
   }
   bson_destroy(&doc);
   return ok;
}

bool mb_child_dump(void *user_data, const char *path, const atomic_int *cancel, mb_run_t *run,
                   mb_error_t *err)
{
   const mb_child_dump_t *c = user_data;
   char arg0[4096] = "mongobak", arg1[] = MB_DUMP_CHILD_COMMAND;
   char *argv[] = {arg0, arg1, NULL};
   ssize_t n = readlink("/proc/self/exe", arg0, sizeof arg0 - 1); /* for ps: our own path */
   bson_t in = BSON_INITIALIZER;
   char *json = NULL, masked[2048];
   size_t len = 0;
   mb_buf_t out;
   int status = 0;
   bool ok = false;

   if (n > 0) {
      arg0[n] = '\0';
   }
   mb_buf_init(&out, (size_t) 256 << 20);
   mb_log_mask_uri(c->uri, masked, sizeof masked);
   run->uri = bson_strdup(masked);
   if (!encode_input(c, path, &in) || !(json = bson_as_relaxed_extended_json(&in, &len))) {
      mb_error_set(err, MB_EXIT_FAILURE, "cannot encode the dump's settings");
      goto cleanup;
   }
   if (!mb_subproc_run(argv, json, len, cancel, &out, &status, err)) {
      mb_error_prefix(err, "the dump process");
      goto cleanup;
   }
   if (cancel && atomic_load(cancel)) {
      mb_error_set(err, MB_EXIT_TIMEOUT, "the dump was cancelled");
      goto cleanup;
   }
   ok = decode_output(&out, status, run, err);
cleanup:
   bson_free(json);
   bson_destroy(&in);
   mb_buf_destroy(&out);
   return ok;
}

static void encode_report(const mb_dump_report_t *r, bson_t *out)
{
   BSON_APPEND_BOOL(out, "ok", true);
   BSON_APPEND_INT64(out, "docs", (int64_t) r->docs);
   BSON_APPEND_INT64(out, "bytes_in", (int64_t) r->bytes_in);
   BSON_APPEND_UTF8(out, "server_version", r->server_version ? r->server_version : "");
   mb_ns_stats_append_array(out, "ns", r->ns, (size_t) r->nns,
                            MB_NS_STATS_TYPE | MB_NS_STATS_CRC | MB_NS_STATS_SECONDS);
}

/* The settings from the parent; o's strings are borrowed from doc. */
static void decode_input(const bson_t *doc, mb_dump_opts_t *o)
{
   bson_iter_t it;

   o->uri = get_str(doc, "uri");
   o->output = get_str(doc, "output");
   o->output_flags = MB_FILE_NO_REPLACE | MB_FILE_OWN_NAME; /* never through a planted file */
   o->compress = (mb_compress_t) get_int(doc, "compress");
   o->level = (int) get_int(doc, "level");
   o->jobs = (int) get_int(doc, "jobs");
   o->compress_threads = (int) get_int(doc, "threads");
   o->socket_timeout_ms = (int) get_int(doc, "socket_timeout_ms");
   o->oplog = bson_iter_init_find(&it, doc, "oplog") && bson_iter_as_bool(&it);
}

int mb_child_dump_main(void)
{
   mb_dump_opts_t o;
   mb_dump_report_t *r = NULL;
   mb_error_t err;
   bson_t doc = BSON_INITIALIZER, out = BSON_INITIALIZER;
   bson_error_t e;
   mongoc_uri_t *uri = NULL;
   char *json, *in = NULL;
   size_t in_len = 0;
   bool ok = false;

   memset(&o, 0, sizeof o);
   memset(&err, 0, sizeof err);
   if (!mb_textfile_read("/dev/stdin", (size_t) 1 << 20, &in, &in_len, &err)) {
      goto report;
   }
   bson_destroy(&doc);
   if (!bson_init_from_json(&doc, in, (ssize_t) in_len, &e)) {
      bson_init(&doc);
      mb_error_set(&err, MB_EXIT_FAILURE, "the dump's settings are not JSON: %s", e.message);
      goto report;
   }
   mb_log_configure((mb_log_level_t) get_int(&doc, "log_level"), get_int(&doc, "log_json") != 0);
   decode_input(&doc, &o);
   if (mb_repo_is_s3(o.output)) {
      bson_iter_t it;
      uint32_t len = 0;
      const uint8_t *data = NULL;
      bson_t s3;
      if (bson_iter_init_find(&it, &doc, "s3") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
         bson_iter_document(&it, &len, &data);
      }
      if (!data || !bson_init_static(&s3, data, len) ||
          !mb_repo_s3_configure(s3_getter, &s3, &err)) {
         if (!data) {
            mb_error_set(&err, MB_EXIT_FAILURE, "the dump's settings lack the S3 settings");
         }
         goto report;
      }
      if (s3_getter("AWS_SECRET_ACCESS_KEY", &s3)) {
         mb_log_add_secret(s3_getter("AWS_SECRET_ACCESS_KEY", &s3));
      }
   }
   if ((uri = mongoc_uri_new(o.uri)) != NULL) {
      mb_log_add_secret(mongoc_uri_get_password(uri));
   }
   if (*get_str(&doc, "key_file") &&
       !mb_crypt_key_load(get_str(&doc, "key_file"), &o.encrypt, &err)) {
      goto report;
   }
   if (*get_str(&doc, "passphrase") &&
       !mb_crypt_key_from_passphrase(get_str(&doc, "passphrase"),
                                     strlen(get_str(&doc, "passphrase")), &o.encrypt, &err)) {
      goto report;
   }
   ok = mb_dump_run(&o, NULL, NULL, &r, &err);
report:
   if (ok) {
      encode_report(r, &out);
   } else {
      BSON_APPEND_BOOL(&out, "ok", false);
      BSON_APPEND_INT32(&out, "code", (int32_t) mb_error_exit_code(&err));
      BSON_APPEND_UTF8(&out, "message", err.message);
   }
   json = bson_as_relaxed_extended_json(&out, NULL);
   if (json) {
      fputs(json, stdout);
   }
   fflush(stdout);
   bson_free(json);
   mb_dump_report_destroy(r);
   mb_crypt_key_destroy(o.encrypt);
   mongoc_uri_destroy(uri);
   bson_destroy(&out);
   bson_destroy(&doc);
   bson_free(in);
   return ok ? MB_EXIT_OK : (int) mb_error_exit_code(&err);
}
