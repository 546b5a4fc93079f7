"""Median CPU time (user + system) of a command run many times, in milliseconds.

    python3 bench/cpu_median.py RUNS COMMAND [ARG...]

Each run is one process; its CPU time is read from getrusage(RUSAGE_CHILDREN), so a loaded
machine slows the wall clock but not the figure.
"""
import resource
import statistics
import subprocess
import sys

runs, command = int(sys.argv[1]), sys.argv[2:]
samples = []
for _ in range(runs):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    samples.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
print(f"{statistics.median(samples):.2f}")
