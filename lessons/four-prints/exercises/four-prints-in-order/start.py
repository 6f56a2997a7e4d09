"""Four children print 3, 2, 1 and 7. Make the numbers come out in that order, every run."""
import time
from multiprocessing import Process

# How long each child works before it prints its number, in seconds.
WORK_SECONDS = {3: 0.45, 2: 0.30, 1: 0.15, 7: 0.60}


def show(number):
    """Runs in a child process: work for a while, then print the number."""
    time.sleep(WORK_SECONDS[number])
    print(number)


if __name__ == "__main__":
    children = [Process(target=show, args=(n,)) for n in (3, 2, 1, 7)]
    for child in children:
        child.start()
    for child in children:
        child.join()
    print("parent: all four children finished")
