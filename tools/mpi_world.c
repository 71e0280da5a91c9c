/*
** mpi_world.c: joining and leaving the MPI job of a data-parallel
** `netc train` (mpi_world.h).
*/
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "mpi_world.h"

#ifdef HAVE_MPI
#include <mpi.h>

static MPI_Comm world;

/* Whether an MPI launcher started us: Open MPI, PMIx (Slurm), MPICH. */
static int launched_by_mpi(void) {
  static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"};
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
    if (getenv(vars[i])) return 1;
  return 0;
}

int mpi_world_join(int *argc, char ***argv, mpi_world *w) {
  *w = (mpi_world){0, 1, NULL};
  if (!launched_by_mpi()) return 0;
  if (MPI_Init(argc, argv) != MPI_SUCCESS) {
    fprintf(stderr, "netc: MPI would not start (launched by mpirun)\n");
    return 1;
  }
  world = MPI_COMM_WORLD;
  MPI_Comm_rank(world, &w->rank);
  MPI_Comm_size(world, &w->size);
  w->comm = &world;
  if (w->rank != 0 && !freopen("/dev/null", "w", stdout)) {
    fprintf(stderr, "netc: rank %d cannot silence its output\n", w->rank);
    return 1;
  }
  return 0;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double mpi_world_allreduce_seconds(const mpi_world *w, size_t floats) {
  enum { TIMES = 9 };
  float *buffer = w->size > 1 ? calloc(floats, sizeof *buffer) : NULL;
  if (!buffer) return 0;
  double took[TIMES];
  for (int i = 0; i < TIMES; i++) {
    MPI_Barrier(world);
    double started = MPI_Wtime();
    MPI_Allreduce(MPI_IN_PLACE, buffer, (int)floats, MPI_FLOAT, MPI_SUM, world);
    took[i] = MPI_Wtime() - started;
  }
  free(buffer);
  qsort(took, TIMES, sizeof *took, by_value);
  return took[TIMES / 2];
}

int mpi_world_leave(const mpi_world *w, int exit_code) {
  if (!w->comm) return exit_code;
  if (exit_code != 0 && w->size > 1) {
    fflush(NULL);
    fprintf(stderr, "netc: rank %d of %d failed; stopping the job\n", w->rank, w->size);
    MPI_Abort(world, exit_code);
  }
  MPI_Finalize();
  return exit_code;
}

#else

int mpi_world_join(int *argc, char ***argv, mpi_world *w) {
  (void)argc;
  (void)argv;
  *w = (mpi_world){0, 1, NULL};
  return 0;
}

double mpi_world_allreduce_seconds(const mpi_world *w, size_t floats) {
  (void)w;
  (void)floats;
  return 0;
}

int mpi_world_leave(const mpi_world *w, int exit_code) {
  (void)w;
  return exit_code;
}

#endif
