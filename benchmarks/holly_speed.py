"""HOLLy training speed: full training steps per second of `cellbook.holly.Holly`, and the paper run projected from it.

One step is what `cellbook fit --model Holly --data HollySimDataModule` does per batch: render the batch of simulated
views on the device at the scheduled sigma (no buffer), run the reference pose encoder (10 conv layers, 2.97 M
parameters at 128x128), render the learned points at the predicted poses with `cellbook.render.splat`, L1-sum loss,
backward, one AdamW step with two learning rates. The default configuration is HOLLy's: B = 32, 128x128, N = 230 points.

Variants, interleaved round by round so that they see the same load on a shared machine:
- cellbook: the step above (separable splat, batched);
- holly_loop: the same step with HOLLy's renderer, a Python loop over the batch rendering each image densely on its own
  ((N, H, W) per image; HOLLy's `Net.forward`), for the model's renders and for the targets. The ratio of the two is
  measured in the same run.

The paper runs (bunny, CEP152) are 40 epochs of 40 000 images: 50 000 steps at B = 32. The projection is
`50 000 / (steps per second)` from the median step time, plus nothing else (data are rendered inside the step; the
per-validation evaluation is not included). Writes JSON lines to --out and prints them.

    python benchmarks/holly_speed.py --quick                 # CPU, 2 threads, a few steps
    python benchmarks/holly_speed.py --device cuda           # GPU (skips cleanly without CUDA)
    python benchmarks/holly_speed.py --device cuda --precision bf16   # bf16 autocast for the encoder
"""
from __future__ import annotations
import argparse, json, os, platform, statistics, sys, time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")   # see render_speed.py: no spinning OpenMP barriers on a shared CPU
from datetime import datetime, timezone
from pathlib import Path

import torch

from cellbook.core import atomic_write
from cellbook.holly import Holly, HollySimDataModule
from cellbook.render import splat_dense

PAPER_STEPS = 40 * 40_000 // 32   # 40 epochs x 40 000 images at B = 32


def holly_loop_render(points, rotvec, shift, sigma, size):
    "HOLLy's renderer: a loop over the batch, each image dense ((N, H, W)) on its own."
    sig = sigma if torch.is_tensor(sigma) and sigma.ndim else torch.full((len(rotvec),), float(sigma), device=rotvec.device)
    return torch.stack([splat_dense(points, rotvec[b], shift[b], sig[b], size) for b in range(len(rotvec))])[:, None]


def make_step(model, dm, variant, precision, device):
    opt = model.configure_optimizers()
    loader = iter(dm.train_dataloader())
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")

    def step():
        nonlocal loader
        try: batch = next(loader)
        except StopIteration: loader = iter(dm.train_dataloader()); batch = next(loader)
        batch = {k: v.to(device) if torch.is_tensor(v) else v for k, v in batch.items()}
        if variant == "cellbook": batch = dm.on_after_batch_transfer(batch)
        else:
            with torch.no_grad():
                batch["image"] = holly_loop_render(dm.ground_truth.to(device), batch["rotvec"], batch["shift"], dm.sigma, model.size)
        with autocast:
            pose = model.encoder(batch["image"])
        pose = {k: (v.float() if v is not None else None) for k, v in pose.items()}
        if variant == "cellbook": y = model.render(pose)
        else: y = holly_loop_render(model.points, pose["rotvec"], pose["shift"], pose["sigma"], model.size)
        loss = torch.nn.functional.l1_loss(y, batch["image"], reduction="sum")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if device.type == "cuda": torch.cuda.synchronize()
    return step


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--quick", action="store_true", help="few steps (CPU smoke run)")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--points", type=int, default=230)
    p.add_argument("--sigma", type=float, default=2.0, help="render blur (pixels)")
    p.add_argument("--warmup", type=int, default=None)
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--threads", type=int, default=2, help="CPU threads (CPU runs)")
    p.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    p.add_argument("--no-baseline", action="store_true", help="skip HOLLy's per-image loop")
    p.add_argument("--out", default=str(Path(__file__).parent/"results"/"holly_speed.jsonl"))
    a = p.parse_args(argv)
    if a.device == "cuda" and not torch.cuda.is_available():
        print(json.dumps({"skipped": "cuda", "reason": "CUDA is not available"})); return 0
    device = torch.device(a.device)
    if device.type == "cpu": torch.set_num_threads(a.threads)
    warmup = a.warmup if a.warmup is not None else (1 if a.quick else 3)
    repeats = a.repeats if a.repeats is not None else (3 if a.quick else 20)
    torch.manual_seed(0)
    model = Holly(n_points=a.points, image_size=a.size, sigma_curriculum=[a.sigma]).to(device)
    model.sigma_schedule.total = 1
    dm = HollySimDataModule("mesh", gt_points=a.points, n_views=max(64, a.batch * 4), val_views=0, size=a.size, batch_size=a.batch)
    dm.setup(); dm.set_sigma(a.sigma)
    dm.ground_truth = dm.ground_truth.to(device)
    variants = ["cellbook"] + ([] if a.no_baseline else ["holly_loop"])
    steps = {v: make_step(model, dm, v, a.precision, device) for v in variants}
    times = {v: [] for v in variants}
    for v in variants:
        for _ in range(warmup): steps[v]()
    for _ in range(repeats):
        for v in variants:
            t = time.perf_counter(); steps[v](); times[v].append(time.perf_counter() - t)
    base = dict(time=datetime.now(timezone.utc).isoformat(timespec="seconds"), device=a.device,
                gpu=torch.cuda.get_device_name() if device.type == "cuda" else None, cpu=platform.processor() or platform.machine(),
                threads=torch.get_num_threads() if device.type == "cpu" else None, omp_wait_policy=os.environ.get("OMP_WAIT_POLICY"),
                load=os.getloadavg()[0] if hasattr(os, "getloadavg") else None, torch=torch.__version__, B=a.batch, H=a.size, W=a.size,
                N=a.points, sigma=a.sigma, precision=a.precision, warmup=warmup, repeats=repeats, quick=a.quick)
    lines = []
    for v in variants:
        med, best = statistics.median(times[v]), min(times[v])
        lines.append({**base, "variant": v, "median_s": med, "min_s": best, "steps_per_s": 1 / med, "images_per_s": a.batch / med,
                      "paper_run_steps": PAPER_STEPS, "paper_run_projected_min": PAPER_STEPS * med / 60})
    if len(variants) == 2:
        lines.append({**base, "variant": "summary", "speedup_vs_holly_loop": statistics.median(times["holly_loop"]) / statistics.median(times["cellbook"])})
    out = Path(a.out); out.parent.mkdir(parents=True, exist_ok=True)
    old = out.read_text() if out.exists() else ""
    with atomic_write(out) as tmp: tmp.write_text(old + "".join(json.dumps(l) + "\n" for l in lines))
    for l in lines: print(json.dumps(l))
    return 0


if __name__ == "__main__":
    sys.exit(main())
