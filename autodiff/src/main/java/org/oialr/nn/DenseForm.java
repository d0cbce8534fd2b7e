package org.oialr.nn;

import java.util.List;
import org.oialr.autodiff.Var;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;

/** W held as it is: one trainable parameter "weight" of the layer's dense shape ([out, in] or [out, in/groups, k, k]). */
public final class DenseForm extends WeightForm {
    private final Parameter weight;

    /** Holds {@code weight} (not copied), which must have the geometry's dense shape. */
    public DenseForm(LayerGeometry geometry, Tensor weight) {
        this(geometry, new Parameter("weight", weight));
    }

    /** Holds the parameter {@code weight} itself (named "weight"), e.g. to give a layer back its original parameter. */
    public DenseForm(LayerGeometry geometry, Parameter weight) {
        super(geometry);
        if (!weight.name().equals("weight")) throw new IllegalArgumentException("DenseForm: the parameter must be named 'weight', got '" + weight.name() + "'");
        if (!weight.value().hasShape(geometry.weightShape())) {
            throw ShapeException.of("DenseForm (" + geometry + ")", "weight must be " + LayerGeometry.shapeText(geometry.weightShape()), weight.shape());
        }
        this.weight = weight;
    }

    /** A dense form holding the matrix {@code w2d} [out, fanIn] (copied into the dense shape). */
    public static DenseForm ofMatrix(LayerGeometry geometry, Tensor w2d) {
        if (!w2d.hasShape(geometry.out(), geometry.fanIn())) {
            throw ShapeException.of("DenseForm.ofMatrix (" + geometry + ")", "W must be [" + geometry.out() + ", " + geometry.fanIn() + "]", w2d.shape());
        }
        return new DenseForm(geometry, w2d.contiguous().copy().reshape(geometry.weightShape()));
    }

    public Parameter weight() {
        return weight;
    }

    @Override
    public String kind() {
        return "dense";
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(weight);
    }

    @Override
    public Var apply(Var x, Var bias) {
        return geometry().apply(x, weight, bias);
    }

    @Override
    public Var applyMaxPool2x2(Var x, Var bias) {
        return geometry().applyMaxPool2x2(x, weight, bias);
    }

    /** W [out, fanIn]: a view of the weight (not a copy). */
    @Override
    public Tensor matrix() {
        return weight.value().reshape(geometry().out(), geometry().fanIn());
    }

    @Override
    public int rank() {
        return geometry().fullRank();
    }
}
