#!/usr/bin/env python3
"""The peers' side of `./bench report`: numpy/OpenBLAS SGEMM, LAPACK's SVD through torch.linalg.svd and
PyTorch's training step, timed on the shapes and models of the report's JMH sections, as JSON.

    peers.py info [-o OUT.json]
    peers.py gemm  (--jmh GEMM.json | --shapes NN-512x512x512,...) [--threads 1,2] [--seconds S] [-o OUT.json]
    peers.py svd   (--jmh SVD.json  | --shapes 512x512,64x16x16,...) [--seconds S] [-o OUT.json]
    peers.py step  (--jmh STEP.json | --models mlp,cnn,vit) [--batch 128] [--threads 1,2] [--seconds S] [-o OUT.json]
    peers.py hold-lock -- COMMAND [ARGS ...]

Needs an interpreter with torch and numpy (Debian: `apt-get install python3-torch`, which brings python3-numpy;
`libopenblas0-pthread` makes OpenBLAS the BLAS and LAPACK behind both, instead of the reference libblas3).

- gemm: C = op(A)·op(B) in float32 with `numpy.matmul(..., out=C)`; a transposed operand is a transposed view, so
  numpy hands BLAS the transpose flag and copies nothing (GemmBench's TT-MxNxK shapes: A stored k x m for TN, B
  stored n x k for NT). One run per thread count with OPENBLAS_NUM_THREADS (and OMP_NUM_THREADS) set to it.
- svd: torch.linalg.svd(a, full_matrices=False) of Gaussian float32 matrices, MxN or a batch BxNxN (SvdBench's
  shapes), on 1 thread (torch.set_num_threads(1), OPENBLAS_NUM_THREADS=1).
- step: one training step at batch 128 on random data, as TrainStepBench's: zero_grad, forward, cross-entropy,
  backward, AdamW (lr 1e-4, PyTorch's defaults otherwise) on the zoo's MLP, CNN and mini ViT, built layer for
  layer as org.oialr.nn.Models builds them; on 1 thread, and on 2 with OMP_WAIT_POLICY=PASSIVE; the report
  takes the faster setting ("PyTorch's best").

Every configuration runs in a fresh interpreter whose environment carries its thread settings (OpenMP and OpenBLAS
read them when they load). Times: warm-up for a quarter of the --seconds budget, then samples (each one or more
calls, at least 20 ms) for the rest, at least 5; the JSON gives the median, min and max in ms per call. While it
measures, the script holds the JMH lock (/tmp/jmh.lock, the POSIX lock JMH takes), so no JMH run on the machine
overlaps it; BENCH_IGNORE_LOCK=1 skips the lock, BENCH_LOCK_WAIT (seconds, default 1800) bounds the wait.
`hold-lock` takes that lock and runs COMMAND with BENCH_IGNORE_LOCK=1 (`./bench report` runs itself so, to
keep the lock from its first section to its last); it exits with COMMAND's exit code.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

GEMM_SHAPE = re.compile(r"^([NT])([NT])-(\d+)x(\d+)x(\d+)$")
MODELS = ("mlp", "cnn", "vit")
# parameter counts of org.oialr.nn.Models (their javadoc): the replicas below must match them
PARAMS = {"mlp": 669_706, "cnn": 421_642, "vit": 139_018}
LOCK = "/tmp/jmh.lock"


# ------------------------------------------------------------------ shapes from JMH results

def parse_gemm_shape(shape):
    """'TN-784x512x128' -> (transA, transB, m, n, k)."""
    m = GEMM_SHAPE.match(shape)
    if not m:
        raise ValueError(f"GEMM shape must be TT-MxNxK with T in N, T (e.g. NT-128x784x512), got {shape!r}")
    return m.group(1) == "T", m.group(2) == "T", int(m.group(3)), int(m.group(4)), int(m.group(5))


def parse_svd_shape(shape):
    """'1024x256' -> [1024, 256]; '64x16x16' -> [64, 16, 16] (a batch of 64 16x16 matrices)."""
    dims = shape.split("x")
    if len(dims) not in (2, 3) or not all(d.isdigit() and int(d) > 0 for d in dims):
        raise ValueError(f"SVD shape must be MxN or BxNxN, got {shape!r}")
    return [int(d) for d in dims]


def from_jmh(results, section):
    """What the peers should measure to match a JMH section's results.

    gemm: {"shapes": [...], "threads": [...]}; svd: {"shapes": [...]}; step: {"models": [...], "batch": B}
    (full-rank configurations only). Order of first appearance; benchmarks of other classes are ignored.
    """
    def params_of(suffix):
        return [r.get("params") or {} for r in results if r.get("benchmark", "").endswith(suffix)]

    if section == "gemm":
        ps = params_of(".GemmBench.gemm")
        return {"shapes": list(dict.fromkeys(p["shape"] for p in ps if "shape" in p)),
                "threads": sorted({int(p["threads"]) for p in ps if "threads" in p}) or [1]}
    if section == "svd":
        return {"shapes": list(dict.fromkeys(p["shape"] for p in params_of(".SvdBench.svd") if "shape" in p))}
    if section == "step":
        ps = [p for p in params_of(".TrainStepBench.trainStep") if p.get("rank", "full") == "full"]
        batches = {int(p.get("batch", 128)) for p in ps}
        if len(batches) > 1:
            raise ValueError(f"the JMH results hold several batch sizes {sorted(batches)}; give --models and --batch")
        return {"models": list(dict.fromkeys(p["model"] for p in ps if "model" in p)),
                "batch": batches.pop() if batches else 128}
    raise ValueError("section must be gemm, svd or step, got " + section)


# ------------------------------------------------------------------ timing (children)

def time_calls(fn, seconds, min_samples=5, min_sample_s=0.02):
    """Times fn(): warm-up for a quarter of `seconds` (at least 2 calls), then samples of r calls each (r so that
    a sample lasts at least min_sample_s) until the budget is spent and at least min_samples are taken.
    Returns per-call times in ms."""
    clock = time.perf_counter
    end_warm = clock() + seconds / 4
    fn()
    fn()
    while clock() < end_warm:
        fn()
    t0 = clock()
    fn()
    single = clock() - t0
    reps = max(1, int(min_sample_s / max(single, 1e-9)))
    samples = []
    deadline = clock() + seconds * 3 / 4
    while len(samples) < min_samples or (clock() < deadline and len(samples) < 1000):
        t0 = clock()
        for _ in range(reps):
            fn()
        samples.append((clock() - t0) / reps * 1e3)
    return samples


def summary(samples):
    return {"ms": statistics.median(samples), "min": min(samples), "max": max(samples), "samples": len(samples)}


def loaded_libraries(words=("blas", "lapack", "mkl")):
    """Shared libraries of this process whose file name contains one of `words` (Linux: /proc/self/maps)."""
    found = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                name = os.path.basename(path).lower()
                if path.startswith("/") and any(w in name for w in words) and path not in found:
                    found.append(path)
    except OSError:
        pass
    return found


def blas_description():
    """What BLAS numpy (and torch, which loads the same libblas.so.3 on Debian) runs on, as one line.

    OpenBLAS answers openblas_get_config() (version, DYNAMIC_ARCH, the core it picked, e.g. SkylakeX); the
    reference BLAS (Debian's libblas3, .../blas/libblas.so.3) is named as such, since it is 50-100x slower.
    Falls back to numpy.show_config()'s text."""
    import ctypes
    import numpy
    a = numpy.ones((64, 64), numpy.float32)
    a @ a  # make sure the BLAS is loaded
    libs = loaded_libraries()
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
            get = lib.openblas_get_config
        except (OSError, AttributeError):
            continue
        get.restype = ctypes.c_char_p
        text = get().decode(errors="replace")
        variant = os.path.basename(os.path.dirname(path))
        return f"{text} ({variant})" if variant.startswith("openblas") else text
    for path in libs:
        if re.search(r"/blas/libblas\.so", path) or re.search(r"/lapack/liblapack\.so", path):
            return f"reference BLAS/LAPACK ({path}; Debian's libblas3: slow, install libopenblas0-pthread)"
    for path in libs:
        if "mkl" in os.path.basename(path).lower():
            return f"MKL ({path})"
    try:
        import contextlib
        import io
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            numpy.show_config()
        text = out.getvalue()
        for name in ("openblas", "mkl", "blis", "accelerate", "atlas"):
            if re.search(name + r"\w*_info:\n(?!\s*NOT AVAILABLE)", text, re.I) or f"name: {name}" in text.lower():
                return f"{name} (numpy.show_config)"
    except Exception:  # noqa: BLE001 - show_config's format differs between numpy versions
        pass
    return "unknown (" + (", ".join(libs) or "no BLAS library found in /proc/self/maps") + ")"


def torch_description(torch):
    """torch.__config__.show() in a few words: BLAS_INFO, CPU capability, oneDNN version."""
    try:
        text = torch.__config__.show()
    except Exception:  # noqa: BLE001
        return "config unknown"
    parts = []
    m = re.search(r"BLAS_INFO=([\w-]+)", text)
    if m:
        parts.append("BLAS_INFO=" + m.group(1))
    m = re.search(r"CPU capability usage:\s*(\S+)", text)
    if m:
        parts.append("CPU capability " + m.group(1))
    m = re.search(r"(?:MKL-DNN|oneDNN)\s+v?([\d.]+)", text)
    if m:
        parts.append("oneDNN " + m.group(1))
    return ", ".join(parts) or "config unknown"


def child_info():
    import numpy
    import torch
    return {"python": sys.executable, "pythonVersion": sys.version.split()[0], "numpy": numpy.__version__,
            "torch": torch.__version__, "blas": blas_description(), "torchConfig": torch_description(torch)}


def child_gemm(shapes, threads, seconds):
    import numpy as np
    rng = np.random.default_rng(42)
    out = []
    for shape in shapes:
        ta, tb, m, n, k = parse_gemm_shape(shape)
        a = rng.standard_normal(m * k, dtype=np.float32)
        b = rng.standard_normal(k * n, dtype=np.float32)
        A = a.reshape(k, m).T if ta else a.reshape(m, k)
        B = b.reshape(n, k).T if tb else b.reshape(k, n)
        C = np.empty((m, n), np.float32)
        fig = summary(time_calls(lambda: np.matmul(A, B, out=C), seconds))
        fig.update(shape=shape, threads=threads, gflops=2.0 * m * n * k / (fig["ms"] * 1e-3) / 1e9)
        out.append(fig)
    return out


def child_svd(shapes, seconds):
    import torch
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(7)
    out = []
    for shape in shapes:
        a = torch.randn(parse_svd_shape(shape), generator=g, dtype=torch.float32)
        fig = summary(time_calls(lambda: torch.linalg.svd(a, full_matrices=False), seconds))
        fig.update(shape=shape, threads=1)
        out.append(fig)
    return out


def build_model(name):
    """The zoo's models as org.oialr.nn.Models builds them (sizes, activations, LayerNorm eps 1e-5, exact GELU);
    the initialisation does not matter for the time."""
    import torch
    from torch import nn

    if name == "mlp":  # Models.mlp: 784-512-512-10, ReLU
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                             nn.Linear(512, 10))
    if name == "cnn":  # Models.cnn: conv 1->32 3x3 p1, pool 2, ReLU, conv 32->64 3x3 p1, pool 2, ReLU, 3136-128-10
        # (pooling before each ReLU as in Models.cnn: the same function, with the ReLU on a quarter of the elements)
        return nn.Sequential(nn.Conv2d(1, 32, 3, 1, 1), nn.MaxPool2d(2), nn.ReLU(),
                             nn.Conv2d(32, 64, 3, 1, 1), nn.MaxPool2d(2), nn.ReLU(), nn.Flatten(),
                             nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
    if name != "vit":
        raise ValueError(f"model must be one of {', '.join(MODELS)}, got {name!r}")

    class Attention(nn.Module):  # MultiHeadSelfAttention: fused qkv with bias, softmax(q·kᵀ/√hd)·v, proj
        def __init__(self, dim, heads):
            super().__init__()
            self.heads, self.hd = heads, dim // heads
            self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)

        def forward(self, x):
            b, t, d = x.shape
            qkv = self.qkv(x).reshape(b, t, 3, self.heads, self.hd).permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            att = torch.softmax(q @ k.transpose(-2, -1) * self.hd ** -0.5, dim=-1)
            return self.proj((att @ v).permute(0, 2, 1, 3).reshape(b, t, d))

    class Block(nn.Module):  # TransformerBlock: pre-norm, h = x + attn(ln1 x), y = h + mlp(ln2 h)
        def __init__(self, dim, heads, hidden):
            super().__init__()
            self.ln1, self.attn, self.ln2 = nn.LayerNorm(dim, eps=1e-5), Attention(dim, heads), nn.LayerNorm(dim, eps=1e-5)
            self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

        def forward(self, x):
            h = x + self.attn(self.ln1(x))
            return h + self.mlp(self.ln2(h))

    class ViT(nn.Module):  # VisionTransformer.Config.mini(): 28x28x1, patch 7, dim 64, depth 4, heads 4, ratio 2
        def __init__(self, size=28, ch=1, patch=7, dim=64, depth=4, heads=4, ratio=2, classes=10):
            super().__init__()
            n = (size // patch) ** 2
            self.dim = dim
            self.patch = nn.Conv2d(ch, dim, patch, patch, 0)
            self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
            self.pos_embed = nn.Parameter(torch.zeros(1, n + 1, dim))
            self.blocks = nn.Sequential(*[Block(dim, heads, dim * ratio) for _ in range(depth)])
            self.norm, self.head = nn.LayerNorm(dim, eps=1e-5), nn.Linear(dim, classes)

        def forward(self, x):
            b = x.shape[0]
            tokens = self.patch(x).reshape(b, self.dim, -1).permute(0, 2, 1)      # [B, N, dim]
            h = torch.cat([self.cls_token.expand(b, -1, -1), tokens], 1) + self.pos_embed
            h = self.blocks(h)
            return self.head(self.norm(h[:, 0]))

    return ViT()


def child_step(models, batch, threads, seconds):
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(threads)
    torch.manual_seed(2)
    out = []
    for name in models:
        net = build_model(name)
        opt = torch.optim.AdamW(net.parameters(), lr=1e-4)
        x = torch.randn(batch, 1, 28, 28)
        y = torch.randint(0, 10, (batch,))

        def step():
            opt.zero_grad()
            loss = F.cross_entropy(net(x), y)
            loss.item()
            loss.backward()
            opt.step()

        fig = summary(time_calls(step, seconds, min_sample_s=0))
        fig.update(model=name, batch=batch, threads=torch.get_num_threads(),
                   parameters=sum(p.numel() for p in net.parameters()))
        out.append(fig)
    return out


# ------------------------------------------------------------------ the parent: one child per setting

def thread_env(threads, passive=False):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    env.pop("OMP_WAIT_POLICY", None)
    if passive:
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    return env


def run_child(args, env):
    """Runs this script's hidden `child` command in a fresh interpreter; returns its JSON or raises."""
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "child"] + args, env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["exit code " + str(proc.returncode)])[-1]
        raise RuntimeError(tail)
    return json.loads(proc.stdout)


