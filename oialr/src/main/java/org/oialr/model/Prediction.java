package org.oialr.model;

import java.util.List;

/**
 * A model's answers for a batch of inputs, row {@code i} for input {@code i}.
 *
 * @param outputs       the network's raw outputs: logits of a classifier, predicted values of a regression model
 * @param probabilities the softmax of each row of logits (computed in float64, summing to 1); null for regression
 * @param classes       the most probable class of each input (the first on ties); null for regression
 * @param classNames    the model's class names (empty for regression)
 */
public record Prediction(float[][] outputs, float[][] probabilities, int[] classes, List<String> classNames) {
    /** The number of inputs. */
    public int size() {
        return outputs.length;
    }

    /** True for a classifier's prediction. */
    public boolean isClassification() {
        return classes != null;
    }

    /** The name of input {@code i}'s predicted class. */
    public String className(int i) {
        if (classes == null) throw new IllegalStateException("a regression model predicts values, not classes");
        return classNames.get(classes[i]);
    }
}
