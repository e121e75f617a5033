"""Throughput of the embedded data generators (cellbook.synth), in memory and (where cheap) writing their files.

Targets (issue: 2 CPU cores): 10,000 lin_like images < 30 s; 1,000 subtomograms of 32³ < 30 s; 200 cells3d cells of
64×64×32 < 60 s. The other rows are reported without a target. Each row is timed once, after a small warm-up call.

    python benchmarks/synth_speed.py                      # full sizes
    python benchmarks/synth_speed.py --quick              # 1/10 of the sizes
    python benchmarks/synth_speed.py --threads 2 --out benchmarks/results/synth_speed.jsonl

Output: one JSON line per row, {"name", "n", "seconds", "items_per_s", "target_s", "passed", ...}, printed and written
(replacing the file) to --out.
"""
from __future__ import annotations
import argparse, json, os, platform, tempfile, time
from pathlib import Path

import torch

from cellbook import synth

RESULTS = Path(__file__).parent / "results" / "synth_speed.jsonl"

# (name, n at full size, target seconds or None, function of (n, folder))
CASES = [
    ("lin_like", 10_000, 30.0, lambda n, d: synth.lin_like(n, seed=0)),
    ("subtomograms", 1_000, 30.0, lambda n, d: synth.subtomograms(n, seed=0)),
    ("cells3d", 200, 60.0, lambda n, d: synth.cells3d(n, seed=0)),
    ("smlm (views)", 40_000, None, lambda n, d: synth.smlm(n, seed=0, wobble=0.03, dropout=0.1, spawn=0.5, max_spawn=3)),
    ("tissue 256x256", 20, None, lambda n, d: synth.tissue(n, seed=0)),
    ("tissue 1000x1000", 2, None, lambda n, d: synth.tissue(n, seed=0, shape=(1000, 1000))),
    ("write_lin_like (PNG)", 2_000, None, lambda n, d: synth.write_lin_like(d / "lin", n_train=n * 4 // 5, n_test=n // 5, seed=0)),
    ("write_subtomograms (MRC + pickle)", 1_000, None, lambda n, d: synth.write_subtomograms(d / "st", n=n, seed=0)),
    ("write_cells3d (HDF5)", 50, None, lambda n, d: synth.write_cells3d(d / "icell", n=n, seed=0)),
    ("write_smlm (PLY/OBJ/CSV/NPZ)", 10_000, None, lambda n, d: synth.write_smlm(d / "smlm", n_views=n, seed=0)),
    ("write_tissue (OME-TIFF)", 8, None, lambda n, d: synth.write_tissue(d / "tissue", n=n, seed=0)),
]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="use 1/10 of the sizes")
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    ap.add_argument("--only", nargs="*", default=None, help="run only rows whose name starts with one of these")
    ap.add_argument("--out", type=Path, default=RESULTS, help=f"JSON lines output (default {RESULTS})")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = []
    for name, n_full, target, fn in CASES:
        if args.only and not any(name.startswith(o) for o in args.only): continue
        n = max(1, n_full // 10) if args.quick else n_full
        with tempfile.TemporaryDirectory() as tmp:
            fn(max(5, n // 100), Path(tmp) / "warmup")            # warm-up (imports, allocator)
            t0 = time.perf_counter()
            fn(n, Path(tmp) / "run")
            seconds = time.perf_counter() - t0
        tgt = None if target is None else (target / 10 if args.quick else target)
        row = dict(name=name, n=n, seconds=round(seconds, 3), items_per_s=round(n / seconds, 1), target_s=tgt,
                   passed=None if tgt is None else seconds < tgt, quick=args.quick, threads=args.threads,
                   torch=torch.__version__, machine=platform.machine(), cpus=os.cpu_count())
        print(json.dumps(row), flush=True)
        rows.append(row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))
    os.replace(tmp, args.out)
    return rows


if __name__ == "__main__":
    main()
