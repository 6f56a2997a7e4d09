"""Four jobs on a pool of two workers. Job B kills the worker that runs it.

Pool.map never returns: the task B's worker held is gone, and the pool does not know it.
(Press Ctrl+C to stop it.)
"""
import os
import signal
from multiprocessing import Pool

JOBS = ["A", "B", "C", "D"]


def work(job):
    if job == "B":
        # What the kernel's out-of-memory killer, or a crash in native code, does to a worker.
        os.kill(os.getpid(), signal.SIGKILL)
    return job * 3


if __name__ == "__main__":
    with Pool(2) as pool:
        results = pool.map(work, JOBS)
    for job, result in zip(JOBS, results):
        print(f"{job}: {result}")
    print("the parent carries on")
