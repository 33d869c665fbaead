/* placeholder until the restore engine lands */
#include "common/error.h"
