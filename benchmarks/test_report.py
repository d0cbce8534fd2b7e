"""Tests of report.py on a recorded JMH result (testdata/jmh-smoke.json: short smoke runs of every benchmark
on the project's 2-core machine; testdata/jmh-step-gc.json: TrainStepBench with -prof gc) and of its join with
the peers' figures (testdata/peers-smoke.json, peers.py's format with round figures). The PyTorch replicas of
the zoo models are checked where torch is importable (e.g. /usr/bin/python3 -m unittest discover benchmarks).
Run: python3 -m unittest discover benchmarks
"""
import contextlib
import importlib.util
import io
import json
import os
import tempfile
import unittest

import peers
import report

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "testdata", "jmh-smoke.json")
STEP_GC = os.path.join(HERE, "testdata", "jmh-step-gc.json")
PEERS = os.path.join(HERE, "testdata", "peers-smoke.json")
NO_CUDA = {"backend": "cpu-vector", "backendReasons": ["cuda not used: no NVIDIA driver (libcuda.so.1 not found): "
                                                        "install the NVIDIA driver"],
           "cudaUsable": False, "cuda": "no NVIDIA driver (libcuda.so.1 not found): install the NVIDIA driver",
           "vectorBits": 512, "threads": 2}
HEADER = {"date": "2026-11-26", "cpu": "AMD EPYC", "cores": 2, "jvm": "OpenJDK 17", "backend": "cpu-vector",
          "profile": "short", "commit": "abc1234", "wallSeconds": 300.0, "note": "machine shared"}

# hand-worked from the fixture's raw iterations (ms/op, or flops/us for the FMA loop)
OURS_1T_MS = (0.617005207002457 + 0.49853911171797416) / 2
EJML_1T_MS = (12.743799379746836 + 12.700009518987342) / 2
PEAK_1T_GFLOPS = (217399.96630793042 + 265987.8467457038) / 2 / 1000
GEMM_FLOPS = 2 * 128 * 512 * 784
MLP_STEP_MS = 3.3570385268456375
MLP_STEP_LOW_MS = 2.4003763453237412
MLP_TRANSITION_MS = 587.00095
MLP_UPDATE_LAST10_MS = 322.9219395


def load_fixture():
    with open(FIXTURE) as f:
        return json.load(f)


class DerivedFigures(unittest.TestCase):
    def setUp(self):
        self.md, self.report = report.build(load_fixture(), NO_CUDA, HEADER)
        self.derived = self.report["derived"]

    def test_medians_and_error_bars_come_from_all_iterations(self):
        fig = self.report["figures"]["GemmBench.gemm[impl=ours,shape=NN-128x512x784,threads=1]"]
        self.assertAlmostEqual(fig["value"], OURS_1T_MS, places=12)
        self.assertAlmostEqual(fig["min"], 0.49853911171797416, places=12)
        self.assertAlmostEqual(fig["max"], 0.617005207002457, places=12)
        self.assertEqual(fig["better"], "lower")

    def test_fma_peak_is_the_flops_counter_in_gflops(self):
        fig = self.report["figures"]["FmaPeakBench.oneThread[]"]
        self.assertAlmostEqual(fig["value"], PEAK_1T_GFLOPS, places=6)
        self.assertEqual((fig["unit"], fig["better"]), ("GFLOP/s", "higher"))
        two = self.derived["peak"]["2"]
        self.assertAlmostEqual(two["gflopsPerCore"], (259942.45411214058 + 266706.44471620757) / 2 / 1000 / 2, places=6)

    def test_gemm_gflops_fraction_of_peak_and_speedup(self):
        row = next(r for r in self.derived["gemm"] if r["threads"] == 1)
        ours_gflops = GEMM_FLOPS / (OURS_1T_MS / 1000) / 1e9
        self.assertAlmostEqual(row["oursGflops"], ours_gflops, places=6)
        self.assertAlmostEqual(ours_gflops, 184.2, places=1)  # the order of magnitude, by hand: 1.03e8 / 5.58e-4 s
        self.assertAlmostEqual(row["fractionOfPeak"], ours_gflops / PEAK_1T_GFLOPS, places=9)
        self.assertAlmostEqual(row["speedupOverEjml"], EJML_1T_MS / OURS_1T_MS, places=9)
        two = next(r for r in self.derived["gemm"] if r["threads"] == 2)
        ours2 = GEMM_FLOPS / ((0.5630750056242969 + 0.5711183692307692) / 2 / 1000) / 1e9
        self.assertAlmostEqual(two["fractionOfPeak"], ours2 / (2 * PEAK_1T_GFLOPS), places=9)

    def test_costs_in_training_steps_divide_by_the_full_rank_step(self):
        transition = self.derived["transition"][0]
        self.assertAlmostEqual(transition["inSteps"], MLP_TRANSITION_MS / MLP_STEP_MS, places=9)
        last10 = next(r for r in self.derived["rankUpdate"] if r["scope"] == "last10")
        self.assertAlmostEqual(last10["inSteps"], MLP_UPDATE_LAST10_MS / MLP_STEP_MS, places=9)

    def test_training_step_samples_per_second_and_speedup(self):
        low = next(r for r in self.derived["trainStep"] if r["model"] == "mlp" and r["rank"] == "0.1")
        self.assertAlmostEqual(low["samplesPerSecond"], 128 / (MLP_STEP_LOW_MS / 1000), places=6)
        self.assertAlmostEqual(low["speedupOverFullRank"], MLP_STEP_MS / MLP_STEP_LOW_MS, places=9)
        self.assertIn("| MLP | low rank, 10% of full ranks | 2.4 [2.4-2.4] | 53,325 | 1.40x |", self.md)

    def test_markdown_has_header_sections_and_cuda_reason(self):
        for text in ("# Benchmark report 2026-11-26", "| CPU | AMD EPYC |", "| git commit | abc1234 |",
                     "| profile | short |", "| note | machine shared |", "## Machine peak", "## GEMM", "## SVD",
                     "## Training step", "## OIALR transition", "## OIALR rank update",
                     "n/a (no NVIDIA driver (libcuda.so.1 not found))",
                     "Regression guard: no previous report"):
            self.assertIn(text, self.md)
        self.assertIn("| NN-128x512x784 | 1 | 0.558 [0.499-0.617] | 184 | 76% | 12.7 [12.7-12.7] | 8.08 | 23x |", self.md)
        self.assertNotIn(report.WARN, self.md)

    def test_json_keeps_the_raw_jmh_results(self):
        self.assertEqual(self.report["jmh"], load_fixture())
        self.assertEqual(len(self.report["figures"]), len(load_fixture()))


