"""lecturekit's benchmarks: ``python -m benchmarks`` prints one table of named figures.

Speed is reported as figures and ratios measured in one run on one machine,
never asserted in tests (timed tests are flaky on shared machines). Each
``bench_*.py`` module defines ``rows()``, yielding ``Row`` objects.
"""
