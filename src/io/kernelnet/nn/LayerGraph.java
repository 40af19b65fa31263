package io.kernelnet.nn;

import io.kernelnet.tensor.Shape;
import io.kernelnet.train.Loss;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model's layers as build sees them: the user's nodes expanded into {@link GraphNode}s in topological order, node
 * 0 the input, each with its per-example output shape, how many nodes read it and whether it is a view of its input;
 * then, for a loss, which node the loss reads and which nodes need a gradient. Holds no memory.
 */
final class LayerGraph {
    private final List<GraphNode> nodes;
    /** Index of the node whose output the loss reads: the logits before a fused softmax, else the output. */
    private int lossNode = -1;

    private LayerGraph(List<GraphNode> nodes) {
        this.nodes = nodes;
    }

    /**
     * The graph from {@code input} to {@code output} with every shape inferred. Names each layer that has no name
     * yet (its kind, numbered from the second on); refuses an input other than the model's, a layer applied twice, a
     * duplicate name, a node that takes the same input twice and a name that checkpoints would read as optimizer state.
     */
    static LayerGraph of(Node input, Node output) {
        LayerGraph graph = new LayerGraph(expand(input, output));
        graph.inferShapes();
        return graph;
    }

    /**
     * User nodes in topological order; node 0 is the input. A layer's own activation runs in the layer's epilogue
     * where it can ({@link Layer#fusesActivation}, an elementwise activation: its pre-activation then needs no
     * buffer of its own), else as a node of its own (a softmax, fused with the loss instead).
     */
    private static List<GraphNode> expand(Node input, Node output) {
        List<Node> order = new ArrayList<>();
        topologicalOrder(output, new HashSet<>(), order);
        Map<Node, Integer> index = new IdentityHashMap<>();
        Map<Layer, Boolean> seen = new IdentityHashMap<>();
        Map<String, Integer> kindCounts = new HashMap<>();
        Set<String> names = new HashSet<>();
        List<GraphNode> graph = new ArrayList<>();
        for (Node n : order) {
            if (n.isInput()) {
                if (n != input) {
                    throw new IllegalArgumentException("the model's output depends on an input that is not the model's input");
                }
                index.put(n, graph.size());
                graph.add(new GraphNode(null, "input", new int[0]));
                graph.get(0).shape = n.inputShape();
                continue;
            }
            Layer layer = n.layer();
            if (seen.put(layer, true) != null) {
                throw new IllegalArgumentException("layer " + layer.describe() + " is applied twice: weight sharing is not supported");
            }
            int count = kindCounts.merge(layer.kind(), 1, Integer::sum);
            layer.assignDefaultName(count == 1 ? layer.kind() : layer.kind() + "_" + (count - 1));
            if ((layer.name() + "/").startsWith(ModelState.OPTIMIZER_STATE_PREFIX)) {
                throw new IllegalArgumentException("a layer cannot be named '" + layer.name()
                        + "': checkpoints name optimizer state " + ModelState.OPTIMIZER_STATE_PREFIX + "...");
            }
            if (!names.add(layer.name())) {
                throw new IllegalArgumentException("two layers are named '" + layer.name() + "'");
            }
            int[] ins = new int[n.inputs().size()];
            for (int i = 0; i < ins.length; i++) {
                ins[i] = index.get(n.inputs().get(i));
                for (int j = 0; j < i; j++) {
                    if (ins[j] == ins[i]) {
                        throw new IllegalArgumentException("layer " + layer.describe() + " takes the same node twice");
                    }
                }
            }
            GraphNode node = new GraphNode(layer, layer.name(), ins);
            graph.add(node);
            if (layer.activation() != null && layer.fusesActivation()) {
                node.fusedActivation = ActivationLayer.elementwise(layer.activation());
            }
            if (layer.activation() != null && node.fusedActivation == null) {
                ActivationLayer act = new ActivationLayer(layer.activation()).named(layer.name() + "/" + layer.activation());
                graph.add(new GraphNode(act, layer.name(), new int[] {graph.size() - 1}));
            }
            index.put(n, graph.size() - 1);
        }
        return graph;
    }

    /** Post-order from the output. A node's inputs exist before it (Layer.apply), so the graph has no cycle. */
    private static void topologicalOrder(Node n, Set<Node> done, List<Node> order) {
        if (!done.add(n)) {
            return;
        }
        for (Node in : n.inputs()) {
            topologicalOrder(in, done, order);
        }
        order.add(n);
    }

    private void inferShapes() {
        for (GraphNode g : nodes) {
            if (g.isInput()) {
                continue;
            }
            g.shape = g.layer.outputShape(inputShapes(g));
            for (int i : g.inputs) {
                nodes.get(i).consumers++;
            }
        }
        for (GraphNode g : nodes) {
            g.aliased = !g.isInput() && g.layer.isView() && nodes.get(g.inputs[0]).consumers == 1;
        }
    }

    /**
     * Places {@code loss} on the graph: a cross-entropy reads the logits before the final softmax (the two are
     * fused for a stable gradient), another loss the output; then marks the nodes whose output needs a gradient.
     */
    void placeLoss(Loss loss) {
        int last = nodes.size() - 1;
        GraphNode out = nodes.get(last);
        lossNode = last;
        if (loss.isCrossEntropy()) {
            if (out.isInput() || !endsInClassSoftmax(out)) {
                throw new IllegalArgumentException(loss.kerasName() + " needs a model that ends in a softmax activation"
                        + " or a Softmax layer over the classes (it is fused with the softmax for a stable gradient);"
                        + " the last layer is "
                        + (out.isInput() ? "the input" : out.layer.describe()));
            }
            lossNode = out.inputs[0];
        }
        for (GraphNode g : nodes) {  // the input needs none: it has neither parameters nor inputs
            g.needsGrad = !parameters(g).isEmpty();
            for (int i : g.inputs) {
                g.needsGrad |= nodes.get(i).needsGrad;
            }
        }
        nodes.get(lossNode).needsGrad |= !nodes.get(lossNode).isInput();
    }

    /** A softmax activation, or a Softmax layer over the classes of a flat output (Keras' Dense then Softmax()). */
    private static boolean endsInClassSoftmax(GraphNode out) {
        if (out.layer instanceof ActivationLayer a) {
            return a.function().equals("softmax");
        }
        return out.layer instanceof Softmax s && s.normalizesClasses(out.shape);
    }

    List<GraphNode> nodes() {
        return nodes;
    }

    GraphNode node(int index) {
        return nodes.get(index);
    }

    int size() {
        return nodes.size();
    }

    GraphNode input() {
        return nodes.get(0);
    }

    /** Index of the last node, whose output is the model's. */
    int outputIndex() {
        return nodes.size() - 1;
    }

    int lossNode() {
        return lossNode;
    }

    List<Shape> inputShapes(GraphNode g) {
        List<Shape> shapes = new ArrayList<>();
        for (int i : g.inputs) {
            shapes.add(nodes.get(i).shape);
        }
        return shapes;
    }

    List<ParamSpec> parameters(GraphNode g) {
        return g.isInput() ? List.of() : g.layer.parameters(inputShapes(g));
    }

    /** Every parameter by its checkpoint name ("dense/kernel"), in plan order, from the shapes alone. */
    LinkedHashMap<String, Shape> parameterShapes() {
        LinkedHashMap<String, Shape> shapes = new LinkedHashMap<>();
        for (GraphNode g : nodes) {
            for (ParamSpec spec : parameters(g)) {
                shapes.put(g.owner + "/" + spec.name(), spec.shape());
            }
        }
        return shapes;
    }
}
