"""Start two processes, wait for both, then say so.

Run it with:  python3 program.py
"""
import os
from multiprocessing import Process


def square(n):
    """Runs in the first child process."""
    print(f"square: {n} x {n} = {n * n}   (pid {os.getpid()}, parent pid {os.getppid()})",
          flush=True)


def cube(n):
    """Runs in the second child process."""
    print(f"cube: {n} x {n} x {n} = {n ** 3}   (pid {os.getpid()}, parent pid {os.getppid()})",
          flush=True)


if __name__ == "__main__":
    print(f"parent: my pid is {os.getpid()}", flush=True)

    # Created: a Process object exists, but no operating-system process yet, so no PID.
    first = Process(target=square, args=(10,))
    second = Process(target=cube, args=(10,))
    print(f"parent: created two Process objects, pids {first.pid} and {second.pid}", flush=True)

    # Started: now each one is a real process with its own PID, running on its own.
    first.start()
    second.start()
    print(f"parent: started pids {first.pid} and {second.pid}", flush=True)

    # Joined: join() waits until the child has exited and collects its exit code.
    first.join()
    second.join()
    print(f"parent: exit codes {first.exitcode} and {second.exitcode}")
    print("parent: both children joined, done")