class RegressionGuard(unittest.TestCase):
    def figs(self, value, better="lower"):
        return {"x": {"value": value, "better": better, "unit": "ms" if better == "lower" else "GFLOP/s"}}

    def marked(self, previous, current, better):
        return [r["key"] for r in report.regressions(self.figs(current, better), self.figs(previous, better))]

    def test_a_time_20_percent_longer_is_marked_19_percent_is_not(self):
        self.assertEqual(self.marked(10.0, 12.0, "lower"), ["x"])
        self.assertEqual(self.marked(10.0, 11.9, "lower"), [])
        self.assertEqual(self.marked(10.0, 15.0, "lower"), ["x"])

    def test_a_rate_20_percent_lower_is_marked_19_percent_is_not(self):
        self.assertEqual(self.marked(200.0, 160.0, "higher"), ["x"])
        self.assertEqual(self.marked(200.0, 162.0, "higher"), [])

    def test_better_figures_are_never_marked(self):
        self.assertEqual(self.marked(10.0, 5.0, "lower"), [])
        self.assertEqual(self.marked(200.0, 400.0, "higher"), [])
        self.assertEqual(self.marked(10.0, 10.0, "lower"), [])

    def test_figures_missing_on_either_side_are_not_compared(self):
        self.assertEqual(report.regressions(self.figs(20.0), {"y": {"value": 1.0, "better": "lower"}}), [])

    def test_report_marks_the_worse_figure_and_says_so_at_the_top(self):
        _, first = report.build(load_fixture(), NO_CUDA, HEADER)
        previous = json.loads(json.dumps(first))
        ours = "GemmBench.gemm[impl=ours,shape=NN-128x512x784,threads=1]"
        svd = "SvdBench.svd[impl=ejml,shape=256x256]"
        peak = "FmaPeakBench.oneThread[]"
        previous["figures"][ours]["value"] = OURS_1T_MS / 1.25          # now 25% slower: marked
        previous["figures"][svd]["value"] /= 1.1                        # now 10% slower: not marked
        previous["figures"][peak]["value"] = PEAK_1T_GFLOPS / 0.75      # now 25% lower rate: marked
        md, rep = report.build(load_fixture(), NO_CUDA, HEADER, previous, "2026-11-20.json")
        self.assertEqual([r["key"] for r in rep["regressions"]], [peak, ours])
        guard = next(line for line in md.splitlines() if "Regression guard" in line)
        self.assertTrue(guard.startswith(report.WARN + " **Regression guard: 2 figure(s) 20% or more worse than in 2026-11-20.json**"), guard)
        self.assertLess(md.index(guard), md.index("## Machine peak"))
        self.assertIn("| NN-128x512x784 | 1 | 0.558 [0.499-0.617] " + report.WARN + " |", md)
        self.assertIn("| 256x256 | square | 29.8 [29.7-29.8] | n/a", md)
        self.assertIn("| 1 | 242 [217-266] " + report.WARN + " |", md)
        self.assertAlmostEqual(rep["regressions"][1]["worse"], 0.25, places=9)


