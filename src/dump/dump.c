/* placeholder until the dump engine lands */
#include "common/error.h"
