package org.oialr.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.Linalg;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;

/**
 * W [out, fanIn] held as a product of factors W = M_1·M_2·…·M_k (k ≥ 2, written order: M_1 has out rows, M_k has
 * fanIn columns), each a matrix, a transposed matrix or a diagonal ({@link Factor}), trainable or frozen. Every
 * low-rank parameterisation is one: OIALR's U·S·Vᵀ, the two-factor A·B, SVD training's U·diag(|s|)·Vᵀ, LoRITa's
 * F_N·…·F_1. Trainable factors are registered in the layer as parameters, frozen ones as buffers, in written order.
 *
 * <p>The forward takes the cheapest of three equal computations ({@link #plan}, the one cost model of every
 * factored form), counting multiply-adds for R rows (R = input rows of a linear map, output pixels of a convolution)
 * with inner dimensions d_k = fanIn, …, d_0 = out:
 * <ul>
 *   <li>{@link Plan#CHAIN} (linear maps): the input through each factor in turn, R·Σ d_i·d_{i-1};</li>
 *   <li>{@link Plan#FIRST_THEN_PRODUCT}: the input through M_k (a convolution with d_{k-1} filters), then through the
 *       rebuilt product M_1…M_{k-1} (a 1×1 convolution): R·d_k·d_{k-1} + rebuild(M_1…M_{k-1}) + R·d_{k-1}·out;</li>
 *   <li>{@link Plan#REBUILD}: rebuild W and apply it: rebuild(M_1…M_k) + R·fanIn·out.</li>
 * </ul>
 * All three give the same values and gradients (to float32 rounding). Convolutions with more than one group
 * cannot be factored.
 */
public class FactoredForm extends WeightForm {
    /** How the forward runs (see the class comment). */
    public enum Plan { CHAIN, FIRST_THEN_PRODUCT, REBUILD }

    private final String kind;
    private final List<Factor> factors;

    /** @param factors M_1..M_k in written order (the product's left end first) */
    public FactoredForm(LayerGeometry geometry, String kind, List<Factor> factors) {
        super(geometry);
        this.kind = kind;
        this.factors = List.copyOf(factors);
        check(geometry, this.factors, kind);
    }

    public FactoredForm(LayerGeometry geometry, String kind, Factor... factors) {
        this(geometry, kind, Arrays.asList(factors));
    }

    static void check(LayerGeometry g, List<Factor> fs, String kind) {
        String who = kind + " form (" + g + ")";
        if (!g.factorable()) throw new IllegalArgumentException(who + ": a convolution with " + g.groups() + " groups cannot be held in factored form");
        if (fs.size() < 2) throw new IllegalArgumentException(who + ": needs at least two factors, got " + fs.size());
        if (fs.get(0).role().diagonal() || fs.get(fs.size() - 1).role().diagonal()) {
            throw new IllegalArgumentException(who + ": the first and the last factor must be matrices");
        }
        List<String> names = new ArrayList<>();
        int rows = g.out();
        for (Factor f : fs) {
            if (names.contains(f.name())) throw new IllegalArgumentException(who + ": two factors named '" + f.name() + "'");
            names.add(f.name());
            if (f.rows() != rows) {
                throw ShapeException.of(who, "factor '" + f.name() + "' (" + f.role() + ") must have " + rows + " rows", f.var().shape());
            }
            rows = f.cols();
        }
        if (rows != g.fanIn()) throw new IllegalArgumentException(who + ": the product has " + rows + " columns, the layer's fan-in is " + g.fanIn());
    }

    @Override
    public String kind() {
        return kind;
    }

    /** The factors in written order. */
    public List<Factor> factors() {
        return factors;
    }

    /** The factor named {@code name}. */
    public Factor factor(String name) {
        for (Factor f : factors) if (f.name().equals(name)) return f;
        throw new IllegalArgumentException(kind + " form has no factor '" + name + "'; it has " + factors.stream().map(Factor::name).toList());
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> out = new ArrayList<>();
        for (Factor f : factors) if (f.trainable()) out.add(f.parameter());
        return out;
    }

