package org.oialr.data;

import java.util.Arrays;

/** The default {@link Dataset#select}: some examples of another data set, read through it. */
final class SelectedDataset implements Dataset {
    private final Dataset base;
    private final int[] indices;
    private final String name;

    SelectedDataset(Dataset base, int[] indices, String name) {
        this.base = base;
        this.indices = indices.clone();
        this.name = name;
        int n = base.size();
        for (int i : this.indices) {
            if (i < 0 || i >= n) throw new IndexOutOfBoundsException("select: index " + i + " of data set '" + base.name() + "' with " + n + " examples");
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return indices.length;
    }

    @Override
    public int[] sampleShape() {
        return base.sampleShape();
    }

    @Override
    public int sampleSize() {
        return base.sampleSize();
    }

    @Override
    public int channels() {
        return base.channels();
    }

    @Override
    public void copyExample(int i, float[] dst, int offset) {
        base.copyExample(indices[i], dst, offset);
    }

    @Override
    public int numClasses() {
        return base.numClasses();
    }

    @Override
    public int label(int i) {
        return base.label(indices[i]);
    }

    @Override
    public int[] targetShape() {
        return base.targetShape();
    }

    @Override
    public int targetSize() {
        return base.targetSize();
    }

    @Override
    public void copyTarget(int i, float[] dst, int offset) {
        base.copyTarget(indices[i], dst, offset);
    }

    @Override
    public Normalization normalization() {
        return base.normalization();
    }

    @Override
    public String toString() {
        return "Dataset[" + name + ", " + size() + " x " + Arrays.toString(sampleShape()) + ", " + Shapes.targets(this)
                + ", a selection of " + base.name() + "]";
    }
}
