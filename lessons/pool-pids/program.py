"""A pool sized to the machine maps square over 1..5 and reports who did what.

Run it with:  python3 program.py
"""
import os
from multiprocessing import Pool


def square(n):
    """Runs inside a worker process."""
    pid = os.getpid()
    print(f"square({n}) = {n * n} in worker pid {pid}", flush=True)
    # Return the PID too, so the parent can count how many workers took part.
    return n * n, pid


def default_pool_size():
    """The size Pool() picks when you give none (Python 3.13+ respects CPU affinity)."""
    count_cpus = getattr(os, "process_cpu_count", os.cpu_count)
    return count_cpus() or 1


if __name__ == "__main__":
    print(f"parent pid {os.getpid()}; default pool size here: {default_pool_size()}")

    # `with` shuts the pool down when the block ends, so no worker is left behind.
    with Pool() as pool:
        pairs = pool.map(square, range(1, 6))

    squares = [value for value, _ in pairs]
    pids = {pid for _, pid in pairs}
    print("results:", squares)  # always [1, 4, 9, 16, 25]: map keeps input order
    print(f"different worker PIDs among the 5 items: {len(pids)}")
