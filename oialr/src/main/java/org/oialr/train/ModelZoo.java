package org.oialr.train;

import java.util.Arrays;
import java.util.List;
import org.oialr.nn.Models;
import org.oialr.nn.Module;
import org.oialr.nn.VisionTransformer;

/**
 * The models the trainer and the command line know by name: {@code mlp}, {@code cnn} and {@code vit}, built for the
 * data's example shape and number of classes ({@link #build(String, int[], int, long)}, e.g. from
 * {@code LoadedData.sampleShape()} and {@code numClasses()}), or for Fashion-MNIST's 28x28x1 images and 10 classes
 * ({@link #build(String, long)}).
 */
public final class ModelZoo {
    /** Names accepted by {@link #build}. */
    public static final List<String> NAMES = List.of("mlp", "cnn", "vit");

    private ModelZoo() {
    }

    /**
     * The Fashion-MNIST models, for {@code [1, 28, 28]} examples and 10 classes: MLP 784-512-512-10, the small CNN,
     * or the mini ViT (patch 7, dim 64, depth 4, heads 4), seeded. The same as
     * {@code build(name, new int[] {1, 28, 28}, 10, seed)}.
     */
    public static Module build(String name, long seed) {
        check(name);
        switch (name) {
            case "mlp": return Models.mlp(seed);
            case "cnn": return Models.cnn(seed);
            default: return Models.vit(seed);
        }
    }

    /**
     * A zoo model for examples of shape {@code sampleShape} and {@code numClasses} classes, seeded; every model
     * returns logits {@code [B, numClasses]}.
     *
     * <ul>
     *   <li>{@code mlp}: flatten, Linear(F, 512), ReLU, Linear(512, 512), ReLU, Linear(512, numClasses) with F the
     *       product of the shape (any shape).</li>
     *   <li>{@code cnn}: for {@code [C, H, W]} (or {@code [H, W]}, read as one channel) with H, W of at least 4:
     *       conv(C→32, 3x3), maxpool 2, ReLU, conv(32→64, 3x3), maxpool 2, ReLU, Linear(64·⌊H/4⌋·⌊W/4⌋, 128), ReLU,
     *       Linear(128, numClasses) ({@code Models.cnn}).</li>
     *   <li>{@code vit}: for square {@code [C, S, S]} images (or {@code [S, S]}), dim 64, depth 4, heads 4, MLP ratio
     *       2, with patch side {@link #vitPatch(int)}: 4 for 32x32, 7 for 28x28, else the largest divisor of S from
     *       2 to 8.</li>
     * </ul>
     *
     * @throws IllegalArgumentException of one line naming the model, the example shape and the shape it needs
     */
    public static Module build(String name, int[] sampleShape, int numClasses, long seed) {
        check(name);
        if (sampleShape == null || sampleShape.length == 0) {
            throw new IllegalArgumentException("model '" + name + "': example shape " + Arrays.toString(sampleShape) + " is empty; give [F] or [C, H, W]");
        }
        long f = 1;
        for (int d : sampleShape) {
            if (d < 1) throw new IllegalArgumentException("model '" + name + "': example shape " + Arrays.toString(sampleShape) + " has a dimension below 1");
            f *= d;
        }
        if (f > Integer.MAX_VALUE) throw new IllegalArgumentException("model '" + name + "': example shape " + Arrays.toString(sampleShape) + " is too large");
        if (numClasses < 1) throw new IllegalArgumentException("model '" + name + "': numClasses must be >= 1, got " + numClasses);
        if (name.equals("mlp")) return Models.mlp((int) f, new int[] {512, 512}, numClasses, seed);
        int[] chw = image(name, sampleShape);
        if (name.equals("cnn")) {
            if (chw[1] < 4 || chw[2] < 4) {
                throw new IllegalArgumentException("model 'cnn': example shape " + Arrays.toString(sampleShape) + " is too small; its two 2x2 poolings"
                        + " need at least [" + chw[0] + ", 4, 4] (use mlp for small inputs)");
            }
            return Models.cnn(chw[0], chw[1], chw[2], 32, 64, 128, numClasses, seed);
        }
        if (chw[1] != chw[2]) {
            throw new IllegalArgumentException("model 'vit': example shape " + Arrays.toString(sampleShape) + " is not square; the ViT needs [C, S, S]"
                    + " (resize the images, e.g. with an image size option, or use cnn)");
        }
        int patch = vitPatch(chw[1]);
        if (patch < 0) {
            throw new IllegalArgumentException("model 'vit': image side " + chw[1] + " of example shape " + Arrays.toString(sampleShape)
                    + " has no patch side from 2 to 8 dividing it; needs [" + chw[0] + ", S, S] with S divisible by 2..8 (e.g. 28 or 32)");
        }
        return Models.vit(new VisionTransformer.Config(chw[1], chw[0], patch, 64, 4, 4, 2, numClasses), seed);
    }

    /**
     * The ViT patch side for square images of side {@code side}: 4 for 32, 7 for 28, else the largest divisor of
     * {@code side} from 2 to 8, or -1 when there is none.
     */
    public static int vitPatch(int side) {
        if (side == 32) return 4;
        if (side == 28) return 7;
        for (int p = 8; p >= 2; p--) {
            if (side % p == 0 && side / p >= 1) return p;
        }
        return -1;
    }

    private static int[] image(String name, int[] s) {
        if (s.length == 3) return s.clone();
        if (s.length == 2) return new int[] {1, s[0], s[1]};
        throw new IllegalArgumentException("model '" + name + "': example shape " + Arrays.toString(s) + " is not an image; " + name
                + " needs [C, H, W] (or [H, W]); use mlp for feature vectors");
    }

    /**
     * Checks a model name.
     *
     * @throws IllegalArgumentException naming the choices
     */
    public static void check(String name) {
        if (!NAMES.contains(name)) throw new IllegalArgumentException("unknown model '" + name + "': choose one of " + NAMES);
    }
}