    @Override
    public LinkedHashMap<String, Tensor> buffers() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        for (Factor f : factors) if (!f.trainable()) out.put(f.name(), f.value());
        return out;
    }

    /** The smallest inner dimension of the product. */
    @Override
    public int rank() {
        int r = Math.min(geometry().out(), geometry().fanIn());
        for (int i = 0; i < factors.size() - 1; i++) r = Math.min(r, factors.get(i).cols());
        return r;
    }

    @Override
    public Var apply(Var x, Var bias) {
        return apply(geometry(), factors, x, bias);
    }

    /** As {@link #apply}, the last convolution fused with the pooling ({@link F#conv2dMaxPool2x2}). */
    @Override
    public Var applyMaxPool2x2(Var x, Var bias) {
        if (!geometry().conv()) return super.applyMaxPool2x2(x, bias);
        return apply(geometry(), factors, x, bias, true);
    }

    @Override
    public Tensor matrix() {
        return product(factors, 0, factors.size());
    }

    // ---------------------------------------------------------------- the smallest exact storage

    /**
     * The cheapest way to store W exactly from these factors: runs {@code {from, to}} of consecutive factors, each
     * stored as one tensor (a run of one factor as itself, a longer run as its product), with the fewest numbers in
     * all (on ties the later cut: U·S merged rather than S·Vᵀ); null when W itself is no larger, so W is stored.
     */
    public List<int[]> compactRuns() {
        int k = factors.size();
        int[] cut = new int[k + 1];
        long fewest = fewest(cut);
        if (fewest >= geometry().weightNumel() || cut[k] == 0 && k > 1) return null;
        List<int[]> runs = new ArrayList<>();
        for (int j = k; j > 0; j = cut[j]) runs.add(0, new int[] {cut[j], j});
        return runs;
    }

    @Override
    public long compactElements() {
        return Math.min(geometry().weightNumel(), fewest(new int[factors.size() + 1]));
    }

    /** The fewest numbers storing the factors by runs (dynamic programming); {@code cut[j]} gets the start of the last run of factors 0..j-1. */
    private long fewest(int[] cut) {
        int k = factors.size();
        long[] best = new long[k + 1];
        for (int j = 1; j <= k; j++) {
            best[j] = Long.MAX_VALUE;
            for (int i = 0; i < j; i++) {
                long c = runCost(i, j);
                if (c < 0 || best[i] == Long.MAX_VALUE) continue;
                if (best[i] + c <= best[j]) {
                    best[j] = best[i] + c;
                    cut[j] = i;
                }
            }
        }
        return best[k];
    }

    /** Numbers stored for factors {@code from..to-1} as one run; -1 when the run cannot be multiplied out as one. */
    private long runCost(int from, int to) {
        if (to - from == 1) return factors.get(from).value().numel();
        Factor first = factors.get(from);
        if (first.role() == Factor.Role.DIAGONAL || first.role() == Factor.Role.ABS_DIAGONAL) return -1;
        long rows = first.role() == Factor.Role.MATRIX ? first.value().dim(0) : first.value().dim(1);
        Factor last = factors.get(to - 1);
        long cols = switch (last.role()) {
            case MATRIX -> last.value().dim(1);
            case TRANSPOSED -> last.value().dim(0);
            default -> last.value().dim(0);
        };
        return rows * cols;
    }

    // ---------------------------------------------------------------- the cost model

    /** Multiply-adds of each plan for {@code rows} rows; {@code Long.MAX_VALUE} where a plan does not apply. */
    public static long[] costs(LayerGeometry g, List<Factor> fs, long rows) {
        int k = fs.size();
        long chain = 0;
        for (Factor f : fs) chain += f.role().diagonal() ? f.rows() : (long) f.rows() * f.cols();
        Factor last = fs.get(k - 1);
        long firstThenProduct = rows * last.rows() * (long) last.cols() + rebuildCost(fs, 0, k - 1) + rows * last.rows() * (long) g.out();
        long rebuild = rebuildCost(fs, 0, k) + rows * g.fanIn() * (long) g.out();
        return new long[] {g.conv() ? Long.MAX_VALUE : rows * chain, k >= 3 || g.conv() ? firstThenProduct : Long.MAX_VALUE, rebuild};
    }

    /** The cheapest plan for {@code rows} rows (ties go to the plan with fewer products: REBUILD, then FIRST_THEN_PRODUCT). */
    public static Plan plan(LayerGeometry g, List<Factor> fs, long rows) {
        long[] c = costs(g, fs, rows);
        Plan best = Plan.REBUILD;
        if (c[1] < c[2]) best = Plan.FIRST_THEN_PRODUCT;
        if (c[0] < Math.min(c[1], c[2])) best = Plan.CHAIN;
        return best;
    }

    /** Multiply-adds of M_from·…·M_{to-1} evaluated from the left. */
    private static long rebuildCost(List<Factor> fs, int from, int to) {
        long cost = 0, rows = fs.get(from).rows();
        for (int i = from + 1; i < to; i++) {
            Factor f = fs.get(i);
            cost += f.role().diagonal() ? rows * f.rows() : rows * f.rows() * (long) f.cols();
        }
        return cost;
    }

    // ---------------------------------------------------------------- forward

    /** The layer's output with W = the product of {@code fs} (written order), by the cheapest {@link #plan}. */
    public static Var apply(LayerGeometry g, List<Factor> fs, Var x, Var bias) {
        return apply(g, fs, x, bias, false);
    }

    /** {@link #apply(LayerGeometry, List, Var, Var)}, for a convolution followed by a 2 × 2 max pooling when {@code pool}. */
    private static Var apply(LayerGeometry g, List<Factor> fs, Var x, Var bias, boolean pool) {
        g.checkInput(x, g::toString);
        Plan plan = plan(g, fs, g.rows(x));
        int k = fs.size();
        if (plan == Plan.REBUILD) return pool ? g.applyMaxPool2x2(x, productVar(fs, 0, k), bias) : g.apply(x, productVar(fs, 0, k), bias);
        Factor last = fs.get(k - 1);
        if (g.conv()) {
            // r filters of the fan-in side's factor, then a 1x1 convolution with the rest of the product
            int r = last.rows();
            Var filters;
            if (last.role() == Factor.Role.MATRIX) {
                filters = F.reshape(last.var(), r, g.in(), g.kernel(), g.kernel());
            } else if (!last.var().requiresGrad()) {
                Tensor b = Workspace.allocUninitialized(r, g.fanIn()).copyFrom(last.value().t());
                filters = Var.constant(b.reshape(r, g.in(), g.kernel(), g.kernel()));
            } else {
                filters = F.reshape(F.permute(last.var(), 1, 0), r, g.in(), g.kernel(), g.kernel());
            }
            Var mid = F.conv2d(x, filters, null, g.stride(), g.padding(), 1);
            Var pointwise = F.reshape(productVar(fs, 0, k - 1), g.out(), r, 1, 1);
            return pool ? F.conv2dMaxPool2x2(mid, pointwise, bias, 1, 0, 1) : F.conv2d(mid, pointwise, bias, 1, 0, 1);
        }
        long rows = g.rows(x);
        Var h = x.rank() == 2 ? x : F.reshape(x, (int) rows, g.in());
        Var y;
        if (plan == Plan.FIRST_THEN_PRODUCT) {
            y = F.linear(through(h, last, null), productVar(fs, 0, k - 1), bias);
        } else {
            for (int i = k - 1; i >= 0; i--) h = through(h, fs.get(i), i == 0 ? bias : null);
            y = h;
        }
        if (x.rank() == 2) return y;
        int[] shape = x.shape();
        shape[shape.length - 1] = g.out();
        return F.reshape(y, shape);
    }

    /** h·Mᵀ (+ bias): h [rows, cols of M] → [rows, rows of M]. */
    private static Var through(Var h, Factor f, Var bias) {
        Var y;
        switch (f.role()) {
            case MATRIX:
                return F.linear(h, f.var(), bias);
            case TRANSPOSED:
                y = F.matmul(h, f.var());
                break;
            case DIAGONAL:
                y = F.mul(h, f.var());
                break;
            default:
                y = F.mul(h, F.abs(f.var()));
        }
        return bias == null ? y : F.add(y, bias);
    }

    /** M_from·…·M_{to-1} as a differentiable value (evaluated from the left). */
    public static Var productVar(List<Factor> fs, int from, int to) {
        Factor first = fs.get(from);
        Var acc = first.role() == Factor.Role.MATRIX ? first.var() : F.transpose(first.var());
        for (int i = from + 1; i < to; i++) {
            Factor f = fs.get(i);
            switch (f.role()) {
                case MATRIX: acc = F.matmul(acc, f.var()); break;
                case TRANSPOSED: acc = F.matmul(acc, F.transpose(f.var())); break;
                case DIAGONAL: acc = F.mul(acc, f.var()); break;
                default: acc = F.mul(acc, F.abs(f.var()));
            }
        }
        return acc;
    }

    /** M_from·…·M_{to-1} as a new tensor (no gradient). */
    public static Tensor product(List<Factor> fs, int from, int to) {
        Factor first = fs.get(from);
        Tensor acc = first.role() == Factor.Role.MATRIX ? first.value() : first.value().t();
        for (int i = from + 1; i < to; i++) {
            Factor f = fs.get(i);
            switch (f.role()) {
                case MATRIX: acc = Linalg.matmul(acc, f.value()); break;
                case TRANSPOSED: acc = Linalg.matmul(acc, f.value().t()); break;
                default: acc = scaleColumns(acc, f.value(), f.role() == Factor.Role.ABS_DIAGONAL);
            }
        }
        return to - from == 1 ? acc.contiguous().copy() : acc.contiguous();
    }

    /** a·diag(d) (or diag(|d|)) as a new tensor. */
    private static Tensor scaleColumns(Tensor a, Tensor d, boolean abs) {
        Tensor c = a.contiguous().copy();
        Tensor dv = d.contiguous();
        int rows = c.dim(0), cols = c.dim(1);
        float[] cd = c.data(), dd = dv.data();
        int o = dv.offset();
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                float s = dd[o + j];
                cd[i * cols + j] *= abs ? Math.abs(s) : s;
            }
        }
        return c;
    }
}
