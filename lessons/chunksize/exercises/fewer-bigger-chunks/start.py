"""Square 10,000 numbers in a pool of two workers and add up the squares.

imap hands the numbers out one at a time: 10,000 trips to a worker and 10,000 trips back,
each far costlier than the multiplication it carries.
"""
import time
from multiprocessing import Pool

NUMBERS = range(10_000)


def square(n):
    return n * n


if __name__ == "__main__":
    began = time.perf_counter()
    with Pool(2) as pool:
        total = sum(pool.imap(square, NUMBERS))
    print(f"sum of squares: {total}")
    print(f"took {time.perf_counter() - began:.2f} s")
