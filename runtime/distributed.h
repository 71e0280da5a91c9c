/*
** distributed.h: data-parallel training over MPI (distributed.c). Every
** rank holds a whole replica and runs "train" on its share of each global
** batch; before the first update of a step the gradients (and the moving
** statistics that batchnorm changed) are summed over the ranks, each
** weighted by its share of the batch, in one buffer by a ring all-reduce
** that leaves the same bytes on every rank. Without MPI (configure
** --without-mpi) opening a group fails with NETC_EUNSUPPORTED.
*/
#ifndef RT_DISTRIBUTED_H
#define RT_DISTRIBUTED_H

#include <stdint.h>

#include "netc.h"

typedef struct rt_plan rt_plan;

/* The ranks training together during one fit call. */
typedef struct rt_group rt_group;

/* Joins the group of options->mpi_comm (*out = NULL when it is NULL),
** checks that every rank trains alike (the same model, seed, step, batch
** and dataset size) and makes the buffers for steps of `entry` fetching
** its first n_fetch fetches. */
netc_status rt_group_open(netc_session *s, const netc_fit_options *options, int entry,
                          int n_fetch, int64_t batch, int64_t rows, rt_group **out);
void rt_group_close(rt_group *g);

int rt_group_rank(const rt_group *g);
int rt_group_size(const rt_group *g);

/* This rank's rows of a global batch of `count` rows: it computes on
** [*first, *first + *rows) of the batch. A rank left without rows (count
** below the world size) still steps, on one row that weighs nothing.
** Returns the rows that count (0 for that rank). */
int64_t rt_group_share(const rt_group *g, int64_t count, int64_t *first, int64_t *rows);
/* Starts a step on a global batch of `count` rows. */
void rt_group_begin_step(rt_group *g, int64_t count);

/* Sums the step's gradients and batchnorm statistics over the ranks (from
** the step, before the first update). *waited receives the seconds spent
** waiting for the left neighbour to reach the sum (its step's work, not
** the transfer). */
netc_status rt_group_reduce_step(netc_session *s, const rt_plan *plan, double *waited);
/* This rank failed before its step's reduction: tells the others, which
** then fail too, naming it. */
void rt_group_fail_step(netc_session *s);

/* Sums n doubles over the ranks, in place. */
netc_status rt_group_sum(netc_session *s, double *values, int n);

/* Every `every` steps (options->check_replicas): fails when the ranks'
** weights and optimizer state differ, naming the ranks. */
netc_status rt_group_check_replicas(netc_session *s);

#endif
