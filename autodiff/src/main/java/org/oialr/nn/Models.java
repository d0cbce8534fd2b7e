package org.oialr.nn;

import org.oialr.engine.Rng;

/**
 * The model zoo for 28×28×1 images (MNIST-like), each built from a few sizes and a seed. All accept input
 * [B, 784] or [B, 1, 28, 28] and return logits [B, classes].
 */
public final class Models {
    private Models() {
    }

    /** 784-512-512-10 with ReLU: 669,706 parameters. */
    public static Sequential mlp(long seed) {
        return mlp(784, new int[] {512, 512}, 10, seed);
    }

    /**
     * Flatten, then Linear-ReLU for each hidden width, then Linear(last, classes). Parameter count
     * Σ (fan_in·fan_out + fan_out) over the layers.
     */
    public static Sequential mlp(int inputs, int[] hidden, int classes, long seed) {
        Rng rng = new Rng(seed);
        Sequential s = new Sequential(new Flatten());
        int prev = inputs;
        for (int h : hidden) {
            s.add(new Linear(prev, h, rng)).add(new ReLU());
            prev = h;
        }
        return s.add(new Linear(prev, classes, rng));
    }

    /** conv 1→32 3×3 p1, ReLU, maxpool 2, conv 32→64 3×3 p1, ReLU, maxpool 2, Linear 3136→128, ReLU, Linear 128→10: 421,642 parameters. */
    public static Sequential cnn(long seed) {
        return cnn(32, 64, 128, 10, seed);
    }

    /**
     * [B, 1, 28, 28] → conv(1→c1, 3×3, padding 1), ReLU, maxpool 2 → [B, c1, 14, 14] → conv(c1→c2, 3×3,
     * padding 1), ReLU, maxpool 2 → [B, c2, 7, 7] (each pooling runs before its ReLU: the same function) → flatten → Linear(49·c2, hidden), ReLU → Linear(hidden, classes).
     */
    public static Sequential cnn(int c1, int c2, int hidden, int classes, long seed) {
        return cnn(1, 28, 28, c1, c2, hidden, classes, seed);
    }

    /**
     * The same CNN for [B, channels, height, width] images (or [B, channels·height·width]): conv(channels→c1, 3×3,
     * padding 1), ReLU, maxpool 2 → [B, c1, ⌊height/2⌋, ⌊width/2⌋] → conv(c1→c2, 3×3, padding 1), ReLU, maxpool 2 →
     * [B, c2, ⌊height/4⌋, ⌊width/4⌋] (each pooling floors) → flatten → Linear(c2·⌊height/4⌋·⌊width/4⌋, hidden), ReLU →
     * Linear(hidden, classes). Needs height and width of at least 4.
     */
    public static Sequential cnn(int channels, int height, int width, int c1, int c2, int hidden, int classes, long seed) {
        if (channels < 1 || height < 4 || width < 4) {
            throw new IllegalArgumentException("Models.cnn: input [" + channels + ", " + height + ", " + width
                    + "] is too small; two 2x2 poolings need at least [1, 4, 4]");
        }
        Rng rng = new Rng(seed);
        int h = height / 2 / 2, w = width / 2 / 2;
        return new Sequential(
                new Reshape(channels, height, width),
                // max pooling before the ReLU: the same values and gradients as ReLU then pooling, bit for bit (ReLU is
                // monotone; a window with no positive value gets gradient 0 either way), with the ReLU's two passes
                // over a quarter of the elements
                new Conv2d(channels, c1, 3, 1, 1, rng), new MaxPool2d(2), new ReLU(),
                new Conv2d(c1, c2, 3, 1, 1, rng), new MaxPool2d(2), new ReLU(),
                new Flatten(),
                new Linear(c2 * h * w, hidden, rng), new ReLU(),
                new Linear(hidden, classes, rng));
    }

    /** The mini ViT ({@link VisionTransformer.Config#mini()}): 139,018 parameters. */
    public static VisionTransformer vit(long seed) {
        return vit(VisionTransformer.Config.mini(), seed);
    }

    public static VisionTransformer vit(VisionTransformer.Config config, long seed) {
        return new VisionTransformer(config, new Rng(seed));
    }
}
