package org.oialr.spark;

import java.io.Serializable;
import java.time.Duration;
import org.oialr.model.StoredForms;

/**
 * What every replica task of a run needs, shipped with the stage: the settings (as JSON: the library's records are not
 * {@link Serializable}), the factories, the data's shape, and the fault to inject.
 */
record TaskSpec(String configJson, ModelFactory model, MethodFactory method, String modelName, int[] sampleShape, int numClasses,
                String modelInfoJson, StoredForms.Storage storage, FailurePlan failure, int smallBytes, Duration timeout) implements Serializable {
}
