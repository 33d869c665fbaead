#include "cli/commands.h"

int main(int argc, char **argv)
{
   return mb_cli_main(argc, argv);
}
