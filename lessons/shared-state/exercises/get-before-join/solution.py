"""A child builds a big list and sends it to the parent through a Queue.

The parent takes the list off the queue first, and only then joins the child.
"""
from multiprocessing import Process, Queue

COUNT = 200_000  # numbers in the list: about a megabyte once pickled


def build(results):
    numbers = [n * n for n in range(COUNT)]
    results.put(numbers)
    print("child: list sent", flush=True)


if __name__ == "__main__":
    results = Queue()
    child = Process(target=build, args=(results,))
    child.start()

    # get() first: it empties the pipe, so the child can finish writing and exit.
    numbers = results.get()
    child.join()

    print(f"parent: got {len(numbers)} numbers, the last is {numbers[-1]}")
    print(f"parent: the child exited with code {child.exitcode}")
