"""The benchmark suite: ``./dev bench`` (``python -m bench``); results in docs/benchmarks.md."""
