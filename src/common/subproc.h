/* Running a part of mongobak in a child process that can be killed at any moment: the running
 * program (/proc/self/exe, the same binary even if it was replaced on disk) started again with
 * other arguments. Whatever the child blocks in (a socket read from a stalled server, DNS, a TLS
 * handshake), SIGKILL ends it and the kernel closes everything it held: that is what makes a
 * time limit hard. */
#ifndef MB_COMMON_SUBPROC_H
#define MB_COMMON_SUBPROC_H

#include "common/buf.h"

#include <stdatomic.h>

/* Run /proc/self/exe with argv (argv[0] included, NULL-terminated), input written to its stdin,
 * its stdout collected into out (at most out->max bytes; out initialised by the caller); its
 * stderr is ours. The child gets no other descriptor of ours, and dies with the calling thread
 * (PR_SET_PDEATHSIG). As soon as *cancel (may be NULL) becomes non-zero the child is killed
 * with SIGKILL and reaped; *status is then the SIGKILL status. Returns false (err set) when the
 * child could not be started or its output exceeded the ceiling (the child is killed then);
 * otherwise *status is the child's status as waitpid reports it. */
MB_MUST_CHECK bool mb_subproc_run(char *const argv[], const void *input, size_t input_len,
                                  const atomic_int *cancel, mb_buf_t *out, int *status,
                                  mb_error_t *err);

#endif
