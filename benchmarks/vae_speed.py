"""Training throughput (tiles/s) of the tile AE/VAE (cellbook.vae) at 64×64×7: CPU, and GPU fp32 vs bf16.

For each architecture (the residual default, Arch2, Arch1) and each precision, a bare PyTorch loop (TileNet +
Gaussian NLL + KL + Adam on in-memory tiles, no Lightning) and the engine (TileVAE through `make_trainer`, logging on,
progress bar and checkpoints off) train on the same random tiles in the same process. A step's time is the wall time
between consecutive step ends (CUDA synchronised); we report the median after warm-up as tiles/s, and engine / bare.

    python benchmarks/vae_speed.py --quick                     # CPU, resnet + arch2, 8 steps of 8 tiles (~2-3 min)
    python benchmarks/vae_speed.py --device cuda               # GPU: fp32, bf16 (autocast), bf16 + channels-last
    python benchmarks/vae_speed.py --device cuda --archs resnet --batch 256 --precisions fp32 bf16

Without CUDA, `--device cuda` prints a skip line and exits 0. Output: one JSON line per (arch, precision, loop),
printed and appended to benchmarks/results/vae_speed.jsonl.
"""
from __future__ import annotations
import argparse, contextlib, json, logging, os, platform, statistics, tempfile, time, warnings
from pathlib import Path

import torch
from torch.utils.data import Dataset

warnings.filterwarnings("ignore")
for _name in ("lightning.pytorch", "lightning.fabric"): logging.getLogger(_name).setLevel(logging.ERROR)
import lightning.pytorch as pl
from cellbook.bench import append_jsonl, sync
from cellbook.core import seed_everything
from cellbook.train import ResumableDataLoader, make_trainer
from cellbook.core import kl_normal
from cellbook.vae import TileNet, TileVAE, gaussian_nll

RESULTS = Path(__file__).parent / "results" / "vae_speed.jsonl"
SIZE, CHANNELS = 64, 7


class Tiles(Dataset):
    "In-memory raw tiles in [0, 1] as cellbook items."
    def __init__(self, n: int, seed: int = 0):
        self.x = torch.rand(n, CHANNELS, SIZE, SIZE, generator=torch.Generator().manual_seed(seed))
    def __len__(self): return len(self.x)
    def __getitem__(self, i): return {"image": self.x[i]}


def net_kwargs(arch: str) -> dict:
    return dict(arch=arch, in_channels=CHANNELS, tile=SIZE, likelihood="gaussian", variational=True,
                sigma="image", dropout=0.0 if arch == "resnet" else 0.2, posterior_floor=1e-3 if arch == "resnet" else 0.1,
                io_scale=100.0 if arch == "resnet" else 1.0)


