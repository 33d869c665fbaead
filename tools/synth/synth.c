/* mongobak-synth: a synthetic MongoDB wire-protocol server that serves generated collections at
 * memory speed, so that a dumper's own cost can be measured. A benchmark instrument, not a
 * database: no queries, no authentication, no persistence; writes are counted, never stored
 * (writes.c). See --help. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define OP_REPLY 1
#define OP_QUERY 2004
#define OP_MSG 2013
#define MSG_CHECKSUM_PRESENT 1u
#define MSG_MORE_TO_COME 2u
#define MAX_COLLS 100000
#define DEFAULT_SIZE (256ull << 20)

static const char usage[] =
    "usage: mongobak-synth [OPTIONS]\n"
    "\n"
    "A synthetic MongoDB server for benchmarks: a BENCHMARK INSTRUMENT, NOT A DATABASE. It speaks\n"
    "the wire protocol (OP_MSG, and OP_QUERY for the legacy handshake) well enough for mongodump\n"
    "and mongobak to dump from it, and serves read-only collections whose documents are generated\n"
    "on the fly from a seed: document i of collection c is a pure function of (seed, c, i), so a\n"
    "dataset may be far larger than memory. Replies are filled to 16 MiB like mongod's, and whole\n"
    "batches are prebuilt once and reused with only their _ids rewritten. Writes are counted, not\n"
    "stored (below). No filters, no authentication, no TLS; commands: hello/isMaster, buildInfo,\n"
    "ping, listDatabases,\n"
    "listCollections, listIndexes, count, collStats, dbStats, aggregate ($collStats;\n"
    "$sample+$bucketAuto on _id), splitVector, find (batchSize, limit, skip, singleBatch, hint "
    "and\n"
    "sort {_id: 1} or {$natural: 1}, min/max on _id, projection {_id: 1}), getMore, killCursors,\n"
    "endSessions. Anything else is answered CommandNotFound and logged.\n"
    "\n"
    "Writes, for restore benchmarks: create, insert (OP_MSG document sequences and inline\n"
    "documents arrays), createIndexes, drop and dropDatabase. Nothing is stored: each namespace\n"
    "written to counts its documents, BSON bytes, invalid documents, insert commands and indexes;\n"
    "each document's framing is checked (length, terminator, top-level elements). Written\n"
    "collections appear in listDatabases, listCollections, listIndexes and count. applyOps (as\n"
    "mongorestore --oplogReplay sends it) counts each operation by kind (i, u, d, n, c:<command>)\n"
    "and applies none. The command {synthStats: 1, reset: BOOL} returns the counts (and forgets\n"
    "them with reset: true).\n"
    "\n"
    "On start it prints one JSON line on stdout: the port, the seed and every collection's\n"
    "document count and exact size in bytes.\n"
    "\n"
    "options:\n"
    "  --port N          port on 127.0.0.1 (default 0: pick a free one)\n"
    "  --seed N          seed of the generator (default 1)\n"
    "  --db NAME         database name (default bench)\n"
    "  --layout L        one (c0), four (c0..c3), big100 (big, and small000..small099 with\n"
    "                    1/100 of its size each), tinyN (N collections: tiny1000 is t0000..t0999,\n"
    "                    tiny10000 t0000..t9999) or none (an empty server, for writes)\n"
    "                    (default four)\n"
    "  --profile P       documents: small (~150 B), medium (~1.5 KB), large (~30 KB), mixed\n"
    "                    (70/25/5 % of those) or alltypes (every BSON type) (default medium)\n"
    "  --id T            _id: oid, uuid (both grow with the document's index) or mixed (numbers,\n"
    "                    strings, documents, ObjectIds; natural order differs from _id order)\n"
    "                    (default oid)\n"
    "  --docs N          documents per collection of the layout\n"
    "  --size SIZE       bytes per collection of the layout instead (K, M, G: powers of 1024;\n"
    "                    default 256M, tiny1000: 1000 documents)\n"
    "  --coll NAME:PROFILE:ID:COUNT  one collection of COUNT documents (or COUNT bytes when it\n"
    "                    has a K/M/G/B suffix); repeatable; replaces --layout\n"
    "  --pages N         distinct 16 MiB pages of content per profile (default 4)\n"
    "  --refuse-splitvector  answer splitVector with Unauthorized (as Atlas does)\n"
    "  --cursor-mbps N   send each connection's find/getMore batches at most N MB/s (a server\n"
    "                    whose every cursor is slow, e.g. disk-bound, but that scales with\n"
    "                    parallel cursors: what splitting a collection is for)\n"
    "  --oversize-reply N[-M]  the Nth (to Mth) reply with documents (find or getMore, counted\n"
    "                    from 1 over the server) ignores batchSize and the 16 MiB cap and holds\n"
    "                    up to 56 MiB of documents, more than the 48 MB a driver accepts, as a\n"
    "                    server without a reply cap may send; logged to stderr; repeatable (8)\n"
    "  --vanish-after N  once N replies with documents went out, natural-order cursors opened\n"
    "                    later start one document later (as if one had been deleted meanwhile)\n"
    "  --stats-on-exit   on SIGTERM or SIGINT, print the write counts as one JSON line on stdout\n"
    "                    ({\"synthStats\": {\"namespaces\": [...], \"docs\", \"bytes\", "
    "\"invalid\"}}) and exit\n"
    "  --validate-writes framing|full  check inserted documents' framing (default) or run\n"
    "                    bson_validate on all of each document\n"
    "  --replset NAME    answer hello/isMaster as the primary of replica set NAME (hosts,\n"
    "                    setName, primary, me)\n"
    "  --oplog SPEC      serve local.oplog.rs (implies --replset rs0): SPEC is builtin (MongoDB\n"
    "                    6/7 entries of every kind: inserts, deletes, $v:2 diff updates,\n"
    "                    replacements, create, createIndexes, a two-phase index build,\n"
    "                    dropIndexes, drop, transactions' applyOps, no-ops), builtin-rename\n"
    "                    (and a renameCollection) or a file of BSON entries. Its last entries\n"
    "                    are hidden until the server has sent --oplog-reveal-after replies with\n"
    "                    collection documents: the writes made while a dump runs. Queries: find\n"
    "                    with ts conditions ($gte, $gt, $lte, $lt, $and), sort {$natural: 1|-1},\n"
    "                    limit, batchSize, inclusion projections (batches up to 16 MiB, then\n"
    "                    getMore); the command {synthOplog: \"reveal\" |\n"
    "                    \"rollover\" | \"reset\" | \"status\"} changes what is visible\n"
    "  --oplog-hidden N  the last N entries are the hidden ones (default: the built-in's second\n"
    "                    phase; none of a file's)\n"
    "  --oplog-reveal-after N  replies with documents before the reveal (default 1; 0: never)\n"
    "  --oplog-fill N    N more inserts of about 1 KB among the built-in's hidden entries (an\n"
    "                    oplog copied in several batches)\n"
    "  --oplog-rollover  the reveal also drops every entry before the first hidden one (the\n"
    "                    oplog rolled over during the dump)\n"
    "  --oplog-open-txn  config.transactions holds a transaction in progress (its startOpTime\n"
    "                    the built-in's partialTxn applyOps) until the reveal\n"
    "  --log             log every command received to stderr\n"
    "  --info            print the dataset's JSON line and exit\n"
    "  -h, --help        show this help\n";

typedef struct {
   char name[120];
   syn_profile_t profile;
   syn_id_t id;
   uint64_t count;
   bool bytes;
} coll_spec_t;

typedef struct {
   int port;
   uint64_t seed;
   const char *db, *layout;
   syn_profile_t profile;
   syn_id_t id;
   uint64_t count;
   bool count_is_bytes, count_given;
   coll_spec_t *specs;
   int nspecs;
   int pages;
   bool refuse_splitvector, log, info, stats_on_exit, validate_full;
   double cursor_mbps;
   uint64_t oversize_lo[SYN_MAX_OVERSIZE], oversize_hi[SYN_MAX_OVERSIZE], vanish_after;
   int noversize;
   const char *oplog, *replset;
   long oplog_hidden;
   uint64_t oplog_fill;
   uint64_t oplog_reveal_after;
   bool oplog_rollover, oplog_open_txn;
} opts_t;

static void die(const char *fmt, ...) BSON_GNUC_PRINTF(1, 2);

static void die(const char *fmt, ...)
{
   va_list ap;

   fprintf(stderr, "mongobak-synth: ");
   va_start(ap, fmt);
   vfprintf(stderr, fmt, ap);
   va_end(ap);
   fprintf(stderr, "\n");
   exit(2);
}

/* A number with an optional K/M/G(/B, /iB) suffix; *unit tells whether one was given. */
static bool parse_count(const char *s, uint64_t *out, bool *unit)
{
   char *end;
   unsigned long long v;
   uint64_t mult = 1;

   errno = 0;
   v = strtoull(s, &end, 10);
   if (errno || end == s || *s == '-') {
      return false;
   }
   *unit = *end != '\0';
   switch (*end) {
   case 'k':
   case 'K':
      mult = 1ull << 10;
      end++;
      break;
   case 'm':
   case 'M':
      mult = 1ull << 20;
      end++;
      break;
   case 'g':
   case 'G':
      mult = 1ull << 30;
      end++;
      break;
   default:
      break;
   }
   if (*end == 'i') {
      end++;
   }
   if (*end == 'B' || *end == 'b') {
      end++;
   }
   if (*end != '\0') {
      return false;
   }
   *out = (uint64_t) v * mult;
   return true;
}

