"""Make tests/data/bayes_bruteforce.json: brute-force posteriors (tests/bayes_bruteforce.py) of
the binomial-normal model for the data sets and priors below. Run by hand (several minutes):

    .venv/bin/python tests/make_bayes_refs.py

The brute force shares no code with jakisynth.stats.bayes; its own discretisation error (μ step 0.01,
τ step 0.005) is about 1e-5 on proportions and probabilities (halving the steps moves the
numbers by that much), well inside the tolerance the tests use (TOLERANCES["bayes_*"]).
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bayes_bruteforce import brute_force  # noqa: E402

CASES = {
    "seeds": ([47, 3, 8], [53, 3, 8], "halfnormal(0.5)", "normal(0, 10)"),
    # the seed plan's primary analysis (direct evidence: Liu 47/53, Wang 3/3)
    "direct_seeds": ([3, 47], [3, 53], "halfnormal(0.5)", "normal(0, 10)"),
    "seeds_halfnormal1": ([47, 3, 8], [53, 3, 8], "halfnormal(1)", "normal(0, 10)"),
    "seeds_uniform": ([47, 3, 8], [53, 3, 8], "uniform(0, 2)", "normal(0, 1.5)"),
    "k1_all_events": ([3], [3], "halfnormal(0.5)", "normal(0, 10)"),
    "k1_half": ([5], [10], "halfnormal(0.5)", "normal(0, 10)"),
    "k2": ([4, 9], [10, 12], "halfnormal(0.5)", "normal(0, 10)"),
    "all_events": ([3, 12], [3, 12], "halfnormal(0.5)", "normal(0, 10)"),
    "zero_events": ([0, 0, 2], [10, 5, 12], "halfnormal(0.5)", "normal(0, 10)"),
    "n_equals_1": ([1, 0, 1], [1, 1, 2], "halfnormal(1)", "normal(0, 10)"),
    "k10_mixed": ([0, 2, 5, 1, 9, 4, 3, 7, 6, 10], [10, 12, 15, 8, 20, 11, 9, 14, 13, 25],
                  "halfnormal(0.5)", "normal(0, 10)"),
    "k10_halfcauchy": ([0, 2, 5, 1, 9, 4, 3, 7, 6, 10], [10, 12, 15, 8, 20, 11, 9, 14, 13, 25],
                       "halfcauchy(0.5)", "normal(0, 10)"),
}


def main():
    out = {}
    for name, (x, n, tau_prior, mu_prior) in CASES.items():
        start = time.perf_counter()
        # half-Cauchy: τ truncated at 10 (the likelihood of these 10 studies makes the
        # posterior mass beyond it negligible); the others run to their prior's 1e-10 tail
        tau_max = 10.0 if tau_prior.startswith("halfcauchy") else 6.5 if "(1)" in tau_prior else 3.5
        result = brute_force(x, n, tau_prior, mu_prior, h=0.01, tau_step=0.005, tau_max=tau_max)
        out[name] = {"events": x, "totals": n, "tau_prior": tau_prior, "mu_prior": mu_prior,
                     "level": 0.95, "brute_force": result}
        print(name, f"{time.perf_counter() - start:.1f} s", flush=True)
    path = Path(__file__).parent / "data" / "bayes_bruteforce.json"
    path.write_text(json.dumps({"method": "tests/bayes_bruteforce.py, mu step 0.01, tau step 0.005",
                                "cases": out}, indent=1) + "\n")


if __name__ == "__main__":
    main()
