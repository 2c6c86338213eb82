"""The peer of bench/process_runs.cpp: Python's concurrent.futures.ProcessPoolExecutor (the
pool under Prefect's ProcessPoolTaskRunner) running the same no-op work, one submit per run
as Prefect submits each task run. Prints the seconds the runs took, after the pool warmed up.
Usage: process_pool.py RUNS WORKERS"""
import sys
import time
from concurrent.futures import ProcessPoolExecutor


def noop():
    return None


def main():
    runs, workers = int(sys.argv[1]), int(sys.argv[2])
    with ProcessPoolExecutor(max_workers=workers) as pool:
        # Warm-up: every worker started and idle, as the runner's pool is after its start.
        for future in [pool.submit(noop) for _ in range(workers * 8)]:
            future.result()
        start = time.perf_counter()
        futures = [pool.submit(noop) for _ in range(runs)]
        for future in futures:
            future.result()
        elapsed = time.perf_counter() - start
    print(f"{elapsed:.6f}")


if __name__ == "__main__":
    main()
