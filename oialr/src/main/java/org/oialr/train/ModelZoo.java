package org.oialr.train;

import java.util.List;
import org.oialr.nn.Models;
import org.oialr.nn.Module;

/** The models the trainer and the command line know by name, all for 28x28x1 inputs and 10 classes. */
public final class ModelZoo {
    /** Names accepted by {@link #build}. */
    public static final List<String> NAMES = List.of("mlp", "cnn", "vit");

    private ModelZoo() {
    }

    /** MLP 784-512-512-10, the small CNN, or the mini ViT (patch 7, dim 64, depth 4, heads 4), seeded. */
    public static Module build(String name, long seed) {
        check(name);
        switch (name) {
            case "mlp": return Models.mlp(seed);
            case "cnn": return Models.cnn(seed);
            default: return Models.vit(seed);
        }
    }

    /** Temporary: the Fashion-MNIST shapes only (replaced by the data-shaped zoo). */
    public static Module build(String name, int[] sampleShape, int numClasses, long seed) {
        if (!java.util.Arrays.equals(sampleShape, new int[] {1, 28, 28}) || numClasses != 10) {
            throw new IllegalArgumentException("the zoo builds 1x28x28 inputs and 10 classes only");
        }
        return build(name, seed);
    }

    public static void check(String name) {
        if (!NAMES.contains(name)) throw new IllegalArgumentException("unknown model '" + name + "': choose one of " + NAMES);
    }
}
