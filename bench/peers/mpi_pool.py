"""The peer of bench/mpi_runs.cpp: mpi4py's MPIPoolExecutor (Debian's python3-mpi4py) on the
same work, one submit per task. Started as `mpirun -np N /usr/bin/python3 -m mpi4py.futures
mpi_pool.py TASKS MS`: rank 0 runs this script, the other ranks are the pool's workers. Prints
the seconds the tasks took, after the pool warmed up."""
import sys
import time

from mpi4py.futures import MPIPoolExecutor


def work(ms):
    if ms > 0:
        time.sleep(ms / 1000.0)
    return None


def main():
    tasks, ms = int(sys.argv[1]), int(sys.argv[2])
    with MPIPoolExecutor() as pool:
        # Warm-up: every worker connected and idle, as the runner's ranks are after start.
        for future in [pool.submit(work, 0) for _ in range(64)]:
            future.result()
        start = time.perf_counter()
        futures = [pool.submit(work, ms) for _ in range(tasks)]
        for future in futures:
            future.result()
        elapsed = time.perf_counter() - start
    print(f"{elapsed:.6f}")


if __name__ == "__main__":
    main()
