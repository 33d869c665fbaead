#include "cli/connect.h"

#include "cli/config.h"
#include "common/redact.h"

#include <fcntl.h>
#include <mongoc/mongoc.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define MAX_PASSWORD 1024

/* The options that become a key of the connection string, and where mongoc keeps them. */
enum { AUTH_SOURCE, AUTH_MECHANISM, TLS_CA_FILE, TLS_KEY_FILE, READ_PREF, WRITE_CONCERN, N_KEYS };
static const char *const keys[N_KEYS][2] = {
    {"authentication-database", "authSource"},
    {"authentication-mechanism", "authMechanism"},
    {"tls-ca-file", "tlsCAFile"},
    {"tls-certificate-key-file", "tlsCertificateKeyFile"},
    {"read-preference", "readPreference"},
    {"write-concern", "w"},
};

/* The value of a key in uri (w: as written; buf holds it), or NULL when absent. */
static const char *uri_value(const mongoc_uri_t *u, int k, char *buf, size_t size)
{
   bson_iter_t it;
   int32_t w;

   switch (k) {
   case AUTH_SOURCE: /* kept with the credentials, and "admin" when absent */
      return bson_iter_init_find_case(&it, mongoc_uri_get_credentials(u), MONGOC_URI_AUTHSOURCE) &&
                     BSON_ITER_HOLDS_UTF8(&it)
                 ? bson_iter_utf8(&it, NULL)
                 : NULL;
   case AUTH_MECHANISM:
      return mongoc_uri_get_auth_mechanism(u);
   case TLS_CA_FILE:
      return mongoc_uri_get_option_as_utf8(u, MONGOC_URI_TLSCAFILE, NULL);
   case READ_PREF:
      return mongoc_uri_get_option_as_utf8(u, MONGOC_URI_READPREFERENCE, NULL);
   case WRITE_CONCERN:
      w = mongoc_write_concern_get_w(mongoc_uri_get_write_concern(u));
      if (w == MONGOC_WRITE_CONCERN_W_DEFAULT) {
         return NULL;
      }
      snprintf(buf, size, "%d", (int) w);
      return w == MONGOC_WRITE_CONCERN_W_MAJORITY ? "majority" : buf;
   default:
      return mongoc_uri_get_option_as_utf8(u, MONGOC_URI_TLSCERTIFICATEKEYFILE, NULL);
   }
}

/* s with every character but RFC 3986's unreserved ones percent-encoded (bson_free). */
static char *encode(const char *s)
{
   char *out = bson_malloc(strlen(s) * 3 + 1), *p = out;

   for (; *s; s++) {
      unsigned char c = (unsigned char) *s;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          strchr("-._~", c)) {
         *p++ = (char) c;
      } else {
         p += snprintf(p, 4, "%%%02X", c);
      }
   }
   *p = '\0';
   return out;
}

/* Read a password from the terminal without echo; USAGE when there is no terminal. */
static bool prompt_password(char *out, size_t size, mb_error_t *err)
{
   int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
   struct termios old, quiet;
   size_t len = 0;
   char c;

   if (fd < 0 || tcgetattr(fd, &old) != 0) {
      if (fd >= 0) {
         close(fd);
      }
      mb_error_set(err, MB_EXIT_USAGE,
                   "--password without a value prompts on a terminal, and there is none; give "
                   "--password=VALUE or the password in MONGODB_URI_FILE");
      return false;
   }
   quiet = old;
   quiet.c_lflag &= ~(tcflag_t) ECHO;
   (void) tcsetattr(fd, TCSAFLUSH, &quiet);
   if (write(fd, "Enter password: ", 16) < 0) {
      /* the prompt is a courtesy; reading goes on */
   }
   while (len + 1 < size && read(fd, &c, 1) == 1 && c != '\n') {
      out[len++] = c;
   }
   out[len] = '\0';
   (void) tcsetattr(fd, TCSAFLUSH, &old);
   if (write(fd, "\n", 1) < 0) {
      /* as above */
   }
   close(fd);
   return true;
}

