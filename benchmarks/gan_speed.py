"""WGAN-GP training throughput of the biogans DCGAN (cellbook.gan) and the projected time of the paper's schedule.

One generator iteration = 5 critic steps (WGAN-GP loss with gradient penalty, Adam 1e-4 β (0, 0.9), critic without
batch norm) + 1 generator step, batch 64, 48×80 images, nz 100, ngf = ndf = 64 (generator 3,524,480 parameters,
critic 2,762,240): exactly the joint `wgangp-adam` run of configs/biogans. Real batches are lin_like images in
[-1, 1] held on the device (data loading is not timed; with the in-memory cache of LinDataModule it is small).

Variants, each timed in the same process on the same data:
  fp32      eager float32 (the baseline; ratios are against it)
  bf16      bfloat16 autocast (GPU; on CPU only with --cpu-bf16, it is slow there)
  compiled  torch.compile of the generator and of the critic's forward for the non-penalty terms is not possible
            (the gradient penalty needs double backward, which torch.compile does not support): the generator is
            compiled, the critic runs eager (GPU only unless --cpu-compile)
  engine    fp32 through cellbook's Lightning engine (GANModule + make_trainer, logging on), to show its overhead
The projection of the paper's 500,000 generator iterations is 500000 / (generator iterations per second).

    python benchmarks/gan_speed.py --quick                 # CPU: 1 timed iteration (engine: 1 warm-up + 1 timed)
    python benchmarks/gan_speed.py --device cuda           # GPU: fp32, bf16, compiled, engine; 20 warm-up + 50 timed
    python benchmarks/gan_speed.py --device cuda --iters 200 --variants fp32 bf16

Output: one JSON line per variant, printed and appended to benchmarks/results/gan_speed.jsonl.
Without CUDA, `--device cuda` prints a note and exits 0.
"""
from __future__ import annotations
import argparse, json, logging, os, platform, sys, tempfile, time, warnings
from pathlib import Path

import torch

warnings.filterwarnings("ignore")
logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
from cellbook.bench import append_jsonl, sync
from cellbook.core import seed_everything
from cellbook.gan import DCGANCritic, DCGANGenerator, critic_loss, default_optimizer, generator_loss
from cellbook.synth import lin_like

RESULTS = Path(__file__).parent / "results" / "gan_speed.jsonl"
PAPER_ITERATIONS = 500_000


def real_images(n: int, device) -> torch.Tensor:
    "n lin_like images (2, 48, 80) in [-1, 1] on `device`."
    return torch.from_numpy(lin_like(n, seed=0)["images"]).to(device) * 2 - 1


def bare_loop(device, iters: int, warmup: int, batch: int, critic_steps: int, precision: str, compiled: bool) -> float:
    "Seconds per generator iteration of a plain PyTorch WGAN-GP loop with cellbook.gan's networks and losses."
    seed_everything(0)
    netG, netD = DCGANGenerator().to(device), DCGANCritic(batch_norm=False).to(device)
    optG, optD = default_optimizer("wgangp", netG.parameters()), default_optimizer("wgangp", netD.parameters())
    G = torch.compile(netG) if compiled else netG
    data = real_images(max(4 * batch, 256), device)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")

    def iteration():
        for _ in range(critic_steps):
            real = data[torch.randint(len(data), (batch,), device=device)]
            with autocast:
                with torch.no_grad(): fake = G(torch.randn(batch, netG.nz, device=device))
                loss = critic_loss("wgangp", netD, real, fake)
            optD.zero_grad(set_to_none=True); loss.backward(); optD.step()
        with autocast:
            for p in netD.parameters(): p.requires_grad_(False)
            loss = generator_loss("wgangp", netD, G(torch.randn(batch, netG.nz, device=device)))
            for p in netD.parameters(): p.requires_grad_(True)
        optG.zero_grad(set_to_none=True); loss.backward(); optG.step()

    for _ in range(warmup): iteration()
    sync(device); t = time.perf_counter()
    for _ in range(iters): iteration()
    sync(device)
    return (time.perf_counter() - t) / iters


