#!/bin/sh
# mnist_app.sh: the embedding example end to end. A model trained briefly
# and saved by `netc train -o` is loaded by examples/mnist_app, which must
# classify PNG copies of test images exactly as `netc predict` classifies
# the IDX records they came from. Skipped without the dataset or python3.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
netc="$top_builddir/netc"
app="$top_builddir/examples/mnist_app"
data=/usr/share/datasets/fashion-mnist
if [ ! -d "$data" ] || ! command -v python3 > /dev/null; then
  echo "SKIP mnist_app: needs $data and python3"
  exit 77
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
export OPENBLAS_CORETYPE=Haswell

"$netc" train "$top_srcdir/models/mnist.net" --data "$data" --epochs 1 --limit 640 \
  --test-limit 100 --batch 32 -o "$tmp/model.h5" > "$tmp/train.log" 2>&1 ||
  { echo "FAIL mnist_app: training failed"; cat "$tmp/train.log"; exit 1; }

# Test images 0..2 as 8-bit grayscale PNGs (written with zlib, no imaging library).
python3 - "$data/t10k-images-idx3-ubyte.gz" "$tmp" <<'PY' || exit 1
import gzip, struct, sys, zlib
raw = gzip.open(sys.argv[1]).read()
count, rows, cols = struct.unpack(">III", raw[4:16])
def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
for i in range(3):
    pixels = raw[16 + i * rows * cols:16 + (i + 1) * rows * cols]
    lines = b"".join(b"\0" + pixels[r * cols:(r + 1) * cols] for r in range(rows))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", cols, rows, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(lines)) + chunk(b"IEND", b""))
    open("%s/test%d.png" % (sys.argv[2], i), "wb").write(png)
PY

failed=0
out=$("$app" "$tmp/model.h5" "$tmp/test0.png" "$tmp/test1.png" "$tmp/test2.png" 2>&1) ||
  { echo "FAIL mnist_app: $out"; exit 1; }
for i in 0 1 2; do
  app_says=$(printf '%s\n' "$out" | sed -n "s|^$tmp/test$i.png: class \([0-9]*\) (probability \([0-9.]*\))|\1 \2|p")
  netc_line=$("$netc" predict "$tmp/model.h5" --data "$data" --index "$i" 2>&1)
  netc_says=$(printf '%s\n' "$netc_line" | sed -n 's/.*(\([0-9]*\)) \([0-9.]*\).*/\1 \2/p' |
              awk '{ printf "%s %.4f", $1, $2 }')
  if [ -n "$app_says" ] && [ "$app_says" = "$netc_says" ]; then
    echo "PASS mnist_app image $i: class and probability $app_says"
  else
    echo "FAIL mnist_app image $i: app says '$app_says', netc predict says: $netc_line"
    failed=1
  fi
done
"$app" "$tmp/missing.h5" "$tmp/test0.png" > /dev/null 2>&1 &&
  { echo "FAIL mnist_app: a missing model file was accepted"; failed=1; }
exit $failed
