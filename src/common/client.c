#include "common/client.h"
#include "common/log.h"
#include "common/redact.h"

#include <stdarg.h>
#include <string.h>

#define DEFAULT_SELECTION_TIMEOUT_MS 10000

struct mb_client {
   mongoc_client_pool_t *pool;
   mongoc_uri_t *uri;
   char *display;
   char *server_version;
};

static void driver_log(mongoc_log_level_t level, const char *domain, const char *message,
                       void *data)
{
   (void) data;
   /* FerretDB lacks endSessions; the driver warns about it at every pool shutdown */
   if (strstr(message, "endSessions")) {
      return;
   }
   /* errors reach the user through the failing call, with context; the driver's own lines
    * are details for --log-level debug */
   if (level <= MONGOC_LOG_LEVEL_CRITICAL) {
      mb_log(MB_LOG_ERROR, "driver (%s): %s", domain, message);
   } else if (level <= MONGOC_LOG_LEVEL_INFO) {
      mb_log(MB_LOG_DEBUG, "driver (%s): %s", domain, message);
   }
}

void mb_client_global_init(void)
{
   /* libmongoc keeps its counters in /dev/shm/mongoc-<pid> (created when the library loads,
    * removed by mongoc_cleanup). A process killed outright leaves its file behind, and a later
    * process given the same pid prints "Falling back to malloc for counters." before main() can
    * intervene. Our own children (the daemon's dump process, the one that is SIGKILLed on
    * BACKUP_TIMEOUT) inherit this and so never create one; we need no counters. */
   setenv("MONGOC_DISABLE_SHM", "1", 0);
   /* the handler first: mongoc_init itself may warn (e.g. about shared-memory counters) */
   mongoc_log_set_handler(driver_log, NULL);
   mongoc_init();
   mongoc_log_trace_disable();
}

void mb_client_global_cleanup(void)
{
   mongoc_cleanup();
}

void mb_client_error(mb_error_t *err, const bson_error_t *drv, const char *fmt, ...)
{
   va_list ap;

   if (!err) {
      return;
   }
   *err = *drv;
   va_start(ap, fmt);
   mb_error_vprefix(err, fmt, ap);
   va_end(ap);
   mb_redact_text(err->message, sizeof err->message);
}

static bool first_round_trip(mb_client_t *c, mb_error_t *err)
{
   mongoc_client_t *cl = mongoc_client_pool_pop(c->pool);
   bson_t cmd = BSON_INITIALIZER, reply;
   bson_error_t e;
   bson_iter_t it;
   bool ok;

   BSON_APPEND_INT32(&cmd, "ping", 1);
   ok = mongoc_client_command_simple(cl, "admin", &cmd, NULL, &reply, &e);
   bson_destroy(&reply);
   bson_reinit(&cmd);
   if (!ok) {
      mb_client_error(err, &e, "cannot reach the server at %s", c->display);
      if (mb_error_exit_code(err) == MB_EXIT_AUTH) {
         mb_error_prefix(err, "check the user name and password");
      }
      goto done;
   }
   BSON_APPEND_INT32(&cmd, "buildInfo", 1);
   ok = mongoc_client_command_simple(cl, "admin", &cmd, NULL, &reply, &e);
   if (!ok) {
      mb_client_error(err, &e, "buildInfo failed on %s", c->display);
   } else if (bson_iter_init_find(&it, &reply, "version") && BSON_ITER_HOLDS_UTF8(&it)) {
      c->server_version = bson_strdup(bson_iter_utf8(&it, NULL));
   } else {
      c->server_version = bson_strdup("0.0.0");
   }
   bson_destroy(&reply);
done:
   bson_destroy(&cmd);
   mongoc_client_pool_push(c->pool, cl);
   return ok;
}

bool mb_client_connect(const char *uri, const char *appname, int max_clients, mb_client_t **out,
                       mb_error_t *err)
{
   return mb_client_connect_ex(uri, appname, max_clients, 0, out, err);
}

bool mb_client_connect_ex(const char *uri, const char *appname, int max_clients,
                          int socket_timeout_ms, mb_client_t **out, mb_error_t *err)
{
   mb_client_t *c = bson_malloc0(sizeof *c);
   bson_error_t e;
   char masked[2048];

   /* every secret is known before the driver can repeat one in a message */
   mb_redact_add_uri(uri);
   mb_redact_uri(uri, masked, sizeof masked);
   c->display = bson_strdup(masked);
   c->uri = mongoc_uri_new_with_error(uri, &e);
   if (!c->uri) {
      mb_redact_text(e.message, sizeof e.message);
      mb_error_set(err, MB_EXIT_USAGE, "malformed MongoDB URI '%s': %s", masked, e.message);
      goto fail;
   }
   /* the driver's own reading, should it differ from ours */
   mb_redact_add_secret(mongoc_uri_get_password(c->uri));
   if (!mongoc_uri_has_option(c->uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS)) {
      mongoc_uri_set_option_as_int32(c->uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS,
                                     DEFAULT_SELECTION_TIMEOUT_MS);
   }
   if (socket_timeout_ms > 0 && !mongoc_uri_has_option(c->uri, MONGOC_URI_SOCKETTIMEOUTMS)) {
      mongoc_uri_set_option_as_int32(c->uri, MONGOC_URI_SOCKETTIMEOUTMS, socket_timeout_ms);
   }
   if (!mongoc_uri_has_option(c->uri, MONGOC_URI_APPNAME)) {
      mongoc_uri_set_appname(c->uri, appname);
   }
   c->pool = mongoc_client_pool_new_with_error(c->uri, &e);
   if (!c->pool) {
      mb_client_error(err, &e, "cannot use the MongoDB URI %s", masked);
      goto fail;
   }
   mongoc_client_pool_set_error_api(c->pool, MONGOC_ERROR_API_VERSION_2);
   mongoc_client_pool_max_size(c->pool, (uint32_t) (max_clients > 0 ? max_clients : 1));
   if (!first_round_trip(c, err)) {
      goto fail;
   }
   *out = c;
   return true;
fail:
   mb_client_destroy(c);
   return false;
}

mongoc_client_pool_t *mb_client_pool(mb_client_t *c)
{
   return c->pool;
}

const char *mb_client_server_version(const mb_client_t *c)
{
   return c->server_version;
}

const char *mb_client_uri_database(const mb_client_t *c)
{
   return mongoc_uri_get_database(c->uri);
}

const char *mb_client_display_uri(const mb_client_t *c)
{
   return c->display;
}

void mb_client_destroy(mb_client_t *c)
{
   if (!c) {
      return;
   }
   mongoc_client_pool_destroy(c->pool);
   mongoc_uri_destroy(c->uri);
   bson_free(c->display);
   bson_free(c->server_version);
   bson_free(c);
}
