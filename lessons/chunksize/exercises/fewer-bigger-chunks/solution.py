"""Square 10,000 numbers in a pool of two workers and add up the squares.

The numbers travel in chunks of 1,250: eight trips out and eight back, about four chunks
per worker, so a worker that finishes early can still take another chunk.
"""
import time
from multiprocessing import Pool

NUMBERS = range(10_000)
WORKERS = 2


def square(n):
    return n * n


if __name__ == "__main__":
    began = time.perf_counter()
    chunk = len(NUMBERS) // (4 * WORKERS)  # what map would choose: 1,250
    with Pool(WORKERS) as pool:
        total = sum(pool.imap(square, NUMBERS, chunksize=chunk))
    print(f"sum of squares: {total}")
    print(f"took {time.perf_counter() - began:.2f} s")
