package org.oialr.onnx;

import org.oialr.nn.Module;

/**
 * Writes the ONNX nodes of one module type: the SPI through which a user's own module, or a model whose
 * {@code forward} calls its sub-modules from Java code, becomes exportable.
 *
 * <p>The exporter walks the module tree and knows the built-in layers and the zoo's composite modules (see the
 * package documentation). It cannot see Java control flow, so a module it does not know, including a model that
 * keeps its layers in fields and calls them in {@code forward}, needs an exporter registered with
 * {@link OnnxExport.Options.Builder#exporter}. The exporter emits nodes that compute the module's forward (in
 * evaluation mode) on {@code input} and returns the output value; it hands sub-modules back to the walk with
 * {@link OnnxGraph#apply}, so that their weight forms, the {@code dense} switch and the other exporters apply to them:
 *
 * <pre>{@code
 * // forward(x) = x + sigmoid(gate(x)) * body(x), gate and body registered sub-modules
 * ModuleExporter<Highway> highway = (m, x, g) -> {
 *     OnnxValue gate = g.apply("gate", m.gate(), x);
 *     OnnxValue body = g.apply("body", m.body(), x);
 *     OnnxValue s = g.node("Sigmoid", gate.shape(), gate.name());
 *     OnnxValue p = g.node("Mul", body.shape(), s.name(), body.name());
 *     return g.node("Add", x.shape(), x.name(), p.name());
 * };
 * OnnxExport.Options opts = OnnxExport.Options.builder().exporter(Highway.class, highway).build();
 * }</pre>
 *
 * @param <M> the module type
 */
@FunctionalInterface
public interface ModuleExporter<M extends Module> {
    /**
     * Emits the nodes of {@code module}'s forward on {@code input} into {@code graph}.
     *
     * @param module the module (at {@link OnnxGraph#path()} in the model)
     * @param input  the module's input
     * @param graph  the graph being built
     * @return the module's output
     */
    OnnxValue export(M module, OnnxValue input, OnnxGraph graph);
}
