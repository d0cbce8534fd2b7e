#!/usr/bin/env python3
"""Prints a Markdown table from JMH JSON results (`-rf json`).

Columns: benchmark, parameters, median time per operation in ms (median of all measurement iterations of
all forks), the min-max of those iterations (the noise), GFLOP/s where the work of an operation is known,
and the speed-up over EJML where a row with impl=ejml has otherwise the same parameters.

Extending it: add a rule to FLOP_RULES for a new benchmark whose work is known from its parameters; a
benchmark may also declare a `flops` parameter, or count its flops in a `flops` aux counter (FmaPeakBench:
the rate summed over its threads). Rows whose work is unknown get no GFLOP/s.
"""
import json
import re
import statistics
import sys

# (benchmark-name regex, function(params) -> flops per operation or None)
GEMM_SHAPE = re.compile(r"^(?:[NT]{2}-)?(\d+)x(\d+)x(\d+)$")


def gemm_flops(params):
    m = GEMM_SHAPE.match(params.get("shape", ""))
    if not m:
        return None
    mm, nn, kk = (int(g) for g in m.groups())
    return 2.0 * mm * nn * kk


FLOP_RULES = [
    (re.compile(r"\.GemmBench\."), gemm_flops),
]

TO_MS = {"ns/op": 1e-6, "us/op": 1e-3, "ms/op": 1.0, "s/op": 1e3}
PER_MS = {"ops/ns": 1e6, "ops/us": 1e3, "ops/ms": 1.0, "ops/s": 1e-3}


def to_ms(score, unit):
    if unit in TO_MS:
        return score * TO_MS[unit]
    if unit in PER_MS:
        return 1.0 / (score * PER_MS[unit]) if score else float("inf")
    raise ValueError("unsupported JMH unit " + unit)


def flops_of(bench, params):
    if "flops" in params:
        return float(params["flops"])
    for pattern, rule in FLOP_RULES:
        if pattern.search(bench):
            return rule(params)
    return None


def fmt(x, digits=3):
    if x is None:
        return ""
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.{digits}g}"


def rows_of(results):
    rows = []
    for r in results:
        bench = r["benchmark"]
        params = r.get("params", {}) or {}
        metric = r["primaryMetric"]
        unit = metric["scoreUnit"]
        samples = [to_ms(s, unit) for fork in metric.get("rawData", []) for s in fork]
        if not samples:
            samples = [to_ms(metric["score"], unit)]
        med = statistics.median(samples)
        flops = flops_of(bench, params)
        counter = (r.get("secondaryMetrics") or {}).get("flops")
        rates = [s * PER_MS[counter["scoreUnit"]] * 1e3 / 1e9 for fork in counter.get("rawData", []) for s in fork] if counter else []
        rows.append({
            "bench": bench,
            "short": ".".join(bench.split(".")[-2:]),
            "params": params,
            "median": med,
            "lo": min(samples),
            "hi": max(samples),
            "gflops": statistics.median(rates) if rates else flops / (med * 1e-3) / 1e9 if flops else None,
            "gflops_best": max(rates) if rates else flops / (min(samples) * 1e-3) / 1e9 if flops else None,
        })
    return rows


def key_without_impl(row):
    return (row["bench"], tuple(sorted((k, v) for k, v in row["params"].items() if k != "impl")))


def table(rows):
    ejml = {key_without_impl(r): r for r in rows if r["params"].get("impl") == "ejml"}
    out = ["| benchmark | params | median ms | min-max ms | GFLOP/s (median) | GFLOP/s (best) | speed-up vs EJML |",
           "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        params = ", ".join(f"{k}={v}" for k, v in r["params"].items())
        ratio = ""
        if r["params"].get("impl") not in (None, "ejml"):
            ref = ejml.get(key_without_impl(r))
            if ref:
                ratio = f"{ref['median'] / r['median']:.1f}x"
        out.append(f"| {r['short']} | {params} | {fmt(r['median'])} | {fmt(r['lo'])}-{fmt(r['hi'])} | "
                   f"{fmt(r['gflops'])} | {fmt(r['gflops_best'])} | {ratio} |")
    return "\n".join(out)


def main(argv):
    if len(argv) < 2:
        print("usage: table.py JMH_RESULT.json [...]", file=sys.stderr)
        return 2
    rows = []
    for path in argv[1:]:
        with open(path) as f:
            rows.extend(rows_of(json.load(f)))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
