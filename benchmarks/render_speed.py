"""Render speed: cellbook's separable Gaussian splat against the dense formula and a per-image loop (HOLLy's way).

Times one training step (forward + backward of an L1 loss) for a batch of images of one shared point cloud, each
image with its own pose, as in HOLLy's training. Variants:

- separable: `cellbook.render.splat` (per-point row/column profiles and one batched matrix product);
- dense: `cellbook.render.splat_dense`, the formula over a (B, N, H, W) tensor, batched;
- loop: a Python loop over the batch, each image rendered densely on its own ((N, H, W)), as HOLLy's forward does;
- dense_floored: the dense formula with its exponent floored at -80 as splat's profiles are. The literal formula's exp
  underflows to denormal numbers over most of the (B, N, H, W) tensor at small sigma, which CPUs compute 10-30x more
  slowly; this variant separates that effect from the algorithmic speed-up.

Writes one JSON line per measurement (and a summary line per configuration with the speed-ups measured in the same
run) to --out, and prints them. Median and minimum step times are over --repeats steps after --warmup steps
(the slow baselines use --slow-repeats); the variants are interleaved round by round so that they see the same load
on a shared machine, and the load average at the start is recorded. A variant whose memory estimate exceeds the
device's memory is skipped with a message (on a GPU, dense and loop at N = 10k would need hundreds of GB).

    python benchmarks/render_speed.py                   # CPU, 2 threads: N = 230, 128x128, B = 32
    python benchmarks/render_speed.py --device cuda     # GPU: the CPU configuration, then N = 10k and 100k at 256x256
"""
from __future__ import annotations
import argparse, json, math, os, platform, statistics, sys, time

# On a shared machine, OpenMP threads that spin while waiting at barriers make every short kernel pay for the other
# processes' load (the separable step has ~100 of them): wait passively unless the caller chose otherwise.
# This must be set before torch is imported; it is recorded in every JSON line.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
from datetime import datetime, timezone
from pathlib import Path

import torch

from cellbook.bench import append_jsonl, memory_available, sync
from cellbook.core import make_generator
from cellbook.render import project, random_rotvec, splat, splat_dense
from cellbook import render as _render

CONFIGS = {
    "cpu": [dict(name="holly", B=32, N=230, H=128, W=128)],
    "cuda": [dict(name="holly", B=32, N=230, H=128, W=128),
             dict(name="large", B=32, N=10_000, H=256, W=256),
             dict(name="huge", B=32, N=100_000, H=256, W=256, variants=("separable",))],
}
SIGMA = 2.0  # pixels, mid-way through HOLLy's sigma curriculum (10 -> 1.4)


def per_image_loop(points, rotvec, shift, sigma, size):
    "The old way: a Python loop over the batch, rendering each image densely on its own."
    return torch.stack([splat_dense(points, rotvec[b], shift[b], sigma, size) for b in range(len(rotvec))])


def dense_floored(points, rotvec, shift, sigma, size):
    "The dense batched formula with its exponent floored at -80 as splat's profiles are: dense without denormal exps."
    (H, W), (u, v) = size, project(points, rotvec, shift, size)
    rows = torch.arange(H, dtype=u.dtype, device=u.device)[:, None]
    cols = torch.arange(W, dtype=u.dtype, device=u.device)
    e = ((cols - u[..., None, None]).square() + (rows - v[..., None, None]).square()) * (-0.5 / sigma ** 2)
    return torch.exp(e.clamp(min=-80.0)).sum(1) / (2 * math.pi * sigma ** 2)


RENDERERS = {"separable": splat, "dense": splat_dense, "loop": per_image_loop, "dense_floored": dense_floored}


