package org.oialr.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oialr.autodiff.Grad;
import org.oialr.engine.Backend;
import org.oialr.engine.Backends;
import org.oialr.engine.Linalg;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.method.oialr.Oialr;
import org.oialr.method.oialr.OialrConfig;
import org.oialr.lowrank.RankUpdate;
import org.oialr.nn.Models;
import org.oialr.nn.Module;
import org.oialr.optim.AdamW;

/**
 * OIALR on the GPU: the transition (one thin SVD per layer) and the rank update (all layers of a rank in one
 * batched SVD) run on the CUDA backend when it is selected, and agree with the CPU backend.
 */
class CudaOialrTest {
    @BeforeEach
    void requireGpu() {
        GpuTests.backend();
    }

    @AfterEach
    void backToAutomaticSelection() {
        Backends.useNamed("auto");
    }

    private static Tensor eval(Module m, Tensor x) {
        try (Grad.Scope g = Grad.off()) {
            return m.forward(x).value().copy();
        }
    }

    @Test
    void transitionOnTheGpuKeepsTheModelsOutputs() {
        Backends.use(GpuTests.backend());
        Module m = Models.mlp(30, new int[] {40, 24}, 4, 1);
        AdamW opt = new AdamW(m.parameters(), 1e-2);
        Tensor x = Tensor.randn(new Rng(3), 6, 30);
        Tensor before = eval(m, x);
        Oialr o = new Oialr(OialrConfig.builder().build(), m, opt);
        o.transition(); // 40x30 and 24x40 weights: gesvdj per matrix
        Tensor after = eval(m, x);
        assertEquals(List.of("1", "3"), o.convertedLayers());
        assertTrue(after.maxAbsDiff(before) < 2e-5f, "outputs moved by " + after.maxAbsDiff(before));
    }

    @Test
    void rankUpdateOnTheGpuMatchesTheCpu() {
        Backend gpu = GpuTests.backend(), cpu = Backends.cpuEjml();
        Rng rng = new Rng(5);
        List<RankUpdate.Factors> layers = new ArrayList<>();
        int[][] shapes = {{64, 48, 16}, {80, 40, 16}, {50, 60, 24}, {40, 40, 16}}; // ranks 16 (batched x3) and 24
        for (int[] s : shapes) {
            Tensor u = cpu.qr(Tensor.randn(rng, s[0], s[2])).q(), v = cpu.qr(Tensor.randn(rng, s[1], s[2])).q();
            Tensor sMat = Tensor.randn(rng, s[2], s[2]);
            layers.add(new RankUpdate.Factors(u, sMat, v, Math.min(s[0], s[1])));
        }
        List<RankUpdate.Outcome> onGpu = RankUpdate.update(gpu, layers, 0.3f), onCpu = RankUpdate.update(cpu, layers, 0.3f);
        for (int i = 0; i < layers.size(); i++) {
            RankUpdate.Outcome g = onGpu.get(i), c = onCpu.get(i);
            assertEquals(c.newRank(), g.newRank(), "layer " + i + " new rank");
            for (int j = 0; j < c.sigma().length; j++) assertEquals(c.sigma()[j], g.sigma()[j], 1e-5f * c.sigma()[0], "layer " + i + " sigma " + j);
            // factors are unique up to signs: compare the products U·S·Vᵀ
            Tensor pg = Linalg.matmul(cpu, Linalg.matmul(cpu, g.u(), g.s(), null, 1f, 0f), g.v().t(), null, 1f, 0f);
            Tensor pc = Linalg.matmul(cpu, Linalg.matmul(cpu, c.u(), c.s(), null, 1f, 0f), c.v().t(), null, 1f, 0f);
            assertTrue(pg.maxAbsDiff(pc) < 1e-4f, "layer " + i + ": products differ by " + pg.maxAbsDiff(pc));
        }
    }
}