def autocast(device: torch.device, precision: str):
    if precision.startswith("bf16"): return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def bare_loop(data: Tiles, arch: str, steps: int, batch: int, device: torch.device, precision: str) -> list[float]:
    "Step end times of a plain PyTorch training loop."
    seed_everything(0)
    net = TileNet(**net_kwargs(arch)).to(device)
    channels_last = precision.endswith("-cl")
    if channels_last: net = net.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    x_all = (data.x * 100).to(device)   # already "treated" (min-max to [0, 100])
    ends, g = [], torch.Generator().manual_seed(0)
    for _ in range(steps):
        idx = torch.randint(0, len(x_all), (batch,), generator=g).to(device)
        x = x_all[idx]
        if channels_last: x = x.contiguous(memory_format=torch.channels_last)
        with autocast(device, precision):
            out = net(x)
            loss = gaussian_nll(x, out["loc"], out["scale"]).mean() + kl_normal(out["mu"], std=out["std"]).flatten(1).sum(1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sync(device)
        ends.append(time.perf_counter())
    return ends


class StepTimer(pl.Callback):
    def __init__(self): self.times = []
    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        sync(pl_module.device); self.times.append(time.perf_counter())


def engine(data: Tiles, arch: str, steps: int, batch: int, device: torch.device, precision: str) -> list[float]:
    "Step end times of TileVAE trained through the cellbook engine."
    seed_everything(0)
    kw = net_kwargs(arch); kw.pop("io_scale")
    module = TileVAE(**kw, lr=1e-4, channels_last=precision.endswith("-cl")).fit_treatment(data.x[:256])
    timer = StepTimer()
    with tempfile.TemporaryDirectory() as d:
        trainer = make_trainer(d, max_steps=steps, checkpoint_every=False, progress_bar=False, loggers="csv",
                               accelerator=device.type, devices=1, callbacks=[timer],
                               precision="bf16-mixed" if precision.startswith("bf16") else "32-true")
        trainer.fit(module, ResumableDataLoader(data, batch_size=batch, drop_last=True,
                                                pin_memory=device.type == "cuda", num_workers=0))
    return timer.times


def forward_gflop(arch: str) -> float:
    "Forward-pass GFLOP per tile (torch.utils.flop_counter; 2 FLOP per multiply-add)."
    from torch.utils.flop_counter import FlopCounterMode
    net = TileNet(**net_kwargs(arch)).eval()
    with torch.no_grad(), FlopCounterMode(display=False) as fc: net(torch.rand(1, CHANNELS, SIZE, SIZE) * 100)
    return fc.get_total_flops() / 1e9


def tiles_per_s(ends: list[float], warmup: int, batch: int) -> tuple[float, int]:
    steps = [b - a for a, b in zip(ends[warmup:], ends[warmup + 1:])]
    return batch / statistics.median(steps), len(steps)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="CPU-sized run: resnet and arch2, 8 steps of 8 tiles")
    ap.add_argument("--device", default="cpu", help="'cpu' or 'cuda'")
    ap.add_argument("--archs", nargs="+", default=None, help="default: resnet arch2 arch1 (quick: resnet arch2)")
    ap.add_argument("--precisions", nargs="+", default=None,
                    help="fp32, bf16 (autocast), bf16-cl (bf16 + channels-last); default: fp32 on CPU, all three on CUDA")
    ap.add_argument("--steps", type=int, default=None, help="timed steps + warm-up (default 60; quick 8)")
    ap.add_argument("--warmup", type=int, default=None, help="steps left out of the median (default 10; quick 2)")
    ap.add_argument("--batch", type=int, default=None, help="tiles per step (default 100, the original's; quick 8)")
    ap.add_argument("--loops", nargs="+", default=["bare", "engine"], help="bare and/or engine")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (0: PyTorch's default)")
    args = ap.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print(json.dumps({"kind": "skip", "reason": "CUDA not available", "device": args.device})); return
    if args.threads: torch.set_num_threads(args.threads)
    archs = args.archs or (["resnet", "arch2"] if args.quick else ["resnet", "arch2", "arch1"])
    precisions = args.precisions or (["fp32", "bf16", "bf16-cl"] if device.type == "cuda" else ["fp32"])
    steps = args.steps or (8 if args.quick else 60)
    warmup = args.warmup if args.warmup is not None else (2 if args.quick else 10)
    batch = args.batch or (8 if args.quick else 100)
    if device.type == "cuda": torch.backends.cudnn.benchmark = True
    data = Tiles(max(4 * batch, 512))
    env = {"torch": torch.__version__, "lightning": pl.__version__, "python": platform.python_version(), "device": str(device),
           "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
           "threads": torch.get_num_threads(), "cpu_count": os.cpu_count(), "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for arch in archs:
        params = sum(p.numel() for p in TileNet(**net_kwargs(arch)).parameters())
        gflop = forward_gflop(arch)
        for precision in precisions:
            row = {"kind": "summary", "arch": arch, "precision": precision, "batch": batch, "tile": [CHANNELS, SIZE, SIZE],
                   "params": params, "forward_gflop_per_tile": gflop, "steps": steps, "warmup": warmup, **env}
            for loop in args.loops:
                ends = (bare_loop if loop == "bare" else engine)(data, arch, steps, batch, device, precision)
                row[f"{loop}_tiles_per_s"], row["steps_timed"] = tiles_per_s(ends, warmup, batch)
            if "bare_tiles_per_s" in row and "engine_tiles_per_s" in row:
                row["engine_over_bare"] = row["engine_tiles_per_s"] / row["bare_tiles_per_s"]
            lines.append(row)
            print(json.dumps(row), flush=True)
    append_jsonl(RESULTS, lines)


if __name__ == "__main__":
    main()