class PreviousReport(unittest.TestCase):
    def test_newest_committed_dated_report_other_than_the_one_being_written(self):
        with tempfile.TemporaryDirectory() as d:
            for name in ("2026-10-01.json", "2026-11-01.json", "2026-11-20.json", "2026-11-26.json",
                         "gemm-2026-11-25.json", "2026-12-01.md"):
                open(os.path.join(d, name), "w").close()
            self.assertEqual(os.path.basename(report.previous_report(d, "2026-11-26.json")), "2026-11-20.json")
            tracked = {"2026-10-01.json", "2026-11-01.json", "2026-11-26.json"}
            self.assertEqual(os.path.basename(report.previous_report(d, "2026-11-26.json", tracked)), "2026-11-01.json")
            self.assertIsNone(report.previous_report(d, "2026-11-26.json", set()))

    def test_a_second_report_of_a_day_gets_a_letter_and_sorts_after_the_first(self):
        self.assertEqual(report.report_stem("2026-12-07", set()), "2026-12-07")
        self.assertEqual(report.report_stem("2026-12-07", None), "2026-12-07")
        self.assertEqual(report.report_stem("2026-12-07", {"2026-12-07.json"}), "2026-12-07-b")
        self.assertEqual(report.report_stem("2026-12-07", {"2026-12-07.json", "2026-12-07-b.json"}), "2026-12-07-c")
        with tempfile.TemporaryDirectory() as d:
            for name in ("2026-12-06.json", "2026-12-07.json", "2026-12-07-b.json", "2026-12-07-x.md"):
                open(os.path.join(d, name), "w").close()
            self.assertEqual(os.path.basename(report.previous_report(d, "2026-12-07-c.json")), "2026-12-07-b.json")
            self.assertEqual(os.path.basename(report.previous_report(d, "2026-12-07-b.json")), "2026-12-07.json")

    def test_a_report_from_the_same_cpu_is_preferred_over_a_newer_one_from_another(self):
        with tempfile.TemporaryDirectory() as d:
            for name, cpu in (("2026-10-01.json", "Intel Xeon"), ("2026-11-01.json", "AMD EPYC"),
                              ("2026-11-20.json", "AMD EPYC")):
                with open(os.path.join(d, name), "w") as f:
                    json.dump({"header": {"cpu": cpu}}, f)
            with open(os.path.join(d, "2026-11-25.json"), "w") as f:
                f.write("{damaged")
            pick = lambda cpu: os.path.basename(report.previous_report(d, "2026-12-07.json", None, cpu))
            self.assertEqual(pick("Intel Xeon"), "2026-10-01.json")
            self.assertEqual(pick("AMD EPYC"), "2026-11-20.json")
            self.assertEqual(pick("Apple M4"), "2026-11-25.json")        # none from that CPU: the newest
            self.assertEqual(pick(None), "2026-11-25.json")

    def test_command_line_writes_both_files_and_compares_with_the_previous_run(self):
        with tempfile.TemporaryDirectory() as d:
            env = os.path.join(d, "env.json")
            with open(env, "w") as f:
                json.dump(NO_CUDA, f)
            out = os.path.join(d, "results")
            args = ["report.py", "--env", env, "--profile", "short", "--results", out, FIXTURE]
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                self.assertEqual(report.main(args + ["--date", "2026-11-20"]), 0)
                self.assertEqual(report.main(args + ["--date", "2026-11-26"]), 0)
            self.assertEqual(sorted(os.listdir(out)), ["2026-11-20.json", "2026-11-20.md", "2026-11-26.json", "2026-11-26.md"])
            with open(os.path.join(out, "2026-11-26.json")) as f:
                rep = json.load(f)
            self.assertEqual(rep["previous"], "2026-11-20.json")
            self.assertEqual(rep["regressions"], [])
            with open(os.path.join(out, "2026-11-26.md")) as f:
                self.assertIn("Regression guard: no figure is 20% or more worse than in 2026-11-20.json.", f.read())


