package io.kernelnet.nn;

import static io.kernelnet.testing.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.examples.MnistModels;
import io.kernelnet.examples.TinyRegression;
import io.kernelnet.tensor.Shape;
import io.kernelnet.testing.TestRandom;
import io.kernelnet.train.Adam;
import io.kernelnet.train.Examples;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.History;
import io.kernelnet.train.Loss;
import io.kernelnet.train.Sgd;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ModelTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    /** A CPU backend that counts allocate() calls. */
    private static Backend counting(AtomicInteger allocations) {
        CpuBackend cpu = new CpuBackend();
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("allocate")) {
                        allocations.incrementAndGet();
                    }
                    try {
                        return method.invoke(cpu, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private Examples blobs(int n) {
        // two classes: the sign of the sum of the features
        float[] x = rng.uniform(n * 4, -1, 1);
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            y[i] = x[4 * i] + x[4 * i + 1] + x[4 * i + 2] + x[4 * i + 3] > 0 ? 1 : 0;
        }
        return Examples.of(x, Shape.of(4), y, Shape.of());
    }

    private static Model smallClassifier() {
        return new Sequential(4).add(new Dense(8, "relu")).add(new Dropout(0.1)).add(new Dense(2, "softmax"));
    }

    @Test
    void buildMakesOneAllocationAndTrainingMakesNone() {
        AtomicInteger allocations = new AtomicInteger();
        try (Model model = smallClassifier()) {
            model.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
            model.build(16, counting(allocations));
            assertEquals(1, allocations.get(), "build allocates once");
            model.fit(blobs(40), FitOptions.defaults().epochs(2).batchSize(16).verbose(0)); // 16, 16, 8: a smaller last batch
            model.evaluate(blobs(10), 16);
            model.predict(blobs(3));
            assertEquals(1, allocations.get(), "fit, evaluate and predict allocate nothing");
        }
    }

    @Test
    void aSmallerLastBatchGivesTheSameResultsAsExactBatches() {
        Examples data = blobs(10);
        try (Model big = smallClassifier(); Model one = smallClassifier()) {
            big.seed(7).compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
            one.seed(7).compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
            big.build(4, new CpuBackend());
            one.build(1, new CpuBackend());
            Model.Evaluation a = big.evaluate(data, 4);
            Model.Evaluation b = one.evaluate(data, 1);
            assertEquals(b.loss(), a.loss(), 1e-6);
            assertEquals(b.accuracy(), a.accuracy(), 0);
        }
    }

    @Test
    void learnsALinearlySeparableProblem() {
        try (Model model = smallClassifier()) {
            model.seed(3).compile(new Adam(0.01f), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
            History h = model.fit(blobs(400), FitOptions.defaults().epochs(15).batchSize(32).verbose(0));
            assertTrue(h.last("accuracy") > 0.9, "training accuracy " + h.last("accuracy"));
            assertTrue(h.last("loss") < h.get("loss").get(0), "loss went down: " + h.get("loss"));
            assertTrue(model.evaluate(blobs(200), 64).accuracy() > 0.85);
        }
    }

    @Test
    void sgdWithMomentumAlsoLearns() {
        try (Model model = smallClassifier()) {
            model.seed(5).compile(new Sgd(0.1f, 0.9f, true, 0f), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
            History h = model.fit(blobs(400), FitOptions.defaults().epochs(10).batchSize(32).verbose(0));
            assertTrue(h.last("accuracy") > 0.9, "training accuracy " + h.last("accuracy"));
        }
    }

    @Test
    void tinyRegressionExampleFitsItsTwoPoints() {
        History h = TinyRegression.train(300, 1);
        assertTrue(h.last("loss") < 0.01 * h.get("loss").get(0), "mse " + h.get("loss").get(0) + " -> " + h.last("loss"));
    }

    @Test
    void seedsMakeTrainingReproducible() {
        Examples data = blobs(64);
        double[] losses = new double[2];
        for (int r = 0; r < 2; r++) {
            try (Model model = smallClassifier()) {
                model.seed(11).compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
                losses[r] = model.fit(data, FitOptions.defaults().epochs(2).batchSize(8).shuffleSeed(4).verbose(0)).last("loss");
            }
        }
        assertEquals(losses[0], losses[1], 0);
    }

    @Test
    void kerasParameterCountsOfTheSeedModels() {
        try (Model mlp = MnistModels.mlp(); Model cnn = MnistModels.cnn()) {
            mlp.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
            cnn.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
            mlp.build(2, new CpuBackend());
            cnn.build(2, new CpuBackend());
            assertEquals(101_770, count(mlp));
            assertEquals(93_322, count(cnn));
            assertEquals(List.of("conv2d/kernel", "conv2d/bias", "conv2d_1/kernel", "conv2d_1/bias", "conv2d_2/kernel",
                    "conv2d_2/bias", "dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"),
                    List.copyOf(cnn.parameterShapes().keySet()));
            assertEquals(Shape.of(32, 1, 3, 3), cnn.parameterShapes().get("conv2d/kernel"));
            assertEquals(Shape.of(576, 64), cnn.parameterShapes().get("dense/kernel"));
            String summary = cnn.summary();
            assertTrue(summary.contains("Total params: 93322"), summary);
            assertTrue(summary.contains("(None, 64, 3, 3)"), summary);
            assertTrue(summary.contains("Planned memory for batch 2 on cpu"), summary);
        }
    }

    private static long count(Model m) {
        return m.parameterShapes().values().stream().mapToLong(Shape::size).sum();
    }

    @Test
    void memoryPlanAlignsBuffersAndGivesParametersAndGradientsOneLayout() {
        try (Model model = MnistModels.cnn()) {
            model.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            model.build(8, new CpuBackend());
            MemoryPlan plan = model.memoryPlan();
            long paramStart = -1;
            long gradStart = -1;
            for (MemoryPlan.Entry e : plan.entries()) {
                assertEquals(0, e.offset() % MemoryPlan.ALIGN_FLOATS, e.name() + " is 256-byte aligned");
                if (e.region() == MemoryPlan.Region.PARAMETERS && paramStart < 0) {
                    paramStart = e.offset();
                }
                if (e.region() == MemoryPlan.Region.GRADIENTS && gradStart < 0) {
                    gradStart = e.offset();
                }
            }
            long shift = gradStart - paramStart;
            for (MemoryPlan.Entry p : plan.entries()) {
                if (p.region() == MemoryPlan.Region.PARAMETERS) {
                    MemoryPlan.Entry g = plan.entries().stream().filter(e -> e.name().equals(p.name() + "/grad")).findFirst().orElseThrow();
                    assertEquals(p.offset() + shift, g.offset(), p.name());
                    assertEquals(p.shape(), g.shape());
                }
            }
            assertEquals(plan.regionFloats(MemoryPlan.Region.PARAMETERS), plan.regionFloats(MemoryPlan.Region.OPTIMIZER_STATE) / 2);
            assertTrue(plan.toString().contains("conv2d/kernel"));
        }
    }

    @Test
    void shapeErrorsAtBuildNameTheLayerAndItsInput() {
        try (Model model = new Sequential(1, 28, 28).add(new Conv2D(4, 3)).add(new Dense(10, "softmax"))) {
            model.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            assertRefused(() -> model.build(4, new CpuBackend()), "dense", "[4, 26, 26]", "Flatten");
        }
        try (Model model = new Sequential(1, 2, 2).add(new Conv2D(4, 3))) {
            model.compile(new Adam(), Loss.MSE);
            assertRefused(() -> model.build(4, new CpuBackend()), "conv2d", "[1, 2, 2]");
        }
    }

    @Test
    void crossEntropyNeedsASoftmaxOutput() {
        try (Model model = new Sequential(4).add(new Dense(3))) {
            model.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            assertRefused(() -> model.build(4, new CpuBackend()), "softmax");
        }
    }

    @Test
    void dataOfTheWrongShapeIsRefused() {
        try (Model model = smallClassifier()) {
            model.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            Examples wrong = Examples.of(new float[10], Shape.of(5), new float[2], Shape.of());
            assertRefused(() -> model.fit(wrong, FitOptions.defaults().verbose(0)), "[5]", "[4]");
        }
    }

    @Test
    void aClosedModelRefusesUse() {
        Model model = smallClassifier();
        model.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
        model.build(4, new CpuBackend());
        model.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> model.evaluate(blobs(4), 4));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void layersGetKerasDefaultNamesAndDuplicatesAreRefused() {
        try (Model model = new Sequential(4).add(new Dense(3, "relu")).add(new Dense(2, "softmax"))) {
            model.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            model.build(1, new CpuBackend());
            assertEquals(List.of("dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"),
                    List.copyOf(model.parameterShapes().keySet()));
        }
        try (Model model = new Sequential(4).add(new Dense(3).named("a")).add(new Dense(2, "softmax").named("a"))) {
            model.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            assertRefused(() -> model.build(1, new CpuBackend()), "'a'");
        }
    }

    @Test
    void architectureRoundTripRebuildsTheSameParameters() {
        try (Model cnn = MnistModels.cnn()) {
            cnn.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            cnn.build(1, new CpuBackend());
            try (Model again = Architecture.rebuild(Architecture.describe(cnn))) {
                again.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
                again.build(1, new CpuBackend());
                assertEquals(cnn.parameterShapes(), again.parameterShapes());
            }
        }
    }

    /** On [2, 3, 4] inputs: Softmax(1) normalizes the 2 channels of each of the 12 positions, Softmax() each row of 4. */
    @Test
    void aSoftmaxLayerNormalizesAlongItsAxis() {
        Examples x = Examples.of(rng.uniform(2 * 24, -3, 3), Shape.of(2, 3, 4), new float[2 * 24], Shape.of(2, 3, 4));
        for (int axis : new int[] {1, -1}) {
            try (Model model = new Sequential(2, 3, 4).add(new Softmax(axis))) {
                model.compile(new Sgd(), Loss.MSE);
                float[] y = model.predict(x);
                for (int example = 0; example < 2; example++) {
                    for (int line = 0; line < (axis == 1 ? 12 : 6); line++) {
                        double sum = 0;
                        for (int j = 0; j < (axis == 1 ? 2 : 4); j++) {
                            sum += y[example * 24 + (axis == 1 ? j * 12 + line : line * 4 + j)];
                        }
                        assertEquals(1, sum, 1e-6, "axis " + axis + ", example " + example + ", line " + line);
                    }
                }
            }
        }
    }

    /** Keras' Dense(3) then Softmax() is Dense(3, "softmax"): the cross-entropy fuses with it, bit for bit. */
    @Test
    void aCrossEntropyFusesWithASoftmaxLayerOverTheClasses() {
        Examples data = rng.classification(6, Shape.of(4), 3);
        float[][] kernels = new float[2][];
        Model[] models = {new Sequential(4).add(new Dense(3, "softmax")), new Sequential(4).add(new Dense(3)).add(
                new Softmax())};
        for (int i = 0; i < 2; i++) {
            try (Model m = models[i]) {
                m.seed(5).compile(new Adam(0.01f), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
                m.fit(data, FitOptions.defaults().epochs(3).batchSize(6).verbose(0));
                kernels[i] = m.parameters().get("dense/kernel");
            }
        }
        assertArrayEquals(kernels[0], kernels[1]);
        try (Model overRows = new Sequential(2, 3).add(new Flatten()).add(new Dense(6)).add(Softmax.logSoftmax(-1))) {
            overRows.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            assertRefused(() -> overRows.build(1, new CpuBackend()), "ends in a softmax activation");
        }
    }

    @Test
    void aSoftmaxLayersAxisAndLogSurviveTheArchitectureRoundTrip() {
        try (Model model = new Sequential(3, 4, 4).add(new Softmax(1)).add(Softmax.logSoftmax(-1))
                .add(new Flatten()).add(new Dense(2, "softmax"))) {
            model.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            model.build(1, new CpuBackend());
            Map<String, Object> described = Architecture.describe(model);
            try (Model again = Architecture.rebuild(described)) {
                again.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
                again.build(1, new CpuBackend());
                assertEquals(described, Architecture.describe(again));
            }
            assertTrue(described.toString().contains("{axis=1, log=false}")
                    && described.toString().contains("{axis=-1, log=true}"), described.toString());
        }
    }
}
