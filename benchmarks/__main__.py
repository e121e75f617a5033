"""cellbook's benchmark suite: `python -m benchmarks [--quick] [--paths ...] [--modes ...] [--device cpu|cuda] [--out DIR]`.

Every hot path (renderer, WGAN-GP, tile VAE, Autoencoder3D, Integrated Cell, synthetic data, HDF5/TIFF/MRC reading)
in every execution mode that applies (eager fp32, bf16 autocast, channels-last, torch.compile, CUDA graphs), in one
run; writes benchmarks/results/suite-<device>.jsonl (appended) and suite-<device>.md (the latest table).
The suite itself lives in `cellbook.bench` (nbs/50_bench.ipynb); the `cellbook-bench` command runs the same thing.

    python -m benchmarks --quick --device cpu     # 2-core CPU, a few minutes
    python -m benchmarks --device cuda            # the full GPU run (H100)
"""
import os, sys

# Before PyTorch loads OpenMP: on a shared CPU, spinning OpenMP barriers make short kernels pay for others' load.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from cellbook.bench import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
