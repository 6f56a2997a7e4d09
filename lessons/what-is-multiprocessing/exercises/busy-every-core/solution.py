"""Keep every core busy with Python arithmetic.

One process per core this program may use: each has its own interpreter and its own GIL, so
all of them compute at the same time, each on a core of its own.
"""
import os
import time
from multiprocessing import Process

ROUNDS = 2_000_000  # additions per worker: a few tenths of a second of CPU time


def burn(name):
    began = time.perf_counter()
    total = 0
    for n in range(ROUNDS):
        total += n % 7
    took = time.perf_counter() - began
    print(f"{name} in pid {os.getpid()} done in {took:.2f} s", flush=True)


if __name__ == "__main__":
    cores = len(os.sched_getaffinity(0))  # the CPUs this process may run on
    began = time.perf_counter()
    workers = [Process(target=burn, args=(f"worker {n}",)) for n in range(cores)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(f"workers: {len(workers)}, all done in {time.perf_counter() - began:.2f} s")