/* mongodb://HOSTS/[?replicaSet=RS] from --host and --port (bson_free), NULL on a USAGE error. */
static char *hosts_uri(const char *host, const char *port, mb_error_t *err)
{
   const char *slash = host ? strchr(host, '/') : NULL, *list = slash ? slash + 1 : host;
   char *out, *next;

   if (!list || !*list) {
      list = "localhost";
   }
   if (strpbrk(list, "@/?#") || (slash && slash == host)) {
      mb_error_set(err, MB_EXIT_USAGE,
                   "--host must be HOST[:PORT][,HOST[:PORT]...] or SET/HOST,HOST, not '%s'", host);
      return NULL;
   }
   out = bson_strdup("mongodb://");
   for (const char *h = list; h; h = strchr(h, ',') ? strchr(h, ',') + 1 : NULL) {
      size_t len = strcspn(h, ",");
      bool has_port = memchr(h, ':', len) != NULL && h[0] != '[';
      next = bson_strdup_printf("%s%s%.*s%s%s", out, h == list ? "" : ",", (int) len, h,
                                port && !has_port ? ":" : "", port && !has_port ? port : "");
      bson_free(out);
      out = next;
   }
   next = slash ? bson_strdup_printf("%s/?replicaSet=%.*s", out, (int) (slash - host), host)
                : bson_strdup_printf("%s/", out);
   bson_free(out);
   return next;
}

/* uri with its user-info replaced by user[:password] (bson_free). */
static char *with_userinfo(const char *uri, const char *user, const char *password)
{
   const char *start = strstr(uri, "://") ? strstr(uri, "://") + 3 : uri;
   const char *end = start + strcspn(start, "?"), *rest = start;
   char *u = encode(user), *p = password ? encode(password) : NULL, *out;

   for (const char *c = start; c < end; c++) {
      if (*c == '@') {
         rest = c + 1;
      }
   }
   out = bson_strdup_printf("%.*s%s%s%s@%s", (int) (start - uri), uri, u, p ? ":" : "", p ? p : "",
                            rest);
   bson_free(u);
   bson_free(p);
   return out;
}

/* uri with key=value added as an option (bson_free); a '/' is put after the hosts if needed. */
static char *with_option(const char *uri, const char *key, const char *value)
{
   const char *start = strstr(uri, "://") ? strstr(uri, "://") + 3 : uri;
   const char *q = strchr(start, '?'), *slash = strchr(start, '/');
   char *v = encode(value), *out;

   if (!slash || (q && q < slash)) {
      size_t hosts = q ? (size_t) (q - uri) : strlen(uri);
      out = bson_strdup_printf("%.*s/?%s%s%s=%s", (int) hosts, uri, q && q[1] ? q + 1 : "",
                               q && q[1] ? "&" : "", key, v);
   } else {
      char last = uri[strlen(uri) - 1];
      out = bson_strdup_printf("%s%s%s=%s", uri,
                               !q                             ? "?"
                               : (last == '?' || last == '&') ? ""
                                                              : "&",
                               key, v);
   }
   bson_free(v);
   return out;
}

static void replace(char **s, char *next)
{
   bson_free(*s);
   *s = next;
}

/* The credential and TLS options added to *uri; a value contradicting the string is refused. */
static bool add_options(const mb_args_t *args, const char *password, char **uri, mb_error_t *err)
{
   const char *user = mb_args_get(args, "username");
   bson_error_t be;
   mongoc_uri_t *u = mongoc_uri_new_with_error(*uri, &be);
   bool ok = false;

   if (!u) {
      mb_error_set(err, MB_EXIT_USAGE, "the connection string is malformed: %s", be.message);
      return false;
   }
   if (user || password) {
      const char *have_user = mongoc_uri_get_username(u), *have_pw = mongoc_uri_get_password(u);
      if ((user && have_user && strcmp(user, have_user) != 0) ||
          (password && have_pw && strcmp(password, have_pw) != 0)) {
         mb_error_set(err, MB_EXIT_USAGE, "--%s contradicts the %s in the connection string",
                      user && have_user && strcmp(user, have_user) != 0 ? "username" : "password",
                      user && have_user && strcmp(user, have_user) != 0 ? "user" : "password");
         goto cleanup;
      }
      if (!user && !have_user) {
         mb_error_set(err, MB_EXIT_USAGE, "--password needs --username (or a user in the URI)");
         goto cleanup;
      }
      replace(uri, with_userinfo(*uri, user ? user : have_user, password ? password : have_pw));
   }
   for (int k = 0; k < N_KEYS; k++) {
      char buf[16];
      const char *v = mb_args_get(args, keys[k][0]), *have = uri_value(u, k, buf, sizeof buf);
      if (v && have && strcmp(v, have) != 0) {
         mb_error_set(err, MB_EXIT_USAGE, "--%s '%s' contradicts %s=%s in the connection string",
                      keys[k][0], v, keys[k][1], have);
         goto cleanup;
      }
      if (v && !have) {
         replace(uri, with_option(*uri, keys[k][1], v));
      }
   }
   if (mb_args_flag(args, "tls") && !mongoc_uri_get_tls(u)) {
      replace(uri, with_option(*uri, "tls", "true"));
   }
   ok = true;
cleanup:
   mongoc_uri_destroy(u);
   return ok;
}