class PeersJoin(unittest.TestCase):
    """Our figures beside the peers' (testdata/peers-smoke.json) and the ratios."""

    def setUp(self):
        self.peers = report.load_peers([PEERS])
        self.md, self.report = report.build(load_fixture(), NO_CUDA, HEADER, peers=self.peers)
        self.derived = self.report["derived"]

    def test_gemm_ratio_divides_our_gflops_by_openblas(self):
        one = next(r for r in self.derived["gemm"] if r["threads"] == 1)
        ours = GEMM_FLOPS / (OURS_1T_MS / 1000) / 1e9
        self.assertEqual(one["openblasGflops"], 150.0)
        self.assertAlmostEqual(one["oursOverOpenblas"], ours / 150.0, places=9)
        self.assertAlmostEqual(one["oursOverOpenblas"], 1.228, places=3)     # 184.2 / 150, by hand
        two = next(r for r in self.derived["gemm"] if r["threads"] == 2)
        self.assertAlmostEqual(two["oursOverOpenblas"], GEMM_FLOPS / (0.567096687427533e-3 * 250e9), places=3)
        self.assertIn("| ours vs EJML | OpenBLAS GFLOP/s | ours / OpenBLAS |", self.md)
        self.assertIn("| NN-128x512x784 | 1 | 0.558 [0.499-0.617] | 184 | 76% | 12.7 [12.7-12.7] | 8.08 | 23x | 150 | 1.23x |",
                      self.md)

    def test_svd_ratio_divides_the_times(self):
        row = next(r for r in self.derived["svd"] if r["shape"] == "256x256")
        ejml = self.report["figures"]["SvdBench.svd[impl=ejml,shape=256x256]"]["value"]
        self.assertEqual(row["lapackMs"], 2.5)
        self.assertAlmostEqual(row["ejmlOverLapack"], ejml / 2.5, places=9)
        self.assertIn("| 256x256 | square | 29.8 [29.7-29.8] | n/a (no NVIDIA driver (libcuda.so.1 not found)) | n/a "
                      "| 2.5 [2.4-2.7] | 12x |", self.md)
        batch = next(r for r in self.derived["svd"] if r["shape"] == "64x16x16")
        self.assertAlmostEqual(batch["ejmlOverLapack"], 1.3525267049937133 / 0.9, delta=0.2)

    def test_step_compares_with_pytorchs_best_thread_setting(self):
        rows = {r["model"]: r for r in self.derived["trainStepVsPytorch"]}
        self.assertEqual(sorted(rows), ["mlp", "vit"])
        mlp = rows["mlp"]
        self.assertEqual(mlp["pytorchBest"], "2 threads, OMP_WAIT_POLICY=PASSIVE")
        self.assertEqual(mlp["pytorchBestMs"], 3.5)
        self.assertAlmostEqual(mlp["oursOverPytorch"], MLP_STEP_MS / 3.5, places=9)   # 0.959
        self.assertAlmostEqual(rows["vit"]["oursOverPytorch"], 125.731512125 / 50.0, delta=0.05)
        self.assertIn("### Against PyTorch (full rank)", self.md)
        self.assertIn("| MLP | 3.36 [3.36-3.36] (2 threads) | 4 [3.9-4.4] | 3.5 [3.4-3.9] | "
                      "2 threads, OMP_WAIT_POLICY=PASSIVE | 0.96x |", self.md)

    def test_header_names_the_peers_and_the_vector_width(self):
        header = dict(HEADER, vector="AVX-512 (CPU flags); Vector API preferred species 512-bit")
        md, rep = report.build(load_fixture(), NO_CUDA, header, peers=self.peers)
        self.assertIn("| vector width | AVX-512 (CPU flags); Vector API preferred species 512-bit |", md)
        self.assertIn("| peers | PyTorch 1.13.0a0, numpy 1.24.2 (/usr/bin/python3); BLAS and LAPACK: OpenBLAS 0.3.21 ", md)
        self.assertIn("SkylakeX", rep["header"]["peers"])
        self.assertEqual(rep["peers"]["info"]["numpy"], "1.24.2")
        self.assertNotIn("not measured", md)

    def test_without_peers_one_line_says_so_and_the_tables_keep_their_columns(self):
        md, rep = report.build(load_fixture(), NO_CUDA, HEADER)
        lines = [line for line in md.splitlines() if "not measured" in line]
        self.assertEqual(len(lines), 1)
        self.assertIn("apt-get install python3-torch", lines[0])
        tables = md.replace(lines[0], "")
        self.assertNotIn("OpenBLAS", tables)
        self.assertNotIn("LAPACK", tables)
        self.assertNotIn("PyTorch", tables)
        self.assertIn("## SVD: EJML and CUDA (SvdBench)", md)
        self.assertEqual(rep["derived"]["trainStepVsPytorch"], [])

    def test_a_failed_peer_run_is_named_and_the_rest_still_joins(self):
        broken = dict(self.peers, svdError="torch.linalg.svd: out of memory")
        del broken["svd"]
        md, _ = report.build(load_fixture(), NO_CUDA, HEADER, peers=broken)
        self.assertIn("Peer measurement failed for this section: torch.linalg.svd: out of memory", md)
        self.assertIn("| 150 | 1.23x |", md)
        md, _ = report.build(load_fixture(), NO_CUDA, HEADER, peers={"info": {"error": "ModuleNotFoundError: torch"}})
        self.assertIn("not measured: ModuleNotFoundError: torch.", md)

    def test_peer_files_merge_and_an_unreadable_one_is_recorded(self):
        with tempfile.TemporaryDirectory() as d:
            a, b, bad = (os.path.join(d, n) for n in ("a.json", "b.json", "bad.json"))
            with open(a, "w") as f:
                json.dump({"gemm": [{"shape": "x", "threads": 1}]}, f)
            with open(b, "w") as f:
                json.dump({"gemm": [{"shape": "x", "threads": 2}], "info": {"numpy": "1"}}, f)
            with open(bad, "w") as f:
                f.write("{")
            merged = report.load_peers([a, b, bad])
        self.assertEqual([g["threads"] for g in merged["gemm"]], [1, 2])
        self.assertEqual(merged["info"], {"numpy": "1"})
        self.assertEqual(len(merged["fileErrors"]), 1)

    def test_allocation_per_step_from_the_gc_profiler(self):
        results = [r for r in load_fixture() if "TrainStepBench" not in r["benchmark"]]
        with open(STEP_GC) as f:
            results += json.load(f)
        md, rep = report.build(results, NO_CUDA, HEADER)
        full = next(r for r in rep["derived"]["trainStep"] if r["rank"] == "full")
        self.assertAlmostEqual(full["allocBytesPerStep"], (2865709.224489796 + 951881.4736842106) / 2, places=3)
        self.assertIn("| model | phase | ms per step | samples/s | speed-up vs full rank | allocated per step |", md)
        self.assertIn("| 1.00x | 1.82 MB |", md)      # 1,908,795 B / 1024²
        # the smoke fixture ran without -prof gc: no column
        self.assertNotIn("allocated per step", report.build(load_fixture(), NO_CUDA, HEADER)[0])

    def test_bytes_format(self):
        self.assertEqual(report.fmt_bytes(512), "512 B")
        self.assertEqual(report.fmt_bytes(2048), "2 KB")
        self.assertEqual(report.fmt_bytes(1.5 * 1024 ** 2), "1.5 MB")
        self.assertEqual(report.fmt_bytes(None), "-")

    def test_command_line_joins_the_peer_files(self):
        with tempfile.TemporaryDirectory() as d:
            env = os.path.join(d, "env.json")
            with open(env, "w") as f:
                json.dump(NO_CUDA, f)
            out = os.path.join(d, "results")
            args = ["report.py", "--env", env, "--profile", "short", "--results", out, "--date", "2026-12-07",
                    "--peers", PEERS, FIXTURE]
            with contextlib.redirect_stdout(io.StringIO()) as text, contextlib.redirect_stderr(io.StringIO()):
                self.assertEqual(report.main(args), 0)
            self.assertIn("| ours / OpenBLAS |", text.getvalue())
            with open(os.path.join(out, "2026-12-07.json")) as f:
                self.assertEqual(json.load(f)["peers"]["svd"][0]["shape"], "256x256")


