package io.kernelnet.bench;

import io.kernelnet.backend.Activation;
import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.Padding;
import io.kernelnet.backend.Pool2dGeometry;
import io.kernelnet.examples.MnistModels;
import io.kernelnet.nn.Architecture;
import io.kernelnet.nn.Layer;
import io.kernelnet.nn.Model;
import io.kernelnet.tensor.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The cases {@code bench kernels} times, derived from the models rather than written out, so that they follow the
 * models: for each layer at each batch, the ops a training step calls for it (forward; weight, bias and, where a
 * layer before it has parameters, input gradients, as Model decides; its activation both ways); per model, the loss and
 * accuracy ops at each batch and, once, the optimizers and the finite check over all its parameters. Then the square
 * and skinny GEMMs and the elementwise and optimizer ops on tensors of {@code largeBytes}.
 */
public final class KernelCases {
    public static final String GEMM = "gemm";
    public static final String CONV = "conv";
    public static final String POOL = "pool";
    public static final String BIAS = "bias";
    public static final String ACTIVATION = "activation";
    public static final String ELEMENTWISE = "elementwise";
    public static final String SOFTMAX = "softmax/xent";
    public static final String DROPOUT = "dropout";
    public static final String OPTIMIZER = "optimizer";
    public static final String REDUCTION = "reduction";
    /** Chart order. */
    public static final List<String> FAMILIES = List.of(GEMM, CONV, POOL, BIAS, ACTIVATION, ELEMENTWISE, SOFTMAX,
            DROPOUT, OPTIMIZER, REDUCTION);

    /** The source of the cases on large tensors; their layer names the size ("256 MiB"). */
    public static final String LARGE = "large";
    /** The source of the square GEMMs; their layer names N. */
    public static final String SQUARE_SOURCE = "square";
    public static final int[] SQUARE = {1024, 2048, 4096};
    public static final long LARGE_BYTES = 256L << 20;
    /** Rows of the skinny GEMMs: the mlp's first layer at a batch this large. */
    static final int SKINNY_ROWS = 65536;

    private KernelCases() {
    }

    /** All cases, in the order they are run and reported. */
    public static List<KernelCase> all(List<String> models, List<Integer> batches, long largeBytes) {
        List<KernelCase> cases = new ArrayList<>();
        for (String name : models) {
            try (Model model = MnistModels.named(name)) {
                for (int batch : batches) {
                    cases.addAll(layers(name, model, batch));
                }
                cases.addAll(parameters(name, model));
            }
        }
        cases.addAll(gemms());
        cases.addAll(large(largeBytes));
        return cases;
    }

