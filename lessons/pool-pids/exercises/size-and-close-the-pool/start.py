"""Square 1 to 5 in a pool and show which worker PID squared which number.

This is the worksheet's program: five workers "so that we see five PIDs", and a pool that is
never closed.
"""
import os
from multiprocessing import Pool


def square(n):
    print(f"square({n}) ran in worker {os.getpid()}", flush=True)
    return n * n


if __name__ == "__main__":
    pool = Pool(5)
    print(pool.map(square, [1, 2, 3, 4, 5]))