def jmh_step(model, samples_ms):
    """A JMH result of TrainStepBench's full-rank step with these per-iteration times (ms/op)."""
    return {"benchmark": "org.oialr.bench.TrainStepBench.trainStep",
            "params": {"batch": "128", "model": model, "rank": "full", "threads": "2"},
            "primaryMetric": {"score": sum(samples_ms) / len(samples_ms), "scoreUnit": "ms/op", "rawData": [samples_ms]},
            "secondaryMetrics": {}}


def torch_step(model, one, two):
    return {"step": [{"model": model, "ms": one, "setting": "1 thread", "threads": 1},
                     {"model": model, "ms": two, "setting": "2 threads, OMP_WAIT_POLICY=PASSIVE", "threads": 2}]}


class PairedStep(unittest.TestCase):
    """The step against PyTorch in rounds: each round's ratio, then their median (worked by hand)."""

    def setUp(self):
        vit = torch_step("vit", 70.0, 60.0)
        r1 = torch_step("mlp", 8.0, 5.0)
        r1["step"] += vit["step"]
        self.pairs = [
            ([jmh_step("mlp", [3.0, 4.0, 5.0]), jmh_step("vit", [30.0])], r1),  # mlp 4 / 5 = 0.8; vit 30 / 60
            ([jmh_step("mlp", [2.0, 2.0, 2.0])], torch_step("mlp", 10.0, 4.0)),  # 2 / 4 = 0.5
            ([jmh_step("mlp", [6.0, 6.0, 6.0])], torch_step("mlp", 10.0, 12.0)),  # 6 / 10 = 0.6
            ([jmh_step("mlp", [1.0])], None),                                      # PyTorch failed: left out
        ]

    def test_median_of_the_rounds_ratios(self):
        lines, rows = report.paired_step_table(self.pairs)
        md = "\n".join(lines)
        mlp = next(r for r in rows if r["model"] == "mlp")
        self.assertEqual([r["ratio"] for r in mlp["rounds"]], [0.8, 0.5, 0.6])
        self.assertEqual(mlp["rounds"][1]["pytorchBest"], "2 threads, OMP_WAIT_POLICY=PASSIVE")
        self.assertEqual(mlp["rounds"][2]["pytorchBest"], "1 thread")
        self.assertAlmostEqual(mlp["oursOverPytorchMedian"], 0.6)
        self.assertEqual((mlp["oursOverPytorchMin"], mlp["oursOverPytorchMax"]), (0.5, 0.8))
        self.assertIn("| MLP | 3 | 4 [2-6] | 5 [4-10.0] | 0.60x [0.50-0.80] |", md)
        self.assertIn("| mini ViT | 1 | 30.0 [30.0-30.0] | 60.0 [60.0-60.0] | 0.50x [0.50-0.50] |", md)
        self.assertIn("1 round(s) without figures on one side are left out.", md)
        self.assertLess(md.index("| MLP |"), md.index("| mini ViT |"))

    def test_the_report_puts_them_after_the_step_table_and_in_the_json(self):
        md, rep = report.build(load_fixture(), NO_CUDA, HEADER, peers=report.load_peers([PEERS]), pairs=self.pairs)
        self.assertLess(md.index("### Against PyTorch (full rank)"), md.index("### Against PyTorch, in pairs (full rank)"))
        self.assertLess(md.index("### Against PyTorch, in pairs"), md.index("## OIALR transition"))
        paired = rep["derived"]["trainStepVsPytorchPaired"]
        self.assertEqual([r["model"] for r in paired], ["mlp", "vit"])
        md, rep = report.build(load_fixture(), NO_CUDA, HEADER, peers=report.load_peers([PEERS]))
        self.assertNotIn("in pairs", md)
        self.assertEqual(rep["derived"]["trainStepVsPytorchPaired"], [])

    def test_no_round_with_both_sides_gives_no_table(self):
        self.assertEqual(report.paired_step_table([([], torch_step("mlp", 1.0, 1.0)), ([jmh_step("mlp", [1.0])], {})]),
                         ([], []))

    def test_main_reads_the_rounds_and_leaves_out_a_missing_file(self):
        with tempfile.TemporaryDirectory() as d:
            paths = {}
            for name, data in (("ours1", [jmh_step("mlp", [2.0])]), ("peers1", torch_step("mlp", 5.0, 4.0)),
                               ("ours2", [jmh_step("mlp", [3.0])]), ("env", NO_CUDA), ("jmh", load_fixture())):
                paths[name] = os.path.join(d, name + ".json")
                with open(paths[name], "w") as f:
                    json.dump(data, f)
            out = io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                report.main(["report.py", "--env", paths["env"], "--profile", "short", "--results", os.path.join(d, "r"),
                             "--date", "2026-12-07", "--pair", paths["ours1"], paths["peers1"],
                             "--pair", paths["ours2"], os.path.join(d, "missing.json"), paths["jmh"]])
            self.assertIn("| MLP | 1 | 2 [2-2] | 4 [4-4] | 0.50x [0.50-0.50] |", out.getvalue())
            self.assertIn("1 round(s) without figures on one side are left out.", out.getvalue())


