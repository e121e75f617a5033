"""Which latent sampler makes a trained structure beta-VAE's samples recognisable (14_icell quality data, 16x32x32)?

The prior N(0, T^2 I) at temperatures T, and the aggregate posterior (Gaussian mixtures on the training cells' posterior
means, overall or per class), scored like sample_recognition on the validation and test references.

    python benchmarks/icell_latent_samplers.py ~/.cache/cellbook/icell-quality/structure/checkpoints/last.ckpt out.json

Results: benchmarks/results/icell_quality_retrain_cpu.log
"""
import sys, json, time, warnings
warnings.filterwarnings("ignore")
import numpy as np, torch
from torch.utils.data import default_collate
from sklearn.mixture import GaussianMixture
from cellbook.core import make_generator
from cellbook.data import ICellDataModule, default_cache_dir
from cellbook.icell import load_icell, fit_structure_classifier, _each_class, _decode_cells, _recognised

ckpt = sys.argv[1]
q_dir = default_cache_dir()/"icell-quality"
dm = ICellDataModule(None, n=700, shape=[16, 32, 32], batch_size=16, seed=0, val=0.1, test=0.15, cache_dir=str(q_dir)); dm.setup()
def stack(ds): return default_collate([ds[i] for i in range(len(ds))])   # the whole split as one batch
train, val, test = stack(dm.train_set), stack(dm.val_set), stack(dm.test_set)
clf = fit_structure_classifier(train["image"], train["label"])
model = load_icell(ckpt)
with torch.no_grad():
    x, label, ref, code = model.split(train)
    mu, logvar = model.net.encode(x, label, ref, code)
mu = mu.numpy()
print(f"training posterior means: per-dim std mean {mu.std(0).mean():.3f}, mean |mean| {np.abs(mu.mean(0)).mean():.3f}; "
      f"mean posterior std {np.exp(0.5 * logvar.numpy()).mean():.3f}", flush=True)

def score(refs_img, z_of, seeds=(0, 1, 2)):
    accs = []
    for s in seeds:
        refs, labels, z = _each_class(model, refs_img[:, [0, 2]], generator=make_generator(s))
        z = z_of(z, labels, s)
        cells = _decode_cells(model, refs, labels, z, 64)
        accs.append(float(_recognised(clf, cells, labels, 64).mean()))
    return np.mean(accs), accs

def prior(T): return lambda z, labels, s: z * T
def draw(g, n, s):
    "n draws of the fitted mixture `g` with seed `s`, shuffled (GaussianMixture.sample returns them grouped by component)."
    g.random_state = s
    return torch.as_tensor(g.sample(n)[0][np.random.default_rng(s).permutation(n)], dtype=torch.float32)
def mixture(k):
    g = GaussianMixture(k, covariance_type="full", random_state=0).fit(mu)
    return lambda z, labels, s: draw(g, len(z), s)
def per_class_gmm(k):
    fits = {c: GaussianMixture(k, covariance_type="full", random_state=0, reg_covar=1e-3).fit(mu[train["label"].numpy() == c]) for c in range(model.n_classes)}
    def draw_per_class(z, labels, s):
        out = torch.zeros_like(z)
        for c, g in fits.items(): out[labels == c] = draw(g, int((labels == c).sum()), s)
        return out
    return draw_per_class
rows = {}
SEEDS = (0, 1)
for name, f in [(f"prior T={T}", prior(T)) for T in (1.0, 0.8, 0.6)] + [("gmm 10", mixture(10)), ("class gmm 3", per_class_gmm(3))]:
    t0 = time.time()
    v, vs = score(val["image"], f, SEEDS); t, ts = score(test["image"], f, SEEDS)
    rows[name] = dict(val=v, test=t, val_draws=vs, test_draws=ts)
    print(f"{name:14s} val {v:.3f} {np.round(vs, 3)}  test {t:.3f} {np.round(ts, 3)}  ({time.time() - t0:.0f} s)", flush=True)
json.dump(rows, open(sys.argv[2], "w"), indent=1)
