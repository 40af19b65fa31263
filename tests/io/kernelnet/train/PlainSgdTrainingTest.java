package io.kernelnet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.backend.cpu.FastCpuBackend;
import io.kernelnet.nn.Dense;
import io.kernelnet.nn.MemoryPlan;
import io.kernelnet.nn.Model;
import io.kernelnet.nn.Sequential;
import io.kernelnet.tensor.Shape;
import io.kernelnet.testing.TestRandom;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Training with plain SGD (momentum 0, Keras' default) on the CPU backends: a linear layer under MSE, whose
 * steps are worked out here in double, p -= lr * dL/dp with nothing kept between steps, and no optimizer state
 * planned.
 */
class PlainSgdTrainingTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    static Stream<Named<Supplier<Backend>>> backends() {
        return Stream.of(Named.of("cpu-reference", CpuBackend::new), Named.of("cpu", FastCpuBackend::new));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void eachStepMovesTheWeightsByTheLearningRateTimesTheGradient(Supplier<Backend> backend) {
        int n = 4;
        int in = 3;
        int out = 2;
        float lr = 0.1f;
        float[] x = rng.uniform(n * in, -1, 1);
        float[] t = rng.uniform(n * out, -1, 1);
        Examples data = Examples.of(x, Shape.of(in), t, Shape.of(out));
        try (Model m = new Sequential(in).add(new Dense(out))) {
            m.seed(rng.seed()).compile(new Sgd(lr), Loss.MSE);
            m.build(n, backend.get());
            assertEquals(0, m.memoryPlan().regionFloats(MemoryPlan.Region.OPTIMIZER_STATE), "no state without momentum");
            assertEquals(Shape.of(in, out), m.parameterShapes().get("dense/kernel"));
            double[] w = toDouble(m.parameters().get("dense/kernel"));
            double[] b = toDouble(m.parameters().get("dense/bias"));
            for (int epoch = 1; epoch <= 3; epoch++) {
                // one batch of all n examples per epoch: y = x w + b, loss = mean((y - t)^2) over n * out values
                double[] dw = new double[in * out];
                double[] db = new double[out];
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < out; j++) {
                        double y = b[j];
                        for (int k = 0; k < in; k++) {
                            y += x[i * in + k] * w[k * out + j];
                        }
                        double dy = 2 * (y - t[i * out + j]) / (n * out);
                        db[j] += dy;
                        for (int k = 0; k < in; k++) {
                            dw[k * out + j] += x[i * in + k] * dy;
                        }
                    }
                }
                for (int q = 0; q < w.length; q++) {
                    w[q] -= lr * dw[q];
                }
                for (int j = 0; j < out; j++) {
                    b[j] -= lr * db[j];
                }
                m.fit(data, FitOptions.defaults().epochs(1).batchSize(n).verbose(0));
                assertArrayEquals(w, toDouble(m.parameters().get("dense/kernel")), 1e-6, "kernel after epoch " + epoch);
                assertArrayEquals(b, toDouble(m.parameters().get("dense/bias")), 1e-6, "bias after epoch " + epoch);
            }
            assertEquals(3, m.stepCount());
        }
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }
}
