"""Tests of report.py on a recorded JMH result (testdata/jmh-smoke.json: short smoke runs of every benchmark
on the project's 2-core machine). Run: python3 -m unittest discover benchmarks
"""
import contextlib
import io
import json
import os
import tempfile
import unittest

import report

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "testdata", "jmh-smoke.json")
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


if __name__ == "__main__":
    unittest.main()
