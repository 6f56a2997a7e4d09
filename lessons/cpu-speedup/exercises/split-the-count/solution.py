"""Count the prime numbers below LIMIT, by trial division, on one process per core.

The range is cut into many small pieces. Bigger numbers take longer to test, so equal halves
would not be equal work; with many pieces, a worker that is done early takes another one,
and all the cores stay busy until the end.
"""
import os
import time
from multiprocessing import Pool

LIMIT = 400_000
PIECE = 10_000  # numbers per task: 40 tasks in all


def is_prime(n):
    if n < 2:
        return False
    divisor = 2
    while divisor * divisor <= n:
        if n % divisor == 0:
            return False
        divisor += 1
    return True


def count_primes(low, high):
    """How many primes p with low <= p < high."""
    return sum(1 for n in range(low, high) if is_prime(n))


if __name__ == "__main__":
    began = time.perf_counter()
    cores = len(os.sched_getaffinity(0))
    pieces = [(low, min(low + PIECE, LIMIT)) for low in range(0, LIMIT, PIECE)]
    with Pool(cores) as pool:
        # chunksize=1: a worker that is done takes the next piece, so none waits at the end.
        total = sum(pool.starmap(count_primes, pieces, chunksize=1))
    print(f"primes below {LIMIT}: {total}")
    print(f"took {time.perf_counter() - began:.2f} s")
