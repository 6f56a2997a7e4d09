"""Two children compute the square and the cube of 10 at the same time; the parent waits for
both before it reports on them."""
import time
from multiprocessing import Process


def square(n):
    """Runs in the first child."""
    time.sleep(0.3)  # stands in for some real work
    print(f"square of {n} is {n * n}")


def cube(n):
    """Runs in the second child."""
    time.sleep(0.3)
    print(f"cube of {n} is {n ** 3}")


if __name__ == "__main__":
    first = Process(target=square, args=(10,))
    second = Process(target=cube, args=(10,))
    # Start both before waiting for either: they work at the same time.
    first.start()
    second.start()
    # join() returns once the child has ended; only then is its exit code known.
    first.join()
    second.join()
    print(f"parent: exit codes {first.exitcode} and {second.exitcode}")
    print("parent: both children finished")
