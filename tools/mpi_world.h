/*
** mpi_world.h: the processes of an `mpirun ... netc train` (mpi_world.c).
** Under mpirun MPI is started and the training runs data-parallel over
** MPI_COMM_WORLD; otherwise netc is one process and none of this applies.
*/
#ifndef NETC_TOOLS_MPI_WORLD_H
#define NETC_TOOLS_MPI_WORLD_H

typedef struct mpi_world {
  int rank;          /* this process; 0 prints and writes files */
  int size;          /* processes; 1 when not under mpirun */
  const void *comm;  /* &MPI_COMM_WORLD for netc_fit_options, or NULL */
} mpi_world;

/* Starts MPI when this process was launched by mpirun (or another MPI
** launcher); other ranks than 0 then write nothing to standard output.
** Returns 0, or non-zero after printing why MPI would not start. */
int mpi_world_join(int *argc, char ***argv, mpi_world *w);

/* A reference for benchmarks: the median seconds MPI_Allreduce takes to
** sum `floats` floats over the ranks, each time right after a barrier (so
** no rank waits for another's work). 0 when alone or out of memory. */
double mpi_world_allreduce_seconds(const mpi_world *w, size_t floats);

/* Ends MPI: the job goes on normally after a success (exit_code 0);
** after a failure on this rank, the whole job is stopped, so the other
** ranks do not wait for it. Returns exit_code. */
int mpi_world_leave(const mpi_world *w, int exit_code);

#endif
