"""Count the prime numbers below LIMIT, by trial division, in one process.

The work is pure Python arithmetic: CPU-bound. Split it over the cores.
"""
import time

LIMIT = 400_000


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
    total = count_primes(0, LIMIT)
    print(f"primes below {LIMIT}: {total}")
    print(f"took {time.perf_counter() - began:.2f} s")
