"""Scale four numbers in a pool, by a factor the parent reads from its settings at run time.

With `fork` it prints [3, 6, 9, 12]. With `spawn` or `forkserver` it prints something else,
and nothing warns you.
"""
import json
from multiprocessing import Pool

SETTINGS_TEXT = '{"scale": 3}'  # stands in for a settings file read at run time

scale = 1  # the factor until the settings are read


def scaled(n):
    return n * scale


if __name__ == "__main__":
    scale = json.loads(SETTINGS_TEXT)["scale"]
    with Pool(2) as pool:
        print(pool.map(scaled, [1, 2, 3, 4]))
