package org.oialr.bench;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The machine's float32 FMA peak as the Vector API reaches it: a loop of fused multiply-adds on
 * {@value #ACCUMULATORS} independent accumulators of {@link FloatVector#SPECIES_PREFERRED} (the species our
 * GEMM uses), enough to cover the FMA latency times the FMA ports, with no loads or stores in the loop.
 *
 * <p>The secondary metric {@code flops} counts floating-point operations (2 per lane per FMA) and JMH reports
 * it as a rate, summed over the benchmark's threads: {@code flops} in ops/us divided by 1000 is GFLOP/s.
 * {@link #oneThread} gives the peak of one core, {@link #twoThreads} that of two cores running at once (the
 * peak a 2-thread GEMM could reach). The report divides GEMM GFLOP/s by these to give the fraction of peak.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class FmaPeakBench {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Independent FMA chains: 12 covers a 4-cycle latency on 2 FMA ports with room to spare. */
    static final int ACCUMULATORS = 12;
    /** FMA rounds per operation: long enough that the loop's entry and exit cost nothing. */
    static final int ROUNDS = 1024;

    /** Counts the flops done per thread; JMH turns the count into a rate. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Flops {
        public long flops;

        @Setup(Level.Iteration)
        public void reset() {
            flops = 0;
        }
    }

    /** Inputs read from fields so that the JIT cannot fold the loop: acc ← acc·x + y converges to y/(1-x). */
    @State(Scope.Thread)
    public static class Inputs {
        float x = 0.999f, y = 1e-3f;
    }

    @Benchmark
    @Threads(1)
    public float oneThread(Inputs in, Flops f) {
        return fmaLoop(in, f);
    }

    @Benchmark
    @Threads(2)
    public float twoThreads(Inputs in, Flops f) {
        return fmaLoop(in, f);
    }

    private static float fmaLoop(Inputs in, Flops f) {
        FloatVector x = FloatVector.broadcast(SPECIES, in.x), y = FloatVector.broadcast(SPECIES, in.y);
        FloatVector a0 = y, a1 = y, a2 = y, a3 = y, a4 = y, a5 = y, a6 = y, a7 = y, a8 = y, a9 = y, a10 = y, a11 = y;
        for (int i = 0; i < ROUNDS; i++) {
            a0 = a0.fma(x, y);
            a1 = a1.fma(x, y);
            a2 = a2.fma(x, y);
            a3 = a3.fma(x, y);
            a4 = a4.fma(x, y);
            a5 = a5.fma(x, y);
            a6 = a6.fma(x, y);
            a7 = a7.fma(x, y);
            a8 = a8.fma(x, y);
            a9 = a9.fma(x, y);
            a10 = a10.fma(x, y);
            a11 = a11.fma(x, y);
        }
        f.flops += 2L * SPECIES.length() * ACCUMULATORS * ROUNDS;
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(VectorOperators.ADD);
    }
}
