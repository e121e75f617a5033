"""Per-step overhead of the cellbook training engine (Lightning Trainer + CellbookModule) against a bare PyTorch loop.

Both train the same MLP on the same in-memory data with the same optimiser, in the same process, interleaved
(bare, engine, bare, engine, ...). The engine runs with loss logging (progress-bar metrics, CSV logger every 10
steps), NaN guard and ExactResume on, and the progress bar and checkpointing off. A step's time is the wall time
between consecutive ends of training steps (so it includes data loading and every hook); we report the median over
the steps after warm-up, and the ratio engine / bare.

    python benchmarks/engine_overhead.py                 # default sizes, CPU
    python benchmarks/engine_overhead.py --steps 400 --hidden 64 1024 --threads 1

Output: one JSON line per (size, repeat) and one summary line per size, printed and appended to
benchmarks/results/engine_overhead.jsonl.
"""
from __future__ import annotations
import argparse, json, logging, os, platform, statistics, tempfile, time, warnings
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

warnings.filterwarnings("ignore")
logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
import lightning.pytorch as pl
from cellbook.bench import append_jsonl
from cellbook.core import seed_everything
from cellbook.train import CellbookModule, ResumableDataLoader, make_trainer

RESULTS = Path(__file__).parent / "results" / "engine_overhead.jsonl"


def mlp(dim: int, hidden: int) -> nn.Module:
    return nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, dim))


class MLPModule(CellbookModule):
    def __init__(self, dim: int = 64, hidden: int = 256, lr: float = 1e-3):
        super().__init__()
        self.net = mlp(dim, hidden)

    def losses(self, batch):
        x = batch[0]
        return {"loss": nn.functional.mse_loss(self.net(x), x)}

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)


class StepTimer(pl.Callback):
    def __init__(self): self.times = []
    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx): self.times.append(time.perf_counter())


def step_times(ends: list[float], warmup: int) -> list[float]:
    return [b - a for a, b in zip(ends[warmup:], ends[warmup + 1:])]


def bare_loop(data, dim, hidden, steps, batch, device):
    seed_everything(0)
    net = mlp(dim, hidden).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loader = DataLoader(data, batch_size=batch, shuffle=True, drop_last=True)
    ends, done = [], 0
    while done < steps:
        for (x,) in loader:
            x = x.to(device)
            loss = nn.functional.mse_loss(net(x), x)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if device.type == "cuda": torch.cuda.synchronize()
            ends.append(time.perf_counter())
            done += 1
            if done >= steps: break
    return ends


def engine(data, dim, hidden, steps, batch, device):
    seed_everything(0)
    module = MLPModule(dim, hidden)
    timer = StepTimer()
    with tempfile.TemporaryDirectory() as d:
        trainer = make_trainer(d, max_steps=steps, checkpoint_every=False, progress_bar=False, loggers="csv",
                               accelerator=device.type, devices=1, callbacks=[timer])
        loader = ResumableDataLoader(data, batch_size=batch, drop_last=True)
        trainer.fit(module, loader)
    return timer.times


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--hidden", type=int, nargs="+", default=[64, 1024])
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (0: leave PyTorch's default)")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    if args.threads: torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    g = torch.Generator().manual_seed(0)
    data = TensorDataset(torch.rand(4096, args.dim, generator=g))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    env = {"torch": torch.__version__, "lightning": pl.__version__, "python": platform.python_version(),
           "device": str(device), "threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
           "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    lines = []
    for hidden in args.hidden:
        bare_all, eng_all = [], []
        for r in range(args.repeats):
            b = step_times(bare_loop(data, args.dim, hidden, args.steps, args.batch, device), args.warmup)
            e = step_times(engine(data, args.dim, hidden, args.steps, args.batch, device), args.warmup)
            bare_all += b; eng_all += e
            lines.append({"kind": "repeat", "hidden": hidden, "repeat": r, "batch": args.batch,
                          "bare_ms": 1e3 * statistics.median(b), "engine_ms": 1e3 * statistics.median(e),
                          "ratio": statistics.median(e) / statistics.median(b), **env})
            print(json.dumps(lines[-1]), flush=True)
        bm, em = statistics.median(bare_all), statistics.median(eng_all)
        lines.append({"kind": "summary", "hidden": hidden, "batch": args.batch, "steps_timed": len(eng_all),
                      "params": sum(p.numel() for p in mlp(args.dim, hidden).parameters()),
                      "bare_ms": 1e3 * bm, "engine_ms": 1e3 * em, "overhead_ms": 1e3 * (em - bm), "ratio": em / bm, **env})
        print(json.dumps(lines[-1]), flush=True)
    append_jsonl(RESULTS, lines)


if __name__ == "__main__":
    main()
