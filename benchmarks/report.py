#!/usr/bin/env python3
"""Turns the JMH results of `./bench report` into benchmarks/results/<date>.md and <date>.json (<date>-b, -c, ...
when a report of that day is committed already).

    python3 benchmarks/report.py --env ENV.json --profile short [--peers PEERS.json ...]
        [--pair OURS.json PEERS.json ...] [--gemm-pair OURS.json PEERS.json ...] [--rank-pair FULL.json LOW.json ...]
        [options] JMH.json [...]

ENV.json is what org.oialr.bench.BenchEnv prints (backend, CUDA status, threads); PEERS.json are what
benchmarks/peers.py wrote (the peers' versions and figures on the same shapes). The Markdown report has a
header (date, CPU and its vector width, cores, JVM, backend, profile, git commit, the peers' versions and BLAS)
and one table per section:

- machine peak: FmaPeakBench, GFLOP/s of a Vector API FMA loop on 1 and on 2 cores at once;
- GEMM: GemmBench, ours against EJML on 1 and 2 threads, GFLOP/s and the fraction of the FMA peak
  (threads x the one-core peak); with peers, numpy/OpenBLAS's GFLOP/s and ours / OpenBLAS (a rate ratio);
- SVD: SvdBench, EJML and CUDA (or "n/a (reason)" where CUDA is not usable); with peers, LAPACK's time
  (torch.linalg.svd, 1 thread) and each CPU implementation's time / LAPACK's;
- training step: TrainStepBench, per model and phase (full rank, low rank at a fraction of the full ranks),
  with samples per second, the speed-up over the full-rank step and, when JMH ran with -prof gc, the bytes
  allocated per step; with peers, a table of our full-rank step against PyTorch's on each of its thread
  settings, and our time / PyTorch's best; with --pair files, the same comparison in rounds run one right
  after the other (the median of the rounds' ratios), which a machine whose speed drifts over minutes
  measures more fairly than one run of each side minutes apart;
- with --gemm-pair files, the GEMM against OpenBLAS in rounds run one right after the other, and with
  --rank-pair files the low-rank step against the full-rank one in such rounds (medians of the rounds' ratios);
- OIALR transition and rank update: OialrBench, also in training steps (cost / the same model's full-rank
  step in the same run).

Without peer files the report says in one line that the peers were not measured.

Every time is the median over all measurement iterations of all forks, with the min-max of those iterations
as the error bar (JMH's own 99.9% error is in the JSON). The JSON holds the header, every figure, the
derived figures per section, the regressions and JMH's raw results.

Regression guard: every figure is compared with the same figure (same benchmark and parameters) of the
previous report, the newest committed benchmarks/results/YYYY-MM-DD.json other than the one being written
from the same CPU (by model name), or from any CPU when none is.
A figure 20% or more worse (a time 1.2x longer, a rate 0.8x as high) gets a warning sign in its table and a
line at the top of the report.

Tests: python3 -m unittest discover benchmarks
"""
import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys

from table import fmt, to_ms

THRESHOLD = 0.20
WARN = "\u26a0"
REPORT_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:-([b-z]))?\.json$")
RANK_ORDER = ["full", "1.0", "0.5", "0.25", "0.1"]
MODEL_ORDER = ["mlp", "cnn", "vit"]
MODEL_NAMES = {"mlp": "MLP", "cnn": "CNN", "vit": "mini ViT"}
PER_SECOND = {"ops/ns": 1e9, "ops/us": 1e6, "ops/ms": 1e3, "ops/s": 1.0}


# ------------------------------------------------------------------ measurements

def short_name(bench):
    """org.oialr.bench.GemmBench.gemm -> GemmBench.gemm"""
    return ".".join(bench.split(".")[-2:])


def figure_key(bench, params):
    """The identity of a figure across reports: benchmark and its parameters."""
    return short_name(bench) + "[" + ",".join(f"{k}={v}" for k, v in sorted(params.items())) + "]"


def measure(result):
    """One JMH result as a figure: median, min and max over all iterations of all forks.

    Times are in ms (lower is better); a benchmark with a `flops` counter (FmaPeakBench) is a rate in
    GFLOP/s (higher is better).
    """
    params = result.get("params") or {}
    flops = (result.get("secondaryMetrics") or {}).get("flops")
    if flops is not None:
        scale = PER_SECOND[flops["scoreUnit"]] / 1e9
        samples = [s * scale for fork in flops.get("rawData", []) for s in fork] or [flops["score"] * scale]
        unit, better, error = "GFLOP/s", "higher", flops.get("scoreError")
        error = error * scale if isinstance(error, (int, float)) else None
    else:
        metric = result["primaryMetric"]
        samples = [to_ms(s, metric["scoreUnit"]) for fork in metric.get("rawData", []) for s in fork]
        samples = samples or [to_ms(metric["score"], metric["scoreUnit"])]
        unit, better = "ms", "lower"
        error = metric.get("scoreError")
        # JMH's error is in the score's unit; convert it like the score (time units only)
        error = to_ms(error, metric["scoreUnit"]) if isinstance(error, (int, float)) and metric["scoreUnit"].endswith("/op") else None
    return {
        "key": figure_key(result["benchmark"], params),
        "allocBytes": alloc_per_op(result),
        "bench": short_name(result["benchmark"]),
        "params": params,
        "threads": result.get("threads", 1),
        "value": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "error": error,
        "iterations": len(samples),
        "unit": unit,
        "better": better,
    }


