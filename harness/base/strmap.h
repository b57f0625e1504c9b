/* strmap.h: a hash table from strings to indices, for finding cases, backends and workloads by
 * name in files of any size in constant time (scans were quadratic on crafted files). */
#ifndef CB_STRMAP_H
#define CB_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct cb_strmap {
  struct cb_strmap_slot *slots;
  size_t cap, n;          /* cap a power of two, n < cap / 2 */
} cb_strmap;

/* FNV-1a of len bytes, chained from h (start with cb_hash_init). */
#define CB_HASH_INIT UINT64_C(0xcbf29ce484222325)
uint64_t cb_hash(uint64_t h, const void *p, size_t len);

/* key -> value; the key is not copied and must outlive the map. 0, -EEXIST (left as it was),
 * -ENOMEM. */
int cb_strmap_put(cb_strmap *m, const char *key, size_t value);
/* The value of key, or -1. */
long cb_strmap_get(const cb_strmap *m, const char *key);
void cb_strmap_free(cb_strmap *m);

#endif
