"""Scale four numbers in a pool, by a factor the parent reads from its settings at run time.

The factor travels with each task, so every child gets it whatever the start method.
"""
import json
from functools import partial
from multiprocessing import Pool

SETTINGS_TEXT = '{"scale": 3}'  # stands in for a settings file read at run time


def scaled(n, scale):
    return n * scale


if __name__ == "__main__":
    scale = json.loads(SETTINGS_TEXT)["scale"]
    with Pool(2) as pool:
        # partial(scaled, scale=3) is pickled with each chunk of tasks: the factor goes along.
        print(pool.map(partial(scaled, scale=scale), [1, 2, 3, 4]))
