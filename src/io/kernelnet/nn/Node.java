package io.kernelnet.nn;

import java.util.List;

/**
 * A layer applied to earlier nodes: the functional API's graph, as in Keras
 * ({@code Node x = new Dense(64, "relu").apply(input)}). An input node has no layer.
 */
public final class Node {
    private final Layer layer;
    private final List<Node> inputs;
    private final io.kernelnet.tensor.Shape inputShape;

    Node(Layer layer, List<Node> inputs) {
        this.layer = layer;
        this.inputs = List.copyOf(inputs);
        this.inputShape = null;
    }

    private Node(io.kernelnet.tensor.Shape inputShape) {
        this.layer = null;
        this.inputs = List.of();
        this.inputShape = inputShape;
    }

    /** The model's input, with its per-example shape ([1, 28, 28] for MNIST images, [2] for two features). */
    public static Node input(int... shapePerExample) {
        return new Node(io.kernelnet.tensor.Shape.of(shapePerExample));
    }

    public boolean isInput() {
        return layer == null;
    }

    public Layer layer() {
        return layer;
    }

    public List<Node> inputs() {
        return inputs;
    }

    /** The per-example shape of an input node. */
    public io.kernelnet.tensor.Shape inputShape() {
        return inputShape;
    }
}
