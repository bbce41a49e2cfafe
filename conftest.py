"""Test-session settings shared by the unit tests and the nbval notebook kernels.

The kernels that nbval starts inherit this process's environment, so setting the
variables here makes ``pytest`` alone reproduce CI: bundled data, quiet TensorFlow.
"""
import os

os.environ.setdefault("COURSE_DATA", "sample")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

collect_ignore = ["tools", "benchmarks"]
