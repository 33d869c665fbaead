/* Time zones, for everyone who needs one: validating a zone name, converting between instants
 * and wall-clock times in a named zone, formatting. The C library knows one zone per process,
 * the TZ variable; converting in another zone means setting TZ, calling tzset, converting and
 * putting TZ back. All of that happens here, under one mutex, and every zone-dependent call in
 * mongobak (localtime_r, mktime, strftime's %Z) goes through this module, so a conversion never
 * sees another thread's zone half set. A zone argument NULL means the process zone, the one set
 * by mb_tz_set_default (TIMEZONE), else the system's. */
#ifndef MB_COMMON_TZ_H
#define MB_COMMON_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* "UTC", or an IANA name ("Europe/Paris") whose file under /usr/share/zoneinfo is a compiled
 * zone (starts with "TZif": that folder also holds tables such as zone.tab that the C library
 * would silently take as UTC). Names with ".." or a leading '/' are refused. */
bool mb_tz_valid(const char *zone);

/* Make zone the process zone (for zone == NULL in the calls below). False, and nothing
 * changed, when the zone is not valid. */
bool mb_tz_set_default(const char *zone);

/* The wall-clock time of instant t in zone (localtime_r). False when t is out of range. */
bool mb_tz_localtime(const char *zone, time_t t, struct tm *out);

/* The instant of wall-clock time *tm in zone (mktime: tm_isdst is honoured and *tm is
 * normalised). False when mktime fails (or returns the instant -1, a second before 1970). */
bool mb_tz_mktime(const char *zone, struct tm *tm, time_t *out);

/* strftime of instant t in zone into buf; "" when it does not fit or t is out of range. */
void mb_tz_format(const char *zone, time_t t, const char *fmt, char *buf, size_t size);

#endif
