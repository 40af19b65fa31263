package io.kernelnet.nn;

import static io.kernelnet.testing.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.train.Adam;
import io.kernelnet.train.Loss;
import org.junit.jupiter.api.Test;

/**
 * Functional models that cannot be trained are refused at build, saying why: the graph itself is wrong (shapes
 * aside, see ShapeRefusalsTest) or the loss does not fit its last layer.
 */
class GraphRefusalsTest {
    /** Compiled with {@code loss} and Adam, {@code model} is refused at build with a message naming every mention. */
    static void assertBuildRefused(Model model, Loss loss, String... mentions) {
        try (model) {
            model.compile(new Adam(), loss);
            assertRefused(() -> model.build(2, new CpuBackend()), mentions);
        }
    }

    private static void assertBuilds(Model model) {
        try (model) {
            model.compile(new Adam(), Loss.MSE);
            assertDoesNotThrow(() -> model.build(2, new CpuBackend()));
        }
    }

    @Test
    void aLayerAppliedTwiceWouldShareItsWeights() {
        Node in = Node.input(4);
        Dense shared = new Dense(4);
        assertBuildRefused(new Model(in, shared.apply(shared.apply(in))), Loss.MSE,
                "layer dense (Dense) is applied twice", "weight sharing is not supported");
    }

    @Test
    void aLayerTakingOneNodeTwice() {
        Node in = Node.input(4);
        Node a = new Dense(4).apply(in);
        assertBuildRefused(new Model(in, new Add().apply(a, a)), Loss.MSE, "layer add (Add) takes the same node twice");
        Node b = new Dense(4).apply(in);
        assertBuilds(new Model(in, new Add().apply(a, b)));
    }

    @Test
    void anOutputThatReadsAnotherInput() {
        Node in = Node.input(4);
        Node other = Node.input(4);
        assertBuildRefused(new Model(in, new Dense(2).apply(other)), Loss.MSE,
                "depends on an input that is not the model's input");
    }

    @Test
    void aLayerNameThatCheckpointsReadAsOptimizerState() {
        assertBuildRefused(new Sequential(4).add(new Dense(2).named("optimizer")), Loss.MSE,
                "a layer cannot be named 'optimizer'", "optimizer/...");
        assertBuilds(new Sequential(4).add(new Dense(2).named("optimizers")));
    }

    @Test
    void aCrossEntropyAfterSomethingOtherThanASoftmax() {
        Node in = Node.input(3);
        assertBuildRefused(new Model(in, in), Loss.SPARSE_CATEGORICAL_CROSSENTROPY,
                "needs a model that ends in a softmax", "the last layer is the input");
        assertBuildRefused(new Sequential(3).add(new Dense(3)).add(new ActivationLayer("relu")),
                Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "the last layer is activation (ActivationLayer)");
    }
}