def largest_intermediate(variant: str, B: int, N: int, H: int, W: int, itemsize: int = 4) -> int:
    "Bytes of the largest tensor a variant creates (an estimate from the shapes)."
    if variant == "separable":
        chunk = max(1, min(N, _render._CHUNK_ELEMENTS // (B * (H + W))))
        return itemsize * max(B * chunk * max(H, W), B * H * W)
    if variant.startswith("dense"): return itemsize * B * N * H * W
    return itemsize * N * H * W  # loop: one image at a time (but autograd keeps every image's until backward)


def memory_needed(variant: str, B: int, N: int, H: int, W: int) -> int:
    "A rough upper bound of a step's peak memory: what autograd keeps alive for backward."
    if variant == "separable": return 12 * largest_intermediate(variant, B, N, H, W)
    per_image = largest_intermediate("loop", B, N, H, W)
    return 6 * B * per_image  # dense and loop both keep a few (N, H, W) tensors per image for backward


def make_step(variant: str, cfg: dict, device: torch.device):
    "A function doing one training step (forward + backward of an L1 loss) of a variant."
    B, N, H, W = cfg["B"], cfg["N"], cfg["H"], cfg["W"]
    g = make_generator(0, device)
    points = (2 * torch.rand(N, 3, generator=g, device=device) - 1).requires_grad_()  # learned structure, shared
    rotvec = random_rotvec(B, seed=g, device=device).requires_grad_()  # per-image poses (a network's output)
    shift = (0.2 * torch.rand(B, 2, generator=g, device=device) - 0.1).requires_grad_()
    target = 0.01 * torch.rand(B, H, W, generator=g, device=device)
    render = RENDERERS[variant]

    def step():
        for x in (points, rotvec, shift): x.grad = None
        img = render(points, rotvec, shift, SIGMA, (H, W))
        (img - target).abs().sum().backward()
        sync(device)
    return step


def time_variants(variants: list[str], cfg: dict, device: torch.device, warmup: int, repeats: int, slow_repeats: int) -> dict:
    """Step times of several variants, interleaved round by round so that all see the same machine load
    (the separable renderer does repeats/slow_repeats steps per round, each baseline one)."""
    steps = {v: make_step(v, cfg, device) for v in variants}
    counts = {v: max(1, repeats // slow_repeats) if v == "separable" else 1 for v in variants}
    for v in variants:
        for _ in range(warmup if v == "separable" else 1): steps[v]()
    times = {v: [] for v in variants}
    for _ in range(slow_repeats):
        for v in variants:
            for _ in range(counts[v]):
                t = time.perf_counter(); steps[v](); times[v].append(time.perf_counter() - t)
    out = {v: dict(median_s=statistics.median(ts), min_s=min(ts), repeats=len(ts), warmup=warmup if v == "separable" else 1)
           for v, ts in times.items()}
    if device.type == "cuda":  # one more step of each variant alone, for its peak memory
        for v in variants:
            torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats(device)
            steps[v](); out[v]["peak_memory_bytes"] = torch.cuda.max_memory_allocated(device)
    return out


def run(device: torch.device, warmup: int, repeats: int, slow_repeats: int) -> list[dict]:
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    env = dict(bench="render_speed", device=device.type, threads=torch.get_num_threads(), torch=torch.__version__,
               device_name=torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or platform.machine(),
               omp_wait_policy=os.environ.get("OMP_WAIT_POLICY"), load_average_1min=os.getloadavg()[0], sigma=SIGMA, time=stamp)
    records = []
    for cfg in CONFIGS[device.type]:
        shape = {k: cfg[k] for k in "BNHW"}
        recs, feasible = {}, []
        for variant in cfg.get("variants", RENDERERS):
            recs[variant] = dict(env, config=cfg["name"], variant=variant, **shape,
                                 largest_intermediate_bytes=largest_intermediate(variant, **shape))
            need, have = memory_needed(variant, **shape), memory_available(device)
            if need > have: recs[variant]["skipped"] = f"needs about {need / 2**30:.0f} GiB, {have / 2**30:.0f} GiB available"
            else: feasible.append(variant)
        for variant, timing in time_variants(feasible, cfg, device, warmup, repeats, slow_repeats).items():
            recs[variant].update(timing)
        for rec in recs.values(): records.append(rec); print(json.dumps(rec), flush=True)
        medians = {v: recs[v]["median_s"] for v in feasible}
        if "separable" in medians and len(medians) > 1:
            rec = dict(env, config=cfg["name"], variant="summary", **shape,
                       **{f"speedup_vs_{v}": medians[v] / medians["separable"] for v in medians if v != "separable"},
                       **{f"speedup_vs_{v}_min": recs[v]["min_s"] / recs["separable"]["min_s"] for v in medians if v != "separable"},
                       memory_ratio_dense_over_separable=largest_intermediate("dense", **shape) / largest_intermediate("separable", **shape))
            records.append(rec); print(json.dumps(rec), flush=True)
    return records


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--threads", type=int, default=2, help="CPU threads (torch.set_num_threads)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeats", type=int, default=30, help="timed steps of the separable renderer")
    p.add_argument("--slow-repeats", type=int, default=5, help="timed steps of the dense and loop baselines")
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "render_speed.jsonl")
    a = p.parse_args(argv)
    if a.device == "cuda" and not torch.cuda.is_available():
        print("CUDA is not available on this machine: the cuda benchmark is skipped.")
        return 0
    torch.set_num_threads(a.threads)
    records = run(torch.device(a.device), a.warmup, a.repeats, a.slow_repeats)
    append_jsonl(a.out, records)
    print(f"wrote {len(records)} records to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
