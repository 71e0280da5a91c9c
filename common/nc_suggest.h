/*
** nc_suggest: "did you mean ...?" by edit distance.
*/
#ifndef NC_SUGGEST_H
#define NC_SUGGEST_H

#include <stddef.h>

/* Edit distance (Levenshtein, insert/delete/substitute) of two strings, capped
** at 64-byte inputs; longer strings return a large distance. */
int nc_edit_distance(const char *a, const char *b);

/* The candidate closest to `word`, or NULL when none is close enough (distance
** at most a third of the word's length, at least 1). */
const char *nc_suggest(const char *word, const char *const *candidates,
                       size_t count);

#endif
