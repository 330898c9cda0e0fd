"""Tasks the qcluster stop test enqueues: each notes in a file when it starts and when it ends."""

import time


def slow(path, number, seconds):
    with open(path, "a") as handle:
        handle.write(f"start {number}\n")
    time.sleep(seconds)
    with open(path, "a") as handle:
        handle.write(f"end {number}\n")
    return number
