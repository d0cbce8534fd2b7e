package org.oialr.tune;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import org.oialr.data.Dataset;
import org.oialr.method.oialr.OialrConfig;
import org.oialr.method.full.FullRankMethod;
import org.oialr.method.oialr.OialrMethod;
import org.oialr.model.ModelFile;
import org.oialr.model.ModelInfo;
import org.oialr.model.StoredForms;
import org.oialr.nn.Module;
import org.oialr.train.EpochMetrics;
import org.oialr.train.ModelZoo;
import org.oialr.train.OutDirPolicy;
import org.oialr.train.RunResult;
import org.oialr.train.TrainConfig;
import org.oialr.train.TrainListener;
import org.oialr.train.Trainer;
import org.oialr.train.TrainingDivergedException;

/**
 * Where the trials of a {@link Tuner} train: the tuner's pool threads ({@link Tuner.Builder#threads}, the trials at
 * once) hand every trial's next stretch of training, a {@link Job}, to the runner and wait for its {@link Outcome}.
 * The default, {@link #inProcess()}, trains on the calling thread; the Spark module's {@code SparkTrialRunner} trains
 * each job as a Spark task. Whatever the runner, a job trains by {@link Job#train}, so a trial's result does not depend
 * on where it ran.
 *
 * <p>The tuner calls {@link #start} once per search, before any job, then {@link #train} from several threads at once,
 * then {@link #finish} once when the search ends (also when it fails).
 */
public interface TrialRunner {

    /**
     * A search begins: every job of it trains on {@code train} and is evaluated on {@code validation} (the two parts
     * the tuner carved from its training split). A runner that sends the data elsewhere does it here, once.
     *
     * @throws IOException if the data cannot be made ready
     */
    void start(Dataset train, Dataset validation) throws IOException;

    /**
     * Trains one job of the search started last and waits for it. Called from several threads at once.
     *
     * @param job     what to train
     * @param dir     the trial's directory on this machine: it holds the trial's checkpoint when the job
     *                {@link Job#resume resumes}, and must hold the new one (with the other files of the run) when this returns
     * @param stopped true once the search is stopping: the job may then end early with a {@link CancellationException}
     * @return the trial's objectives after the job, or that its training diverged
     * @throws IOException if the trial's files cannot be read or written
     */
    Outcome train(Job job, Path dir, BooleanSupplier stopped) throws IOException;

    /** The search has ended: release what {@link #start} took. The default does nothing. */
    default void finish() {
    }

    /** The default runner: each job trains in this process, on the thread that asks (single-threaded in a search). */
    static TrialRunner inProcess() {
        return new TrialRunner() {
            private volatile Dataset train, validation;

            @Override
            public void start(Dataset train, Dataset validation) {
                this.train = train;
                this.validation = validation;
            }

            @Override
            public Outcome train(Job job, Path dir, BooleanSupplier stopped) throws IOException {
                Dataset t = train, v = validation;
                if (t == null || v == null) throw new IllegalStateException("TrialRunner.inProcess(): no search started (start(train, validation) gives its data)");
                return job.train(t, v, dir, stopped);
            }

            @Override
            public void finish() {
                train = null;
                validation = null;
            }

            @Override
            public String toString() {
                return "in-process trials";
            }
        };
    }

    /**
     * One stretch of a trial's training: from the start, or from the checkpoint in the trial's directory, to the next
     * rung. Serializable, to travel to another process.
     *
     * @param model      the zoo model ({@link ModelZoo}), built for the data's shape and classes with the config's seed
     * @param config     the trial's run settings (all its epochs)
     * @param oialr      the trial's OIALR settings, or null for the search's full-rank baseline (the dense model trained
     *                   with {@code config}'s settings by {@link FullRankMethod})
     * @param pauseAfter the epoch to stop after (a rung), or 0 to train to the end
     * @param resume     continue from the checkpoint in the trial's directory ({@link Trainer#checkpointIn}); else
     *                   train from the start
     */
    record Job(String model, TrainConfig config, OialrConfig oialr, int pauseAfter, boolean resume) implements Serializable {
        private static final long serialVersionUID = 1L;

        /** Checks the parts. */
        public Job {
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(config, "config");
            if (pauseAfter < 0) throw new IllegalArgumentException("pauseAfter must be >= 0 (0 = to the end), got " + pauseAfter);
        }

        /** The epochs trained when the job ends. */
        public int epochs() {
            return pauseAfter > 0 ? Math.min(pauseAfter, config.epochs()) : config.epochs();
        }

        /**
         * Trains the job here, on the calling thread, in the run directory {@code dir}, and measures the trial: the one
         * home of a trial's training, whichever runner calls it.
         *
         * @param train      the examples to train on
         * @param validation the examples to evaluate on
         * @param dir        the run directory: the checkpoint to resume from is read there, the new one written there
         * @param stopped    polled at every step; when true the training ends with a {@link CancellationException}
         * @return the objectives after the job, or {@link Outcome#DIVERGED} when the loss stopped being finite
         * @throws IOException if the run directory cannot be read or written
         */
        public Outcome train(Dataset train, Dataset validation, Path dir, BooleanSupplier stopped) throws IOException {
            Trainer.Builder tb = Trainer.builder().config(config).model(() -> ModelZoo.build(model, train.sampleShape(), train.numClasses(), config.seed()))
                    .modelName(model).method(() -> oialr == null ? new FullRankMethod() : new OialrMethod(oialr)).train(train).test(validation)
                    .outDir(dir).outDirPolicy(OutDirPolicy.MOVE_ASIDE).listener(new TrainListener() {
                        @Override
                        public void onStep(long step, int epoch, double loss) {
                            if (stopped.getAsBoolean()) throw new CancellationException("the search stopped");
                        }
                    });
            if (pauseAfter > 0) tb.pauseAfter(pauseAfter);
            Trainer trainer = tb.build();
            try {
                RunResult r = resume ? trainer.resume(Trainer.checkpointIn(dir)) : trainer.run();
                EpochMetrics m = r.last();
                long bytes = storedBytes(trainer.model(), model, train, dir.resolve("model.safetensors"));
                return new Outcome(false, 100 * m.testTop1(), m.trainablePercent(), bytes);
            } catch (TrainingDivergedException e) {
                return Outcome.DIVERGED;
            }
        }

        /**
         * The bytes of {@code m} saved in its smallest exact form ({@link StoredForms.Storage#COMPACT}) with what a
         * model file of the search records, measured by saving it to {@code file} (deleted after).
         */
        static long storedBytes(Module m, String model, Dataset data, Path file) throws IOException {
            Files.createDirectories(file.getParent());
            ModelFile.save(file, m, new ModelInfo(model, data.sampleShape(), null, data.normalization(), "oialr"), StoredForms.Storage.COMPACT);
            long size = Files.size(file);
            Files.delete(file);
            return size;
        }
    }

    /**
     * What a job gave.
     *
     * @param diverged         the training diverged (a loss that is not finite): the other values are 0
     * @param top1             validation top-1 (%) after the job
     * @param trainablePercent trainable parameters (% of the dense model's) after the job
     * @param storedBytes      bytes of the model saved in its smallest exact form after the job
     */
    record Outcome(boolean diverged, double top1, double trainablePercent, long storedBytes) implements Serializable {
        private static final long serialVersionUID = 1L;

        /** The outcome of a job whose training diverged. */
        public static final Outcome DIVERGED = new Outcome(true, 0, 0, 0);
    }
}
