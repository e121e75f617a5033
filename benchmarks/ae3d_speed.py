"""Speed of Autoencoder3D in cellbook: autoencoder training throughput and k-means on codes.

1. Training throughput (volumes/s) of `cellbook.ae3d.AE3D` (the original 1,149,793-parameter network) at 32³, batch 64:
   full training steps (forward, MSE + L1 activity penalty, backward, Adam step) on random in-memory boxes, median
   over the timed steps after warm-up. Baseline: fp32, contiguous layout, on the chosen device, measured in the same run;
   variants: channels-last-3d (CPU and GPU) and bf16 autocast (GPU only; skipped cleanly without CUDA).
2. k-means (`cellbook.ae3d.kmeans_codes`, scikit-learn k-means++/Lloyd) on 100,000 random 32-d codes in 100 clusters
   around random centres. The original uses n_init=100 restarts; the benchmark uses n_init=3 (--n-init) and reports the
   time per restart, so the full 100-restart time is about 100 × that.

    python benchmarks/ae3d_speed.py --quick                  # 2-core CPU: 3 timed steps, k-means with n_init 1
    python benchmarks/ae3d_speed.py                          # CPU: 10 timed steps, k-means with n_init 3
    python benchmarks/ae3d_speed.py --device cuda            # GPU: fp32 vs channels-last vs bf16 (skips without CUDA)

Output: one JSON line per measurement, printed and appended to benchmarks/results/ae3d_speed.jsonl.
"""
from __future__ import annotations
import argparse, json, os, platform, statistics, sys, time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from cellbook.bench import append_jsonl, sync
from cellbook.ae3d import AE3D, activity_l1, kmeans_codes

RESULTS = Path(__file__).parent / "results" / "ae3d_speed.jsonl"


def train_throughput(device: torch.device, batch: int, size: int, steps: int, warmup: int,
                     channels_last: bool = False, bf16: bool = False) -> dict:
    "Median volumes/s of full training steps of the original network."
    torch.manual_seed(0)
    net = AE3D(size=size).to(device)
    fmt = torch.channels_last_3d if channels_last else torch.contiguous_format
    net = net.to(memory_format=fmt)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(batch, 1, size, size, size, device=device).contiguous(memory_format=fmt)
    times = []
    for i in range(warmup + steps):
        sync(device); t0 = time.perf_counter()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            recon, z = net(x)
            loss = F.mse_loss(recon.float(), x) + activity_l1(z.float())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sync(device)
        if i >= warmup: times.append(time.perf_counter() - t0)
    step = statistics.median(times)
    return {"step_s": round(step, 4), "volumes_per_s": round(batch / step, 2), "steps_timed": steps,
            "loss_finite": bool(torch.isfinite(loss).item())}


def kmeans_time(n: int, dim: int, k: int, n_init: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, (k, dim))
    codes = (centres[rng.integers(0, k, n)] + rng.normal(0, 1, (n, dim))).astype(np.float32)
    t0 = time.perf_counter()
    km = kmeans_codes(codes, k, n_init=n_init, seed=seed)
    seconds = time.perf_counter() - t0
    return {"seconds": round(seconds, 2), "seconds_per_init": round(seconds / n_init, 2),
            "estimated_seconds_n_init_100": round(100 * seconds / n_init, 1), "iterations": int(km.n_iter_)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--quick", action="store_true", help="few steps, k-means n_init 1 (2-core CPU)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--steps", type=int, default=None, help="timed steps (default 10, quick 3)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--n-codes", type=int, default=100_000)
    p.add_argument("--k", type=int, default=100)
    p.add_argument("--n-init", type=int, default=None, help="k-means restarts (default 3, quick 1; the original: 100)")
    p.add_argument("--skip-kmeans", action="store_true")
    args = p.parse_args(argv)
    if args.threads: torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    base = {"benchmark": "ae3d_speed", "device": str(device), "torch": torch.__version__, "python": platform.python_version(),
            "cpu_threads": torch.get_num_threads(), "cpu_count": os.cpu_count(), "host": platform.node(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "load_average_1min": round(os.getloadavg()[0], 2)}
    if device.type == "cuda":
        if not torch.cuda.is_available():
            print(json.dumps({**base, "skipped": "CUDA not available"})); return 0
        base["gpu"] = torch.cuda.get_device_name(device)
        torch.backends.cudnn.benchmark = True
    steps = args.steps or (3 if args.quick else 10)
    warmup = 1 if args.quick else 3
    variants = [("fp32", False, False), ("fp32_channels_last", True, False)]
    if device.type == "cuda": variants += [("bf16", False, True), ("bf16_channels_last", True, True)]
    lines, baseline = [], None
    for name, cl, bf16 in variants:
        r = train_throughput(device, args.batch, args.size, steps, warmup, cl, bf16)
        baseline = baseline or r["volumes_per_s"]
        lines.append({**base, "measure": "train_throughput", "variant": name, "batch": args.batch, "size": args.size,
                      **r, "ratio_to_fp32": round(r["volumes_per_s"] / baseline, 3)})
        print(json.dumps(lines[-1]), flush=True)
    if not args.skip_kmeans:
        n_init = args.n_init or (1 if args.quick else 3)
        r = kmeans_time(args.n_codes, 32, args.k, n_init)
        lines.append({**base, "measure": "kmeans", "n_codes": args.n_codes, "dim": 32, "k": args.k, "n_init": n_init,
                      "note": f"n_init reduced from the original's 100 to {n_init}", **r})
        print(json.dumps(lines[-1]), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    append_jsonl(RESULTS, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