def jmh_gemm(shape, threads, samples_ms):
    """A JMH result of GemmBench with our kernel on this shape and thread count (ms/op per iteration)."""
    return {"benchmark": "org.oialr.bench.GemmBench.gemm", "params": {"impl": "ours", "shape": shape, "threads": str(threads)},
            "primaryMetric": {"score": sum(samples_ms) / len(samples_ms), "scoreUnit": "ms/op", "rawData": [samples_ms]},
            "secondaryMetrics": {}}


def blas_gemm(shape, threads, gflops):
    return {"shape": shape, "threads": threads, "gflops": gflops, "ms": 0.0}


class PairedGemm(unittest.TestCase):
    """The GEMM against OpenBLAS in rounds (worked by hand: NN-100x100x100 is 2e6 flops, so 0.02 ms is 100 GFLOP/s)."""

    def setUp(self):
        s = "NN-100x100x100"
        self.pairs = [
            ([jmh_gemm(s, 1, [0.02]), jmh_gemm(s, 2, [0.01, 0.02, 0.01])],
             {"gemm": [blas_gemm(s, 1, 125.0), blas_gemm(s, 2, 250.0)]}),      # 100 / 125 = 0.8; 200 / 250 = 0.8
            ([jmh_gemm(s, 1, [0.016])], {"gemm": [blas_gemm(s, 1, 125.0)]}),    # 125 / 125 = 1.0
            ([jmh_gemm(s, 1, [0.02])], {"gemm": [blas_gemm(s, 1, 100 / 0.9)]}),  # 100 / 111.1 = 0.9
            ([jmh_gemm(s, 1, [0.02])], None),                                   # OpenBLAS failed: left out
        ]

    def test_median_of_the_rounds_ratios(self):
        lines, rows = report.paired_gemm_table(self.pairs)
        md = "\n".join(lines)
        one = next(r for r in rows if r["threads"] == 1)
        self.assertEqual([round(r["ratio"], 12) for r in one["rounds"]], [0.8, 1.0, 0.9])
        self.assertAlmostEqual(one["oursOverOpenblasMedian"], 0.9)
        self.assertAlmostEqual(one["rounds"][1]["oursGflops"], 125.0)
        two = next(r for r in rows if r["threads"] == 2)
        self.assertAlmostEqual(two["oursOverOpenblasMedian"], 0.8)
        self.assertIn("| NN-100x100x100 | 1 | 3 | 100.0 [100.0-125] | 125 [111-125] | 0.90x [0.80-1.00] |", md)
        self.assertIn("1 round(s) without figures on one side are left out.", md)
        self.assertLess(md.index("| NN-100x100x100 | 1 |"), md.index("| NN-100x100x100 | 2 |"))

    def test_the_report_puts_them_after_the_gemm_table_and_in_the_json(self):
        md, rep = report.build(load_fixture(), NO_CUDA, HEADER, peers=report.load_peers([PEERS]), gemm_pairs=self.pairs)
        self.assertLess(md.index("## GEMM"), md.index("### Against OpenBLAS, in pairs"))
        self.assertLess(md.index("### Against OpenBLAS, in pairs"), md.index("## SVD"))
        self.assertEqual([r["threads"] for r in rep["derived"]["gemmVsOpenblasPaired"]], [1, 2])
        md, rep = report.build(load_fixture(), NO_CUDA, HEADER, peers=report.load_peers([PEERS]))
        self.assertNotIn("Against OpenBLAS, in pairs", md)
        self.assertEqual(rep["derived"]["gemmVsOpenblasPaired"], [])


