package org.oialr.bench;

import org.oialr.io.Json;
import java.util.LinkedHashMap;
import java.util.Map;
import jdk.incubator.vector.FloatVector;
import org.oialr.engine.Backends;
import org.oialr.engine.Parallel;
import org.oialr.engine.cuda.CudaBackend;

/**
 * Prints, as one JSON object on stdout, what the benchmark report's header needs from the JVM: the backend the
 * engine selects and why faster ones were passed over, whether CUDA is usable (and if not, the probe's reason),
 * the Vector API's preferred width, the thread count and the JVM.
 *
 * <p>Run by {@code ./bench report}: {@code java --add-modules jdk.incubator.vector -cp
 * benchmarks/target/benchmarks.jar org.oialr.bench.BenchEnv}.
 */
public final class BenchEnv {
    private BenchEnv() {
    }

    public static void main(String[] args) {
        Map<String, Object> env = new LinkedHashMap<>();
        Backends.Selection selection = Backends.selection();
        env.put("backend", selection.backend().name());
        env.put("backendReasons", selection.reasons());
        Object cuda = CudaBackend.probe();
        env.put("cudaUsable", cuda instanceof CudaBackend);
        env.put("cuda", cuda instanceof CudaBackend b ? b.description() : String.valueOf(cuda));
        env.put("vectorBits", Backends.vectorApiAvailable() ? FloatVector.SPECIES_PREFERRED.vectorBitSize() : 0);
        env.put("threads", Parallel.threads());
        env.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        System.out.println(Json.write(env));
    }
}
