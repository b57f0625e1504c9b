/* strmap.c: an open-addressing hash table from strings to indices (see strmap.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "strmap.h"

struct cb_strmap_slot {
  const char *key;        /* NULL: empty */
  uint64_t hash;
  size_t value;
};

uint64_t cb_hash(uint64_t h, const void *p, size_t len) {
  const unsigned char *s = p;
  for (size_t i = 0; i < len; i++) {
    h ^= s[i];
    h *= UINT64_C(0x100000001b3);
  }
  return h;
}

static uint64_t hash_str(const char *s) { return cb_hash(CB_HASH_INIT, s, strlen(s)); }

static int grow(cb_strmap *m) {
  size_t cap = m->cap ? m->cap * 2 : 16;
  struct cb_strmap_slot *s = calloc(cap, sizeof *s);
  if (!s) return -ENOMEM;
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->slots[i].key) continue;
    size_t j = m->slots[i].hash & (cap - 1);
    while (s[j].key) j = (j + 1) & (cap - 1);
    s[j] = m->slots[i];
  }
  free(m->slots);
  m->slots = s;
  m->cap = cap;
  return 0;
}

int cb_strmap_put(cb_strmap *m, const char *key, size_t value) {
  if ((m->n + 1) * 2 > m->cap && grow(m) != 0) return -ENOMEM;
  uint64_t h = hash_str(key);
  size_t j = h & (m->cap - 1);
  for (; m->slots[j].key; j = (j + 1) & (m->cap - 1))
    if (m->slots[j].hash == h && strcmp(m->slots[j].key, key) == 0) return -EEXIST;
  m->slots[j] = (struct cb_strmap_slot){ key, h, value };
  m->n++;
  return 0;
}

long cb_strmap_get(const cb_strmap *m, const char *key) {
  if (!m->cap) return -1;
  uint64_t h = hash_str(key);
  for (size_t j = h & (m->cap - 1); m->slots[j].key; j = (j + 1) & (m->cap - 1))
    if (m->slots[j].hash == h && strcmp(m->slots[j].key, key) == 0) return (long)m->slots[j].value;
  return -1;
}

void cb_strmap_free(cb_strmap *m) {
  free(m->slots);
  memset(m, 0, sizeof *m);
}
