package org.oialr.nn;

import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.Rng;
import org.oialr.engine.ShapeException;

/**
 * Cuts x [B, C, H, W] into non-overlapping patch×patch squares and projects each to {@code dim}: "proj" is a
 * Conv2d(C, dim, kernel = stride = patch); its output [B, dim, H/patch, W/patch] becomes tokens [B, N, dim]
 * with N = (H/patch)·(W/patch) in row-major patch order.
 */
public class PatchEmbedding extends Module {
    private final int imageSize;
    private final int patch;
    private final int channels;
    private final int dim;

    public PatchEmbedding(int imageSize, int patch, int channels, int dim, Rng rng) {
        if (patch <= 0 || imageSize <= 0 || imageSize % patch != 0) {
            throw new IllegalArgumentException("PatchEmbedding: imageSize=" + imageSize + " must be a positive multiple of patch=" + patch);
        }
        this.imageSize = imageSize;
        this.patch = patch;
        this.channels = channels;
        this.dim = dim;
        registerModule("proj", new Conv2d(channels, dim, patch, patch, 0, rng));
    }

    /** Number of patches N. */
    public int numPatches() {
        int g = imageSize / patch;
        return g * g;
    }

    public int imageSize() {
        return imageSize;
    }

    public int patch() {
        return patch;
    }

    public int channels() {
        return channels;
    }

    public int dim() {
        return dim;
    }

    @Override
    public Var forward(Var x) {
        if (x.rank() != 4 || x.dim(1) != channels || x.dim(2) != imageSize || x.dim(3) != imageSize) {
            throw ShapeException.of(describe(), "input must be [B, " + channels + ", " + imageSize + ", " + imageSize + "]", x.shape());
        }
        int b = x.dim(0);
        Var y = child("proj").forward(x);                       // [B, dim, g, g]
        return F.permute(F.reshape(y, b, dim, numPatches()), 0, 2, 1);
    }

    @Override
    protected String extraRepr() {
        return "imageSize=" + imageSize + ", patch=" + patch + ", channels=" + channels + ", dim=" + dim;
    }
}