def alloc_per_op(result):
    """Bytes allocated per operation (JMH -prof gc: the secondary metric "·gc.alloc.rate.norm", B/op), the
    median over its iterations; None when the run had no GC profiler."""
    for name, metric in (result.get("secondaryMetrics") or {}).items():
        if name.endswith("gc.alloc.rate.norm"):
            samples = [s for fork in metric.get("rawData", []) for s in fork] or [metric.get("score")]
            samples = [s for s in samples if isinstance(s, (int, float))]
            return statistics.median(samples) if samples else None
    return None


def worse_fraction(previous, current, better):
    """How much worse `current` is than `previous`: 0.25 = 25% worse; negative when it is better."""
    if previous <= 0:
        return 0.0
    if better == "lower":
        return current / previous - 1.0
    return 1.0 - current / previous


def regressions(current, previous, threshold=THRESHOLD):
    """Figures of `current` 20% (threshold) or more worse than the same figure of `previous`.

    Both map a key to {"value", "better", ...}; figures missing from either side are not compared.
    Returns a list of {"key", "previous", "current", "worse"} in the order of `current`.
    """
    out = []
    for key, fig in current.items():
        old = previous.get(key)
        if old is None:
            continue
        worse = worse_fraction(old["value"], fig["value"], fig["better"])
        if worse >= threshold - 1e-9:
            out.append({"key": key, "previous": old["value"], "current": fig["value"], "worse": worse, "unit": fig["unit"]})
    return out


def previous_report(results_dir, exclude, tracked=None, cpu=None):
    """The newest YYYY-MM-DD.json in results_dir other than `exclude` (a file name), or None.

    `tracked` (a set of file names) limits the choice to committed reports; None means every file. With `cpu`
    (a CPU model name), the newest report whose header names that CPU is preferred: figures from another
    machine say little about the code; the newest of any CPU is the fallback.
    """
    if not os.path.isdir(results_dir):
        return None
    names = sorted((n for n in os.listdir(results_dir)
                    if REPORT_NAME.match(n) and n != exclude and (tracked is None or n in tracked)), key=report_order)
    if cpu is not None:
        for name in reversed(names):
            try:
                with open(os.path.join(results_dir, name)) as f:
                    if (json.load(f).get("header") or {}).get("cpu") == cpu:
                        return os.path.join(results_dir, name)
            except (OSError, ValueError, AttributeError):
                continue
    return os.path.join(results_dir, names[-1]) if names else None


def report_order(name):
    """Sort key of a report file name: its date, then its letter (YYYY-MM-DD before YYYY-MM-DD-b before -c)."""
    m = REPORT_NAME.match(name)
    return (m.group(1), m.group(2) or "")


def report_stem(date, tracked):
    """The file name (without extension) of a new report of `date`: YYYY-MM-DD, or YYYY-MM-DD-b, -c, ... when git
    already tracks a report of that day, so a second report of a day does not overwrite a committed one."""
    tracked = tracked or set()
    for suffix in [""] + ["-" + c for c in "bcdefghijklmnopqrstuvwxyz"]:
        if date + suffix + ".json" not in tracked:
            return date + suffix
    raise SystemExit(f"report: 26 reports of {date} are committed already; give another --date")


