package org.oialr.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.oialr.engine.Tensor;
import org.oialr.nn.Parameter;

class ScheduleTest {
    private static AdamW twoGroups() {
        AdamW opt = new AdamW(List.of(new Parameter("a", Tensor.zeros(1))), 1.0);
        opt.addParamGroup(new ParamGroup(List.of(new Parameter("b", Tensor.zeros(1)))).setLr(0.5));
        return opt;
    }

    private static void stepTo(LrSchedule s, long t) {
        while (s.stepCount() < t) s.step();
    }

    @Test
    void warmupCosineMatchesHandComputedValues() {
        AdamW opt = twoGroups();
        WarmupCosine s = new WarmupCosine(opt, 10, 110, 0.1, 0.01, 1);
        assertEquals(0.1, opt.paramGroups().get(0).lr(), 1e-12, "step 0 is the warm-up start");
        stepTo(s, 5);
        assertEquals(0.1 + 5 * 0.9 / 10, opt.paramGroups().get(0).lr(), 1e-12);
        assertEquals(0.1 + 5 * 0.4 / 10, opt.paramGroups().get(1).lr(), 1e-12, "each group from its own base");
        stepTo(s, 10);
        assertEquals(1.0, opt.paramGroups().get(0).lr(), 1e-12);
        stepTo(s, 60); // half-way through the cosine: floor + (base − floor)/2
        assertEquals(0.505, opt.paramGroups().get(0).lr(), 1e-12);
        assertEquals(0.255, opt.paramGroups().get(1).lr(), 1e-12);
        stepTo(s, 85); // τ/C = 3/4: (1 + cos(3π/4))/2 = 0.146447
        assertEquals(0.01 + 0.99 * 0.1464466094067262, opt.paramGroups().get(0).lr(), 1e-12);
        stepTo(s, 110);
        assertEquals(0.01, opt.paramGroups().get(0).lr(), 1e-12);
        stepTo(s, 150);
        assertEquals(0.01, opt.paramGroups().get(1).lr(), 1e-12);
        assertEquals(1.0, opt.paramGroups().get(0).get("initial_lr"), "the base is kept");
    }

    @Test
    void kDecayFallsFasterEarly() {
        AdamW opt = twoGroups();
        WarmupCosine s = new WarmupCosine(opt, 0, 100, 0, 0, 0.5);
        // τ = 25, C = 100: τ^k/C^k = 5/10, so the lr is half the base already at a quarter of the cycle
        s.setStep(25);
        assertEquals(0.5, opt.paramGroups().get(0).lr(), 1e-12);
        // k = 0.34 (the OIALR mini-ViT): at 1/8 of the cycle (1/8)^0.34 = 0.4931164, (1 + cos(0.4931164·π))/2 = 0.5108120
        assertEquals(0.5108120, new WarmupCosine(opt, 0, 800, 0, 0, 0.34).lrAt(100, 1.0), 1e-7);
        assertEquals(1.0, s.lrAt(0, 1.0), 1e-12);
    }

    @Test
    void stepLrAndConstantLr() {
        AdamW opt = twoGroups();
        StepLR s = new StepLR(opt, 3, 0.1);
        double[] want = {1, 1, 1, 0.1, 0.1, 0.1, 0.01};
        for (int t = 0; t < want.length; t++) {
            assertEquals(want[t], opt.paramGroups().get(0).lr(), 1e-12, "step " + t);
            assertEquals(want[t] * 0.5, opt.paramGroups().get(1).lr(), 1e-12, "step " + t);
            s.step();
        }
        AdamW opt2 = twoGroups();
        ConstantLR c = new ConstantLR(opt2, 0.5, 2);
        assertEquals(0.5, c.lastLr()[0], 1e-12);
        c.step();
        assertEquals(0.25, c.lastLr()[1], 1e-12);
        c.step();
        assertEquals(1.0, c.lastLr()[0], 1e-12);
        AdamW opt3 = twoGroups();
        new ConstantLR(opt3).setStep(1000);
        assertEquals(0.5, opt3.paramGroups().get(1).lr(), 1e-12);
    }

    @Test
    void badSettingsAreRejected() {
        AdamW opt = twoGroups();
        assertThrows(IllegalArgumentException.class, () -> new WarmupCosine(opt, 10, 10, 0));
        assertThrows(IllegalArgumentException.class, () -> new WarmupCosine(opt, 0, 10, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new StepLR(opt, 0, 0.1));
    }
}
