"""h5py_check.py: a saved netc model read by h5py, as a Python user would.

Usage: h5py_check.py FILE.h5 STEP
FILE.h5 is models/mnist.net saved after STEP training steps. Checks the
format marks, every weight of the MNIST CNN with its Keras shape, the Adam
slots, the step counter and the graph tables; prints what it read. Exit
status 0 when all is as expected, 1 otherwise.
"""
import sys

import h5py

EXPECTED = {  # Keras layout: HWIO conv kernels, (in, out) dense kernels
    "conv2d/kernel": (3, 3, 1, 32),
    "conv2d/bias": (32,),
    "conv2d_1/kernel": (3, 3, 32, 64),
    "conv2d_1/bias": (64,),
    "dense/kernel": (9216, 128),
    "dense/bias": (128,),
    "logits/kernel": (128, 10),
    "logits/bias": (10,),
}


def main(path, step):
    problems = []
    with h5py.File(path, "r") as f:
        if f.attrs["format"] != b"netc" or f.attrs["format_version"] != 1:
            problems.append("format marks: %r" % dict(f.attrs))
        params = {}
        f["params"].visititems(
            lambda name, obj: params.__setitem__(name, obj)
            if isinstance(obj, h5py.Dataset) else None)
        for name in sorted(params):
            print("params/%-16s %-16s %s" % (name, params[name].shape, params[name].dtype))
        for name, shape in EXPECTED.items():
            if name not in params:
                problems.append("params/%s is missing" % name)
            elif params[name].shape != shape or params[name].dtype != "float32":
                problems.append("params/%s is %s %s, expected %s float32"
                                % (name, params[name].shape, params[name].dtype, shape))
        if set(params) != set(EXPECTED):
            problems.append("unexpected params: %s" % sorted(set(params) - set(EXPECTED)))
        for name, shape in EXPECTED.items():
            for slot in ("m", "v"):
                d = f.get("optimizer/%s/%s" % (name, slot))
                if d is None or d.shape != shape:
                    problems.append("optimizer/%s/%s is missing or misshapen" % (name, slot))
        state = f["state"].attrs
        print("step %d, epoch %d, seed %d" % (state["step"], state["epoch"], state["seed"]))
        if state["step"] != step:
            problems.append("step is %d, expected %d" % (state["step"], step))
        nodes = f["graph/nodes"]
        ops = set(op.decode() for op in nodes["op"])
        print("graph: %d nodes, ops %s" % (len(nodes), " ".join(sorted(ops))))
        for op in ("conv2d", "maxpool", "dropout", "matmul", "softmax", "apply_update"):
            if op not in ops:
                problems.append("graph has no %s node" % op)
        if b"mnist.net" not in f["sources"]["path"][0]:
            problems.append("the source is not mnist.net")
    for p in problems:
        print("FAIL: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
