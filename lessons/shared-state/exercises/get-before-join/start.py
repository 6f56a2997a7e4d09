"""A child builds a big list and sends it to the parent through a Queue.

The parent waits for the child to finish, then reads what it sent. Run it: it never ends.
(Press Ctrl+C to stop it.) Change the parent so that it works, and finishes in well under
a second.
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

    child.join()  # wait until the child is done ...
    numbers = results.get()  # ... then take its list

    print(f"parent: got {len(numbers)} numbers, the last is {numbers[-1]}")
    print(f"parent: the child exited with code {child.exitcode}")