class JmhLock:
    """The POSIX lock on /tmp/jmh.lock that JMH takes (java.nio FileChannel.tryLock is an fcntl lock)."""

    def __init__(self, path=LOCK):
        self.path, self.fd = path, None

    def __enter__(self):
        if os.environ.get("BENCH_IGNORE_LOCK") == "1":
            return self
        import fcntl
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        limit = float(os.environ.get("BENCH_LOCK_WAIT", "1800"))
        waited = 0.0
        while True:
            try:
                fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError:
                if waited >= limit:
                    os.close(self.fd)
                    raise RuntimeError(f"{self.path} held by another benchmark for {waited:.0f} s (BENCH_LOCK_WAIT)")
                if waited == 0:
                    print("peers: another JMH run holds " + self.path + "; waiting for it", file=sys.stderr)
                time.sleep(2)
                waited += 2

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)  # closing releases the lock


def measure(section, what, seconds):
    """Runs the children of one section; returns {section: [figures...]} (or {section + "Error": text})."""
    out = []
    try:
        with JmhLock():
            if section == "gemm":
                for t in what["threads"]:
                    out += run_child(["gemm", "--shapes", ",".join(what["shapes"]), "--threads", str(t),
                                      "--seconds", str(seconds)], thread_env(t))
            elif section == "svd":
                out = run_child(["svd", "--shapes", ",".join(what["shapes"]), "--seconds", str(seconds)], thread_env(1))
            else:
                for t in what["threads"]:
                    figs = run_child(["step", "--models", ",".join(what["models"]), "--batch", str(what["batch"]),
                                      "--threads", str(t), "--seconds", str(seconds)], thread_env(t, passive=t > 1))
                    for f in figs:
                        f["setting"] = "1 thread" if t == 1 else f"{t} threads, OMP_WAIT_POLICY=PASSIVE"
                    out += figs
    except (RuntimeError, ValueError, json.JSONDecodeError) as e:
        return {section: out, section + "Error": str(e)}
    return {section: out}


