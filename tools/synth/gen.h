/* The deterministic dataset of mongobak-synth (a benchmark instrument, not a database).
 *
 * Document i of collection c is a pure function of (seed, c, i): its _id is computed from
 * (seed, c, i), and its other fields are one slot of a page of a pool of pre-built bodies
 * (generated once at start from the seed and the profile); each collection starts at its own
 * place of the pool. A page holds exactly the documents that fit in one 16 MiB reply, so a
 * reply that starts at a page boundary is one prebuilt page with only the _ids patched (a
 * cursor that starts elsewhere gets a shorter first batch up to the next page boundary). Pools
 * repeat their content every npages pages (64 MiB by default), far beyond the windows of the
 * compressors measured (gzip 32 KiB, zstd level 3 2 MiB). Nothing is stored per document, so a
 * collection may be far larger than memory. */
#ifndef SYN_GEN_H
#define SYN_GEN_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

/* A reply's documents, as array elements (type, key and document), at most this many bytes
 * unless one document alone is bigger: what mongod puts in a find or getMore reply. */
#define SYN_BATCH_BYTES (16u << 20)
/* _id element of the biggest fixed-size kind (UUID): type, "_id", length, subtype, 16 bytes. */
#define SYN_ID_MAX_FIXED 26
/* Any _id element this generator writes is at most this long. */
#define SYN_ID_ELEM_MAX 64

typedef enum {
   SYN_SMALL,
   SYN_MEDIUM,
   SYN_LARGE,
   SYN_MIXED,
   SYN_ALLTYPES,
   SYN_NPROFILES
} syn_profile_t;

/* oid and uuid _ids grow with i; mixed _ids are numbers, then strings, then documents, then
 * ObjectIds, in BSON order, and natural order is a permutation of that order. */
typedef enum { SYN_ID_OID, SYN_ID_UUID, SYN_ID_MIXED } syn_id_t;

typedef struct {
   syn_profile_t profile;
   int npages;
   uint32_t *ndocs;      /* documents in page p */
   uint8_t **body;       /* page p: the bodies (elements after _id) back to back */
   uint32_t **off;       /* off[p][k]: offset of body k in page p; off[p][ndocs[p]] = its size */
   uint64_t *start;      /* cycle position of page p's first document */
   uint64_t cycle_docs;  /* documents in all pages */
   uint64_t cycle_bytes; /* body bytes in all pages */
} syn_pool_t;

typedef struct {
   char name[120];
   char ns[256]; /* db.name */
   int index;    /* c: position in the dataset */
   const syn_pool_t *pool;
   syn_id_t id;
   uint64_t ndocs;
   uint64_t nbytes;     /* exact sum of the documents' sizes */
   uint64_t first_slot; /* cycle position of document 0 */
   uint64_t perm_a;     /* natural position p holds _id-order index (p * perm_a + perm_b) % n */
   uint64_t perm_b;
   uint8_t uuid[16]; /* the collection's UUID (listCollections info.uuid) */
   uint64_t seed;
} syn_coll_t;

/* Where document i's body lies: page and slot (slot 0 begins a page). */
typedef struct {
   int page;
   uint32_t slot;
} syn_slot_t;

const char *syn_profile_name(syn_profile_t p);
bool syn_profile_parse(const char *s, syn_profile_t *out);
const char *syn_id_name(syn_id_t t);
bool syn_id_parse(const char *s, syn_id_t *out);

/* Mean document size of a profile, to turn a byte size into a document count. */
uint32_t syn_profile_mean_size(syn_profile_t p);

/* Build the pool of a profile: npages pages of bodies from the seed. false on out of memory. */
bool syn_pool_build(syn_profile_t profile, uint64_t seed, int npages, syn_pool_t *out);
void syn_pool_free(syn_pool_t *pool);

/* Fill in the derived fields of a collection (name, pool, id, index, ndocs and seed set by the
 * caller): ns, uuid, first slot, permutation and the exact byte size. */
void syn_coll_init(syn_coll_t *c, const char *db);

/* The _id-order index of the document at natural position p. */
uint64_t syn_natural_index(const syn_coll_t *c, uint64_t p);

/* Page and slot of document i's body. */
syn_slot_t syn_slot(const syn_coll_t *c, uint64_t i);

/* Length of the _id element of a fixed-size id type, and the offset of its value in it. */
uint32_t syn_id_elem_len(syn_id_t t);
uint32_t syn_id_value_off(syn_id_t t);

/* Write document i's _id element (type, "_id", value) to out (SYN_ID_ELEM_MAX bytes); returns
 * its length. */
uint32_t syn_id_elem(const syn_coll_t *c, uint64_t i, uint8_t *out);

/* Write only the value of a fixed-size _id of document i to out: an ObjectId's 12 bytes, or a
 * UUID's length, subtype and 16 bytes (21). */
void syn_id_value(const syn_coll_t *c, uint64_t i, uint8_t *out);

/* Document i's _id as a one-field document {_id: value} (for comparisons); out must hold
 * SYN_ID_ELEM_MAX + 5 bytes. */
void syn_id_doc(const syn_coll_t *c, uint64_t i, bson_t *doc, uint8_t *out);

/* Size of document i, and the document itself written to out (returns its size). */
uint32_t syn_doc_len(const syn_coll_t *c, uint64_t i);
uint32_t syn_doc_write(const syn_coll_t *c, uint64_t i, uint8_t *out);

/* Write one page's array elements for id type t: "0": doc, "1": doc, ...; each _id value is a
 * placeholder whose offset is stored in id_off[k]. out must hold SYN_BATCH_BYTES; returns the
 * bytes written. */
size_t syn_page_elements(const syn_pool_t *pool, int page, syn_id_t t, uint8_t *out,
                         uint32_t *id_off);

#endif
