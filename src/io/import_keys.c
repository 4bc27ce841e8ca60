/*
 * Hash table of customer keys. Open addressing with linear probing over a power-of-two table
 * at most half full, so a lookup is O(1) expected and the whole import O(total key bytes).
 * The hash folds 8-byte words with a 64x64->128 multiply (the wyhash/mum mixing step): it is
 * strong on the near-identical keys real logs carry (C000123, UUIDs differing in one nibble),
 * where FNV-style byte hashes cluster, and it runs a word at a time on the hot path.
 */
#include <stdlib.h>
#include <string.h>

#include "io/import_keys.h"

static uint64_t mix(uint64_t a, uint64_t b) {
  unsigned __int128 r = (unsigned __int128)a * b;
  return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static uint64_t load64(const char *p, size_t n) {
  uint64_t v = 0;
  memcpy(&v, p, n); /* n <= 8; little-endian order does not matter for a hash */
  return v;
}

uint64_t strata_key_hash(const char *s, size_t len) {
  const uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL;
  uint64_t h = k0 ^ (uint64_t)len;
  size_t i = 0;
  for (; i + 8 <= len; i += 8) h = mix(h ^ load64(s + i, 8), k1);
  if (i < len) h = mix(h ^ load64(s + i, len - i), k1);
  return mix(h ^ k0, k1 ^ (uint64_t)len);
}

static int grow_table(strata_keys *k) {
  int64_t slots = k->slots ? k->slots * 2 : 1024;
  int64_t *slot = calloc((size_t)slots, sizeof *slot);
  uint64_t *hash = malloc((size_t)slots * sizeof *hash);
  if (!slot || !hash) {
    free(slot);
    free(hash);
    return 0;
  }
  for (int64_t j = 0; j < k->slots; j++) {
    if (!k->slot[j]) continue;
    uint64_t at = k->hash[j] & (uint64_t)(slots - 1);
    while (slot[at]) at = (at + 1) & (uint64_t)(slots - 1);
    slot[at] = k->slot[j];
    hash[at] = k->hash[j];
  }
  free(k->slot);
  free(k->hash);
  k->slot = slot;
  k->hash = hash;
  k->slots = slots;
  return 1;
}

int strata_keys_intern(strata_keys *k, const char *s, size_t len, int64_t *index) {
  if (2 * (k->n + 1) > k->slots && !grow_table(k)) return 0;
  uint64_t h = strata_key_hash(s, len);
  uint64_t mask = (uint64_t)(k->slots - 1);
  uint64_t at = h & mask;
  for (; k->slot[at]; at = (at + 1) & mask) {
    if (k->hash[at] != h) continue;
    const char *t = k->text + k->offset[k->slot[at] - 1];
    if (memcmp(t, s, len) == 0 && t[len] == '\0') {
      *index = k->slot[at] - 1;
      return 1;
    }
  }
  if (k->n == k->cap) {
    int64_t cap = k->cap ? k->cap * 2 : 4096;
    size_t *o = realloc(k->offset, (size_t)cap * sizeof *o);
    if (!o) return 0;
    k->offset = o;
    k->cap = cap;
  }
  if (k->text_len + len + 1 > k->text_cap) {
    size_t cap = k->text_cap ? k->text_cap * 2 : 65536;
    while (cap < k->text_len + len + 1) cap *= 2;
    char *t = realloc(k->text, cap);
    if (!t) return 0;
    k->text = t;
    k->text_cap = cap;
  }
  memcpy(k->text + k->text_len, s, len);
  k->text[k->text_len + len] = '\0';
  k->offset[k->n] = k->text_len;
  k->text_len += len + 1;
  k->slot[at] = k->n + 1;
  k->hash[at] = h;
  *index = k->n++;
  return 1;
}

void strata_keys_free(strata_keys *k) {
  if (k == NULL) return;
  free(k->text);
  free(k->offset);
  free(k->slot);
  free(k->hash);
  memset(k, 0, sizeof *k);
}
