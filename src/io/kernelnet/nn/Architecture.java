package io.kernelnet.nn;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's layer graph as plain maps and lists (JSON-ready), and back: what a checkpoint stores so that
 * {@code evaluate --weights FILE} can rebuild the model it was trained with.
 * Form: {"input": [1, 28, 28], "layers": [{"kind": "conv2d", "name": "conv2d", "config": {...}, "inputs": [0]}, ...]}
 * where input index 0 is the model input and i + 1 is layers[i].
 */
public final class Architecture {
    private Architecture() {
    }

    public static Map<String, Object> describe(Model model) {
        List<Node> order = new ArrayList<>();
        collect(model.outputNode(), new HashSet<>(), order);
        Map<Node, Integer> index = new IdentityHashMap<>();
        List<Object> layers = new ArrayList<>();
        Map<String, Object> arch = new LinkedHashMap<>();
        for (Node n : order) {
            if (n.isInput()) {
                index.put(n, 0);
                arch.put("input", toList(n.inputShape().dims()));
                continue;
            }
            List<Object> inputs = new ArrayList<>();
            for (Node in : n.inputs()) {
                inputs.add(index.get(in));
            }
            Map<String, Object> layer = new LinkedHashMap<>();
            layer.put("kind", n.layer().kind());
            layer.put("name", n.layer().name());
            layer.put("config", n.layer().config());
            layer.put("inputs", inputs);
            layers.add(layer);
            index.put(n, layers.size());
        }
        arch.put("layers", layers);
        return arch;
    }

    private static void collect(Node n, java.util.Set<Node> done, List<Node> order) {
        if (!done.add(n)) {
            return;
        }
        for (Node in : n.inputs()) {
            collect(in, done, order);
        }
        order.add(n);
    }

    private static List<Object> toList(int[] dims) {
        List<Object> l = new ArrayList<>();
        for (int d : dims) {
            l.add(d);
        }
        return l;
    }

    /** Rebuilds the (unbuilt, uncompiled) model described by {@link #describe}. */
    @SuppressWarnings("unchecked")
    public static Model rebuild(Map<String, Object> arch) {
        try {
            int[] inputShape = ints(arch.get("input"));
            List<Node> nodes = new ArrayList<>();
            nodes.add(Node.input(inputShape));
            for (Object o : (List<Object>) arch.get("layers")) {
                Map<String, Object> spec = (Map<String, Object>) o;
                Layer layer = create((String) spec.get("kind"), (Map<String, Object>) spec.get("config"));
                layer.named((String) spec.get("name"));
                int[] inputs = ints(spec.get("inputs"));
                Node[] ins = new Node[inputs.length];
                for (int i = 0; i < inputs.length; i++) {
                    ins[i] = nodes.get(inputs[i]);
                }
                nodes.add(layer.apply(ins));
            }
            return new Model(nodes.get(0), nodes.get(nodes.size() - 1));
        } catch (ClassCastException | NullPointerException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("malformed architecture description: " + e, e);
        }
    }

    /** A layer from its kind and {@link Layer#config()}. */
    public static Layer create(String kind, Map<String, Object> c) {
        return switch (kind) {
            case "dense" -> new Dense(integer(c, "units")).activation((String) c.get("activation"))
                    .useBias((Boolean) c.get("use_bias"));
            case "conv2d" -> {
                int[] k = ints(c.get("kernel_size"));
                int[] s = ints(c.get("strides"));
                int[] d = ints(c.get("dilation_rate"));
                yield new Conv2D(integer(c, "filters"), k[0], k[1]).strides(s[0], s[1]).dilation(d[0], d[1])
                        .padding((String) c.get("padding")).activation((String) c.get("activation"))
                        .useBias((Boolean) c.get("use_bias"));
            }
            case "max_pooling2d", "average_pooling2d" -> {
                int[] k = ints(c.get("pool_size"));
                int[] s = ints(c.get("strides"));
                Pooling2D p = kind.startsWith("max") ? new MaxPooling2D(k[0], k[1]) : new AveragePooling2D(k[0], k[1]);
                p.strides(s[0], s[1]);
                p.padding((String) c.get("padding"));
                yield p;
            }
            case "flatten" -> new Flatten();
            case "dropout" -> new Dropout(((Number) c.get("rate")).doubleValue());
            case "activation" -> new ActivationLayer((String) c.get("activation"), ((Number) c.get("alpha")).floatValue());
            case "softmax" -> new Softmax(integer(c, "axis"), (Boolean) c.get("log"));
            case "add" -> new Add();
            default -> throw new IllegalArgumentException("unknown layer kind '" + kind + "'");
        };
    }

    private static int integer(Map<String, Object> c, String key) {
        return ((Number) c.get(key)).intValue();
    }

    @SuppressWarnings("unchecked")
    private static int[] ints(Object list) {
        List<Object> l = (List<Object>) list;
        int[] a = new int[l.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = ((Number) l.get(i)).intValue();
        }
        return a;
    }
}
