package org.oialr.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Grad;
import org.oialr.autodiff.Var;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;

/**
 * Gradcheck of a whole module: the analytic gradients of L = Σ module(x) ⊙ R (R fixed random) with respect
 * to the input and to every parameter, against central differences that perturb the input and the
 * parameter values in place (L accumulated in float64). Large tensors are probed at random positions.
 */
final class ModuleGradCheck {
    private ModuleGradCheck() {
    }

    static final double EPS = 1e-3, ATOL = 2e-3, RTOL = 2e-2;
    static final int MAX_PER_TENSOR = 48;

    /** Checks the input gradient and every parameter gradient. */
    static void assertGradients(Module m, Tensor x) {
        assertGradients(m, x, true, () -> { });
    }

    /**
     * @param checkInput   false for inputs that receive no gradient (indices)
     * @param beforeForward run before every forward (e.g. to replay the same dropout mask)
     */
    static void assertGradients(Module m, Tensor x, boolean checkInput, Runnable beforeForward) {
        Rng rng = new Rng(99);
        Tensor input = x.copy();
        m.zeroGrad();
        beforeForward.run();
        Var xin = checkInput ? Var.leaf(input) : Var.constant(input);
        Var y = m.forward(xin);
        Tensor r = Tensor.rand(rng, -1f, 1f, y.shape());
        F.sum(F.mul(y, Var.constant(r))).backward();

        LinkedHashMap<String, Tensor[]> probes = new LinkedHashMap<>(); // name -> {value, analytic gradient}
        if (checkInput) probes.put("input", new Tensor[] {input, gradOrZeros(xin.grad(), input)});
        for (Map.Entry<String, Parameter> e : m.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            probes.put("parameter '" + e.getKey() + "'", new Tensor[] {p.value(), gradOrZeros(p.grad(), p.value()).copy()});
        }
        if (probes.isEmpty()) throw new AssertionError("nothing to check: no input gradient and no parameters");

        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, Tensor[]> e : probes.entrySet()) {
            Tensor v = e.getValue()[0], analytic = e.getValue()[1];
            float[] d = v.data();
            int n = v.numel();
            int[] idx = positions(rng, n);
            for (int i : idx) {
                float orig = d[v.offset() + i];
                float up = (float) (orig + EPS), down = (float) (orig - EPS);
                d[v.offset() + i] = up;
                double lp = objective(m, input, r, beforeForward);
                d[v.offset() + i] = down;
                double lm = objective(m, input, r, beforeForward);
                d[v.offset() + i] = orig;
                double num = (lp - lm) / ((double) up - (double) down);
                double ana = analytic.data()[analytic.offset() + i];
                double err = Math.abs(num - ana);
                if (err > ATOL + RTOL * Math.max(Math.abs(num), Math.abs(ana))) {
                    failures.add(e.getKey() + " " + Arrays.toString(v.shape()) + " element " + i + ": analytic " + ana + ", numeric " + num);
                }
            }
        }
        if (!failures.isEmpty()) {
            throw new AssertionError("gradcheck of " + m.describe() + " failed at " + failures.size() + " elements, e.g. "
                    + String.join("; ", failures.subList(0, Math.min(4, failures.size()))));
        }
    }

    private static Tensor gradOrZeros(Tensor g, Tensor like) {
        return g == null ? Tensor.zeros(like.shape()) : g;
    }

    private static int[] positions(Rng rng, int n) {
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        if (n <= MAX_PER_TENSOR) return all;
        rng.shuffle(all);
        return Arrays.copyOf(all, MAX_PER_TENSOR);
    }

    private static double objective(Module m, Tensor x, Tensor r, Runnable beforeForward) {
        try (Grad.Scope s = Grad.off()) {
            beforeForward.run();
            Tensor y = m.forward(Var.constant(x)).value().contiguous();
            double sum = 0;
            for (int i = 0; i < y.numel(); i++) sum += (double) y.data()[y.offset() + i] * r.data()[i];
            return sum;
        }
    }
}