static bool any_key(const mb_args_t *args)
{
   for (int k = 0; k < N_KEYS; k++) {
      if (mb_args_flag(args, keys[k][0])) {
         return true;
      }
   }
   return false;
}

/* --read-preference and --write-concern take the forms a connection string takes. */
static bool valid_choices(const mb_args_t *args, mb_error_t *err)
{
   static const char *const modes[] = {"primary", "primaryPreferred", "secondary",
                                       "secondaryPreferred", "nearest"};
   const char *rp = mb_args_get(args, "read-preference"), *w = mb_args_get(args, "write-concern");
   bool ok = !rp;

   for (size_t k = 0; rp && k < sizeof modes / sizeof modes[0]; k++) {
      ok = ok || strcmp(rp, modes[k]) == 0;
   }
   if (!ok) {
      mb_error_set(err, MB_EXIT_USAGE,
                   "--read-preference must be primary, primaryPreferred, secondary, "
                   "secondaryPreferred or nearest, not '%s' (tags: readPreferenceTags in the "
                   "connection string)",
                   rp);
      return false;
   }
   if (w && strcmp(w, "majority") != 0 && (!*w || strspn(w, "0123456789") != strlen(w))) {
      mb_error_set(err, MB_EXIT_USAGE,
                   "--write-concern must be majority or a number of members, not '%s' (journal "
                   "and wtimeoutMS: in the connection string)",
                   w);
      return false;
   }
   return true;
}

bool mb_connect_uri(const mb_args_t *args, const char *def, char **uri, mb_error_t *err)
{
   const char *host = mb_args_get(args, "host"), *port = mb_args_get(args, "port");
   const char *pw = mb_args_get(args, "password");
   char typed[MAX_PASSWORD];
   bool ok;

   *uri = NULL;
   if ((host || port) && mb_args_given(args, "uri")) {
      mb_error_set(err, MB_EXIT_USAGE,
                   "--%s cannot be combined with --uri (as in mongodump): put the hosts in the "
                   "connection string, or drop --uri",
                   host ? "host" : "port");
      return false;
   }
   if (port && strspn(port, "0123456789") != strlen(port)) {
      mb_error_set(err, MB_EXIT_USAGE, "--port must be a port number, not '%s'", port);
      return false;
   }
   if (!valid_choices(args, err)) {
      return false;
   }
   if (pw && !*pw) {
      if (!prompt_password(typed, sizeof typed, err)) {
         return false;
      }
      pw = typed;
   }
   mb_redact_add_secret(pw);
   if (host || port) {
      ok = (*uri = hosts_uri(host, port, err)) != NULL;
   } else {
      ok = mb_config_uri(args, def, uri, err);
   }
   if (ok && (pw || mb_args_flag(args, "username") || mb_args_flag(args, "tls") || any_key(args))) {
      ok = add_options(args, pw, uri, err);
   }
   if (ok) {
      mb_redact_add_uri(*uri);
   } else {
      bson_free(*uri);
      *uri = NULL;
   }
   memset(typed, 0, sizeof typed);
   return ok;
}
