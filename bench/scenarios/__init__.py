"""The five scenarios of the benchmark, one module each, each ``run(stack, plan) -> dict``."""
