"""Root pytest configuration, loaded before any test module imports numpy.

One BLAS thread: lecturekit's matrices are small, and on a 2-core machine
OpenBLAS's worker threads compete with each other (and with the notebook
kernels nbval starts, which inherit this environment), making small models
4-5x slower. Set before numpy is imported, so it takes effect.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
