/*
** nc_suggest: closest-name suggestions for unknown identifiers.
*/
#include <string.h>

#include "common/nc_suggest.h"

enum { SUGGEST_MAX_LEN = 64 };

int nc_edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN) return 1 << 20;
  int row[SUGGEST_MAX_LEN + 1];
  for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
  for (size_t i = 1; i <= la; i++) {
    int diag = row[0];
    row[0] = (int)i;
    for (size_t j = 1; j <= lb; j++) {
      int up = row[j];
      int best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

const char *nc_suggest(const char *word, const char *const *candidates,
                       size_t count) {
  int limit = (int)strlen(word) / 3;
  if (limit < 1) limit = 1;
  const char *best = NULL;
  int best_distance = limit + 1;
  for (size_t i = 0; i < count; i++) {
    if (!candidates[i]) continue;
    int d = nc_edit_distance(word, candidates[i]);
    if (d < best_distance) {
      best_distance = d;
      best = candidates[i];
    }
  }
  return best;
}
