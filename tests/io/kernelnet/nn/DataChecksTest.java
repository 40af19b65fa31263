package io.kernelnet.nn;

import static io.kernelnet.testing.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.data.Dataset;
import io.kernelnet.tensor.Shape;
import io.kernelnet.testing.TestRandom;
import io.kernelnet.train.Adam;
import io.kernelnet.train.Examples;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.Loss;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * fit, evaluate and predict check their data before the first step: a label outside the model's classes or a
 * non-finite input or target is refused naming the example (and for labels the value and the valid range).
 */
class DataChecksTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private static final FitOptions QUIET = FitOptions.defaults().batchSize(4).verbose(0);

    /** Three classes out of four features. */
    private static Model classifier() {
        Model m = new Sequential(4).add(new Dense(5, "relu")).add(new Dense(3, "softmax"));
        m.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
        m.build(4, new CpuBackend());
        return m;
    }

    private Examples labelled(int n, int badExample, float badLabel) {
        float[] labels = rng.labels(n, 3);
        labels[badExample] = badLabel;
        return Examples.of(rng.uniform(n * 4, -1, 1), Shape.of(4), labels, Shape.of());
    }

    private Examples withInput(int n, int badExample, int position, float value) {
        float[] x = rng.uniform(n * 4, -1, 1);
        x[badExample * 4 + position] = value;
        return Examples.of(x, Shape.of(4), rng.labels(n, 3), Shape.of());
    }

    @Test
    void aLabelBeyondTheModelsClassesIsRefusedWithItsExample() {
        // a valid data set of 10 classes on a model of 3
        float[] labels = new float[12];
        labels[9] = 7;
        Dataset tenClasses = new Dataset(rng.uniform(12 * 4, 0, 1), Shape.of(4), labels, 10);
        try (Model m = classifier()) {
            assertRefused(() -> m.fit(tenClasses, QUIET), "fit: example 9 has label 7.0", "[0, 3)", "[3]");
            assertEquals(0, m.stepCount(), "refused before the first step");
            assertRefused(() -> m.evaluate(tenClasses, 4), "evaluate: example 9 has label 7.0", "[0, 3)");
        }
    }

    @Test
    void negativeAndFractionalLabelsAreRefused() {
        try (Model m = classifier()) {
            assertRefused(() -> m.fit(labelled(8, 2, -1), QUIET), "example 2 has label -1.0", "[0, 3)");
            assertRefused(() -> m.fit(labelled(8, 6, 1.5f), QUIET), "example 6 has label 1.5");
            assertRefused(() -> m.fit(labelled(8, 0, Float.NaN), QUIET), "example 0 has label NaN");
        }
    }

    @Test
    void badValidationDataIsRefusedBeforeTraining() {
        try (Model m = classifier()) {
            FitOptions withValidation = FitOptions.defaults().batchSize(4).verbose(0).validationData(labelled(5, 4, 3));
            assertRefused(() -> m.fit(labelled(8, 0, 0), withValidation), "fit (validation): example 4 has label 3.0");
            assertEquals(0, m.stepCount());
        }
    }

    @Test
    void nonFiniteInputsAreRefusedWithTheirExample() {
        try (Model m = classifier()) {
            assertRefused(() -> m.fit(withInput(10, 3, 2, Float.NaN), QUIET),
                    "fit: example 3 has a non-finite input value NaN at position 2");
            assertRefused(() -> m.evaluate(withInput(10, 7, 0, Float.POSITIVE_INFINITY), 4),
                    "evaluate: example 7", "Infinity at position 0");
            assertRefused(() -> m.predict(withInput(2, 1, 3, Float.NEGATIVE_INFINITY)),
                    "predict: example 1", "-Infinity at position 3");
            assertEquals(0, m.stepCount());
        }
    }

    @Test
    void nonFiniteRegressionTargetsAreRefusedWithTheirExample() {
        try (Model m = new Sequential(2).add(new Dense(2))) {
            m.compile(new Adam(), Loss.MSE);
            float[] targets = rng.uniform(6 * 2, -1, 1);
            targets[4 * 2 + 1] = Float.NaN;
            Examples data = Examples.of(rng.uniform(6 * 2, -1, 1), Shape.of(2), targets, Shape.of(2));
            assertRefused(() -> m.fit(data, QUIET), "fit: example 4 has a non-finite target value NaN at position 1");
        }
    }
}
