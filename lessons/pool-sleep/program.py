"""A pool of two workers maps one function over four jobs that sleep.

Run it with:  python3 program.py
"""
import os
import time
from multiprocessing import Pool

# Each job is (label, seconds to sleep).
JOBS = [("A", 5), ("B", 2), ("C", 1), ("D", 3)]


def wait(job):
    """Runs inside a worker process: announce the job, sleep, announce the end."""
    label, secs = job
    # flush=True hands the whole line to the OS at once, so lines from the two
    # workers do not wait in a buffer and come out as they happen.
    print(f"{label} waiting {secs} s (worker pid {os.getpid()})", flush=True)
    time.sleep(secs)
    print(f"{label} done after {secs} s (worker pid {os.getpid()})", flush=True)
    return label


if __name__ == "__main__":
    start = time.monotonic()
    # Two worker processes. chunksize is left to Python: ceil(4 / (2 * 4)) = 1,
    # so a worker takes one job at a time and asks for the next when it is free.
    with Pool(processes=2) as pool:
        results = pool.map(wait, JOBS)
    elapsed = time.monotonic() - start

    # map returns the results in the order of JOBS, not in the order they finished.
    print("results (input order):", results)
    print(f"whole map took {elapsed:.1f} s; one after another it would take "
          f"{sum(secs for _, secs in JOBS)} s")