static void add_spec(opts_t *o, const char *name, syn_profile_t p, syn_id_t id, uint64_t count,
                     bool bytes)
{
   coll_spec_t *s;

   if (o->nspecs >= MAX_COLLS) {
      die("too many collections");
   }
   s = realloc(o->specs, (size_t) (o->nspecs + 1) * sizeof *s);
   if (!s) {
      die("out of memory");
   }
   o->specs = s;
   s = &o->specs[o->nspecs++];
   snprintf(s->name, sizeof s->name, "%s", name);
   s->profile = p;
   s->id = id;
   s->count = count;
   s->bytes = bytes;
}

static void parse_coll(opts_t *o, const char *arg)
{
   char buf[512], *f[4], *t = buf;
   syn_profile_t p;
   syn_id_t id;
   uint64_t count;
   bool unit;
   int n = 0;

   snprintf(buf, sizeof buf, "%s", arg);
   while (t && n < 4) {
      f[n++] = t;
      t = strchr(t, ':');
      if (t) {
         *t++ = '\0';
      }
   }
   if (n != 4 || t || !syn_profile_parse(f[1], &p) || !syn_id_parse(f[2], &id) ||
       !parse_count(f[3], &count, &unit) || strlen(f[0]) >= 120) {
      die("--coll wants NAME:PROFILE:ID:COUNT, e.g. c0:medium:oid:64M (got '%s')", arg);
   }
   add_spec(o, f[0], p, id, count, unit);
}

