"""Keep every core busy with Python arithmetic.

Four threads each do the same amount of arithmetic. They run in one process, and only one
of them can run Python code at a time, so this takes as long as doing all four jobs one
after another.
"""
import os
import threading
import time

WORKERS = 4
ROUNDS = 2_000_000  # additions per worker: a few tenths of a second of CPU time


def burn(name):
    began = time.perf_counter()
    total = 0
    for n in range(ROUNDS):
        total += n % 7
    took = time.perf_counter() - began
    print(f"{name} in pid {os.getpid()} done in {took:.2f} s", flush=True)


if __name__ == "__main__":
    began = time.perf_counter()
    workers = [threading.Thread(target=burn, args=(f"worker {n}",)) for n in range(WORKERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(f"workers: {len(workers)}, all done in {time.perf_counter() - began:.2f} s")
