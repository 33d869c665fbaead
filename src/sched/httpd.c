#include "sched/httpd.h"
#include "common/parse.h"
#include "sched/metrics.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

struct mb_httpd {
   struct MHD_Daemon *mhd;
   char *dir;
   const _Atomic(time_t) *next_run;
};

static char *render_metrics(const mb_httpd_t *h)
{
   mb_state_t st;
   mb_catalog_t cat;
   mb_stats_t stats;
   mb_run_t last;
   char *body, *out;

   mb_state_load_stats(h->dir, &st, &cat, &stats);
   memset(&last, 0, sizeof last);
   last.ok = st.last_status && strcmp(st.last_status, "ok") == 0;
   if (last.ok && cat.n > 0 && cat.items[0].complete) {
      last.archive_bytes = cat.items[0].size;
      last.docs = cat.items[0].docs;
   }
   body = mb_metrics_render(&st, &stats, &last);
   out = bson_strdup_printf("%s# HELP mongobak_next_run_timestamp_seconds Next scheduled run.\n"
                            "# TYPE mongobak_next_run_timestamp_seconds gauge\n"
                            "mongobak_next_run_timestamp_seconds %lld\n",
                            body, (long long) atomic_load(h->next_run));
   bson_free(body);
   mb_catalog_clear(&cat);
   mb_state_clear(&st);
   return out;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
   mb_httpd_t *h = cls;
   struct MHD_Response *r;
   enum MHD_Result ret;
   unsigned int code = MHD_HTTP_OK;
   const char *type = "text/plain; version=0.0.4; charset=utf-8";
   char *body;

   (void) version, (void) upload, (void) upload_size, (void) con_cls;
   if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
      body = bson_strdup("method not allowed\n");
      code = MHD_HTTP_METHOD_NOT_ALLOWED;
   } else if (strcmp(url, "/metrics") == 0) {
      body = render_metrics(h);
   } else if (strcmp(url, "/healthz") == 0) {
      body = bson_strdup_printf("{\"status\":\"ok\",\"next_run\":%lld}\n",
                                (long long) atomic_load(h->next_run));
      type = "application/json";
   } else {
      body = bson_strdup("not found: try /metrics or /healthz\n");
      code = MHD_HTTP_NOT_FOUND;
   }
   r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_COPY);
   MHD_add_response_header(r, "Content-Type", type);
   ret = MHD_queue_response(c, code, r);
   MHD_destroy_response(r);
   bson_free(body);
   return ret;
}

/* "host:port" -> sockaddr; host may be empty (any), an IPv4 address or [IPv6]. */
static bool parse_addr(const char *addr, struct sockaddr_storage *ss, mb_error_t *err)
{
   const char *colon = strrchr(addr, ':');
   char host[128];
   long port;

   memset(ss, 0, sizeof *ss);
   if (!colon || (size_t) (colon - addr) >= sizeof host) {
      goto bad;
   }
   if (!mb_parse_long(colon + 1, 10, 1, 65535, &port)) {
      goto bad;
   }
   snprintf(host, sizeof host, "%.*s", (int) (colon - addr), addr);
   if (host[0] == '[' && host[strlen(host) - 1] == ']') {
      struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) ss;
      host[strlen(host) - 1] = '\0';
      s6->sin6_family = AF_INET6;
      s6->sin6_port = htons((uint16_t) port);
      if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) == 1) {
         return true;
      }
      goto bad;
   }
   {
      struct sockaddr_in *s4 = (struct sockaddr_in *) ss;
      s4->sin_family = AF_INET;
      s4->sin_port = htons((uint16_t) port);
      if (host[0] == '\0') {
         s4->sin_addr.s_addr = htonl(INADDR_ANY);
         return true;
      }
      if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
         return true;
      }
   }
bad:
   mb_error_set(err, MB_EXIT_USAGE,
                "METRICS_ADDR '%s' is not HOST:PORT (e.g. 127.0.0.1:9216, :9216, [::1]:9216)",
                addr);
   return false;
}

bool mb_httpd_check_addr(const char *addr, mb_error_t *err)
{
   struct sockaddr_storage ss;
   return parse_addr(addr, &ss, err);
}

/* The endpoint may use at most an eighth of the descriptors (64 at most): the rest stay for
 * the backups, whatever the clients do. Idle connections are closed after 10 s, one address
 * gets a quarter of the connections (a scraper flood cannot starve the health probe from
 * elsewhere), and connections over the limit wait in the kernel's backlog, using none. */
static void connection_limits(unsigned int *total, unsigned int *per_ip)
{
   struct rlimit rl;
   rlim_t n = 64;

   if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 8 < n) {
      n = rl.rlim_cur / 8;
   }
   *total = n < 2 ? 2 : (unsigned int) n;
   *per_ip = *total / 4 < 1 ? 1 : *total / 4;
}

bool mb_httpd_start(const char *addr, const char *backup_dir, const _Atomic(time_t) *next_run,
                    mb_httpd_t **out, mb_error_t *err)
{
   struct sockaddr_storage ss;
   unsigned int total, per_ip;
   mb_httpd_t *h;

   if (!parse_addr(addr, &ss, err)) {
      return false;
   }
   h = calloc(1, sizeof *h);
   if (!h) {
      mb_error_set(err, MB_EXIT_FAILURE, "out of memory");
      return false;
   }
   h->dir = bson_strdup(backup_dir);
   h->next_run = next_run;
   connection_limits(&total, &per_ip);
   /* poll/epoll rather than select: a descriptor above FD_SETSIZE must not break the endpoint */
   h->mhd = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
                                 (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
                             0, NULL, NULL, answer, h, MHD_OPTION_SOCK_ADDR, &ss,
                             MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_CONNECTION_LIMIT, total,
                             MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip, MHD_OPTION_END);
   if (!h->mhd) {
      mb_error_set(err, MB_EXIT_IO, "cannot listen on METRICS_ADDR '%s' (in use or not allowed)",
                   addr);
      mb_httpd_stop(h);
      return false;
   }
   *out = h;
   return true;
}

void mb_httpd_stop(mb_httpd_t *h)
{
   if (h) {
      if (h->mhd) {
         MHD_stop_daemon(h->mhd);
      }
      bson_free(h->dir);
      free(h);
   }
}
