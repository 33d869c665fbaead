/* mongodump's connection options (--host, --port, --username, --password,
 * --authenticationDatabase, --authenticationMechanism, --tls, --tlsCAFile,
 * --tlsCertificateKeyFile) turned into one connection string. */
#ifndef MB_CLI_CONNECT_H
#define MB_CLI_CONNECT_H

#include "cli/options.h"

/* The connection string of dump and restore. --host HOST[:PORT][,HOST...] or RS/HOST,HOST and
 * --port build its hosts, in place of MONGODB_URI from the environment or the .env file; they
 * cannot be combined with --uri on the command line (as in mongodump). The credential and TLS
 * options are added to whichever string applies; a value that contradicts one already in it
 * is refused. --password without a value prompts on the terminal without echo, and is refused
 * when there is no terminal. Without --host and --port the string is mb_config_uri's (def when
 * nothing sets it). Every secret is registered for masking (common/redact). *uri is made for the
 * caller (bson_free); USAGE errors name the option. */
MB_MUST_CHECK bool mb_connect_uri(const mb_args_t *args, const char *def, char **uri,
                                  mb_error_t *err);

#endif
