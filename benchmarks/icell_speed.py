"""Training throughput of the Integrated Cell models (cellbook.icell): conditional beta-VAE and 2017 AAE-GAN, 3D.

Times full training steps (forward, backward, optimiser) of the bare networks on random data of the model's size,
after warm-up, median over steps; FLOPs per step from torch.utils.flop_counter.FlopCounterMode (one step counted),
model FLOPs utilisation = FLOPs/step / step time / device peak (GPU: bf16 dense peak; CPU: no peak is known, MFU
omitted). Timing, FLOP counting, peaks and the environment fields come from cellbook.bench, as in the suite. From the measured rate it projects the original schedule: 150 epochs (reference) + 150 epochs (structure)
over `--cells` training cells (about 6,000 in the 2017 data), assuming both stages run at the measured rate.

    python benchmarks/icell_speed.py --quick                      # CPU, tiny crops 16x32x32, batch 4
    python benchmarks/icell_speed.py --device cuda                # full crops (Z,Y,X) 64x96x128, batch 30, bf16
    python benchmarks/icell_speed.py --device cuda --size 64 96 160 --batch 32
    python benchmarks/icell_speed.py --size 16 32 32 --batch 16 --widths 16 32 64 --n-latent 32 --steps 6 --warmup 2 --models vae_structure   # the slow cells' model

Every model is timed in both memory layouts, contiguous (NCDHW) and channels-last (NDHWC, `channels_last=True` of the
Lightning modules, cellbook.core.to_channels_last); `speedup_channels_last` is the contiguous step time over the
channels-last one, measured in the same run.

The baseline in every run is the beta-VAE reference model (contiguous); other rows report their ratio to it.
Output: JSON lines, printed and appended to benchmarks/results/icell_speed.jsonl.
"""
from __future__ import annotations
import argparse, json, sys, warnings
from contextlib import nullcontext
from pathlib import Path

import torch

warnings.filterwarnings("ignore")
from cellbook.core import to_channels_last
from cellbook.bench import append_jsonl, count_step, device_name, device_peaks, environment, time_step, utilisation
from cellbook.icell import ICellVAE, ICellAAEGAN

RESULTS = Path(__file__).parent / "results" / "icell_speed.jsonl"


def make(kind: str, stage: str, size, widths, n_latent, aae_width):
    if kind == "vae": return ICellVAE(stage, size=size, n_latent=n_latent, widths=widths)
    return ICellAAEGAN(stage, size=size, n_latent=n_latent, width=aae_width)


def step_fn(model, batch, device, bf16):
    "One training step of the bare networks (the engine adds ~constant overhead, see engine_overhead.py)."
    ctx = torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16) if bf16 else nullcontext()
    if isinstance(model, ICellVAE):
        opt = torch.optim.Adam(model.net.parameters(), lr=2e-4)
        def step():
            opt.zero_grad(set_to_none=True)
            with ctx: loss = model.losses(batch)["loss"]
            loss.backward(); opt.step()
        return step
    opts = model.configure_optimizers()
    def step():
        for o in opts: o.zero_grad(set_to_none=True)
        with ctx: loss = model.critic_loss(batch)["loss"]
        loss.backward(); opts[0].step(); opts[1].step()
        for o in opts: o.zero_grad(set_to_none=True)
        with ctx: loss = model.generator_loss(batch)["loss"]
        loss.backward(); opts[2].step(); opts[3].step()
    return step


def measure(kind, stage, args, device, channels_last: bool):
    torch.manual_seed(0)
    model = make(kind, stage, args.size, args.widths, args.n_latent, args.aae_width).to(device).train()
    B = args.batch
    batch = {"image": torch.rand(B, 3, *args.size, device=device), "label": torch.randint(0, 7, (B,), device=device)}
    if channels_last: model, batch["image"] = to_channels_last(model), to_channels_last(batch["image"])
    step = step_fn(model, batch, device, args.bf16)
    timing = time_step(step, warmup=args.warmup, repeats=args.steps, device=device)   # warm-up first, so the counted step is not the first
    flops = count_step(step)["flops"]
    dt = timing["median_s"]
    use = utilisation(flops, None, dt, device_peaks(device_name(torch.device(device))), "bf16" if args.bf16 else "fp32")
    cells_per_s = B / dt
    epochs = args.epochs_ref + args.epochs_struct
    return {"model": f"{kind}_{stage}", "size": list(args.size), "batch": B, "bf16": args.bf16, "channels_last": channels_last,
            "step_s": dt, "spread_pct": timing["spread_pct"], "cells_per_s": cells_per_s, "flops_per_step": flops,
            "tflops_per_s": use["achieved_tflops"], "mfu": use["mfu"], "params": sum(p.numel() for p in model.parameters()),
            "projected_days_150+150_epochs": args.cells * epochs / cells_per_s / 86400, **environment(torch.device(device))}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="CPU, 16x32x32 crops, batch 4, small widths, few steps")
    p.add_argument("--device", default="cpu")
    p.add_argument("--size", type=int, nargs="+", default=[64, 96, 128], help="(Z, Y, X)")
    p.add_argument("--batch", type=int, default=30)
    p.add_argument("--widths", type=int, nargs="+", default=[32, 64, 128, 256, 512])
    p.add_argument("--n-latent", type=int, default=128)
    p.add_argument("--aae-width", type=int, default=64)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--cells", type=int, default=6000, help="training cells per epoch for the projection")
    p.add_argument("--epochs-ref", type=int, default=150)
    p.add_argument("--epochs-struct", type=int, default=150)
    p.add_argument("--models", nargs="+", default=["vae_reference", "vae_structure", "aaegan_reference", "aaegan_structure"])
    args = p.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(json.dumps({"skipped": "no CUDA device available", "device": args.device})); return 0
    args.bf16 = args.device.startswith("cuda")
    if args.quick:
        args.size, args.batch, args.widths, args.n_latent, args.aae_width, args.steps, args.warmup = [16, 32, 32], 4, [8, 16, 32], 16, 8, 5, 1
    if args.threads: torch.set_num_threads(args.threads)
    if args.device.startswith("cuda"): torch.backends.cudnn.benchmark = True
    base = None
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    for name in args.models:
        kind, stage = name.split("_")
        contiguous = None
        for channels_last in (False, True):
            r = measure(kind, stage, args, args.device, channels_last)
            base, contiguous = base or r["step_s"], contiguous or r["step_s"]
            r["ratio_to_vae_reference"] = r["step_s"] / base
            r["speedup_channels_last"] = contiguous / r["step_s"]
            print(json.dumps(r), flush=True)
            append_jsonl(RESULTS, [r])      # row by row: a later model's failure keeps these
    return 0


if __name__ == "__main__":
    sys.exit(main())
