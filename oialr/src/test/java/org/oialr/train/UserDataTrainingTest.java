package org.oialr.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.data.ArrayDataset;
import org.oialr.data.Dataset;
import org.oialr.engine.Rng;
import org.oialr.method.lorita.Lorita;
import org.oialr.method.oialr.OialrConfig;
import org.oialr.method.oialr.OialrMethod;
import org.oialr.nn.Models;
import org.oialr.train.report.CsvLog;

/**
 * The trainer on data sets implemented by the user and computed on the fly: classification, and regression with
 * {@link Loss#mse()} (full-rank and OIALR), with the errors for data and loss that do not fit.
 */
class UserDataTrainingTest {

    /**
     * Four Gaussian blobs in 8 dimensions: example i has class c = i % 4 and features 2 at positions 2c and 2c + 1,
     * else 0, plus 0.6 * noise, the noise drawn from a generator seeded by (seed, i); nothing is stored.
     */
    static final class Blobs implements Dataset {
        private final int n;
        private final long seed;

        Blobs(int n, long seed) {
            this.n = n;
            this.seed = seed;
        }

        @Override
        public String name() {
            return "blobs-" + seed;
        }

        @Override
        public int size() {
            return n;
        }

        @Override
        public int[] sampleShape() {
            return new int[] {8};
        }

        @Override
        public void copyExample(int i, float[] dst, int offset) {
            Rng r = new Rng(seed * 1_000_003L + i);
            int c = label(i);
            for (int j = 0; j < 8; j++) dst[offset + j] = (j / 2 == c ? 2f : 0f) + 0.6f * (float) r.nextGaussian();
        }

        @Override
        public int numClasses() {
            return 4;
        }

        @Override
        public int label(int i) {
            return i % 4;
        }
    }

    /**
     * y = A·x + 0.05·noise with x ~ N(0, I) in 16 dimensions and y in 4 (A fixed, entries N(0, 1/16), so each target
     * has variance about 1); example i is computed from a generator seeded by (seed, i) when it is asked for.
     */
    static final class LinearTargets implements Dataset {
        static final int IN = 16, OUT = 4;
        private static final float[] A = new float[OUT * IN];

        static {
            Rng r = new Rng(2024);
            for (int k = 0; k < A.length; k++) A[k] = (float) (r.nextGaussian() / 4);
        }

        private final int n;
        private final long seed;
        private final int[] targetShape;

        LinearTargets(int n, long seed) {
            this(n, seed, new int[] {OUT});
        }

        LinearTargets(int n, long seed, int[] targetShape) {
            this.n = n;
            this.seed = seed;
            this.targetShape = targetShape;
        }

        @Override
        public String name() {
            return "linear-" + seed;
        }

        @Override
        public int size() {
            return n;
        }

        @Override
        public int[] sampleShape() {
            return new int[] {IN};
        }

        @Override
        public int numClasses() {
            return 0;
        }

        @Override
        public int[] targetShape() {
            return targetShape.clone();
        }

        private float[] x(Rng r) {
            float[] x = new float[IN];
            for (int j = 0; j < IN; j++) x[j] = (float) r.nextGaussian();
            return x;
        }

        @Override
        public void copyExample(int i, float[] dst, int offset) {
            System.arraycopy(x(new Rng(seed * 1_000_003L + i)), 0, dst, offset, IN);
        }

        @Override
        public void copyTarget(int i, float[] dst, int offset) {
            Rng r = new Rng(seed * 1_000_003L + i);
            float[] x = x(r);
            for (int k = 0; k < OUT; k++) {
                double y = 0;
                for (int j = 0; j < IN; j++) y += A[k * IN + j] * x[j];
                dst[offset + k] = (float) (y + 0.05 * r.nextGaussian());
            }
        }
    }

    /** Population variance of all target values of {@code d}, pooled over the outputs. */
    private static double targetVariance(Dataset d) {
        int ts = d.targetSize();
        float[] t = new float[ts];
        double s = 0, s2 = 0;
        for (int i = 0; i < d.size(); i++) {
            d.copyTarget(i, t, 0);
            for (float v : t) {
                s += v;
                s2 += (double) v * v;
            }
        }
        double n = (double) d.size() * ts, m = s / n;
        return s2 / n - m * m;
    }

