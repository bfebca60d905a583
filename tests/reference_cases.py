"""The metafor 3.8-1 reference fits (tests/data/reference/metafor_proportions.json, made by
make_metafor_refs.R beside it), shared by the engine's mirror tests."""

import json
from pathlib import Path

REFERENCE = json.loads((Path(__file__).parent / "data/reference/metafor_proportions.json").read_text())
TRANSFORM = {"PLO": "logit", "PFT": "ft", "PAS": "arcsine", "PR": "raw", "PLN": "log"}
CI = {"z": "z", "knha": "hk"}
CASES = [(name, fit) for name, ds in REFERENCE["datasets"].items() for fit in ds["fits"]
         if not fit.get("error")]
IDS = [f"{n}-{f['measure']}-{f['method']}-{f['test']}" for n, f in CASES]
