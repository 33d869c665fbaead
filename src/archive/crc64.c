#include "archive/crc64.h"

#include <isa-l/crc64.h>

uint64_t mb_crc64_update(uint64_t crc, const void *data, size_t len)
{
   /* ISA-L's reflected ECMA variant inverts the register on entry and exit like Go does. */
   return crc64_ecma_refl(crc, (const unsigned char *) data, (uint64_t) len);
}