    private static TrainConfig regressionConfig(int epochs) {
        return TrainConfig.builder().epochs(epochs).batchSize(50).lr(3e-3).weightDecay(0).stabilityEvery(0).build();
    }

    private static Trainer.Builder regression(int epochs) {
        return Trainer.builder().model(() -> Models.mlp(LinearTargets.IN, new int[] {64, 64}, LinearTargets.OUT, 7))
                .modelName("linear-mlp").train(new LinearTargets(2000, 1)).test(new LinearTargets(500, 2)).config(regressionConfig(epochs));
    }

    @Test
    void aUserClassificationSetComputedOnTheFlyTrains() throws IOException {
        RunResult r = Trainer.builder().model(Models.mlp(8, new int[] {32}, 4, 5)).modelName("blob-mlp")
                .train(new Blobs(1200, 1)).test(new Blobs(400, 2))
                .config(TrainConfig.builder().epochs(4).batchSize(40).stabilityEvery(0).build()).build().run();
        EpochMetrics last = r.last();
        assertTrue(last.testTop1() > 0.9, "top-1 " + last.testTop1());
        assertTrue(last.trainTop1() > 0.8 && last.trainTop1() <= 1, "train top-1 " + last.trainTop1());
        assertEquals(1.0, last.testTop5(), 0.0, "4 classes: top-5 is every class");
        assertTrue(Double.isNaN(last.testMse()) && Double.isNaN(last.testMae()), "no regression metrics for classification");
        assertTrue(!last.isRegression());
    }

    @Test
    void aRegressionMlpFitsALinearMapWithFullRankTraining() throws IOException {
        Dataset test = new LinearTargets(500, 2);
        double variance = targetVariance(test);
        assertTrue(variance > 0.5, "target variance " + variance);
        RunResult r = regression(15).loss(Loss.mse()).build().run();
        EpochMetrics last = r.last();
        assertTrue(last.testMse() < 0.05 * variance, "test MSE " + last.testMse() + " vs target variance " + variance);
        assertTrue(r.history().get(0).testMse() > last.testMse(), "the MSE falls: " + r.history());
        assertEquals(last.testMse(), last.testLoss(), 1e-6 * last.testMse() + 1e-9, "with Loss.mse() the test loss is the MSE");
        assertTrue(last.testMae() > 0 && last.testMae() < Math.sqrt(last.testMse()) + 1e-9, "MAE " + last.testMae() + " <= RMSE");
        assertTrue(Double.isNaN(last.trainTop1()) && Double.isNaN(last.testTop1()) && Double.isNaN(last.testTop5()), "no accuracy for regression");
        assertTrue(last.isRegression());
        assertTrue(Double.isFinite(last.trainLoss()) && last.trainLoss() < 0.1 * variance, "train loss " + last.trainLoss());
        assertEquals(100.0, r.trainablePercent(), 1e-9);
    }

    @Test
    void aRegressionMlpFitsALinearMapWithOialrAndReportsIt(@TempDir Path dir) throws IOException {
        double variance = targetVariance(new LinearTargets(500, 2));
        // 40 steps per epoch: transition at step 120 (epoch 4), then a rank update every epoch
        OialrMethod method = new OialrMethod(OialrConfig.builder().delay(120).layerFraction(1f).build());
        RunResult r = regression(15).loss(Loss.mse()).method(method).outDir(dir).build().run();
        EpochMetrics last = r.last();
        assertTrue(last.testMse() < 0.05 * variance, "test MSE " + last.testMse() + " vs target variance " + variance);
        assertTrue(method.oialr().updatesDone() >= 2, "OIALR transitioned and updated ranks");
        assertTrue(r.trainablePercent() < 100, "ranks were cut: " + r.ranks() + ", trainable " + r.trainablePercent() + "%");
        // reports: the per-epoch CSV has the regression columns, NaN for accuracy
        List<List<String>> csv = CsvLog.read(dir.resolve("metrics.csv"));
        assertEquals(16, csv.size());
        List<String> header = csv.get(0);
        assertTrue(header.contains("test_mse") && header.contains("test_mae"), header.toString());
        assertEquals("NaN", csv.get(15).get(header.indexOf("test_top1")));
        assertEquals(last.testMse(), Double.parseDouble(csv.get(15).get(header.indexOf("test_mse"))), 1e-5 * last.testMse());
        for (String f : List.of("summary.json", Trainer.CHECKPOINT)) assertTrue(Files.size(dir.resolve(f)) > 0, f);
        // the results table shows "-" for accuracy and adds MSE and MAE
        String md = ResultsTable.markdown(List.of(r));
        assertTrue(md.contains("test MSE | test MAE") && md.contains("| linear-mlp | ") && md.contains(" | - | - | "), md);
        Path table = dir.resolve("results.csv");
        ResultsTable.writeCsv(table, List.of(r));
        assertEquals(ResultsTable.REGRESSION_CSV_COLUMNS, CsvLog.read(table).get(0));
    }