def jmh_rank(model, rank, samples_ms):
    r = jmh_step(model, samples_ms)
    r["params"] = dict(r["params"], rank=rank)
    return r


class PairedRank(unittest.TestCase):
    """The low-rank step against the full-rank one in rounds (worked by hand)."""

    def setUp(self):
        self.pairs = [
            ([jmh_rank("mlp", "full", [4.0]), jmh_rank("cnn", "full", [30.0])],
             [jmh_rank("mlp", "0.25", [2.0]), jmh_rank("cnn", "0.25", [12.0])]),  # 0.5; cnn 0.4
            ([jmh_rank("mlp", "full", [5.0, 5.0, 5.0])], [jmh_rank("mlp", "0.25", [2.0])]),  # 0.4
            ([jmh_rank("mlp", "full", [4.0])], [jmh_rank("mlp", "0.25", [1.8])]),  # 0.45
            ([jmh_rank("mlp", "full", [4.0])], []),                                # the low-rank fork failed
        ]

    def test_median_of_the_rounds_ratios(self):
        lines, rows = report.paired_rank_table(self.pairs)
        md = "\n".join(lines)
        mlp = next(r for r in rows if r["model"] == "mlp")
        self.assertEqual([round(r["ratio"], 12) for r in mlp["rounds"]], [0.5, 0.4, 0.45])
        self.assertAlmostEqual(mlp["lowOverFullMedian"], 0.45)
        self.assertEqual((mlp["lowOverFullMin"], mlp["lowOverFullMax"]), (0.4, 0.5))
        self.assertIn("| MLP | 25% | 3 | 4 [4-5] | 2 [1.8-2] | 0.45x [0.40-0.50] |", md)
        self.assertIn("| CNN | 25% | 1 | 30.0 [30.0-30.0] | 12.0 [12.0-12.0] | 0.40x [0.40-0.40] |", md)
        self.assertIn("1 round(s) without figures on one side are left out.", md)
        self.assertLess(md.index("| MLP |"), md.index("| CNN |"))

    def test_the_report_puts_them_in_the_step_section_and_in_the_json(self):
        md, rep = report.build(load_fixture(), NO_CUDA, HEADER, rank_pairs=self.pairs)
        self.assertLess(md.index("## Training step"), md.index("### Low rank against full rank, in pairs"))
        self.assertLess(md.index("### Low rank against full rank, in pairs"), md.index("## OIALR transition"))
        self.assertEqual([r["model"] for r in rep["derived"]["lowRankVsFullPaired"]], ["mlp", "cnn"])

    def test_main_reads_the_rounds(self):
        with tempfile.TemporaryDirectory() as d:
            paths = {}
            for name, data in (("full1", [jmh_rank("mlp", "full", [4.0])]), ("low1", [jmh_rank("mlp", "0.25", [1.0])]),
                               ("ours1", [jmh_gemm("NN-100x100x100", 2, [0.01])]),
                               ("blas1", {"gemm": [blas_gemm("NN-100x100x100", 2, 400.0)]}),
                               ("env", NO_CUDA), ("jmh", load_fixture())):
                paths[name] = os.path.join(d, name + ".json")
                with open(paths[name], "w") as f:
                    json.dump(data, f)
            out = io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                report.main(["report.py", "--env", paths["env"], "--profile", "short", "--results", os.path.join(d, "r"),
                             "--date", "2026-12-07", "--rank-pair", paths["full1"], paths["low1"],
                             "--gemm-pair", paths["ours1"], paths["blas1"], paths["jmh"]])
            self.assertIn("| MLP | 25% | 1 | 4 [4-4] | 1 [1-1] | 0.25x [0.25-0.25] |", out.getvalue())
            self.assertIn("| NN-100x100x100 | 2 | 1 | 200 [200-200] | 400 [400-400] | 0.50x [0.50-0.50] |", out.getvalue())


