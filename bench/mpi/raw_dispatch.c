/* The floor of the MPI runner's workloads (mpi_runs.cpp): a dispatch loop written straight
 * on MPI. Rank 0 keeps INFLIGHT tasks on each worker rank (one int: the milliseconds to
 * sleep), sends the next as each result comes back, and prints the seconds from the first
 * send to the last result. Usage: raw_dispatch TASKS MS INFLIGHT */
#include <mpi.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { kTaskTag = 1, kStopTag = 2, kDoneTag = 3 };

static void sleep_ms(int ms) {
  if (ms <= 0) return;
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc != 4 || size < 2) {
    if (rank == 0) fprintf(stderr, "usage: mpirun -np N raw_dispatch TASKS MS INFLIGHT (N >= 2)\n");
    MPI_Finalize();
    return 2;
  }
  const int tasks = atoi(argv[1]), ms = atoi(argv[2]), inflight = atoi(argv[3]);
  if (rank != 0) {
    for (;;) {
      int task = 0;
      MPI_Status status;
      MPI_Recv(&task, 1, MPI_INT, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
      if (status.MPI_TAG == kStopTag) break;
      sleep_ms(task);
      MPI_Send(&task, 1, MPI_INT, 0, kDoneTag, MPI_COMM_WORLD);
    }
    MPI_Finalize();
    return 0;
  }
  const double start = MPI_Wtime();
  int sent = 0, done = 0;
  for (int round = 0; round < inflight; ++round) {
    for (int worker = 1; worker < size && sent < tasks; ++worker, ++sent) {
      MPI_Send(&ms, 1, MPI_INT, worker, kTaskTag, MPI_COMM_WORLD);
    }
  }
  while (done < tasks) {
    int result = 0;
    MPI_Status status;
    MPI_Recv(&result, 1, MPI_INT, MPI_ANY_SOURCE, kDoneTag, MPI_COMM_WORLD, &status);
    ++done;
    if (sent < tasks) {
      MPI_Send(&ms, 1, MPI_INT, status.MPI_SOURCE, kTaskTag, MPI_COMM_WORLD);
      ++sent;
    }
  }
  const double elapsed = MPI_Wtime() - start;
  for (int worker = 1; worker < size; ++worker) MPI_Send(&ms, 1, MPI_INT, worker, kStopTag, MPI_COMM_WORLD);
  printf("%.6f\n", elapsed);
  MPI_Finalize();
  return 0;
}
