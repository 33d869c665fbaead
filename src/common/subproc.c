#include "common/subproc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SELF "/proc/self/exe"

/* Make fd the descriptor target of the child, open across exec. */
static void child_fd(int fd, int target)
{
   if (fd == target) {
      fcntl(fd, F_SETFD, 0);
   } else {
      dup2(fd, target);
   }
}

/* Between fork and exec only async-signal-safe calls: we may be one thread of many. */
static void child_exec(char *const argv[], int in, int out, pid_t parent)
{
   sigset_t none;

   prctl(PR_SET_PDEATHSIG, SIGKILL);
   if (getppid() != parent) {
      _exit(127); /* the parent died before the line above */
   }
   child_fd(in, 0);
   child_fd(out, 1);
   close_range(3, ~0U, 0);
   sigemptyset(&none);
   sigprocmask(SIG_SETMASK, &none, NULL);
   execv(SELF, argv);
   _exit(127);
}

static bool cancelled(const atomic_int *cancel)
{
   return cancel && atomic_load(cancel) != 0;
}

/* Feed the input and collect the output until the child closes its stdout, or until cancel. */
static bool exchange(int in, int out, const void *input, size_t input_len, const atomic_int *cancel,
                     mb_buf_t *buf, mb_error_t *err)
{
   size_t sent = 0;
   char chunk[65536];
   bool ok = true;

   if (input_len == 0) {
      close(in);
      in = -1;
   }
   while (!cancelled(cancel)) {
      struct pollfd p[2] = {{out, POLLIN, 0}, {in, POLLOUT, 0}};
      int n = poll(p, in >= 0 ? 2 : 1, 50);
      if (n < 0 && errno != EINTR) {
         mb_error_errno(err, errno, "cannot wait for the child process");
         ok = false;
         break;
      }
      if (n > 0 && in >= 0 && p[1].revents) {
         ssize_t w = write(in, (const char *) input + sent, input_len - sent);
         if (w > 0) {
            sent += (size_t) w;
         }
         if (w < 0 ? errno != EAGAIN && errno != EINTR : sent == input_len) {
            close(in); /* all sent, or the child does not read any more */
            in = -1;
         }
      }
      if (n > 0 && p[0].revents) {
         ssize_t r = read(out, chunk, sizeof chunk);
         if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
            break; /* the child closed its stdout: it is ending */
         }
         if (r > 0 && !mb_buf_append(buf, chunk, (size_t) r, err)) {
            mb_error_prefix(err, "the child process's output");
            ok = false;
            break;
         }
      }
   }
   if (in >= 0) {
      close(in);
   }
   return ok;
}

/* Reap the child; kill it first if cancel becomes non-zero or kill_now. */
static void reap(pid_t pid, const atomic_int *cancel, bool kill_now, int *status)
{
   bool killed = false;

   for (;;) {
      pid_t r;
      if (!killed && (kill_now || cancelled(cancel))) {
         kill(pid, SIGKILL);
         killed = true;
      }
      r = waitpid(pid, status, killed ? 0 : WNOHANG);
      if (r == pid || (r < 0 && errno != EINTR)) {
         return;
      }
      if (r == 0) {
         struct timespec ts = {0, 20 * 1000 * 1000};
         nanosleep(&ts, NULL);
      }
   }
}

bool mb_subproc_run(char *const argv[], const void *input, size_t input_len,
                    const atomic_int *cancel, mb_buf_t *out, int *status, mb_error_t *err)
{
   int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1};
   pid_t parent = getpid(), pid;
   bool ok;

   if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0) {
      mb_error_errno(err, errno, "cannot create a pipe to the child process");
      goto fail;
   }
   pid = fork();
   if (pid < 0) {
      mb_error_errno(err, errno, "cannot start a child process");
      goto fail;
   }
   if (pid == 0) {
      child_exec(argv, in_pipe[0], out_pipe[1], parent);
   }
   close(in_pipe[0]);
   close(out_pipe[1]);
   fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
   ok = exchange(in_pipe[1], out_pipe[0], input, input_len, cancel, out, err);
   close(out_pipe[0]);
   reap(pid, cancel, !ok, status);
   return ok;
fail:
   for (int i = 0; i < 2; i++) {
      if (in_pipe[i] >= 0) {
         close(in_pipe[i]);
      }
      if (out_pipe[i] >= 0) {
         close(out_pipe[i]);
      }
   }
   return false;
}