    /** The ops a training step of {@code model} calls at {@code batch}, layer by layer, then its loss and accuracy. */
    @SuppressWarnings("unchecked")
    static List<KernelCase> layers(String source, Model model, int batch) {
        Map<String, Object> arch = Architecture.describe(model);
        List<Shape> shapes = new ArrayList<>(); // per example; index 0 the model's input, i + 1 layer i's output
        shapes.add(Shape.of(((List<Number>) arch.get("input")).stream().mapToInt(Number::intValue).toArray()));
        // whether a node's gradient is computed: it or a layer before it has parameters (Model's rule)
        List<Boolean> needsGrad = new ArrayList<>(List.of(false));
        Map<String, Integer> kindCount = new HashMap<>();
        List<KernelCase> cases = new ArrayList<>();
        for (Object o : (List<Object>) arch.get("layers")) {
            Map<String, Object> spec = (Map<String, Object>) o;
            String kind = (String) spec.get("kind");
            int seen = kindCount.merge(kind, 1, Integer::sum) - 1;
            String name = spec.get("name") != null ? (String) spec.get("name") : seen == 0 ? kind : kind + "_" + seen;
            Map<String, Object> config = (Map<String, Object>) spec.get("config");
            List<Number> inputs = (List<Number>) spec.get("inputs");
            if (inputs.size() != 1) {
                throw new IllegalArgumentException("bench kernels: layer " + name + " has " + inputs.size()
                        + " inputs; only chains of one-input layers are derived");
            }
            boolean inputGradient = needsGrad.get(inputs.get(0).intValue());
            Shape in = shapes.get(inputs.get(0).intValue());
            Layer layer = Architecture.create(kind, config);
            Shape out = layer.outputShape(List.of(in));
            shapes.add(out);
            needsGrad.add(inputGradient || !layer.parameters(List.of(in)).isEmpty());
            Shape y = out.batched(batch);
            Layers add = new Layers(cases, source, batch, name);
            switch (kind) {
                case "conv2d" -> {
                    Conv2dGeometry g = layer.convolutions(List.of(in), batch).get(0);
                    add.of(CONV, "forward", new OpSpec.Conv(g, OpSpec.ConvPass.FORWARD));
                    add.of(CONV, "backward-filter", new OpSpec.Conv(g, OpSpec.ConvPass.BACKWARD_FILTER));
                    if (inputGradient) {
                        add.of(CONV, "backward-data", new OpSpec.Conv(g, OpSpec.ConvPass.BACKWARD_DATA));
                    }
                    add.biasAndActivation(config, y, false);
                }
                case "dense" -> {
                    int k = in.dim(0);
                    int units = out.dim(0);
                    add.of(GEMM, "forward", new OpSpec.Gemm(batch, units, k, false, false));
                    add.of(GEMM, "dW", new OpSpec.Gemm(k, units, batch, true, false));
                    if (inputGradient) {
                        add.of(GEMM, "dx", new OpSpec.Gemm(batch, k, units, false, true));
                    }
                    add.biasAndActivation(config, y, true);
                }
                case "max_pooling2d" -> {
                    Pool2dGeometry g = pool(config, batch, in);
                    add.of(POOL, "max forward", new OpSpec.MaxPoolForward(g));
                    add.of(POOL, "max backward", new OpSpec.MaxPoolBackward(g));
                }
                case "dropout" -> {
                    add.of(DROPOUT, "forward", new OpSpec.DropoutForward(y, ((Number) config.get("rate")).floatValue()));
                    add.of(DROPOUT, "backward", new OpSpec.DropoutBackward(y));
                }
                case "flatten" -> {
                    // a view: no op
                }
                default -> throw new IllegalArgumentException("bench kernels: no cases for layer kind '" + kind
                        + "' (" + name + ")");
            }
        }
        Shape output = shapes.get(shapes.size() - 1);
        if (output.rank() != 1) {
            throw new IllegalArgumentException("bench kernels: model output " + output + " is not [classes]");
        }
        cases.add(new KernelCase(REDUCTION, "accuracy count", source, batch, "", new OpSpec.AccuracyCount(batch,
                output.dim(0))));
        return cases;
    }

    /** The optimizers and the finite check over all of {@code model}'s parameters (one flat run, as the plan keeps them). */
    static List<KernelCase> parameters(String source, Model model) {
        long count = model.plannedParameterShapes().values().stream().mapToLong(Shape::size).sum();
        return List.of(new KernelCase(OPTIMIZER, "adam", source, 0, "all parameters", new OpSpec.Adam(count)),
                new KernelCase(OPTIMIZER, "sgd momentum", source, 0, "all parameters", new OpSpec.Sgd(count)),
                new KernelCase(REDUCTION, "sum", source, 0, "all gradients", new OpSpec.Sum(count)));
    }

    /** Square N x N x N for each of {@link #SQUARE}; the mlp's first layer and its weight gradient at 65536 rows. */
    static List<KernelCase> gemms() {
        List<KernelCase> cases = new ArrayList<>();
        for (int n : SQUARE) {
            cases.add(new KernelCase(GEMM, "gemm", SQUARE_SOURCE, 0, Integer.toString(n), new OpSpec.Gemm(n, n, n, false,
                    false)));
        }
        cases.add(new KernelCase(GEMM, "forward", "skinny", 0, "", new OpSpec.Gemm(SKINNY_ROWS, 128, 784,
                false, false)));
        cases.add(new KernelCase(GEMM, "dW", "skinny", 0, "", new OpSpec.Gemm(784, 128, SKINNY_ROWS,
                true, false)));
        return cases;
    }

