package org.oialr.nn;

import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.Rng;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Workspace;

/**
 * A ViT classifier: "patch" ({@link PatchEmbedding}) gives N tokens; a learned class token "cls_token"
 * [1, 1, dim] is put in front and a learned position embedding "pos_embed" [1, N + 1, dim] is added; then
 * "blocks" (a {@link Sequential} of pre-norm {@link TransformerBlock}s), the final LayerNorm "norm" on the
 * class token, and "head" = Linear(dim, classes). Input [B, C, H, W] or [B, C·H·W]; output logits [B, classes].
 * The tokens start trunc-normal with std 0.02; the layers keep their PyTorch defaults.
 */
public class VisionTransformer extends Module {
    /** Architecture: image side, input channels, patch side, width, depth, heads, MLP ratio, classes. */
    public record Config(int imageSize, int channels, int patch, int dim, int depth, int heads, int mlpRatio, int classes) {
        /** The mini ViT for 28×28×1 images: patch 7 (16 patches + class token), dim 64, depth 4, heads 4, MLP ratio 2, 10 classes. */
        public static Config mini() {
            return new Config(28, 1, 7, 64, 4, 4, 2, 10);
        }

        public Config withClasses(int c) {
            return new Config(imageSize, channels, patch, dim, depth, heads, mlpRatio, c);
        }
    }

    private final Config config;

    public VisionTransformer(Config c, Rng rng) {
        if (c.depth() < 0 || c.classes() <= 0 || c.mlpRatio() <= 0) throw new IllegalArgumentException("VisionTransformer: bad config " + c);
        this.config = c;
        PatchEmbedding patch = registerModule("patch", new PatchEmbedding(c.imageSize(), c.patch(), c.channels(), c.dim(), rng));
        registerParameter("cls_token", Init.truncNormal(rng, 0.02f, 1, 1, c.dim()));
        registerParameter("pos_embed", Init.truncNormal(rng, 0.02f, 1, patch.numPatches() + 1, c.dim()));
        Sequential blocks = registerModule("blocks", new Sequential());
        for (int i = 0; i < c.depth(); i++) blocks.add(new TransformerBlock(c.dim(), c.heads(), c.mlpRatio(), rng));
        registerModule("norm", new LayerNorm(c.dim()));
        registerModule("head", new Linear(c.dim(), c.classes(), rng));
    }

    public Config config() {
        return config;
    }

    @Override
    public Var forward(Var x) {
        int side = config.imageSize(), ch = config.channels(), dim = config.dim();
        if (x.rank() == 2 && x.dim(1) == ch * side * side) x = F.reshape(x, x.dim(0), ch, side, side);
        if (x.rank() != 4) throw ShapeException.of(describe(), "input must be [B, " + ch + ", " + side + ", " + side + "] or [B, " + ch * side * side + "]", x.shape());
        int b = x.dim(0);
        Var tokens = child("patch").forward(x);                                   // [B, N, dim]
        // the class token broadcast over the batch: zeros [B, 1, dim] + cls (its gradient sums over B)
        Var cls = F.add(Var.constant(Workspace.alloc(b, 1, dim)), param("cls_token"));
        Var h = F.add(F.concat(1, cls, tokens), param("pos_embed"));             // [B, N + 1, dim]
        h = child("blocks").forward(h);
        Var first = F.reshape(F.slice(h, 1, 0, 1), b, dim);                      // class token [B, dim]
        return child("head").forward(child("norm").forward(first));
    }

    @Override
    protected String extraRepr() {
        return config.toString();
    }
}
