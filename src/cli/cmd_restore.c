#include "cli/commands.h"

int mb_cmd_restore(const mb_args_t *args)
{
   mb_error_t err;
   (void) args;
   mb_error_set(&err, MB_EXIT_FAILURE, "'restore' is not built yet");
   return mb_cli_fail("restore", &err);
}
