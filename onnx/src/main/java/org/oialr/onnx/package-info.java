/**
 * ONNX export of a trained model: {@link org.oialr.onnx.OnnxExport#export} writes a {@link org.oialr.nn.Module}
 * tree as an ONNX file (input {@code "input"} [batch, sample...], output {@code "logits"}, opset 17 by default)
 * that ONNX Runtime runs with the same results as the model's forward in evaluation mode, to float32 rounding.
 *
 * <h2>How each module is written</h2>
 * Built-in exporters match a module's exact class (a subclass may change {@code forward}, so it needs its own).
 * <ul>
 *   <li>{@code Sequential}: its children in order.</li>
 *   <li>{@code Linear}, {@code Conv2d}: the weight in its current form ({@link org.oialr.onnx.OnnxGraph#applyWeight}):
 *       dense Linear as {@code Gemm} (transB) on [B, in] or {@code MatMul} + {@code Add} on higher ranks; factored
 *       Linear as a chain of {@code MatMul}s (diagonal factors folded into their left neighbour, a square core such as
 *       OIALR's S folded into U), then {@code Add} of the bias; dense Conv2d as {@code Conv} (kernel, strides, pads,
 *       group of the layer's geometry); factored Conv2d as a {@code Conv} with r filters and the layer's kernel,
 *       stride and padding, then a 1×1 {@code Conv}; a form the exporter does not know (DLRT's) as its dense W. With
 *       {@code Options.dense(true)} every weight layer is written as its dense W.</li>
 *   <li>{@code ReLU}, {@code Tanh}, {@code Sigmoid}: {@code Relu}, {@code Tanh}, {@code Sigmoid}.</li>
 *   <li>{@code GELU} (exact, erf): {@code Gelu} with {@code approximate="none"} from opset 20; below,
 *       {@code Div(√2)}, {@code Erf}, {@code Add(1)}, {@code Mul(x)}, {@code Mul(0.5)}.</li>
 *   <li>{@code Dropout}: nothing (identity, as in evaluation).</li>
 *   <li>{@code Flatten}, {@code Reshape}: {@code Reshape} (0 copies the batch dimension, so it stays dynamic).</li>
 *   <li>{@code MaxPool2d}, {@code AvgPool2d}: {@code MaxPool}, {@code AveragePool} (no padding, floor).</li>
 *   <li>{@code BatchNorm2d}: {@code BatchNormalization} with the running statistics (evaluation mode).</li>
 *   <li>{@code LayerNorm}: {@code LayerNormalization} (axis −1, the layer's eps; scale of ones when not
 *       affine).</li>
 *   <li>{@code Embedding}: {@code Cast} of the float indices to int64, {@code Gather} of the table's rows.</li>
 *   <li>{@code Mlp}: fc1, act, fc2.</li>
 *   <li>{@code MultiHeadSelfAttention}: qkv, {@code Reshape} [B, T, 3, H, hd], {@code Transpose} to
 *       [3, B, H, T, hd], three {@code Gather}s; {@code MatMul}(q, {@code Transpose}(k)), {@code Mul} by
 *       float32(1/√hd), an {@code Add}ed −∞ mask when causal, {@code Softmax} (last axis), {@code MatMul} with v,
 *       {@code Transpose} and {@code Reshape} to [B, T, dim]; proj.</li>
 *   <li>{@code TransformerBlock}: x + attn(ln1(x)), then h + mlp(ln2(h)) ({@code Add}).</li>
 *   <li>{@code PatchEmbedding}: proj (a Conv2d in its form), {@code Reshape} [B, dim, N], {@code Transpose} to
 *       [B, N, dim].</li>
 *   <li>{@code VisionTransformer}: {@code Reshape} of a flat input to [B, C, H, W]; patch; the class token
 *       {@code Expand}ed to [B, 1, dim] (B from {@code Shape}) and {@code Concat}enated in front; {@code Add} of
 *       pos_embed; blocks; {@code Gather} of token 0; norm; head.</li>
 * </ul>
 * The optional normalisation prepends {@code Sub(mean)} and {@code Mul(1/std)} per channel.
 *
 * <h2>Models the walk cannot see, and the SPI</h2>
 * The exporter walks registered sub-modules; it does not trace Java code. A module it does not know, a subclass of a
 * built-in layer, or a model whose {@code forward} calls layers kept in fields, fails with an
 * {@link org.oialr.onnx.OnnxExportException} naming the module's path and type, until a
 * {@link org.oialr.onnx.ModuleExporter} is registered for its type; such an exporter emits its own nodes and hands
 * sub-modules back to the walk with {@link org.oialr.onnx.OnnxGraph#apply}, and weight layers to
 * {@link org.oialr.onnx.OnnxGraph#applyWeight}.
 *
 * <h2>Not supported</h2>
 * ONNX external data (models over 2 GB), a dynamic number of tokens in attention, and training-mode behaviour
 * (dropout masks, batch statistics).
 */
package org.oialr.onnx;