def tracked_files(results_dir):
    """Names of the files git tracks in results_dir, or None when git cannot say (not a checkout)."""
    try:
        out = subprocess.run(["git", "ls-files", "."], cwd=results_dir, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return {os.path.basename(line) for line in out.stdout.splitlines() if "/" not in line}


# ------------------------------------------------------------------ formatting

def cell(fig, marks):
    """median [min-max], with the warning sign when the regression guard marked it."""
    if fig is None:
        return "-"
    text = f"{fmt(fig['value'])} [{fmt(fig['min'])}-{fmt(fig['max'])}]"
    return text + (" " + WARN if fig["key"] in marks else "")


def ratio(x):
    return f"{x:.2f}x" if x is not None and x < 10 else (f"{x:.0f}x" if x is not None else "-")


def table(header, rows, labels=1):
    """A Markdown table; the first `labels` columns are left-aligned, the figures right-aligned."""
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join("---" if i < labels else "---:" for i in range(len(header))) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return out


def shape_label(shape):
    """SvdBench shapes: MxN (one matrix) or BxNxN (a batch)."""
    dims = shape.split("x")
    if len(dims) == 3:
        return f"{dims[0]} x ({dims[1]}x{dims[2]})", "batched"
    return shape, "square" if dims[0] == dims[1] else "tall"


def gemm_flops(shape):
    m = re.match(r"^(?:[NT]{2}-)?(\d+)x(\d+)x(\d+)$", shape)
    return 2.0 * int(m.group(1)) * int(m.group(2)) * int(m.group(3)) if m else None


def gflops_of(fig, flops):
    return flops / (fig["value"] * 1e-3) / 1e9 if fig and flops else None


# ------------------------------------------------------------------ sections

def by_bench(figs, bench):
    return [f for f in figs if f["bench"] == bench]


def peak_section(figs, marks):
    one = next(iter(by_bench(figs, "FmaPeakBench.oneThread")), None)
    two = next(iter(by_bench(figs, "FmaPeakBench.twoThreads")), None)
    if not one and not two:
        return [], {}, None
    rows, derived = [], {}
    for fig, threads in ((one, 1), (two, 2)):
        if fig:
            per_core = fig["value"] / threads
            rows.append([threads, cell(fig, marks), fmt(per_core)])
            derived[str(threads)] = {"gflops": fig["value"], "gflopsPerCore": per_core}
    md = ["## Machine peak: Vector API FMA loop (FmaPeakBench)", "",
          "12 independent FMA chains on the preferred vector species, no memory traffic: the most one core "
          "(or two at once) can compute. GEMM's fraction of peak below divides by threads x the one-core peak.", ""]
    md += table(["threads", "GFLOP/s median [min-max]", "GFLOP/s per core"], rows)
    return md, derived, one["value"] if one else None


def gemm_section(figs, marks, peak_per_core, peers=None):
    gemm = by_bench(figs, "GemmBench.gemm")
    if not gemm:
        return [], []
    index = {(f["params"].get("shape"), f["params"].get("threads"), f["params"].get("impl")): f for f in gemm}
    shapes = list(dict.fromkeys(f["params"]["shape"] for f in gemm))
    threads = sorted({f["params"]["threads"] for f in gemm}, key=int)
    peer = {(p["shape"], int(p["threads"])): p for p in (peers or {}).get("gemm", [])}
    rows, derived = [], []
    for shape in shapes:
        flops = gemm_flops(shape)
        for t in threads:
            ours, ejml = index.get((shape, t, "ours")), index.get((shape, t, "ejml"))
            if not ours and not ejml:
                continue
            g_ours, g_ejml = gflops_of(ours, flops), gflops_of(ejml, flops)
            frac = g_ours / (int(t) * peak_per_core) if g_ours and peak_per_core else None
            speedup = ejml["value"] / ours["value"] if ours and ejml else None
            row = [shape, t, cell(ours, marks), fmt(g_ours) or "-", f"{100 * frac:.0f}%" if frac else "-",
                   cell(ejml, marks), fmt(g_ejml) or "-", ratio(speedup)]
            d = {"shape": shape, "threads": int(t), "oursGflops": g_ours, "fractionOfPeak": frac,
                 "ejmlGflops": g_ejml, "speedupOverEjml": speedup}
            if peer:
                p = peer.get((shape, int(t)))
                g_peer = p["gflops"] if p else None
                vs = g_ours / g_peer if g_ours and g_peer else None
                row += [fmt(g_peer) or "-", ratio(vs)]
                d.update(openblasGflops=g_peer, oursOverOpenblas=vs)
            rows.append(row)
            derived.append(d)
    md = ["## GEMM: our Vector API kernel against EJML" + (" and OpenBLAS" if peer else "") + " (GemmBench)", "",
          "C = op(A)·op(B) in float32; shape TT-MxNxK (2·m·n·k flops). The last three shapes are the MLP's "
          "forward, weight gradient and input gradient at batch 128. EJML: CommonOps_FDRM (1 thread), "
          "CommonOps_MT_FDRM (2). Peak = threads x the one-core FMA peak."
          + (" OpenBLAS: numpy.matmul on the same shapes and transposes (OPENBLAS_NUM_THREADS = threads), median "
             "GFLOP/s, timed right after this section; \"ours / OpenBLAS\" divides the GFLOP/s (above 1: ours "
             "faster)." if peer else ""), ""]
    header = ["shape", "threads", "ours ms", "ours GFLOP/s", "% of peak", "EJML ms", "EJML GFLOP/s", "ours vs EJML"]
    if peer:
        header += ["OpenBLAS GFLOP/s", "ours / OpenBLAS"]
    md += table(header, rows, labels=2)
    md += peer_error_lines(peers, "gemm")
    return md, derived


CPU_IMPLS = {"ours": "ours", "ejml": "EJML"}


def svd_section(figs, marks, env, peers=None):
    svd = by_bench(figs, "SvdBench.svd")
    if not svd:
        return [], []
    index = {(f["params"].get("shape"), f["params"].get("impl", "ejml")): f for f in svd}
    shapes = list(dict.fromkeys(f["params"]["shape"] for f in svd))
    # CPU implementations in a fixed order (ours before EJML), CUDA in its own column
    found = list(dict.fromkeys(f["params"].get("impl", "ejml") for f in svd if f["params"].get("impl") != "cuda"))
    cpu = sorted(found, key=lambda i: _order(list(CPU_IMPLS), i)) or ["ejml"]
    lapack = {p["shape"]: p for p in (peers or {}).get("svd", [])}
    reason = env.get("cuda", "CUDA not probed")
    if not env.get("cudaUsable"):
        # the probe's reason up to its advice ("no NVIDIA driver (libcuda.so.1 not found): install ...")
        no_cuda = f"n/a ({reason.split(': ')[0]})"
    else:
        no_cuda = "n/a (no result: see the JMH log)"
    rows, derived = [], []
    for shape in shapes:
        label, kind = shape_label(shape)
        ejml, cuda = index.get((shape, "ejml")), index.get((shape, "cuda"))
        speedup = ejml["value"] / cuda["value"] if ejml and cuda else None
        row = [label, kind] + [cell(index.get((shape, i)), marks) for i in cpu]
        row += [cell(cuda, marks) if cuda else no_cuda, ratio(speedup) if cuda else "n/a"]
        d = {"shape": shape, "kind": kind, "cudaSpeedup": speedup}
        if lapack:
            p = lapack.get(shape)
            row.append(peer_cell(p))
            d["lapackMs"] = p["ms"] if p else None
            for i in cpu:
                f = index.get((shape, i))
                r = f["value"] / p["ms"] if f and p else None
                row.append(ratio(r))
                d[i + "OverLapack"] = r
        rows.append(row)
        derived.append(d)
    names = [CPU_IMPLS.get(i, i) for i in cpu] + ["CUDA"] + (["LAPACK"] if lapack else [])
    md = ["## SVD: " + ", ".join(names[:-1]) + " and " + names[-1] + " (SvdBench)", "",
          "Thin SVD of Gaussian float32 matrices: one m x n matrix (as in the transition) or a batch of small "
          "square ones (as in a rank update; CUDA runs gesvdjBatched up to 32x32). The CPU implementations run on "
          "1 thread (./bench report passes threads=1; ours is the Householder bidiagonalisation with the "
          "implicit-QR bidiagonal solver, EJML the oracle). CUDA times include the host copies."
          + (" LAPACK: torch.linalg.svd(a, full_matrices=False) on 1 thread (a batch one matrix after another), "
             "timed right after this section; \"/ LAPACK\" divides the times (below 1: ours faster)." if lapack else ""),
          ""]
    header = ["shape", "kind"] + [CPU_IMPLS.get(i, i) + " ms" for i in cpu] + ["CUDA ms", "EJML / CUDA"]
    if lapack:
        header += ["LAPACK ms"] + [CPU_IMPLS.get(i, i) + " / LAPACK" for i in cpu]
    md += table(header, rows, labels=2)
    if not env.get("cudaUsable"):
        md += ["", f"CUDA not usable here: {reason}."]
    md += peer_error_lines(peers, "svd")
    return md, derived


def full_steps(figs):
    """model -> the full-rank step figure, at the highest thread count measured."""
    out = {}
    for f in by_bench(figs, "TrainStepBench.trainStep"):
        if f["params"].get("rank") != "full":
            continue
        model = f["params"]["model"]
        if model not in out or int(f["params"].get("threads", 0)) > int(out[model]["params"].get("threads", 0)):
            out[model] = f
    return out


def step_section(figs, marks, peers=None):
    steps = by_bench(figs, "TrainStepBench.trainStep")
    if not steps:
        return [], [], []
    threads = sorted({f["params"].get("threads", "") for f in steps}, key=lambda t: int(t or 0))
    ordered = sorted(steps, key=lambda f: (_order(MODEL_ORDER, f["params"]["model"]), int(f["params"].get("threads") or 0),
                                           _order(RANK_ORDER, f["params"]["rank"])))
    full = {(f["params"]["model"], f["params"].get("threads")): f for f in steps if f["params"]["rank"] == "full"}
    alloc = any(f.get("allocBytes") is not None for f in steps)
    rows, derived = [], []
    for f in ordered:
        p = f["params"]
        batch = int(p.get("batch", 128))
        base = full.get((p["model"], p.get("threads")))
        speedup = base["value"] / f["value"] if base else None
        phase = "full rank" if p["rank"] == "full" else f"low rank, {100 * float(p['rank']):g}% of full ranks"
        sps = batch / (f["value"] * 1e-3)
        row = [MODEL_NAMES.get(p["model"], p["model"]), phase, cell(f, marks), f"{sps:,.0f}", ratio(speedup)]
        if alloc:
            row.append(fmt_bytes(f.get("allocBytes")))
        if len(threads) > 1:
            row.insert(1, p.get("threads"))
        rows.append(row)
        derived.append({"model": p["model"], "rank": p["rank"], "threads": p.get("threads"), "samplesPerSecond": sps,
                        "speedupOverFullRank": speedup, "allocBytesPerStep": f.get("allocBytes")})
    header = ["model", "phase", "ms per step", "samples/s", "speed-up vs full rank"] + (["allocated per step"] if alloc else [])
    if len(threads) > 1:
        header.insert(1, "threads")
    batch = steps[0]["params"].get("batch", "128")
    md = ["## Training step (TrainStepBench)", "",
          f"Batch {batch}, random data: forward, cross-entropy, backward, AdamW, on "
          f"{', '.join(t for t in threads if t)} thread(s). Low rank: after the transition every converted layer "
          "is cut to ceil(fraction x its full rank) and only S trains."
          + (" Allocated per step: JMH -prof gc, gc.alloc.rate.norm (median over the iterations)." if alloc else ""), ""]
    md += table(header, rows, labels=len(header) - 3 - alloc)
    torch_md, torch_derived = torch_step_table(full_steps(figs), peers)
    md += torch_md + peer_error_lines(peers, "step")
    return md, derived, torch_derived


def torch_step_table(ours, peers):
    """Our full-rank step (the most threads measured) against PyTorch's on each of its thread settings; the
    ratio divides our time by PyTorch's best setting's."""
    peer_steps = (peers or {}).get("step", [])
    if not peer_steps or not ours:
        return [], []
    settings = list(dict.fromkeys(p["setting"] for p in sorted(peer_steps, key=lambda p: int(p.get("threads", 1)))))
    by = {(p["model"], p["setting"]): p for p in peer_steps}
    rows, derived = [], []
    for model in sorted(ours, key=lambda m: _order(MODEL_ORDER, m)):
        mine = ours[model]
        mine_peers = [by[(model, s)] for s in settings if (model, s) in by]
        if not mine_peers:
            continue
        best = min(mine_peers, key=lambda p: p["ms"])
        r = mine["value"] / best["ms"]
        rows.append([MODEL_NAMES.get(model, model), f"{cell(mine, set())} ({mine['params'].get('threads', '?')} threads)"]
                    + [peer_cell(by.get((model, s))) for s in settings] + [best["setting"], ratio(r)])
        derived.append({"model": model, "oursMs": mine["value"], "oursThreads": mine["params"].get("threads"),
                        "pytorch": {p["setting"]: p["ms"] for p in mine_peers}, "pytorchBest": best["setting"],
                        "pytorchBestMs": best["ms"], "oursOverPytorch": r})
    if not rows:
        return [], []
    md = ["", "### Against PyTorch (full rank)", "",
          "PyTorch's step on the same model (layer for layer as org.oialr.nn.Models builds it), batch and loss, "
          "AdamW, timed right after this section: median ms per step after warm-up on each thread setting; "
          "\"ours / PyTorch\" divides our time by PyTorch's best setting's (below 1: ours faster).", ""]
    md += table(["model", "ours ms"] + [f"PyTorch ms, {s}" for s in settings] + ["PyTorch's best", "ours / PyTorch"],
                rows, labels=1)
    return md, derived


def paired_step_table(pairs):
    """Our full-rank step against PyTorch's in rounds taken one after the other (`./bench report` alternates which
    goes first): `pairs` holds per round (our JMH results, peers.py's JSON or None). A round's ratio divides our
    median by PyTorch's best setting's in the same round; the table gives per model the median of the rounds'
    ratios and their range, beside the medians of each side. Rounds where either side is missing are left out
    and counted."""
    rounds = {}
    skipped = 0
    for results, peer in pairs:
        ours = full_steps([measure(r) for r in results or []])
        steps = (peer or {}).get("step") or []
        if not ours or not steps:
            skipped += 1
            continue
        for model, mine in ours.items():
            theirs = [p for p in steps if p.get("model") == model]
            if not theirs:
                continue
            best = min(theirs, key=lambda p: p["ms"])
            rounds.setdefault(model, []).append({"oursMs": mine["value"], "oursThreads": mine["params"].get("threads"),
                                                 "pytorchBestMs": best["ms"], "pytorchBest": best["setting"],
                                                 "ratio": mine["value"] / best["ms"]})
    rows, derived = [], []
    for model in sorted(rounds, key=lambda m: _order(MODEL_ORDER, m)):
        rs = rounds[model]
        ratios = [r["ratio"] for r in rs]
        ours_ms = [r["oursMs"] for r in rs]
        torch_ms = [r["pytorchBestMs"] for r in rs]
        med = statistics.median(ratios)
        rows.append([MODEL_NAMES.get(model, model), str(len(rs)), range_cell(ours_ms), range_cell(torch_ms),
                     ratio_range_cell(ratios)])
        derived.append({"model": model, "rounds": rs, "oursOverPytorchMedian": med,
                        "oursOverPytorchMin": min(ratios), "oursOverPytorchMax": max(ratios)})
    if not rows:
        return [], []
    md = ["", "### Against PyTorch, in pairs (full rank)", "",
          "The same comparison in rounds after the sections above, each round one JMH fork of our full-rank steps "
          "(the measurement settings of the sections) and PyTorch's step on each of its thread settings, one right "
          "after the other, ours first in odd rounds and PyTorch first in even ones, so that the shared machine's "
          "drift falls on both sides alike. A round's ratio divides our median by PyTorch's best setting's in that "
          "round; the last column is the median of the rounds' ratios [min-max], the others the medians [min-max] "
          "of each side's per-round figures."
          + (f" {skipped} round(s) without figures on one side are left out." if skipped else ""), ""]
    md += table(["model", "rounds", "ours ms", "PyTorch's best ms", "ours / PyTorch (per round)"], rows, labels=1)
    return md, derived


def paired_gemm_table(pairs):
    """Our GEMM against OpenBLAS in rounds taken one after the other (`./bench report` alternates which goes
    first): `pairs` holds per round (our GemmBench JMH results, peers.py's gemm JSON or None). A round's ratio
    divides our GFLOP/s by OpenBLAS's on the same shape and thread count in that round; the table gives per shape
    and thread count the median of the rounds' ratios [min-max] beside each side's median GFLOP/s. Rounds where
    either side is missing are left out and counted."""
    rounds = {}
    skipped = 0
    for results, peer in pairs:
        ours = [f for f in (measure(r) for r in results or [])
                if f["bench"] == "GemmBench.gemm" and f["params"].get("impl", "ours") == "ours"]
        theirs = {(p["shape"], int(p["threads"])): p for p in (peer or {}).get("gemm") or []}
        if not ours or not theirs:
            skipped += 1
            continue
        for f in ours:
            key = (f["params"]["shape"], int(f["params"]["threads"]))
            p = theirs.get(key)
            g = gflops_of(f, gemm_flops(key[0]))
            if not p or not g or not p.get("gflops"):
                continue
            rounds.setdefault(key, []).append({"oursGflops": g, "openblasGflops": p["gflops"], "ratio": g / p["gflops"]})
    shapes = list(dict.fromkeys(shape for shape, _ in rounds))
    rows, derived = [], []
    for shape in shapes:
        for t in sorted(t for s, t in rounds if s == shape):
            rs = rounds[(shape, t)]
            ratios = [r["ratio"] for r in rs]
            med = statistics.median(ratios)
            rows.append([shape, str(t), str(len(rs)), range_cell([r["oursGflops"] for r in rs]),
                         range_cell([r["openblasGflops"] for r in rs]), ratio_range_cell(ratios)])
            derived.append({"shape": shape, "threads": t, "rounds": rs, "oursOverOpenblasMedian": med,
                            "oursOverOpenblasMin": min(ratios), "oursOverOpenblasMax": max(ratios)})
    if not rows:
        return [], []
    md = ["", "### Against OpenBLAS, in pairs", "",
          "The same comparison in rounds run later in the report, each round one JMH fork of our GEMM (the "
          "measurement settings of this section) and numpy/OpenBLAS on the same shapes and thread counts, one right "
          "after the other, ours first in odd rounds and OpenBLAS first in even ones, so that the shared machine's "
          "drift falls on both sides alike. A round's ratio divides our GFLOP/s by OpenBLAS's in that round (above "
          "1: ours faster); the last column is the median of the rounds' ratios [min-max], the others the medians "
          "[min-max] of each side's GFLOP/s."
          + (f" {skipped} round(s) without figures on one side are left out." if skipped else ""), ""]
    md += table(["shape", "threads", "rounds", "ours GFLOP/s", "OpenBLAS GFLOP/s", "ours / OpenBLAS (per round)"], rows,
                labels=2)
    return md, derived


def paired_rank_table(pairs):
    """The low-rank step against the full-rank one in rounds: `pairs` holds per round (the full-rank JMH results,
    the low-rank ones), run one right after the other (`./bench report` alternates which goes first). A round's
    ratio divides the low-rank step's median by the same model's full-rank one (at the same thread count) in that
    round; the table gives per model and rank fraction the median of the rounds' ratios [min-max] beside each
    side's median time. Rounds where either side is missing are left out and counted."""
    rounds = {}
    skipped = 0
    for full_results, low_results in pairs:
        full = {}
        for f in (measure(r) for r in full_results or []):
            if f["bench"] == "TrainStepBench.trainStep" and f["params"].get("rank") == "full":
                full[(f["params"]["model"], f["params"].get("threads"))] = f
        low = [f for f in (measure(r) for r in low_results or [])
               if f["bench"] == "TrainStepBench.trainStep" and f["params"].get("rank") != "full"]
        if not full or not low:
            skipped += 1
            continue
        for f in low:
            base = full.get((f["params"]["model"], f["params"].get("threads")))
            if not base:
                continue
            key = (f["params"]["model"], f["params"]["rank"])
            rounds.setdefault(key, []).append({"lowMs": f["value"], "fullMs": base["value"], "threads": f["params"].get("threads"),
                                               "ratio": f["value"] / base["value"]})
    rows, derived = [], []
    for model, rank in sorted(rounds, key=lambda k: (_order(MODEL_ORDER, k[0]), _order(RANK_ORDER, k[1]))):
        rs = rounds[(model, rank)]
        ratios = [r["ratio"] for r in rs]
        med = statistics.median(ratios)
        rows.append([MODEL_NAMES.get(model, model), f"{100 * float(rank):g}%", str(len(rs)),
                     range_cell([r["fullMs"] for r in rs]), range_cell([r["lowMs"] for r in rs]),
                     ratio_range_cell(ratios)])
        derived.append({"model": model, "rank": rank, "rounds": rs, "lowOverFullMedian": med,
                        "lowOverFullMin": min(ratios), "lowOverFullMax": max(ratios)})
    if not rows:
        return [], []
    md = ["", "### Low rank against full rank, in pairs", "",
          "The low-rank step against the same model's full-rank step in rounds run later in the report, each round "
          "one JMH fork of the full-rank steps and one of the low-rank steps (the measurement settings of this "
          "section), full rank first in odd rounds and low rank first in even ones. A round's ratio divides the "
          "low-rank time by the full-rank time in that round (below 1: low rank faster); the last column is the "
          "median of the rounds' ratios [min-max], the others the medians [min-max] of each side's ms per step."
          + (f" {skipped} round(s) without figures on one side are left out." if skipped else ""), ""]
    md += table(["model", "ranks", "rounds", "full rank ms", "low rank ms", "low / full (per round)"], rows, labels=2)
    return md, derived


def ratio_range_cell(ratios):
    """The median of per-round ratios with their range, as the paired tables print it: "0.90x [0.80-1.00]"."""
    return f"{ratio(statistics.median(ratios))} [{min(ratios):.2f}-{max(ratios):.2f}]"


def range_cell(values):
    return f"{fmt(statistics.median(values))} [{fmt(min(values))}-{fmt(max(values))}]"


# ------------------------------------------------------------------ peers

NO_PEERS = ("Peers (numpy/OpenBLAS SGEMM, LAPACK SVD, PyTorch's training step): not measured: {reason}.")
NO_PEERS_REASON = ("no python3 (nor /usr/bin/python3) imports torch and numpy; on Debian: "
                   "apt-get install python3-torch libopenblas0-pthread")


def load_peers(paths):
    """Merges peers.py's JSON files ({"info": {...}, "gemm": [...], "svd": [...], "step": [...], and
    "<section>Error": text where a section failed}); a file that cannot be read becomes an error entry."""
    merged = {}
    for path in paths:
        try:
            with open(path) as f:
                data = json.load(f)
        except (OSError, ValueError) as e:
            merged.setdefault("fileErrors", []).append(f"{path}: {e}")
            continue
        for k, v in data.items():
            if isinstance(v, list):
                merged.setdefault(k, []).extend(v)
            else:
                merged[k] = v
    return merged


def peers_info(peers):
    """The header's line on the peers, or None when they were not measured."""
    info = (peers or {}).get("info")
    if not info or info.get("error"):
        return None
    return (f"PyTorch {info.get('torch', '?')}, numpy {info.get('numpy', '?')} ({info.get('python', '?')}); "
            f"BLAS and LAPACK: {info.get('blas', 'unknown')}; torch: {info.get('torchConfig', '?')}")


def peers_missing_line(peers):
    info = (peers or {}).get("info")
    if info and not info.get("error"):
        return []
    reason = info["error"] if info else NO_PEERS_REASON
    return [NO_PEERS.format(reason=reason), ""]


def peer_error_lines(peers, section):
    err = (peers or {}).get(section + "Error")
    return ["", f"Peer measurement failed for this section: {err}"] if err else []


def peer_cell(p):
    return f"{fmt(p['ms'])} [{fmt(p['min'])}-{fmt(p['max'])}]" if p else "-"


def fmt_bytes(b):
    """Bytes in B, KB, MB (powers of 1024), three significant digits."""
    if b is None:
        return "-"
    for unit, size in (("MB", 1024 ** 2), ("KB", 1024)):
        if b >= size:
            return f"{fmt(b / size)} {unit}"
    return f"{b:.0f} B"


def oialr_section(figs, marks, method, title, intro, label_of):
    items = by_bench(figs, "OialrBench." + method)
    if not items:
        return [], []
    base = full_steps(figs)
    items = sorted(items, key=lambda f: (_order(MODEL_ORDER, f["params"]["model"]), f["params"].get("scope", "")))
    rows, derived = [], []
    for f in items:
        p = f["params"]
        step = base.get(p["model"])
        in_steps = f["value"] / step["value"] if step else None
        rows.append([MODEL_NAMES.get(p["model"], p["model"])] + label_of(p) + [cell(f, marks),
                    fmt(in_steps) if in_steps is not None else "- (no full-rank step measured)"])
        derived.append(dict(p, inSteps=in_steps))
    header = ["model"] + (["layers"] if method == "rankUpdate" else []) + ["ms", "in full-rank steps"]
    return [f"## {title} (OialrBench.{method})", "", intro, ""] + table(header, rows, labels=len(header) - 2), derived


def _order(order, value):
    return order.index(value) if value in order else len(order)


# ------------------------------------------------------------------ the report

def header_lines(h):
    lines = [f"# Benchmark report {h['date']}", "",
             "| | |", "|---|---|",
             f"| date | {h['date']} |",
             f"| CPU | {h['cpu']} |"]
    if h.get("vector"):
        lines.append(f"| vector width | {h['vector']} |")
    lines += [f"| cores | {h['cores']} |",
             f"| JVM | {h['jvm']} |",
             f"| backend | {h['backend']} |",
             f"| profile | {h['profile']} |",
             f"| git commit | {h['commit']} |"]
    if h.get("peers"):
        lines.append(f"| peers | {h['peers']} |")
    if h.get("wallSeconds") is not None:
        lines.append(f"| wall time | {h['wallSeconds'] / 60:.1f} min |")
    if h.get("note"):
        lines.append(f"| note | {h['note']} |")
    return lines


def guard_lines(regs, previous_name, previous_header, header, figs):
    if previous_name is None:
        return ["Regression guard: no previous report in benchmarks/results to compare with."]
    caveat = ""
    if previous_header and previous_header.get("cpu") != header.get("cpu"):
        caveat = f" (which ran on another CPU, {previous_header.get('cpu')}: differences may be the machine's)"
    if not regs:
        return [f"Regression guard: no figure is 20% or more worse than in {previous_name}{caveat}."]
    units = {f["key"]: f["unit"] for f in figs}
    lines = [f"{WARN} **Regression guard: {len(regs)} figure(s) 20% or more worse than in {previous_name}**{caveat}, "
             f"marked {WARN} in the tables:", ""]
    for r in regs:
        lines.append(f"- {WARN} {r['key']}: {fmt(r['previous'])} -> {fmt(r['current'])} {units[r['key']]} "
                     f"({100 * r['worse']:.0f}% worse)")
    return lines


def build(results, env, header, previous=None, previous_name=None, peers=None, pairs=None, gemm_pairs=None, rank_pairs=None):
    """The Markdown report and its JSON from JMH results, the BenchEnv object, the header fields, the
    previous report's JSON object (or None), the peers' figures (load_peers; None: not measured) and the paired
    rounds of the training step against PyTorch (paired_step_table), of the GEMM against OpenBLAS
    (paired_gemm_table) and of the low-rank step against the full-rank one (paired_rank_table); None or empty: not
    run."""
    header = dict(header)
    if peers_info(peers):
        header["peers"] = peers_info(peers)
    figs = [measure(r) for r in results]
    current = {f["key"]: {k: f[k] for k in ("value", "min", "max", "error", "unit", "better", "iterations")} for f in figs}
    regs = regressions(current, previous.get("figures", {})) if previous else []
    marks = {r["key"] for r in regs}

    peak_md, peak_derived, peak_core = peak_section(figs, marks)
    gemm_md, gemm_derived = gemm_section(figs, marks, peak_core, peers)
    gemm_paired_md, gemm_paired_derived = paired_gemm_table(gemm_pairs or [])
    if gemm_md:
        gemm_md += gemm_paired_md
    svd_md, svd_derived = svd_section(figs, marks, env, peers)
    step_md, step_derived, torch_derived = step_section(figs, marks, peers)
    paired_md, paired_derived = paired_step_table(pairs or [])
    rank_md, rank_derived = paired_rank_table(rank_pairs or [])
    if step_md:
        step_md += paired_md + rank_md
    tr_md, tr_derived = oialr_section(
        figs, marks, "transition", "OIALR transition: full rank -> U S V^T",
        "One thin SVD per eligible layer (layers spread over the cores) and the module and optimizer swap; "
        "\"in full-rank steps\" divides by the same model's full-rank training step above.", lambda p: [])
    up_md, up_derived = oialr_section(
        figs, marks, "rankUpdate", "OIALR rank update",
        "One rank update with the spec's defaults (sigma cutoff 0.1) on dense S matrices: batched SVD of S, the "
        "rank cut, U·P, V·Q and S's optimizer state. \"all\" updates every converted layer, \"last 10%\" the "
        "last 10% of them (the first update of a run).",
        lambda p: ["all" if p.get("scope") == "all" else "last 10%"])

    md = header_lines(header) + [""] + peers_missing_line(peers)
    md += guard_lines(regs, previous_name, (previous or {}).get("header"), header, figs)
    for section in (peak_md, gemm_md, svd_md, step_md, tr_md, up_md):
        if section:
            md += [""] + section
    md += ["", "Cells: median [min-max] over all measurement iterations (ms unless stated). "
           "Raw JMH results and every derived figure: the .json beside this file."]
    report = {
        "format": 1,
        "header": header,
        "env": env,
        "previous": previous_name,
        "regressions": regs,
        "figures": current,
        "derived": {"peak": peak_derived, "gemm": gemm_derived, "svd": svd_derived, "trainStep": step_derived,
                    "transition": tr_derived, "rankUpdate": up_derived, "trainStepVsPytorch": torch_derived, "trainStepVsPytorchPaired": paired_derived,
                    "gemmVsOpenblasPaired": gemm_paired_derived, "lowRankVsFullPaired": rank_derived},
        "peers": peers,
        "jmh": results,
    }
    return "\n".join(md) + "\n", report


# ------------------------------------------------------------------ command line

def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown (no /proc/cpuinfo)"


def cpu_vector(env):
    """The widest x86 vector extension in /proc/cpuinfo's flags and the Vector API's preferred species."""
    isa = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    isa = next((name for flag, name in (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX"),
                                                        ("sse2", "SSE2")) if flag in flags), None)
                    break
    except OSError:
        pass
    parts = [f"{isa} (CPU flags)"] if isa else []
    if env.get("vectorBits"):
        parts.append(f"Vector API preferred species {env['vectorBits']}-bit")
    return "; ".join(parts) or None


def git_commit(cwd):
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=cwd, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return sha + (" (with uncommitted changes)" if dirty else "")


def jvm_of(results):
    if not results:
        return "unknown"
    r = results[0]
    return f"{r.get('vmName', 'JVM')} {r.get('vmVersion', r.get('jdkVersion', '?'))}"


def backend_of(env):
    text = env.get("backend", "unknown")
    if env.get("vectorBits"):
        text += f" (Vector API {env['vectorBits']}-bit)"
    reasons = env.get("backendReasons") or []
    return text + "".join("; " + r for r in reasons)


def read_json(path, missing):
    """The JSON in `path`, or `missing` where it is absent or unreadable (a round of the pairs that failed)."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return missing


def main(argv):
    ap = argparse.ArgumentParser(description="Write benchmarks/results/<date>.md and .json from JMH results.")
    ap.add_argument("jmh", nargs="+", help="JMH JSON result files (-rf json)")
    ap.add_argument("--env", required=True, help="JSON printed by org.oialr.bench.BenchEnv")
    ap.add_argument("--profile", required=True, help="profile name and its JMH options, for the header")
    ap.add_argument("--results", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"),
                    help="directory of the reports (default benchmarks/results)")
    ap.add_argument("--date", default=datetime.date.today().isoformat(), help="YYYY-MM-DD (default today)")
    ap.add_argument("--note", default="", help="a line for the header, e.g. 'machine shared'")
    ap.add_argument("--wall-seconds", type=float, help="wall time of the whole run, for the header")
    ap.add_argument("--peers", action="append", default=[],
                    help="a JSON file of benchmarks/peers.py (repeatable); none: the report says the peers were not measured")
    ap.add_argument("--pair", nargs=2, action="append", default=[], metavar=("OURS.json", "PEERS.json"),
                    help="one round of the paired step comparison, in the order run (repeatable): our JMH result "
                         "file and peers.py's; a missing or unreadable file leaves that round out")
    ap.add_argument("--gemm-pair", nargs=2, action="append", default=[], metavar=("OURS.json", "PEERS.json"),
                    help="one round of the paired GEMM comparison, in the order run (repeatable): our GemmBench JMH "
                         "result file and peers.py's gemm file; a missing or unreadable file leaves that round out")
    ap.add_argument("--rank-pair", nargs=2, action="append", default=[], metavar=("FULL.json", "LOW.json"),
                    help="one round of the paired low-rank comparison (repeatable): TrainStepBench JMH result files of "
                         "the full-rank and the low-rank steps; a missing or unreadable file leaves that round out")
    args = ap.parse_args(argv[1:])

    if not re.match(r"^\d{4}-\d{2}-\d{2}$", args.date):
        ap.error(f"--date must be YYYY-MM-DD, got {args.date}")
    results = []
    for path in args.jmh:
        with open(path) as f:
            results.extend(json.load(f))
    if not results:
        ap.error("the JMH files hold no results: did every benchmark fail? See the JMH log above")
    with open(args.env) as f:
        env = json.load(f)

    os.makedirs(args.results, exist_ok=True)
    stem = report_stem(args.date, tracked_files(args.results))
    name = stem + ".json"
    cpu = cpu_model()
    prev_path = previous_report(args.results, name, tracked_files(args.results), cpu)
    previous = None
    if prev_path:
        with open(prev_path) as f:
            previous = json.load(f)
    peers = load_peers(args.peers) if args.peers else None
    header = {"date": args.date, "cpu": cpu, "vector": cpu_vector(env), "cores": os.cpu_count(), "jvm": jvm_of(results),
              "backend": backend_of(env), "profile": args.profile, "commit": git_commit(args.results),
              "wallSeconds": args.wall_seconds, "note": args.note}
    pairs = [(read_json(ours, []), read_json(peer, None)) for ours, peer in args.pair]
    gemm_pairs = [(read_json(ours, []), read_json(peer, None)) for ours, peer in args.gemm_pair]
    rank_pairs = [(read_json(full, []), read_json(low, [])) for full, low in args.rank_pair]
    md, report = build(results, env, header, previous, os.path.basename(prev_path) if prev_path else None, peers,
                       pairs, gemm_pairs, rank_pairs)

    md_path, json_path = os.path.join(args.results, stem + ".md"), os.path.join(args.results, name)
    with open(md_path, "w") as f:
        f.write(md)
    with open(json_path, "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    print(md)
    print(f"report: wrote {md_path} and {json_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
