/* Connection to a MongoDB deployment: URI parsing with the password registered as a secret,
 * one client pool, a first round trip that tells unreachable from unauthenticated, and driver
 * errors turned into ours with context. Shared by dump and restore. */
#ifndef MB_COMMON_CLIENT_H
#define MB_COMMON_CLIENT_H

#include "common/error.h"

#include <mongoc/mongoc.h>

typedef struct mb_client mb_client_t;

/* Call once before any other use (mongoc_init, driver log routing). */
void mb_client_global_init(void);
void mb_client_global_cleanup(void);

/* Register every secret of uri (mb_redact_add_uri), parse it (a malformed one fails with USAGE
 * and says what is wrong, showing it masked),
 * make a pool of up to max_clients, and run "ping" and "buildInfo". Unreachable -> CONNECT,
 * bad credentials -> AUTH. appname is sent in the handshake. */
MB_MUST_CHECK bool mb_client_connect(const char *uri, const char *appname, int max_clients,
                                     mb_client_t **out, mb_error_t *err);

/* As mb_client_connect; socket_timeout_ms > 0 sets socketTimeoutMS unless the URI has it (so
 * that a stalled server cannot hold a cancelled run forever). */
MB_MUST_CHECK bool mb_client_connect_ex(const char *uri, const char *appname, int max_clients,
                                        int socket_timeout_ms, mb_client_t **out, mb_error_t *err);

/* The pool (borrowed): pop one client per thread, push it back when done. */
mongoc_client_pool_t *mb_client_pool(mb_client_t *c);

/* The server's version from buildInfo, e.g. "7.0.42". */
const char *mb_client_server_version(const mb_client_t *c);

/* The database named in the URI's path ("mongodb://host/shop" -> "shop"), or NULL. */
const char *mb_client_uri_database(const mb_client_t *c);

/* The URI with its password masked, for messages. */
const char *mb_client_display_uri(const mb_client_t *c);

void mb_client_destroy(mb_client_t *c);

/* Copy a driver error into err with "<context>: " in front, keeping its domain and code so that
 * mb_error_exit_code classifies it. */
void mb_client_error(mb_error_t *err, const bson_error_t *drv, const char *fmt, ...)
    BSON_GNUC_PRINTF(3, 4);

#endif
