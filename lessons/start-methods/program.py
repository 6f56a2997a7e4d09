"""fork, spawn and forkserver side by side: what a child inherits, and what it costs to start.

Run it with:  python3 program.py   (Linux: all three methods exist there)
"""
import os
import time
import multiprocessing

VALUE = 0  # the parent sets it to 42 at run time, below the __main__ guard

# A child started by spawn or forkserver imports this file again, under the name
# "__mp_main__", so this line runs again in it; the code under the guard does not.
RAN_TOP_LEVEL_AS = __name__

STARTS = 20  # children started per method, to average the cost


def report(conn):
    """Runs in the child: what does it have?"""
    open_fds = len(os.listdir("/proc/self/fd")) - 1  # minus the one listdir itself opens
    conn.send((VALUE, open_fds, RAN_TOP_LEVEL_AS))
    conn.close()


def nothing():
    pass


if __name__ == "__main__":
    VALUE = 42
    # Ten extra open files in the parent, to see which children get a copy of them.
    extra_files = [open(os.devnull) for _ in range(10)]
    print(f"default start method here: {multiprocessing.get_start_method()}")
    print(f"the parent: VALUE = {VALUE}, {len(os.listdir('/proc/self/fd')) - 1} open file "
          "descriptors\n")
    print("method       child sees   open fds   ran the file's top level as   first start   "
          "then per child")

    for method in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context(method)

        start = time.perf_counter()
        receiver, sender = ctx.Pipe(duplex=False)
        child = ctx.Process(target=report, args=(sender,))
        child.start()
        sender.close()
        value, fds, ran_as = receiver.recv()
        child.join()
        first = time.perf_counter() - start  # includes starting the fork server, if any

        start = time.perf_counter()
        for _ in range(STARTS):
            child = ctx.Process(target=nothing)
            child.start()
            child.join()
        each = (time.perf_counter() - start) / STARTS

        top_level = "(not run again)" if ran_as == "__main__" else ran_as
        print(f"{method:12} VALUE = {value:<5} {fds:>5}      {top_level:<30}"
              f"{first * 1000:7.1f} ms   {each * 1000:8.1f} ms", flush=True)

    for f in extra_files:
        f.close()
