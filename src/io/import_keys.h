/* Customer keys of an import: the original id text of each customer, mapped to a dense index
 * 0..N-1 in order of first appearance by an open-addressing hash table. */
#ifndef STRATA_IMPORT_KEYS_H
#define STRATA_IMPORT_KEYS_H

#include <stddef.h>
#include <stdint.h>

typedef struct strata_keys {
  char *text; /* every key once, each followed by '\0', in order of first appearance */
  size_t text_len, text_cap;
  size_t *offset; /* [n] start of key i in text */
  int64_t n, cap; /* keys stored, capacity of offset */
  int64_t *slot;  /* [slots] key index + 1, 0 = empty */
  uint64_t *hash; /* [slots] full hash of the key in the slot, so most probes skip memcmp */
  int64_t slots;  /* power of two, kept at least twice n */
} strata_keys;

/* 64-bit hash of len bytes (wyhash-style multiply-fold over 8-byte words). */
uint64_t strata_key_hash(const char *s, size_t len);
/* The dense index (0-based) of key s[0..len), adding it when new: 1, or 0 when out of memory.
 * Amortised O(len). */
int strata_keys_intern(strata_keys *k, const char *s, size_t len, int64_t *index);
/* The text of key i (NUL-terminated, owned by k). */
static inline const char *strata_keys_get(const strata_keys *k, int64_t i) {
  return k->text + k->offset[i];
}
void strata_keys_free(strata_keys *k);

#endif
