package org.oialr.autodiff;

import java.util.Arrays;
import java.util.function.Function;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;

/**
 * Checks analytic gradients against central differences. The objective is L = Σ f(x) ⊙ R for a fixed
 * random R (so every output element matters); L is accumulated in float64 over the float32 outputs, and
 * dL/dx_i ≈ (L(x + ε e_i) − L(x − ε e_i)) / 2ε. Inputs larger than {@code maxPerInput} elements are probed
 * at that many random positions.
 */
public final class GradCheck {
    private GradCheck() {
    }

    /** Outcome: worst error over all probed elements, and where it was. */
    public record Result(boolean ok, double maxAbsError, String worst) {
    }

    /** Tolerances and probing. */
    public record Options(double eps, double atol, double rtol, int maxPerInput, long seed) {
        public static Options defaults() {
            return new Options(1e-3, 2e-3, 2e-2, 64, 1234L);
        }

        public Options withEps(double e) {
            return new Options(e, atol, rtol, maxPerInput, seed);
        }

        public Options withTolerance(double a, double r) {
            return new Options(eps, a, r, maxPerInput, seed);
        }
    }

    /** Checks with default options and throws {@link AssertionError} with the worst element on failure. */
    public static void assertGradients(Function<Var[], Var> f, Tensor... inputs) {
        assertGradients(Options.defaults(), f, inputs);
    }

    public static void assertGradients(Options o, Function<Var[], Var> f, Tensor... inputs) {
        Result r = check(o, f, inputs);
        if (!r.ok()) throw new AssertionError("gradcheck failed: " + r.worst());
    }

    /** Runs the check; {@code inputs} are copied, never modified. */
    public static Result check(Options o, Function<Var[], Var> f, Tensor... inputs) {
        Var[] leaves = new Var[inputs.length];
        for (int i = 0; i < inputs.length; i++) leaves[i] = Var.leaf(inputs[i].copy());
        Var out = f.apply(leaves);
        Rng rng = new Rng(o.seed());
        Tensor r = Tensor.rand(rng, -1f, 1f, out.shape());
        Var loss = F.sum(F.mul(out, Var.constant(r)));
        loss.backward();

        double worst = -1;
        String where = "no element probed";
        boolean ok = true;
        for (int in = 0; in < inputs.length; in++) {
            Tensor x = leaves[in].value();
            Tensor analytic = leaves[in].grad() == null ? Tensor.zeros(x.shape()) : leaves[in].grad();
            int n = x.numel();
            int[] probe = n <= o.maxPerInput() ? range(n) : sample(rng, n, o.maxPerInput());
            float[] xd = x.data();
            for (int i : probe) {
                float orig = xd[x.offset() + i];
                xd[x.offset() + i] = (float) (orig + o.eps());
                double lp = objective(f, leaves, r);
                xd[x.offset() + i] = (float) (orig - o.eps());
                double lm = objective(f, leaves, r);
                xd[x.offset() + i] = orig;
                double h = ((double) (float) (orig + o.eps()) - (double) (float) (orig - o.eps()));
                double num = (lp - lm) / h;
                double ana = analytic.data()[analytic.offset() + i];
                double err = Math.abs(num - ana);
                boolean good = err <= o.atol() + o.rtol() * Math.max(Math.abs(num), Math.abs(ana));
                if (!good) ok = false;
                double score = err / (o.atol() + o.rtol() * Math.max(Math.abs(num), Math.abs(ana)));
                if (score > worst) {
                    worst = score;
                    where = "input " + in + " " + Arrays.toString(x.shape()) + " element " + i + ": analytic " + ana
                            + ", numeric " + num + " (|diff| " + err + ")";
                }
            }
        }
        return new Result(ok, worst, where);
    }

    private static double objective(Function<Var[], Var> f, Var[] leaves, Tensor r) {
        try (Grad.Scope s = Grad.off()) {
            Tensor y = f.apply(leaves).value().contiguous();
            double sum = 0;
            float[] yd = y.data(), rd = r.data();
            for (int i = 0; i < y.numel(); i++) sum += (double) yd[y.offset() + i] * rd[i];
            return sum;
        }
    }

    private static int[] range(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
    }

    private static int[] sample(Rng rng, int n, int k) {
        int[] all = range(n);
        rng.shuffle(all);
        return Arrays.copyOf(all, k);
    }
}
