package org.oialr.onnx;

/**
 * A model that cannot be exported as asked: a module with no exporter, an input shape a layer does not take, an
 * option that does not fit the model. The message names the module's path in the model and its type, and says
 * what to do.
 */
public class OnnxExportException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String path;
    private final String moduleType;

    /**
     * @param path       the module's dotted path in the model ("" for the model itself), or null when no module is
     *                   concerned
     * @param moduleType the module's class name, or null
     * @param message    the full message
     */
    public OnnxExportException(String path, String moduleType, String message) {
        super(message);
        this.path = path;
        this.moduleType = moduleType;
    }

    /** The dotted path of the module concerned ("" for the model itself), or null. */
    public String path() {
        return path;
    }

    /** The class name of the module concerned, or null. */
    public String moduleType() {
        return moduleType;
    }
}