static void layout_specs(opts_t *o)
{
   char name[32];
   uint64_t count = o->count, ntiny;
   bool bytes = o->count_is_bytes, unit;

   if (!o->count_given) {
      bytes = strncmp(o->layout, "tiny", 4) != 0;
      count = bytes ? DEFAULT_SIZE : 1000;
   }
   if (strcmp(o->layout, "one") == 0) {
      add_spec(o, "c0", o->profile, o->id, count, bytes);
   } else if (strcmp(o->layout, "four") == 0) {
      for (int k = 0; k < 4; k++) {
         snprintf(name, sizeof name, "c%d", k);
         add_spec(o, name, o->profile, o->id, count, bytes);
      }
   } else if (strcmp(o->layout, "big100") == 0) {
      add_spec(o, "big", o->profile, o->id, count, bytes);
      for (int k = 0; k < 100; k++) {
         snprintf(name, sizeof name, "small%03d", k);
         add_spec(o, name, o->profile, o->id, count / 100 ? count / 100 : 1, bytes);
      }
   } else if (strncmp(o->layout, "tiny", 4) == 0 && parse_count(o->layout + 4, &ntiny, &unit) &&
              !unit && ntiny >= 1 && ntiny <= MAX_COLLS) {
      /* tinyN: t0000, t0001, ... (4 digits, 5 beyond 10,000) */
      for (unsigned k = 0; k < ntiny; k++) {
         if (ntiny > 10000) { /* MAX_COLLS: at most 5 digits */
            snprintf(name, sizeof name, "t%05u", k);
         } else {
            snprintf(name, sizeof name, "t%04u", k);
         }
         add_spec(o, name, o->profile, o->id, count, bytes);
      }
   } else if (strcmp(o->layout, "none") != 0) {
      die("unknown --layout '%s' (one, four, big100, tinyN such as tiny1000, none)", o->layout);
   }
}

