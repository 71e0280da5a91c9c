"""compare_weights.py A.h5 B.h5 (--exact | --tolerance T): compares the
weights (/params) and optimizer slots (/optimizer) of two models saved by
netc. --exact wants the same bits; --tolerance T wants every difference
within T times the largest magnitude of the tensor. Prints the worst
relative difference; exits 1 when the files differ beyond that."""
import sys

import h5py
import numpy as np


def tensors(path):
    found = {}
    with h5py.File(path, "r") as f:
        for group in ("params", "optimizer"):
            if group in f:
                f[group].visititems(
                    lambda name, obj, g=group: found.__setitem__(g + "/" + name, obj[()])
                    if isinstance(obj, h5py.Dataset) else None)
    return found


def main():
    a, b, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    limit = 0.0 if mode == "--exact" else float(sys.argv[4])
    ta, tb = tensors(a), tensors(b)
    if sorted(ta) != sorted(tb) or not ta:
        print("%s and %s hold different tensors" % (a, b))
        return 1
    worst, where = 0.0, ""
    for name in sorted(ta):
        x, y = ta[name], tb[name]
        if mode == "--exact":
            same = x.shape == y.shape and x.tobytes() == y.tobytes()
            diff = 0.0 if same else float("inf")
        else:
            scale = max(float(np.abs(x).max()), 1e-30)
            diff = float(np.abs(x.astype(np.float64) - y).max()) / scale
        if diff > worst:
            worst, where = diff, name
    print("worst relative difference %.3g%s" % (worst, " (" + where + ")" if where else ""))
    return 0 if worst <= limit else 1


sys.exit(main())
