"""Regenerate the dFC fixtures of this directory (development only; the
tests read the .tsv files).  Debian 12: numpy 1.24.2, scikit-learn 1.2.1.

  /usr/bin/python3 testdata/dfc/make_fixtures.py   (from the top of the tree)
"""
import numpy as np
from sklearn.covariance import LedoitWolf, graphical_lasso

here = "testdata/dfc/"
X = np.loadtxt("testdata/reference/dfc/input.tsv", skiprows=1)
T, N = X.shape
L = 30
iu = np.triu_indices(N, 1)
names = [f"r{i}-r{j}" for i, j in zip(*iu)]
fmt = lambda v: repr(float(v))

def write(path, rows):
    with open(here + path, "w") as f:
        f.write("\t".join(names) + "\n")
        for r in rows:
            f.write("\t".join(fmt(v) for v in r) + "\n")

# nilearn ConnectivityMeasure(kind="correlation") per window = z-score with
# ddof 1, LedoitWolf().fit, covariance -> correlation.
lw = []
for s in range(T - L + 1):
    W = X[s:s + L]
    Z = (W - W.mean(0)) / W.std(0, ddof=1)
    C = LedoitWolf().fit(Z).covariance_
    d = np.sqrt(np.diag(C))
    lw.append((C / d[:, None] / d[None, :])[iu])
write("expected_ledoitwolf_w30.tsv", lw)

# graphical lasso (diagonal not penalised) of the window correlation matrix,
# lambda 0.1: correlation of the covariance estimate, and partial correlations.
gl, pc = [], []
for s in range(0, T - L + 1, 10):
    R = np.corrcoef(X[s:s + L].T)
    cov, prec = graphical_lasso(R, alpha=0.1, mode="cd", tol=1e-12, enet_tol=1e-14,
                                max_iter=10000)
    d = np.sqrt(np.diag(cov))
    gl.append((cov / d[:, None] / d[None, :])[iu])
    e = np.sqrt(np.diag(prec))
    pc.append((-prec / e[:, None] / e[None, :])[iu])
write("expected_glasso_l0.1_w30_s10.tsv", gl)
write("expected_glasso_partial_l0.1_w30_s10.tsv", pc)