class PeerShapes(unittest.TestCase):
    """peers.py measures what the JMH sections measured."""

    def test_shapes_and_models_come_from_the_jmh_results(self):
        results = load_fixture()
        self.assertEqual(peers.from_jmh(results, "gemm"), {"shapes": ["NN-128x512x784"], "threads": [1, 2]})
        self.assertEqual(peers.from_jmh(results, "svd"), {"shapes": ["256x256", "64x16x16"]})
        self.assertEqual(peers.from_jmh(results, "step"), {"models": ["mlp", "vit"], "batch": 128})

    def test_shape_parsing(self):
        self.assertEqual(peers.parse_gemm_shape("TN-784x512x128"), (True, False, 784, 512, 128))
        self.assertEqual(peers.parse_gemm_shape("NT-128x784x512"), (False, True, 128, 784, 512))
        self.assertEqual(peers.parse_svd_shape("64x16x16"), [64, 16, 16])
        for bad in ("128x512x784", "XN-1x2x3", "NN-1x2"):
            self.assertRaises(ValueError, peers.parse_gemm_shape, bad)
        for bad in ("64", "0x3", "2x3x4x5", "ax3"):
            self.assertRaises(ValueError, peers.parse_svd_shape, bad)

    def test_timing_takes_at_least_five_samples_of_the_call(self):
        calls = []
        samples = peers.time_calls(lambda: calls.append(1), seconds=0.01)
        self.assertGreaterEqual(len(samples), 5)
        self.assertTrue(all(s >= 0 for s in samples))
        self.assertGreater(len(calls), len(samples))       # warm-up calls and several calls per 20 ms sample


@unittest.skipUnless(importlib.util.find_spec("torch"), "torch not importable here (try /usr/bin/python3)")
class PeerModels(unittest.TestCase):
    """The PyTorch replicas have the zoo models' parameter counts (org.oialr.nn.Models' javadoc) and shapes."""

    def test_parameter_counts_and_logits(self):
        import torch
        for name, count in peers.PARAMS.items():
            net = peers.build_model(name)
            self.assertEqual(sum(p.numel() for p in net.parameters()), count, name)
            self.assertEqual(tuple(net(torch.randn(3, 1, 28, 28)).shape), (3, 10), name)
        self.assertEqual((669_706, 421_642, 139_018), (peers.PARAMS["mlp"], peers.PARAMS["cnn"], peers.PARAMS["vit"]))

    def test_vit_layer_norms_and_gelu_are_the_projects(self):
        from torch import nn
        vit = peers.build_model("vit")
        norms = [m for m in vit.modules() if isinstance(m, nn.LayerNorm)]
        self.assertEqual(len(norms), 9)                  # 2 per block x 4 + the final one
        self.assertTrue(all(m.eps == 1e-5 for m in norms))
        gelus = [m for m in vit.modules() if isinstance(m, nn.GELU)]
        self.assertEqual([g.approximate for g in gelus], ["none"] * 4)   # exact erf GELU


if __name__ == "__main__":
    unittest.main()
