package org.oialr.model;

import java.util.Arrays;
import java.util.List;
import org.oialr.data.Normalization;

/**
 * What a model file carries besides the weights, so that the file alone is enough to predict: how to rebuild the
 * network, what one input looks like, how raw inputs are standardised, and what the outputs mean.
 *
 * @param architecture  the zoo name ({@code "mlp"}, {@code "cnn"}, {@code "vit"}) the network is rebuilt from, or
 *                      any other name for a user's own network (then load it into a model built by the caller)
 * @param sampleShape   the shape of one raw input ({@code [C, H, W]} for images, {@code [F]} for features)
 * @param classNames    the name of each output class, in output order; empty for a regression model
 * @param normalization the per-channel standardisation applied to raw inputs before the network, or null for none
 * @param method        the training method that produced the weights (informational), or null
 */
public record ModelInfo(String architecture, int[] sampleShape, List<String> classNames, Normalization normalization, String method) implements java.io.Serializable {
    /** Checks the fields and copies the mutable ones. */
    public ModelInfo {
        if (architecture == null || architecture.isBlank()) throw new IllegalArgumentException("ModelInfo: the architecture must be named");
        if (sampleShape == null || sampleShape.length == 0) throw new IllegalArgumentException("ModelInfo: the sample shape must be given");
        for (int d : sampleShape) {
            if (d < 1) throw new IllegalArgumentException("ModelInfo: sample shape " + Arrays.toString(sampleShape) + " has a dimension below 1");
        }
        sampleShape = sampleShape.clone();
        classNames = classNames == null ? List.of() : List.copyOf(classNames);
        if (normalization != null) {
            int channels = sampleShape.length == 3 ? sampleShape[0] : 1;
            if (normalization.channels() != channels) {
                throw new IllegalArgumentException("ModelInfo: the normalisation has " + normalization.channels() + " channels, samples of shape "
                        + Arrays.toString(sampleShape) + " have " + channels);
            }
        }
    }

    /** The number of classes; 0 for a regression model. */
    public int numClasses() {
        return classNames.size();
    }

    /** The shape of one raw input (a copy). */
    @Override
    public int[] sampleShape() {
        return sampleShape.clone();
    }

    /** This information with another method name. */
    public ModelInfo withMethod(String method) {
        return new ModelInfo(architecture, sampleShape, classNames, normalization, method);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelInfo m && architecture.equals(m.architecture) && Arrays.equals(sampleShape, m.sampleShape)
                && classNames.equals(m.classNames) && java.util.Objects.equals(normalization, m.normalization)
                && java.util.Objects.equals(method, m.method);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(architecture, Arrays.hashCode(sampleShape), classNames, normalization, method);
    }

    @Override
    public String toString() {
        return architecture + " " + Arrays.toString(sampleShape) + " -> " + (classNames.isEmpty() ? "regression" : classNames.size() + " classes")
                + (method != null ? " (" + method + ")" : "");
    }
}