def engine_loop(device, iters: int, warmup: int, batch: int) -> float:
    "Seconds per generator iteration through GANModule + make_trainer (fp32, logging every 10 steps)."
    import lightning.pytorch as pl
    from cellbook.gan import GANModule
    from cellbook.train import make_trainer
    from torch.utils.data import DataLoader

    class Timer(pl.Callback):
        def __init__(self): self.marks = []
        def on_train_batch_end(self, trainer, module, *args):
            if module.counters.critic_steps == 0:   # a generator step just ended
                sync(device); self.marks.append(time.perf_counter())

    seed_everything(0)
    data = real_images(max(4 * batch, 256), "cpu")
    loader = DataLoader([{"image": x} for x in data], batch_size=batch, shuffle=True, drop_last=True)
    timer = Timer()
    with tempfile.TemporaryDirectory() as d:
        trainer = make_trainer(d, max_steps=-1, max_epochs=-1, checkpoint_every=False, progress_bar=False, loggers="csv",
                               accelerator="gpu" if device.type == "cuda" else "cpu", devices=1, callbacks=[timer])
        trainer.fit(GANModule("wgangp", max_generator_steps=warmup + iters), loader)
    marks = timer.marks[warmup - 1:] if warmup else timer.marks
    return (marks[-1] - marks[0]) / (len(marks) - 1)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu", help="'cpu' or 'cuda'")
    p.add_argument("--quick", action="store_true", help="CPU smoke run: 1 timed iteration, no warm-up (engine: 1 + 1)")
    p.add_argument("--iters", type=int, default=None, help="timed generator iterations (default 50 on GPU, 3 on CPU, 1 quick)")
    p.add_argument("--warmup", type=int, default=None, help="warm-up generator iterations (default 20 on GPU, 1 on CPU, 0 quick)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--critic-steps", type=int, default=5)
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's)")
    p.add_argument("--variants", nargs="+", default=None, help="fp32 bf16 compiled engine (default: all that apply)")
    p.add_argument("--cpu-bf16", action="store_true"); p.add_argument("--cpu-compile", action="store_true")
    p.add_argument("--no-save", action="store_true", help="do not append to benchmarks/results/gan_speed.jsonl")
    a = p.parse_args(argv)
    if a.device == "cuda" and not torch.cuda.is_available():
        print("CUDA is not available: nothing to measure on 'cuda' (run with --device cpu --quick for the CPU rate)")
        return 0
    device = torch.device(a.device)
    if a.threads: torch.set_num_threads(a.threads)
    gpu = device.type == "cuda"
    if gpu: torch.backends.cudnn.benchmark = True
    iters = a.iters or (50 if gpu else 1 if a.quick else 3)
    warmup = a.warmup if a.warmup is not None else (20 if gpu else 0 if a.quick else 1)
    variants = a.variants or (["fp32", "bf16", "compiled", "engine"] if gpu else
                              ["fp32", "engine"] + (["bf16"] if a.cpu_bf16 else []) + (["compiled"] if a.cpu_compile else []))
    info = dict(device=torch.cuda.get_device_name(device) if gpu else platform.processor() or platform.machine(),
                torch=torch.__version__, threads=torch.get_num_threads(), batch=a.batch, critic_steps=a.critic_steps,
                size=[48, 80], iters=iters, warmup=warmup, cpus=os.cpu_count(),
                load_avg=os.getloadavg()[0] if hasattr(os, "getloadavg") else None)
    results, base = [], None
    for v in variants:
        if v == "engine": s = engine_loop(device, iters, max(warmup, 1), a.batch)
        else: s = bare_loop(device, iters, warmup, a.batch, a.critic_steps, "bf16" if v == "bf16" else "fp32", v == "compiled")
        rate = 1 / s
        base = base or (s if v == "fp32" else None)
        row = dict(bench="gan_speed", variant=v, s_per_generator_iteration=round(s, 5), generator_iterations_per_s=round(rate, 4),
                   images_per_s=round(a.batch * (a.critic_steps + 1) * rate, 1),
                   speedup_vs_fp32=round(base / s, 3) if base else None,
                   projected_hours_500k=round(PAPER_ITERATIONS * s / 3600, 2), **info,
                   time=time.strftime("%Y-%m-%dT%H:%M:%S"))
        print(json.dumps(row), flush=True)
        results.append(row)
    if not a.no_save:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        append_jsonl(RESULTS, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
