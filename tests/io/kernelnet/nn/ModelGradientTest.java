package io.kernelnet.nn;

import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.tensor.Shape;
import io.kernelnet.testing.GradientChecker;
import io.kernelnet.testing.TestRandom;
import io.kernelnet.train.Adam;
import io.kernelnet.train.Examples;
import io.kernelnet.train.Loss;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every layer's backward pass inside whole models, against finite differences of the model's loss with respect
 * to every parameter (the shared {@link GradientChecker}; step 1e-3, tolerance 1e-2 relative to max(|g|, 1)).
 * Dropout repeats its mask because the generator offset is reset before each evaluation.
 */
class ModelGradientTest {
    private static final double STEP = 1e-3;
    private static final double TOLERANCE = 1e-2;

    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private void checkAllParameters(Model model, Loss loss, Examples data) {
        model.seed(rng.seed()).compile(new Adam(), loss);
        model.build(data.count(), new CpuBackend());
        model.lossAndGradients(data, data.count(), 0);
        Map<String, float[]> analytic = model.gradients();
        for (Map.Entry<String, float[]> p : model.parameters().entrySet()) {
            String name = p.getKey();
            float[] values = p.getValue();
            GradientChecker.check(name, values, analytic.get(name), () -> {
                model.setParameter(name, values);
                return model.lossAndGradients(data, data.count(), 0);
            }, STEP, TOLERANCE);
            model.setParameter(name, values);
        }
        model.close();
    }

    @Test
    void denseWithTanhAndSoftmaxUnderSparseCrossEntropy() {
        Model m = new Sequential(5).add(new Dense(4, "tanh")).add(new Dense(3, "softmax"));
        checkAllParameters(m, Loss.SPARSE_CATEGORICAL_CROSSENTROPY, rng.classification(6, Shape.of(5), 3));
    }

    @Test
    void convSameStridedNonSquareWithMaxPool() {
        Model m = new Sequential(2, 7, 6)
                .add(new Conv2D(3, 2, 3).strides(2, 1).padding("same").activation("leaky_relu"))
                .add(new MaxPooling2D(2))
                .add(new Flatten())
                .add(new Dense(3, "softmax"));
        checkAllParameters(m, Loss.SPARSE_CATEGORICAL_CROSSENTROPY, rng.classification(3, Shape.of(2, 7, 6), 3));
    }

    @Test
    void dilatedConvWithSamePaddedAveragePool() {
        Model m = new Sequential(1, 9, 8)
                .add(new Conv2D(2, 3).dilation(2, 2).activation("sigmoid"))
                .add(new AveragePooling2D(2).padding("same"))
                .add(new Flatten())
                .add(new Dense(3, "softmax"));
        checkAllParameters(m, Loss.SPARSE_CATEGORICAL_CROSSENTROPY, rng.classification(2, Shape.of(1, 9, 8), 3));
    }

    /** Keras' Softmax(axis=1) over the channels of a conv output, then log-softmax over its rows (axis -2). */
    @Test
    void softmaxOverChannelsAndLogSoftmaxOverRows() {
        Model m = new Sequential(1, 5, 5)
                .add(new Conv2D(3, 2).activation("tanh"))
                .add(new Softmax(1))
                .add(Softmax.logSoftmax(-2))
                .add(new Flatten())
                .add(new Dense(3, "softmax"));
        checkAllParameters(m, Loss.SPARSE_CATEGORICAL_CROSSENTROPY, rng.classification(3, Shape.of(1, 5, 5), 3));
    }

    @Test
    void dropoutBetweenDenseLayers() {
        Model m = new Sequential(4).add(new Dense(8, "sigmoid")).add(new Dropout(0.5)).add(new Dense(3, "softmax"));
        checkAllParameters(m, Loss.SPARSE_CATEGORICAL_CROSSENTROPY, rng.classification(5, Shape.of(4), 3));
    }

    @Test
    void meanSquaredErrorRegression() {
        Model m = new Sequential(3).add(new Dense(4, "leaky_relu")).add(new Dense(2));
        Examples data = Examples.of(rng.uniform(3 * 5, -1, 1), Shape.of(3), rng.uniform(2 * 5, -1, 1), Shape.of(2));
        checkAllParameters(m, Loss.MSE, data);
    }

    @Test
    void categoricalCrossEntropyWithProbabilityTargets() {
        int n = 4;
        float[] targets = new float[n * 3];
        for (int i = 0; i < n; i++) {
            float[] p = rng.uniform(3, 0.1f, 1f);
            float s = p[0] + p[1] + p[2];
            for (int k = 0; k < 3; k++) {
                targets[i * 3 + k] = p[k] / s;
            }
        }
        Model m = new Sequential(4).add(new Dense(3, "softmax"));
        checkAllParameters(m, Loss.CATEGORICAL_CROSSENTROPY,
                Examples.of(rng.uniform(4 * n, -1, 1), Shape.of(4), targets, Shape.of(3)));
    }

    @Test
    void functionalResidualAccumulatesGradientsFromBothConsumers() {
        Node input = Node.input(5);
        Node a = new Dense(4, "tanh").apply(input);
        Node b = new Dense(4, "tanh").apply(a);
        Node sum = new Add().apply(a, b);
        Node out = new Dense(3, "softmax").apply(sum);
        checkAllParameters(new Model(input, out), Loss.SPARSE_CATEGORICAL_CROSSENTROPY,
                rng.classification(4, Shape.of(5), 3));
    }

    @Test
    void flattenFeedingTwoConsumersIsCopiedNotAliased() {
        Node input = Node.input(1, 4, 4);
        Node conv = new Conv2D(2, 3).activation("tanh").apply(input);
        Node flat = new Flatten().apply(conv);
        Node left = new Dense(3, "tanh").apply(flat);
        Node right = new Dense(3, "tanh").apply(flat);
        Node out = new Dense(2, "softmax").apply(new Add().apply(left, right));
        checkAllParameters(new Model(input, out), Loss.SPARSE_CATEGORICAL_CROSSENTROPY,
                rng.classification(3, Shape.of(1, 4, 4), 2));
    }
}
