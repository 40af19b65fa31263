package io.kernelnet.bench;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.Padding;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.backend.cpu.FastCpuBackend;
import io.kernelnet.data.Dataset;
import io.kernelnet.examples.MnistModels;
import io.kernelnet.nn.Model;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.train.Adam;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.Loss;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Reference CpuBackend versus FastCpuBackend on the MNIST CNN's work at batch 128: each conv layer's three passes,
 * the Dense layers' gemms, the sum of what one training step calls, and whole training steps through Model.fit.
 * Times are medians of {@code runs} timed calls after warm-up calls (System.nanoTime).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp "target/kernelnet.jar:target/lib/*"
 * io.kernelnet.bench.CpuConvBench [runs] [trainingSteps]} after {@code mvn -B -q package -DskipTests}.
 */
public final class CpuConvBench {
    private static final int BATCH = 128;

    private CpuConvBench() {
    }

    /** One op on one backend; {@code inStep} when a training step of the CNN calls it. */
    private record Op(String name, double flops, boolean inStep, java.util.function.Consumer<Backend> call) {
    }

    public static void main(String[] args) {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int trainingSteps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Random random = new Random(42);
        List<Op> ops = new ArrayList<>();
        String[] layer = {"conv1 1->32 28x28", "conv2 32->64 13x13", "conv3 64->64 5x5"};
        Conv2dGeometry[] convs = {
            Conv2dGeometry.of(BATCH, 1, 28, 28, 32, 3, 3, Padding.NONE),
            Conv2dGeometry.of(BATCH, 32, 13, 13, 64, 3, 3, Padding.NONE),
            Conv2dGeometry.of(BATCH, 64, 5, 5, 64, 3, 3, Padding.NONE)};
        for (int l = 0; l < convs.length; l++) {
            Conv2dGeometry g = convs[l];
            Tensor x = random(random, g.inputShape());
            Tensor w = random(random, g.weightShape());
            Tensor y = random(random, g.outputShape());
            Tensor dx = random(random, g.inputShape());
            Tensor dw = random(random, g.weightShape());
            double flops = 2.0 * g.n() * g.cOut() * g.outH() * g.outW() * g.cIn() * g.kh() * g.kw();
            ops.add(new Op(layer[l] + " forward", flops, true, b -> b.conv2dForward(y, x, w, g)));
            // the first layer's input needs no gradient: training never calls its backwardData
            ops.add(new Op(layer[l] + " backwardData", flops, l > 0, b -> b.conv2dBackwardData(dx, y, w, g)));
            ops.add(new Op(layer[l] + " backwardFilter", flops, true, b -> b.conv2dBackwardFilter(dw, y, x, g)));
        }
        int[][] dense = {{576, 64}, {64, 10}};
        for (int[] d : dense) {
            Tensor x = random(random, Shape.of(BATCH, d[0]));
            Tensor w = random(random, Shape.of(d[0], d[1]));
            Tensor y = random(random, Shape.of(BATCH, d[1]));
            Tensor dx = random(random, Shape.of(BATCH, d[0]));
            Tensor dw = random(random, Shape.of(d[0], d[1]));
            double flops = 2.0 * BATCH * d[0] * d[1];
            String name = "dense " + d[0] + "->" + d[1];
            ops.add(new Op(name + " y = x w", flops, true, b -> b.gemm(y, x, false, w, false, 1, 0)));
            ops.add(new Op(name + " dw = x^T dy", flops, true, b -> b.gemm(dw, x, true, y, false, 1, 0)));
            ops.add(new Op(name + " dx = dy w^T", flops, true, b -> b.gemm(dx, y, false, w, true, 1, 0)));
        }

        Backend reference = new CpuBackend();
        FastCpuBackend fast = new FastCpuBackend();
        System.out.println("KernelNet CPU bench: batch " + BATCH + ", " + Runtime.getRuntime().availableProcessors()
                + " cores, median of " + runs + " runs");
        System.out.println("fast = " + fast.description());
        System.out.printf("%-46s %9s %9s %9s %9s %8s%n", "op", "ref ms", "fast ms", "ref GF/s", "fast GF/s",
                "speedup");
        double stepRef = 0;
        double stepFast = 0;
        double stepFlops = 0;
        for (Op op : ops) {
            double refMs = medianMs(reference, op, runs);
            double fastMs = medianMs(fast, op, runs);
            print(op.name + (op.inStep ? "" : " (not in a step)"), op.flops, refMs, fastMs);
            if (op.inStep) {
                stepRef += refMs;
                stepFast += fastMs;
                stepFlops += op.flops;
            }
        }
        print("conv + dense ops of one training step", stepFlops, stepRef, stepFast);

        if (trainingSteps > 0) {
            double refStep = trainingStepMs(reference, trainingSteps);
            double fastStep = trainingStepMs(fast, trainingSteps);
            print("whole training step (Model.fit, Adam)", Double.NaN, refStep, fastStep);
            System.out.printf("epoch of 8,000 images (63 steps): reference %.0f s, fast %.1f s%n",
                    refStep * 63 / 1000, fastStep * 63 / 1000);
        }
    }

    /** One table row; {@code flops} NaN where a rate means nothing (a whole step also moves data and updates). */
    private static void print(String name, double flops, double refMs, double fastMs) {
        String rates = Double.isNaN(flops) ? String.format("%9s %9s", "-", "-")
                : String.format("%9.2f %9.2f", flops / refMs / 1e6, flops / fastMs / 1e6);
        System.out.printf("%-46s %9.2f %9.2f %s %7.1fx%n", name, refMs, fastMs, rates, refMs / fastMs);
    }

    private static Tensor random(Random random, Shape shape) {
        float[] v = new float[(int) shape.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = random.nextFloat() * 2 - 1;
        }
        return Tensor.wrap(v, shape);
    }

    /**
     * Warm-up calls for two seconds (at least two: C2 compiles the fast kernels only after thousands of their
     * inner calls, and Vector API code runs boxed until then), then the median of {@code runs} timed calls.
     */
    private static double medianMs(Backend backend, Op op, int runs) {
        long warmEnd = System.nanoTime() + 2_000_000_000L;
        for (int i = 0; i < 2 || System.nanoTime() < warmEnd; i++) {
            op.call.accept(backend);
        }
        double[] ms = new double[runs];
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            op.call.accept(backend);
            ms[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(ms);
        return ms[runs / 2];
    }

    /**
     * Milliseconds per step of Model.fit on random MNIST-shaped data: one epoch of {@code steps} batches to warm up,
     * then the median over three epochs of {@code steps} batches each.
     */
    private static double trainingStepMs(Backend backend, int steps) {
        Random random = new Random(7);
        int count = steps * BATCH;
        float[] images = new float[count * 28 * 28];
        float[] labels = new float[count];
        for (int i = 0; i < images.length; i++) {
            images[i] = random.nextFloat();
        }
        for (int i = 0; i < count; i++) {
            labels[i] = random.nextInt(10);
        }
        Dataset data = new Dataset(images, Shape.of(1, 28, 28), labels, 10);
        Model model = MnistModels.cnn();
        model.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
        model.build(BATCH, backend);
        FitOptions oneEpoch = FitOptions.defaults().epochs(1).batchSize(BATCH).verbose(0);
        model.fit(data, oneEpoch);
        double[] ms = new double[3];
        for (int i = 0; i < ms.length; i++) {
            long start = System.nanoTime();
            model.fit(data, oneEpoch);
            ms[i] = (System.nanoTime() - start) / 1e6 / steps;
        }
        Arrays.sort(ms);
        return ms[1];
    }
}
