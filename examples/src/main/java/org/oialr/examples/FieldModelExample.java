package org.oialr.examples;

import java.io.IOException;
import java.util.List;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.data.ArrayDataset;
import org.oialr.data.FashionMnist;
import org.oialr.data.Split;
import org.oialr.engine.Rng;
import org.oialr.method.oialr.OialrConfig;
import org.oialr.method.oialr.OialrMethod;
import org.oialr.nn.Conv2d;
import org.oialr.nn.Linear;
import org.oialr.nn.Module;
import org.oialr.train.ResultsTable;
import org.oialr.train.RunResult;
import org.oialr.train.TrainConfig;
import org.oialr.train.Trainer;

/**
 * A model written the way a PyTorch user writes one: layers kept in fields and called directly in {@code forward}.
 * OIALR changes how each layer holds its weight (dense, then U·S·Vᵀ) without replacing the layer objects, so the
 * fields stay valid and keep training after the transition.
 *
 * <pre>{@code ./oialr.sh example field-model     # or: java -cp ... org.oialr.examples.FieldModelExample}</pre>
 */
public final class FieldModelExample {
    /**
     * Two 3×3 convolutions (1→16→32, each with 2×2 max-pooling, as one op, and ReLU: the same function as ReLU then
     * pooling), then 1568→256→10 with ReLU.
     */
    public static final class SmallNet extends Module {
        final Conv2d conv1;
        final Conv2d conv2;
        final Linear fc1;
        final Linear head;

        public SmallNet(long seed) {
            Rng rng = new Rng(seed);
            conv1 = registerModule("conv1", new Conv2d(1, 16, 3, 1, 1, rng));
            conv2 = registerModule("conv2", new Conv2d(16, 32, 3, 1, 1, rng));
            fc1 = registerModule("fc1", new Linear(32 * 7 * 7, 256, rng));
            head = registerModule("head", new Linear(256, 10, rng));
        }

        @Override
        public Var forward(Var x) {
            Var h = F.relu(conv1.forwardMaxPool2x2(F.reshape(x, x.dim(0), 1, 28, 28))); // conv, pool as one op
            h = F.relu(conv2.forwardMaxPool2x2(h));
            return head.forward(F.relu(fc1.forward(F.reshape(h, h.dim(0), 32 * 7 * 7))));
        }
    }

    private FieldModelExample() {
    }

    /** Trains {@link SmallNet} with OIALR on the first {@code trainExamples} Fashion-MNIST images; returns the result. */
    public static RunResult run(int trainExamples, int testExamples, int epochs) throws IOException {
        Split<ArrayDataset> data = FashionMnist.loadNormalized(FashionMnist.DEFAULT_DIR);
        SmallNet net = new SmallNet(7);
        TrainConfig settings = TrainConfig.builder().epochs(epochs).batchSize(64).trainLimit(trainExamples).testLimit(testExamples).build();
        OialrConfig oialr = OialrConfig.builder().keepLastLayer(true).build(); // transition after a third of the run, updates every epoch
        Trainer trainer = Trainer.builder().model(net).modelName("small-net").train(data.train()).test(data.heldOut())
                .config(settings).method(new OialrMethod(oialr)).build();
        RunResult r = trainer.run();
        // the fields still point at the layers that trained: their weights are now U·S·Vᵀ
        System.out.println("fc1 holds its weight as " + net.fc1.weightSlot().form());
        return r;
    }

    public static void main(String[] args) throws IOException {
        RunResult r = run(12_000, 2_000, 4);
        System.out.print(ResultsTable.markdown(List.of(r)));
    }
}
