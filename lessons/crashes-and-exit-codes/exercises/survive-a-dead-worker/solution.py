"""Four jobs on a pool of two workers. Job B kills the worker that runs it.

A ProcessPoolExecutor notices when one of its workers dies: every job not yet finished fails
with BrokenProcessPool, the executor refuses new jobs, and the parent hears about it at once.
"""
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

JOBS = ["A", "B", "C", "D"]


def work(job):
    if job == "B":
        # What the kernel's out-of-memory killer, or a crash in native code, does to a worker.
        os.kill(os.getpid(), signal.SIGKILL)
    return job * 3


def outcome(future):
    """The job's result, or "lost" if it has none: never submitted, or its worker died."""
    if future is None:
        return "lost"
    try:
        return future.result()
    except BrokenProcessPool:
        return "lost"


if __name__ == "__main__":
    futures = {}
    with ProcessPoolExecutor(max_workers=2) as executor:
        for job in JOBS:
            try:
                futures[job] = executor.submit(work, job)
            except BrokenProcessPool:
                break  # B's worker is already dead: a broken executor takes no new jobs
        for job in JOBS:
            print(f"{job}: {outcome(futures.get(job))}")
    print("the parent carries on")