def hold_lock(command):
    """Runs `command` while this process holds the JMH lock; the command and its JMH runs skip the lock."""
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        print("usage: peers.py hold-lock -- COMMAND [ARGS ...]", file=sys.stderr)
        return 2
    try:
        with JmhLock():
            return subprocess.call(command, env=dict(os.environ, BENCH_IGNORE_LOCK="1"))
    except RuntimeError as e:
        print("peers: " + str(e), file=sys.stderr)
        return 1


def main(argv):
    if argv[1:2] == ["hold-lock"]:
        return hold_lock(argv[2:])
    ap = argparse.ArgumentParser(description="Times the peers (numpy/OpenBLAS SGEMM, LAPACK SVD via torch, "
                                             "PyTorch's training step) on the JMH sections' shapes; prints JSON.")
    ap.add_argument("section", choices=["info", "gemm", "svd", "step", "child"])
    ap.add_argument("what", nargs="?", help=argparse.SUPPRESS)  # the child's section
    ap.add_argument("--jmh", help="a JMH result file (-rf json) of the section: measure its shapes/models")
    ap.add_argument("--shapes", help="comma-separated GemmBench or SvdBench shapes")
    ap.add_argument("--models", help="comma-separated zoo models (mlp, cnn, vit)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", default=None, help="comma-separated thread counts (gemm: from --jmh or 1,2; step: 1,2)")
    ap.add_argument("--seconds", type=float, default=2.0, help="time budget per configuration (default 2)")
    ap.add_argument("-o", "--output", help="write the JSON here (default: standard output)")
    args = ap.parse_args(argv[1:])
    if args.seconds <= 0:
        ap.error("--seconds must be positive")

    if args.section == "child":
        if args.what == "info":
            res = child_info()
        elif args.what == "gemm":
            res = child_gemm(args.shapes.split(","), int(args.threads), args.seconds)
        elif args.what == "svd":
            res = child_svd(args.shapes.split(","), args.seconds)
        elif args.what == "step":
            res = child_step(args.models.split(","), args.batch, int(args.threads), args.seconds)
        else:
            ap.error("child needs info, gemm, svd or step")
        json.dump(res, sys.stdout)
        return 0

    if args.section == "info":
        try:
            res = {"info": run_child(["info"], thread_env(1))}
        except (RuntimeError, json.JSONDecodeError) as e:
            res = {"info": {"error": str(e)}}
    else:
        if args.jmh:
            with open(args.jmh) as f:
                what = from_jmh(json.load(f), args.section)
        else:
            what = {}
        if args.shapes:
            what["shapes"] = args.shapes.split(",")
        if args.models:
            what["models"] = args.models.split(",")
        what.setdefault("batch", args.batch)
        if args.threads:
            what["threads"] = [int(t) for t in args.threads.split(",")]
        what.setdefault("threads", [1, 2])
        try:
            for s in what.get("shapes", []):
                (parse_gemm_shape if args.section == "gemm" else parse_svd_shape)(s)
            for m in what.get("models", []):
                if m not in MODELS:
                    raise ValueError(f"model must be one of {', '.join(MODELS)}, got {m!r}")
        except ValueError as e:
            ap.error(str(e))
        key = "models" if args.section == "step" else "shapes"
        if not what.get(key):
            ap.error(f"nothing to measure: give --{key} or a --jmh file with {args.section} results")
        res = measure(args.section, what, args.seconds)
    text = json.dumps(res, indent=1) + "\n"
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
