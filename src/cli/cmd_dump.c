#include "cli/commands.h"

int mb_cmd_dump(const mb_args_t *args)
{
   mb_error_t err;
   (void) args;
   mb_error_set(&err, MB_EXIT_FAILURE, "'dump' is not built yet");
   return mb_cli_fail("dump", &err);
}