/* --oversize-reply N or N-M. */
static void parse_oversize(opts_t *o, const char *arg)
{
   char lo[32];
   const char *dash = strchr(arg, '-');
   uint64_t a, b;
   bool unit;

   snprintf(lo, sizeof lo, "%.*s", dash ? (int) (dash - arg) : (int) strlen(arg), arg);
   if (!parse_count(lo, &a, &unit) || unit || a < 1 ||
       (dash && (!parse_count(dash + 1, &b, &unit) || unit || b < a)) ||
       o->noversize == SYN_MAX_OVERSIZE) {
      die("bad --oversize-reply '%s' (N or N-M, replies counted from 1; at most %d times)", arg,
          SYN_MAX_OVERSIZE);
   }
   o->oversize_lo[o->noversize] = a;
   o->oversize_hi[o->noversize++] = dash ? b : a;
}

static void parse_options(int argc, char **argv, opts_t *o)
{
   static const struct option longopts[] = {{"port", required_argument, NULL, 'p'},
                                            {"seed", required_argument, NULL, 's'},
                                            {"db", required_argument, NULL, 'd'},
                                            {"layout", required_argument, NULL, 'l'},
                                            {"profile", required_argument, NULL, 'P'},
                                            {"id", required_argument, NULL, 'i'},
                                            {"docs", required_argument, NULL, 'n'},
                                            {"size", required_argument, NULL, 'z'},
                                            {"coll", required_argument, NULL, 'c'},
                                            {"pages", required_argument, NULL, 'g'},
                                            {"refuse-splitvector", no_argument, NULL, 'R'},
                                            {"cursor-mbps", required_argument, NULL, 'M'},
                                            {"oversize-reply", required_argument, NULL, 'O'},
                                            {"vanish-after", required_argument, NULL, 'V'},
                                            {"replset", required_argument, NULL, 'r'},
                                            {"oplog", required_argument, NULL, 'o'},
                                            {"oplog-hidden", required_argument, NULL, 'H'},
                                            {"oplog-reveal-after", required_argument, NULL, 'A'},
                                            {"oplog-rollover", no_argument, NULL, 'X'},
                                            {"oplog-fill", required_argument, NULL, 'F'},
                                            {"oplog-open-txn", no_argument, NULL, 'T'},
                                            {"log", no_argument, NULL, 'L'},
                                            {"stats-on-exit", no_argument, NULL, 'S'},
                                            {"validate-writes", required_argument, NULL, 'W'},
                                            {"info", no_argument, NULL, 'I'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
   uint64_t v;
   bool unit;
   int ch;

   while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
      switch (ch) {
      case 'p':
         if (!parse_count(optarg, &v, &unit) || unit || v > 65535) {
            die("bad --port '%s'", optarg);
         }
         o->port = (int) v;
         break;
      case 's':
         if (!parse_count(optarg, &o->seed, &unit) || unit) {
            die("bad --seed '%s'", optarg);
         }
         break;
      case 'd':
         o->db = optarg;
         break;
      case 'l':
         o->layout = optarg;
         break;
      case 'P':
         if (!syn_profile_parse(optarg, &o->profile)) {
            die("unknown --profile '%s'", optarg);
         }
         break;
      case 'i':
         if (!syn_id_parse(optarg, &o->id)) {
            die("unknown --id '%s'", optarg);
         }
         break;
      case 'n':
      case 'z':
         if (!parse_count(optarg, &o->count, &unit) || (ch == 'n' && unit)) {
            die("bad --%s '%s'", ch == 'n' ? "docs" : "size", optarg);
         }
         o->count_is_bytes = ch == 'z';
         o->count_given = true;
         break;
      case 'c':
         parse_coll(o, optarg);
         break;
      case 'g':
         if (!parse_count(optarg, &v, &unit) || unit || v < 1 || v > 64) {
            die("bad --pages '%s' (1..64)", optarg);
         }
         o->pages = (int) v;
         break;
      case 'R':
         o->refuse_splitvector = true;
         break;
      case 'M':
         if (!parse_count(optarg, &v, &unit) || unit || v < 1) {
            die("bad --cursor-mbps '%s'", optarg);
         }
         o->cursor_mbps = (double) v;
         break;
      case 'O':
         parse_oversize(o, optarg);
         break;
      case 'V':
         if (!parse_count(optarg, &o->vanish_after, &unit) || unit || o->vanish_after < 1) {
            die("bad --vanish-after '%s'", optarg);
         }
         break;
      case 'r':
         if (strlen(optarg) == 0 || strlen(optarg) >= 64) {
            die("bad --replset '%s'", optarg);
         }
         o->replset = optarg;
         break;
      case 'o':
         o->oplog = optarg;
         break;
      case 'H':
         if (!parse_count(optarg, &v, &unit) || unit || v > 1000000) {
            die("bad --oplog-hidden '%s'", optarg);
         }
         o->oplog_hidden = (long) v;
         break;
      case 'A':
         if (!parse_count(optarg, &o->oplog_reveal_after, &unit) || unit) {
            die("bad --oplog-reveal-after '%s'", optarg);
         }
         break;
      case 'X':
         o->oplog_rollover = true;
         break;
      case 'F':
         if (!parse_count(optarg, &o->oplog_fill, &unit) || unit || o->oplog_fill > 10000000) {
            die("bad --oplog-fill '%s'", optarg);
         }
         break;
      case 'T':
         o->oplog_open_txn = true;
         break;
      case 'L':
         o->log = true;
         break;
      case 'S':
         o->stats_on_exit = true;
         break;
      case 'W':
         if (strcmp(optarg, "full") != 0 && strcmp(optarg, "framing") != 0) {
            die("bad --validate-writes '%s' (framing or full)", optarg);
         }
         o->validate_full = strcmp(optarg, "full") == 0;
         break;
      case 'I':
         o->info = true;
         break;
      case 'h':
         fputs(usage, stdout);
         exit(0);
      default:
         fputs(usage, stderr);
         exit(2);
      }
   }
   if (optind < argc) {
      die("unexpected argument '%s'", argv[optind]);
   }
   if (strlen(o->db) >= 64) {
      die("--db is too long");
   }
   if (o->nspecs == 0) {
      layout_specs(o);
   }
}

static void build_dataset(syn_server_t *s, const opts_t *o)
{
   bool need[SYN_NPROFILES] = {false};

   for (int k = 0; k < o->nspecs; k++) {
      need[o->specs[k].profile] = true;
   }
   for (int p = 0; p < SYN_NPROFILES; p++) {
      if (need[p] && !syn_pool_build((syn_profile_t) p, s->seed, o->pages, &s->pools[p])) {
         die("out of memory building the %s pool", syn_profile_name((syn_profile_t) p));
      }
   }
   s->colls = calloc((size_t) o->nspecs + 1, sizeof *s->colls);
   if (!s->colls) {
      die("out of memory");
   }
   s->ncolls = o->nspecs;
   for (int k = 0; k < o->nspecs; k++) {
      const coll_spec_t *sp = &o->specs[k];
      syn_coll_t *c = &s->colls[k];
      const syn_pool_t *pool = &s->pools[sp->profile];
      snprintf(c->name, sizeof c->name, "%s", sp->name);
      c->index = k;
      c->pool = pool;
      c->id = sp->id;
      c->seed = s->seed;
      c->ndocs = sp->count;
      if (sp->bytes) {
         uint64_t mean = pool->cycle_bytes / pool->cycle_docs + 5 +
                         (sp->id == SYN_ID_MIXED ? 20 : syn_id_elem_len(sp->id));
         c->ndocs = sp->count / mean ? sp->count / mean : 1;
      }
      syn_coll_init(c, s->db);
   }
   /* the index of collections by name: a power of two at least twice their number */
   for (s->coll_slots_cap = 16; s->coll_slots_cap < (size_t) s->ncolls * 2;) {
      s->coll_slots_cap *= 2;
   }
   s->coll_slots = malloc(s->coll_slots_cap * sizeof *s->coll_slots);
   if (!s->coll_slots) {
      die("out of memory");
   }
   memset(s->coll_slots, 0xff, s->coll_slots_cap * sizeof *s->coll_slots);
   for (int k = 0; k < s->ncolls; k++) {
      size_t mask = s->coll_slots_cap - 1, h = syn_name_hash(s->colls[k].name) & mask;
      while (s->coll_slots[h] >= 0) {
         if (strcmp(s->colls[s->coll_slots[h]].name, s->colls[k].name) == 0) {
            die("collection '%s' given twice", s->colls[k].name);
         }
         h = (h + 1) & mask;
      }
      s->coll_slots[h] = k;
   }
}

static void print_json_string(FILE *f, const char *s)
{
   fputc('"', f);
   for (; *s; s++) {
      if (*s == '"' || *s == '\\') {
         fputc('\\', f);
      }
      fputc(*s, f);
   }
   fputc('"', f);
}

static void print_info(const syn_server_t *s, int port, int pages)
{
   uint64_t docs = 0, bytes = 0;

   printf("{\"server\":\"mongobak-synth\",\"note\":\"benchmark instrument, not a database\","
          "\"port\":%d,\"seed\":%" PRIu64 ",\"pages\":%d,\"db\":",
          port, s->seed, pages);
   print_json_string(stdout, s->db);
   printf(",\"collections\":[");
   for (int k = 0; k < s->ncolls; k++) {
      const syn_coll_t *c = &s->colls[k];
      printf("%s{\"name\":", k ? "," : "");
      print_json_string(stdout, c->name);
      printf(",\"profile\":\"%s\",\"id\":\"%s\",\"docs\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
             syn_profile_name(c->pool->profile), syn_id_name(c->id), c->ndocs, c->nbytes);
      docs += c->ndocs;
      bytes += c->nbytes;
   }
   printf("],\"docs\":%" PRIu64 ",\"bytes\":%" PRIu64 "}\n", docs, bytes);
   fflush(stdout);
}

/* ---- wire protocol ---- */

static uint32_t get_le32(const uint8_t *p)
{
   uint32_t v;
   memcpy(&v, p, 4);
   return v;
}

static void put_le32(uint8_t *p, uint32_t v)
{
   memcpy(p, &v, 4);
}

static bool read_full(int fd, uint8_t *buf, size_t len)
{
   while (len > 0) {
      ssize_t n = read(fd, buf, len);
      if (n <= 0) {
         if (n < 0 && errno == EINTR) {
            continue;
         }
         return false;
      }
      buf += n;
      len -= (size_t) n;
   }
   return true;
}

static bool writev_full(int fd, struct iovec *iov, int niov)
{
   while (niov > 0) {
      ssize_t n = writev(fd, iov, niov);
      if (n < 0) {
         if (errno == EINTR) {
            continue;
         }
         return false;
      }
      while (niov > 0 && (size_t) n >= iov->iov_len) {
         n -= (ssize_t) iov->iov_len;
         iov++;
         niov--;
      }
      if (niov > 0) {
         iov->iov_base = (uint8_t *) iov->iov_base + n;
         iov->iov_len -= (size_t) n;
      }
   }
   return true;
}

/* Send the reply in c->iov behind a header of hlen bytes (its length field filled here). */
static bool send_reply(syn_conn_t *c, uint8_t *hdr, size_t hlen)
{
   struct iovec iov[4];

   put_le32(hdr, (uint32_t) (hlen + c->body_len));
   iov[0].iov_base = hdr;
   iov[0].iov_len = hlen;
   memcpy(iov + 1, c->iov, (size_t) c->niov * sizeof *iov);
   return writev_full(c->fd, iov, c->niov + 1);
}

static bool handle_msg(syn_conn_t *c, int32_t request_id, size_t len)
{
   const uint8_t *p = c->in.data;
   uint32_t flags = get_le32(p);
   size_t end = len - ((flags & MSG_CHECKSUM_PRESENT) ? 4 : 0), off = 4;
   bson_t body;
   bool have_body = false;
   bson_iter_t it;
   const char *db = "admin";
   uint8_t hdr[21];

   c->nseq = 0;
   while (off < end) {
      uint8_t kind = p[off++];
      uint32_t n = off + 4 <= end ? get_le32(p + off) : 0;
      if (n < 5 || off + n > end) {
         return false;
      }
      if (kind == 0 && bson_init_static(&body, p + off, n)) {
         have_body = true;
      } else if (kind == 1) {
         /* a document sequence: size, identifier (a C string), documents */
         const uint8_t *nul = memchr(p + off + 4, 0, n - 4);
         if (!nul || c->nseq == SYN_MAX_SEQ) {
            return false;
         }
         c->seq[c->nseq].id = (const char *) p + off + 4;
         c->seq[c->nseq].data = nul + 1;
         c->seq[c->nseq].len = (size_t) (p + off + n - (nul + 1));
         c->nseq++;
      } else if (kind != 0) {
         return false;
      }
      off += n;
   }
   if (!have_body) {
      return false;
   }
   if (bson_iter_init_find(&it, &body, "$db") && BSON_ITER_HOLDS_UTF8(&it)) {
      db = bson_iter_utf8(&it, NULL);
   }
   syn_command(c, db, &body);
   c->nseq = 0;
   if (flags & MSG_MORE_TO_COME) {
      return true;
   }
   put_le32(hdr + 4, (uint32_t) request_id + 1);
   put_le32(hdr + 8, (uint32_t) request_id);
   put_le32(hdr + 12, OP_MSG);
   put_le32(hdr + 16, 0);
   hdr[20] = 0;
   return send_reply(c, hdr, sizeof hdr);
}

/* Legacy OP_QUERY: only commands on DB.$cmd (the handshake of older drivers). */
static bool handle_query(syn_conn_t *c, int32_t request_id, size_t len)
{
   const uint8_t *p = c->in.data, *nul = memchr(p + 4, 0, len > 4 ? len - 4 : 0);
   size_t off, nlen;
   char db[128];
   bson_t q, inner;
   bson_iter_t it;
   uint8_t hdr[36];
   uint32_t n;

   if (!nul) {
      return false;
   }
   nlen = (size_t) (nul - (p + 4));
   off = (size_t) (nul - p) + 1 + 8;
   n = off + 4 <= len ? get_le32(p + off) : 0;
   if (n < 5 || off + n > len || !bson_init_static(&q, p + off, n)) {
      return false;
   }
   if (nlen < 5 || nlen - 5 >= sizeof db || memcmp(p + 4 + nlen - 5, ".$cmd", 5) != 0) {
      bson_t r = BSON_INITIALIZER;
      BSON_APPEND_UTF8(&r, "$err", "mongobak-synth answers OP_QUERY commands only");
      BSON_APPEND_INT32(&r, "code", 2);
      syn_buf_reserve(&c->out, r.len);
      memcpy(c->out.data, bson_get_data(&r), r.len);
      c->iov[0].iov_base = c->out.data;
      c->iov[0].iov_len = r.len;
      c->niov = 1;
      c->body_len = r.len;
      bson_destroy(&r);
      put_le32(hdr + 16, 2); /* QueryFailure */
   } else {
      snprintf(db, sizeof db, "%.*s", (int) (nlen - 5), (const char *) p + 4);
      if ((bson_iter_init_find(&it, &q, "$query") || bson_iter_init_find(&it, &q, "query")) &&
          BSON_ITER_HOLDS_DOCUMENT(&it)) {
         uint32_t ilen;
         const uint8_t *data;
         bson_iter_document(&it, &ilen, &data);
         bson_init_static(&inner, data, ilen);
         syn_command(c, db, &inner);
      } else {
         syn_command(c, db, &q);
      }
      put_le32(hdr + 16, 8); /* AwaitCapable */
   }
   put_le32(hdr + 4, (uint32_t) request_id + 1);
   put_le32(hdr + 8, (uint32_t) request_id);
   put_le32(hdr + 12, OP_REPLY);
   memset(hdr + 20, 0, 12); /* cursor id, starting from */
   put_le32(hdr + 32, 1);   /* number returned */
   return send_reply(c, hdr, sizeof hdr);
}

static void *conn_main(void *arg)
{
   syn_conn_t *c = arg;
   uint8_t hdr[16];

   for (;;) {
      uint32_t len;
      int32_t op, request_id;
      bool ok;
      if (!read_full(c->fd, hdr, sizeof hdr)) {
         break;
      }
      len = get_le32(hdr);
      request_id = (int32_t) get_le32(hdr + 4);
      op = (int32_t) get_le32(hdr + 12);
      if (len < 21 || len > SYN_MAX_MESSAGE) {
         fprintf(stderr, "mongobak-synth: conn %d: bad message length %u; closing\n", c->id, len);
         break;
      }
      syn_buf_reserve(&c->in, len - 16);
      if (!read_full(c->fd, c->in.data, len - 16)) {
         break;
      }
      if (op == OP_MSG) {
         ok = handle_msg(c, request_id, len - 16);
      } else if (op == OP_QUERY) {
         ok = handle_query(c, request_id, len - 16);
      } else {
         fprintf(stderr, "mongobak-synth: conn %d: unsupported opcode %d; closing\n", c->id, op);
         ok = false;
      }
      if (!ok) {
         break;
      }
   }
   close(c->fd);
   syn_conn_free(c);
   free(c);
   return NULL;
}

static int listen_on(int port, int *bound)
{
   struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port)};
   socklen_t alen = sizeof a;
   int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

   a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
   if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
       bind(fd, (struct sockaddr *) &a, sizeof a) != 0 || listen(fd, 128) != 0 ||
       getsockname(fd, (struct sockaddr *) &a, &alen) != 0) {
      die("cannot listen on 127.0.0.1:%d: %s", port, strerror(errno));
   }
   *bound = ntohs(a.sin_port);
   return fd;
}

