package org.oialr.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Grad;
import org.oialr.autodiff.Var;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;
import org.oialr.optim.AdamW;
import org.oialr.optim.Optimizer;
import org.oialr.optim.SGD;
import org.oialr.optim.WarmupCosine;

/** End to end: small networks, losses, backward and optimizers drive the loss to near zero. */
class TrainingTest {

    private static float trainStep(Module m, Optimizer opt, Tensor x, Tensor y) {
        try (Workspace ws = Workspace.open()) {
            opt.zeroGrad();
            Var loss = F.mse(m.forward(x), Var.constant(y));
            float l = loss.item();
            loss.backward();
            opt.step();
            return l;
        }
    }

    @Test
    void learnsXor() {
        Rng rng = new Rng(5);
        Module net = new Sequential(new Linear(2, 8, rng), new Tanh(), new Linear(8, 1, rng));
        Tensor x = Tensor.of(new float[] {0, 0, 0, 1, 1, 0, 1, 1}, 4, 2);
        Tensor y = Tensor.of(new float[] {0, 1, 1, 0}, 4, 1);
        AdamW opt = new AdamW(net.parameters(), 0.05, 0.9, 0.999, 1e-8, 0.0);
        float first = trainStep(net, opt, x, y), loss = first;
        for (int i = 0; i < 600; i++) loss = trainStep(net, opt, x, y);
        assertTrue(loss < 1e-4f, "XOR loss " + first + " -> " + loss);
        try (Grad.Scope s = Grad.off()) {
            float[] p = net.forward(x).value().toArray();
            for (int i = 0; i < 4; i++) assertTrue(Math.abs(p[i] - y.data()[i]) < 0.05f, "prediction " + p[i] + " for " + y.data()[i]);
        }
    }

    @Test
    void learnsAClassifierWithCrossEntropy() {
        // XOR as two classes, logits from a ReLU MLP
        Rng rng = new Rng(9);
        Module net = new Sequential(new Linear(2, 16, rng), new ReLU(), new Linear(16, 2, rng));
        Tensor x = Tensor.of(new float[] {0, 0, 0, 1, 1, 0, 1, 1}, 4, 2);
        int[] labels = {0, 1, 1, 0};
        AdamW opt = new AdamW(net.parameters(), 0.03, 0.9, 0.999, 1e-8, 0.0);
        float loss = 0;
        for (int i = 0; i < 500; i++) {
            try (Workspace ws = Workspace.open()) {
                opt.zeroGrad();
                Var l = F.crossEntropy(net.forward(x), labels, 0f);
                loss = l.item();
                l.backward();
                opt.step();
            }
        }
        assertTrue(loss < 1e-2f, "cross-entropy " + loss);
    }

    @Test
    void nonlinearRegressionReachesNearZeroLoss() {
        // a student network fits the outputs of a teacher of the same architecture (AdamW, cosine schedule)
        Module teacher = new Sequential(new Linear(4, 16, new Rng(1)), new Tanh(), new Linear(16, 2, new Rng(2)));
        Rng rng = new Rng(3);
        Module student = new Sequential(new Linear(4, 16, rng), new Tanh(), new Linear(16, 2, rng));
        Tensor x = Tensor.rand(new Rng(4), -2f, 2f, 128, 4);
        Tensor y;
        try (Grad.Scope s = Grad.off()) {
            y = teacher.forward(x).value().copy();
        }
        AdamW opt = new AdamW(student.parameters(), 0.03, 0.9, 0.999, 1e-8, 0);
        WarmupCosine schedule = new WarmupCosine(opt, 0, 1500, 0);
        float first = trainStep(student, opt, x, y), loss = first;
        schedule.step();
        for (int i = 1; i < 1500; i++) {
            loss = trainStep(student, opt, x, y);
            schedule.step();
        }
        assertTrue(loss < 1e-4f && loss < 1e-3f * first, "regression loss " + first + " -> " + loss);
    }

    @Test
    void linearRegressionReachesZeroLossWithNesterovMomentum() {
        // y = A x + b exactly; a Linear layer trained by SGD with Nesterov momentum recovers A and b
        Rng rng = new Rng(6);
        Tensor a = Tensor.randn(rng, 3, 5), b = Tensor.randn(rng, 3);
        Tensor x = Tensor.randn(rng, 64, 5);
        Tensor y = Tensor.zeros(64, 3);
        for (int i = 0; i < 64; i++) {
            for (int r = 0; r < 3; r++) {
                double s = b.get(r);
                for (int c = 0; c < 5; c++) s += a.get(r, c) * x.get(i, c);
                y.set((float) s, i, r);
            }
        }
        Linear lin = new Linear(5, 3, rng);
        SGD opt = new SGD(lin.parameters(), 0.1, 0.9, 0, true, 0);
        float loss = 0;
        for (int i = 0; i < 300; i++) loss = trainStep(lin, opt, x, y);
        assertTrue(loss < 1e-8f, "linear regression loss " + loss);
        assertTrue(lin.weight().value().allClose(a, 1e-4f, 0f), "recovered A");
        assertTrue(lin.bias().value().allClose(b, 1e-4f, 0f), "recovered b");
    }

    @Test
    void trainingStepsReuseTheWorkspaceInSteadyState() {
        Rng rng = new Rng(8);
        VisionTransformer vit = new VisionTransformer(new VisionTransformer.Config(8, 1, 4, 16, 2, 2, 2, 10), rng);
        Module cnn = new Sequential(new Conv2d(1, 4, 3, 1, 1, rng), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
                new Dropout(0.1f, rng), new Flatten(), new Linear(64, 10, rng));
        Tensor x = Tensor.randn(rng, 6, 1, 8, 8);
        int[] labels = {0, 1, 2, 3, 4, 5};
        for (Module m : new Module[] {vit, cnn}) {
            AdamW opt = new AdamW(m.parameters(), 1e-3);
            long fresh = 0;
            for (int step = 0; step < 5; step++) {
                if (step == 2) fresh = Workspace.freshBytes();
                try (Workspace ws = Workspace.open()) {
                    opt.zeroGrad();
                    Var loss = F.crossEntropy(m.forward(x), labels, 0.1f);
                    loss.backward();
                    opt.step();
                }
            }
            assertEquals(fresh, Workspace.freshBytes(), m.getClass().getSimpleName() + ": steps 3-5 took no new arrays from the pool");
        }
    }
}
