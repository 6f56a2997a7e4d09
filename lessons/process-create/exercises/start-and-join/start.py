"""Two children compute the square and the cube of 10; the parent reports on them."""
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
    first.start()
    second.start()
    print(f"parent: exit codes {first.exitcode} and {second.exitcode}")
    print("parent: both children finished")