static void serve(syn_server_t *s, int lfd)
{
   for (;;) {
      int fd = accept(lfd, NULL, NULL), one = 1;
      syn_conn_t *c;
      pthread_t t;
      pthread_attr_t attr;
      if (fd < 0) {
         if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE) {
            continue;
         }
         die("accept failed: %s", strerror(errno));
      }
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      c = calloc(1, sizeof *c);
      if (!c) {
         close(fd);
         continue;
      }
      c->srv = s;
      c->fd = fd;
      c->id = atomic_fetch_add(&s->next_conn, 1);
      pthread_attr_init(&attr);
      pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
      if (pthread_create(&t, &attr, conn_main, c) != 0) {
         close(fd);
         free(c);
      }
      pthread_attr_destroy(&attr);
   }
}

/* --stats-on-exit: on SIGTERM or SIGINT, print the write statistics as one JSON line on stdout
 * ({"synthStats": {namespaces: [{ns, docs, bytes, invalid, inserts, indexes}], docs, bytes,
 * invalid}}) and exit. Every other thread blocks those signals; this one waits for them. */
static void *stats_on_exit(void *arg)
{
   syn_server_t *s = arg;
   sigset_t set;
   int sig;
   bson_t stats = BSON_INITIALIZER, line = BSON_INITIALIZER;
   char *json;

   sigemptyset(&set);
   sigaddset(&set, SIGTERM);
   sigaddset(&set, SIGINT);
   sigwait(&set, &sig);
   syn_write_stats(s, &stats, false);
   BSON_APPEND_DOCUMENT(&line, "synthStats", &stats);
   json = bson_as_relaxed_extended_json(&line, NULL);
   printf("%s\n", json ? json : "{}");
   fflush(stdout);
   _exit(0);
   return NULL;
}

