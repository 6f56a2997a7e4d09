"""Four jobs that sleep, on a pool of two workers.

The parent prints each job's name as soon as its result arrives: imap_unordered hands results
over in the order the jobs finish, and with its default chunksize of 1 a free worker takes
the next job at once.
"""
import os
import time
from multiprocessing import Pool

JOBS = ["A", "B", "C", "D"]
SECONDS = {"A": 1.5, "B": 0.6, "C": 0.3, "D": 0.9}


def wait(job):
    print(f"{job} waiting {SECONDS[job]} s (worker pid {os.getpid()})", flush=True)
    time.sleep(SECONDS[job])
    print(f"{job} done (worker pid {os.getpid()})", flush=True)
    return job


if __name__ == "__main__":
    start = time.perf_counter()
    with Pool(2) as pool:
        for job in pool.imap_unordered(wait, JOBS):
            print(f"finished {job}", flush=True)
    print(f"all done after {time.perf_counter() - start:.1f} s")
