package org.oialr.method;

import java.util.List;
import java.util.Map;
import org.oialr.autodiff.Var;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;
import org.oialr.optim.Optimizer;

/**
 * A way of training a model, plugged into the trainer ({@code org.oialr.train.Trainer}): full-rank, OIALR, a peer
 * method, or your own. Each method is one package ({@code org.oialr.method.oialr}, ...) with its typed config, made
 * known to the command line by a {@link MethodProvider}. The trainer owns the model, the optimizer, the
 * learning-rate schedule, the data, the checkpoints and the reports; a method changes how layers hold their weights
 * ({@link org.oialr.nn.WeightSlot#setForm}) and moves optimizer slots ({@link Optimizer#transfer}) in {@link #attach}
 * and later hooks, and takes part in every step through the hooks below (all optional but the counts).
 *
 * <p>Per optimizer step the trainer calls {@link #beforeStep}, then {@link #trainStep}; the default step is
 * {@link Step#standard()}: forward, the run's loss (+ {@link #extraLoss()}), backward, {@link #afterBackward()},
 * gradient clipping, one optimizer step. After the last epoch's steps, before its evaluation, it calls
 * {@link #finish}.
 */
public interface TrainingMethod {

    /**
     * What {@link #attach} receives: the freshly built model and optimizer, the run's length in optimizer steps, and
     * the run's seed (for a method's own random draws).
     */
    record Setup(Module model, Optimizer optimizer, long totalSteps, int stepsPerEpoch, long seed) {
    }

    /** One training step's access to the trainer (its batch is already chosen). */
    interface Step {
        Module model();

        Optimizer optimizer();

        /**
         * Forward on the batch, the run's loss plus the method's
         * {@link TrainingMethod#extraLoss()}, backward; gradients accumulate into the parameters' buffers
         * (zero them first). Counts the batch's top-1 hits once per step (classification data). Returns the run's loss alone.
         *
         * Throws the trainer's divergence error when the loss is not finite.
         */
        float forwardBackward();

        /** Clips the gradients of {@code params} to the run's global norm (no-op when clipping is off). */
        void clip(List<Parameter> params);

        /** zeroGrad, {@link #forwardBackward()}, afterBackward, clip (all model parameters), optimizer step. */
        float standard();
    }

    /** What {@link #finish} may use. */
    interface Finish {
        /**
         * Top-1 accuracy of the model as it is now on the method's validation examples (the first N training examples);
         * classification data only (it throws, naming the problem, on a regression run).
         */
        double validationTop1();

        /** How many examples {@link #validationTop1()} uses. */
        int validationSize();
    }

    /** The method's registry name, used on the command line and in checkpoints ("oialr", "dlrt", ...). */
    default String name() {
        return label().toLowerCase(java.util.Locale.ROOT).replace(' ', '-');
    }

    /** Short name shown in tables and progress lines, e.g. "full-rank", "OIALR", "DLRT". */
    String label();

    /** Takes over the model and optimizer (called once, before the schedule is built and the first step). */
    void attach(Setup setup);

    /** Runs what is due before optimizer step {@code step} (= steps done); returns a one-line event, or null. */
    default String beforeStep(long step) {
        return null;
    }

    /** A term added to the loss inside the step's workspace (a regulariser), or null. */
    default Var extraLoss() {
        return null;
    }

    /** After backward, before clipping and the optimizer step (e.g. a coupled L2 term added to gradients). */
    default void afterBackward() {
    }

    /** One optimizer step; returns the batch's loss. DLRT replaces it with its K-L-S integrator. */
    default float trainStep(Step step) {
        return step.standard();
    }

    /** After the last step, before the final evaluation (LoRITa's collapse and cut); returns an event or null. */
    default String finish(Finish finish) {
        return null;
    }

    /** Elements of the parameters that are trained now. */
    long trainableParameters();

    /** Elements the model holds now: parameters plus frozen factors (U and V buffers). */
    long heldParameters();

    /** Rank of each factored layer now, in module order (empty for dense models). */
    default Map<String, Integer> ranks() {
        return Map.of();
    }

    /** Seconds spent in the method's own work (transitions, decompositions, collapse and cut). */
    default double methodSeconds() {
        return 0;
    }

    /** Layers whose Stability the trainer may record (full-rank and OIALR only). */
    default List<String> stabilityLayers() {
        return List.of();
    }

    /**
     * What the method needs, besides the model's tensors, forms and optimizer (which the trainer saves), to continue
     * a run from a checkpoint: counters, flags, chosen layers. JSON-able values (numbers come back as doubles).
     */
    default Map<String, Object> saveState() {
        return Map.of();
    }

    /**
     * Continues from {@link #saveState()}'s map. Called after {@link #attach} on a freshly built model, once the
     * trainer has put back the checkpoint's weight forms (through {@link #restoreForm}), tensors and optimizer.
     */
    default void restoreState(Map<String, Object> state) {
    }

    /**
     * A form of the structure {@code spec} for the layer at {@code path} (zero tensors; the checkpoint's values fill
     * them). The default rebuilds dense and generic factored forms; methods with forms of their own classes override.
     */
    default org.oialr.nn.WeightForm restoreForm(String path, org.oialr.nn.LayerGeometry geometry, FormSpec spec) {
        return spec.build(geometry);
    }
}