int main(int argc, char **argv)
{
   opts_t o = {.seed = 1,
               .db = "bench",
               .layout = "four",
               .profile = SYN_MEDIUM,
               .pages = 4,
               .oplog_hidden = -1,
               .oplog_reveal_after = 1};
   syn_server_t s = {.seed = 1};
   int lfd = -1, port = 0;

   parse_options(argc, argv, &o);
   signal(SIGPIPE, SIG_IGN);
   s.seed = o.seed;
   snprintf(s.db, sizeof s.db, "%s", o.db);
   s.log = o.log;
   s.refuse_splitvector = o.refuse_splitvector;
   s.cursor_bps = o.cursor_mbps * 1e6;
   memcpy(s.oversize_lo, o.oversize_lo, sizeof s.oversize_lo);
   memcpy(s.oversize_hi, o.oversize_hi, sizeof s.oversize_hi);
   s.noversize = o.noversize;
   s.vanish_after = o.vanish_after;
   atomic_init(&s.data_replies, 0);
   atomic_init(&s.next_conn, 1);
   atomic_init(&s.next_cursor, (uint64_t) 1 << 40 | (o.seed & 0xffff) << 20);
   pthread_mutex_init(&s.lock, NULL);
   pthread_mutex_init(&s.wlock, NULL);
   s.validate_full = o.validate_full;
   if (o.stats_on_exit && !o.info) {
      sigset_t set;
      pthread_t t;
      sigemptyset(&set);
      sigaddset(&set, SIGTERM);
      sigaddset(&set, SIGINT);
      pthread_sigmask(SIG_BLOCK, &set, NULL); /* inherited by every thread started later */
      if (pthread_create(&t, NULL, stats_on_exit, &s) != 0) {
         die("cannot start the statistics thread");
      }
   }
   if (!o.info) {
      lfd = listen_on(o.port, &port);
   }
   s.port = port;
   if (o.replset || o.oplog) {
      snprintf(s.replset, sizeof s.replset, "%s", o.replset ? o.replset : "rs0");
   }
   if (o.oplog) {
      s.oplog = syn_oplog_new(o.oplog, o.db, o.seed, o.oplog_hidden, o.oplog_fill);
      s.oplog_reveal_after = o.oplog_reveal_after;
      s.oplog_rollover = o.oplog_rollover;
      s.oplog_open_txn = o.oplog_open_txn;
   }
   build_dataset(&s, &o);
   print_info(&s, port, o.pages);
   if (o.info) {
      return 0;
   }
   serve(&s, lfd);
   return 0;
}