    /** Elementwise, dropout, optimizer and sum ops on tensors of {@code bytes} each. */
    static List<KernelCase> large(long bytes) {
        long count = bytes / Float.BYTES;
        Shape x = Shape.of(Math.toIntExact(count));
        String size = bytes % (1 << 20) == 0 ? (bytes >> 20) + " MiB" : bytes + " B";
        return List.of(
                new KernelCase(ACTIVATION, "relu forward", LARGE, 0, size, new OpSpec.ActivationForward(x, Activation.RELU)),
                new KernelCase(ACTIVATION, "relu backward", LARGE, 0, size, new OpSpec.ActivationBackward(x,
                        Activation.RELU)),
                new KernelCase(ELEMENTWISE, "add", LARGE, 0, size, new OpSpec.Add(x)),
                new KernelCase(DROPOUT, "dropout forward", LARGE, 0, size, new OpSpec.DropoutForward(x, 0.2f)),
                new KernelCase(DROPOUT, "dropout backward", LARGE, 0, size, new OpSpec.DropoutBackward(x)),
                new KernelCase(OPTIMIZER, "adam", LARGE, 0, size, new OpSpec.Adam(count)),
                new KernelCase(OPTIMIZER, "sgd momentum", LARGE, 0, size, new OpSpec.Sgd(count)),
                new KernelCase(REDUCTION, "sum", LARGE, 0, size, new OpSpec.Sum(count)));
    }

    /** The geometry MaxPooling2D computes, from its configuration (Keras padding). */
    private static Pool2dGeometry pool(Map<String, Object> config, int batch, Shape in) {
        int[] k = ints(config.get("pool_size"));
        int[] s = ints(config.get("strides"));
        Padding pad = Padding.keras((String) config.get("padding"), in.dim(1), in.dim(2), k[0], k[1], s[0], s[1], 1, 1);
        return new Pool2dGeometry(batch, in.dim(0), in.dim(1), in.dim(2), k[0], k[1], s[0], s[1], pad);
    }

    private static int[] ints(Object list) {
        return ((List<?>) list).stream().mapToInt(v -> ((Number) v).intValue()).toArray();
    }

    /** Adds one layer's cases. */
    private record Layers(List<KernelCase> cases, String source, int batch, String layer) {
        void of(String family, String op, OpSpec spec) {
            cases.add(new KernelCase(family, op, source, batch, layer, spec));
        }

        /**
         * Bias add and gradient when the layer has one; its activation both ways, except a final softmax, which the
         * loss fuses with the cross-entropy (and which predict runs alone).
         */
        void biasAndActivation(Map<String, Object> config, Shape y, boolean dense) {
            if (Boolean.TRUE.equals(config.get("use_bias"))) {
                of(BIAS, "bias add", new OpSpec.BiasAdd(y));
                of(BIAS, "bias grad", new OpSpec.BiasGrad(y));
            }
            String act = String.valueOf(config.get("activation"));
            switch (act) {
                case "linear", "null" -> {
                }
                case "softmax" -> {
                    if (!dense || y.rank() != 2) {
                        throw new IllegalArgumentException("bench kernels: softmax on " + y + " in " + layer);
                    }
                    of(SOFTMAX, "softmax cross-entropy", new OpSpec.SoftmaxCrossEntropy(y.dim(0), y.dim(1)));
                    of(SOFTMAX, "softmax forward", new OpSpec.Softmax(y.dim(0), y.dim(1)));
                }
                default -> {
                    Activation a = Activation.valueOf(act.toUpperCase(Locale.ROOT));
                    of(ACTIVATION, act + " forward", new OpSpec.ActivationForward(y, a));
                    of(ACTIVATION, act + " backward", new OpSpec.ActivationBackward(y, a));
                }
            }
        }
    }
}
