/*
** explore.c: epsilon-greedy action selection on a linear schedule, and
** episode statistics (the sliding-window average behind gym's "solved").
*/
#include <stdint.h>

#include "common/nc_alloc.h"
#include "netc.h"
#include "runtime/rl/rl.h"

struct netc_explore {
  double start, end;   /* epsilon before and after the decay */
  int64_t decay_steps; /* selections over which it moves */
  int64_t steps;       /* selections made */
  uint64_t rng;        /* draws: explore or not, and the random action */
};

netc_status netc_explore_create(double start, double end, int64_t decay_steps,
                                uint64_t seed, netc_explore **out) {
  if (!out) return NETC_EINVAL;
  *out = NULL;
  if (!(start >= 0 && start <= 1) || !(end >= 0 && end <= 1) ||
      decay_steps < 0)
    return NETC_EINVAL;
  netc_explore *e = nc_calloc(1, sizeof *e);
  if (!e) return NETC_ENOMEM;
  e->start = start;
  e->end = end;
  e->decay_steps = decay_steps;
  e->rng = rt_rl_seed(seed, RT_RL_STREAM_EXPLORE, 0);
  *out = e;
  return NETC_OK;
}

void netc_explore_destroy(netc_explore *explore) { nc_free(explore); }

double netc_explore_epsilon(const netc_explore *explore) {
  if (!explore) return 0;
  const netc_explore *e = explore;
  if (e->steps >= e->decay_steps) return e->end;
  return e->start +
         (e->end - e->start) * ((double)e->steps / (double)e->decay_steps);
}

netc_status netc_explore_select(netc_explore *explore, const float *q,
                                int n_actions, int *action) {
  if (!explore || !q || n_actions < 1 || !action) return NETC_EINVAL;
  double epsilon = netc_explore_epsilon(explore);
  /* both draws are always taken, so the stream does not depend on q */
  double u = rt_rl_uniform(&explore->rng);
  int random = (int)rt_rl_below(&explore->rng, (uint64_t)n_actions);
  int best = 0;
  for (int a = 1; a < n_actions; a++)
    if (q[a] > q[best]) best = a;
  *action = u < epsilon ? random : best;
  explore->steps++;
  return NETC_OK;
}

/* ------------------------------------------------------ episode statistics */

struct netc_episode_stats {
  int window;      /* returns averaged */
  int64_t count;   /* episodes recorded */
  double *recent;  /* ring of the last `window` returns */
};

netc_status netc_episode_stats_create(int window, netc_episode_stats **out) {
  if (!out) return NETC_EINVAL;
  *out = NULL;
  if (window < 1) return NETC_EINVAL;
  netc_episode_stats *s = nc_calloc(1, sizeof *s);
  if (!s) return NETC_ENOMEM;
  s->recent = nc_calloc((size_t)window, sizeof *s->recent);
  if (!s->recent) {
    nc_free(s);
    return NETC_ENOMEM;
  }
  s->window = window;
  *out = s;
  return NETC_OK;
}

void netc_episode_stats_destroy(netc_episode_stats *stats) {
  if (!stats) return;
  nc_free(stats->recent);
  nc_free(stats);
}

void netc_episode_stats_add(netc_episode_stats *stats, double episode_return) {
  if (!stats) return;
  stats->recent[stats->count % stats->window] = episode_return;
  stats->count++;
}

int64_t netc_episode_stats_count(const netc_episode_stats *stats) {
  return stats ? stats->count : 0;
}

/* Summed afresh each time rather than kept as a running total, so rounding
** does not accumulate over thousands of episodes. */
double netc_episode_stats_average(const netc_episode_stats *stats) {
  if (!stats || stats->count == 0) return 0;
  int64_t n = stats->count < stats->window ? stats->count : stats->window;
  double sum = 0;
  for (int64_t i = 0; i < n; i++) sum += stats->recent[i];
  return sum / (double)n;
}