    @Test
    void aRegressionRunResumesBitForBit(@TempDir Path dir) throws IOException {
        // default loss (MSE for a regression set) and OIALR from step 40
        java.util.function.Supplier<Trainer.Builder> b = () -> regression(3).method(new OialrMethod(OialrConfig.builder().delay(40).build()));
        RunResult whole = b.get().outDir(dir.resolve("whole")).build().run();
        Path part = dir.resolve("part");
        Trainer crashing = b.get().outDir(part).build().listen(new TrainListener() {
            @Override
            public void onEpoch(EpochMetrics m) {
                if (m.epoch() == 1) throw new IllegalStateException("simulated crash after epoch 2");
            }
        });
        assertThrows(IllegalStateException.class, crashing::run);
        RunResult resumed = b.get().outDir(part).build().resume(part.resolve(Trainer.CHECKPOINT));
        assertEquals(whole.last().testMse(), resumed.last().testMse(), 0.0, "bitwise the same run");
        assertEquals(whole.last().testMae(), resumed.last().testMae(), 0.0);
        assertTrue(Double.isNaN(resumed.history().get(0).testTop1()), "NaN accuracy survives the checkpoint");
        assertEquals(4, CsvLog.read(part.resolve("metrics.csv")).size());
    }

    @Test
    void aModelOutputThatDoesNotMatchTheTargetShapeIsNamed() {
        Trainer t = Trainer.builder().model(Models.mlp(LinearTargets.IN, new int[] {8}, 3, 1)).train(new LinearTargets(100, 1))
                .test(new LinearTargets(50, 2)).loss(Loss.mse()).config(regressionConfig(1)).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, t::run);
        // checked on one example before the first step
        assertTrue(e.getMessage().contains("for one example of shape [16] the model outputs [1, 3]") && e.getMessage().contains("needs [1, 4]")
                && e.getMessage().contains("float targets of shape [4]") && e.getMessage().contains("build the model's last layer"), e.getMessage());
    }

    @Test
    void aLossThatDoesNotFitTheDataIsRejectedWhenBuilt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> regression(1).loss(Loss.crossEntropy(0.1f)).build());
        assertTrue(e.getMessage().contains("Loss.crossEntropy needs class labels") && e.getMessage().contains("'linear-1' is a regression set")
                && e.getMessage().contains("Loss.mse()"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Trainer.builder().model(Models.mlp(8, new int[] {4}, 4, 1))
                .train(new Blobs(40, 1)).test(new Blobs(20, 2)).loss(Loss.mse()).build());
        assertTrue(e.getMessage().contains("Loss.mse needs float targets") && e.getMessage().contains("Loss.crossEntropy"), e.getMessage());
    }

    @Test
    void trainAndTestDataMustAgree() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> regression(1).test(new LinearTargets(50, 2, new int[] {2, 2})).build());
        assertTrue(e.getMessage().contains("float targets of shape [4]") && e.getMessage().contains("[2, 2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> regression(1).test(ArrayDataset.copyOf(new Blobs(8, 3))).build());
        assertTrue(e.getMessage().contains("shape [16]") && e.getMessage().contains("[8]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> regression(1).config(regressionConfig(1).toBuilder().augment(true).build()).build());
        assertTrue(e.getMessage().contains("augment(false)"), e.getMessage());
    }

    @Test
    void aMethodThatValidatesOnAccuracyExplainsItCannotOnRegression() {
        Trainer t = regression(1).train(new LinearTargets(200, 1)).method(new Lorita()).build();
        IllegalStateException e = assertThrows(IllegalStateException.class, t::run);
        assertTrue(e.getMessage().contains("needs class labels") && e.getMessage().contains("regression set"), e.getMessage());
    }
}
