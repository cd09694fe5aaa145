"""Test oracles shipped with the package: a per-agent, pure-Python model (``oracle``) and a NumPy version of
the ranking (``ranking_reference``). They compute what the Numba kernels compute, slowly and plainly, and
the tests compare the two (``tests/oracle/``, ``tests/unit/test_ranking.py``)."""
