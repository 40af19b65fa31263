package io.kernelnet.backend.cpu;

import static io.kernelnet.testing.ReproducibleTraining.assertBitIdentical;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.kernelnet.backend.Activation;
import io.kernelnet.backend.AdamEpsilon;
import io.kernelnet.backend.AdamSettings;
import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.Padding;
import io.kernelnet.backend.Pool2dGeometry;
import io.kernelnet.backend.StepScalars;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.testing.ReproducibleTraining;
import io.kernelnet.testing.TestRandom;
import io.kernelnet.train.Examples;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fast CPU backend's parallel and sequential branches give the same bits: with {@link ParallelSlices#ALWAYS}
 * every op splits its work over the common pool however small it is, with {@link ParallelSlices#NEVER} none does,
 * and each op computes every output element the same way either way. Op by op, then over whole training runs, with
 * each GEMM kernel. Every op here has at least two units of work on its slicing axis (rows of kernel blocks,
 * samples, channels, Adam's and dropout's blocks), so ALWAYS does split it; ParallelSlicesTest checks the split.
 */
class ParallelBranchesTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    /** The kernels this JVM can run: the plain-Java one, and the Vector API one where the module is there. */
    static Stream<GemmKernel> kernels() {
        return FastCpuBackend.VECTOR_API ? Stream.of(new VectorGemmKernel(), new RowGemmKernel())
                : Stream.of(new RowGemmKernel());
    }

    /** The tensors an op reads and writes, random, as the op's callback receives them. */
    private Tensor[] random(Shape... shapes) {
        Tensor[] t = new Tensor[shapes.length];
        for (int i = 0; i < shapes.length; i++) {
            t[i] = Tensor.wrap(rng.uniform((int) shapes[i].size(), -1, 1), shapes[i]);
        }
        return t;
    }

    /** Runs op once on each branch, each on its own copies of the tensors, and compares every tensor after. */
    private static void sameBits(String what, GemmKernel kernel, Tensor[] tensors,
                                 BiConsumer<FastCpuBackend, Tensor[]> op) {
        Tensor[] parallel = copies(tensors);
        Tensor[] sequential = copies(tensors);
        op.accept(new FastCpuBackend(kernel, ParallelSlices.ALWAYS), parallel);
        op.accept(new FastCpuBackend(kernel, ParallelSlices.NEVER), sequential);
        for (int i = 0; i < tensors.length; i++) {
            assertArrayEquals(sequential[i].toArray(), parallel[i].toArray(), what + ": tensor " + i);
        }
    }

    private static Tensor[] copies(Tensor[] tensors) {
        Tensor[] c = new Tensor[tensors.length];
        for (int i = 0; i < tensors.length; i++) {
            c[i] = Tensor.wrap(tensors[i].toArray(), tensors[i].shape());
        }
        return c;
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void productsAndConvolutionsGiveTheSameBits(GemmKernel kernel) {
        sameBits("gemm", kernel, random(Shape.of(37, 45), Shape.of(19, 37), Shape.of(45, 19)),
                (b, t) -> b.gemm(t[0], t[1], true, t[2], true, 1.5f, 0.5f));
        sameBits("gemmBatched", kernel, random(Shape.of(3, 13, 40), Shape.of(3, 13, 7), Shape.of(3, 7, 40)),
                (b, t) -> b.gemmBatched(t[0], t[1], false, t[2], false, 1, 0));
        Conv2dGeometry g = Conv2dGeometry.of(37, 3, 9, 8, 10, 3, 3, Padding.same(9, 8, 3, 3, 1, 1, 1, 1));
        sameBits("conv2dForward", kernel, random(g.outputShape(), g.inputShape(), g.weightShape()),
                (b, t) -> b.conv2dForward(t[0], t[1], t[2], g));
        sameBits("conv2dBackwardData", kernel, random(g.inputShape(), g.outputShape(), g.weightShape()),
                (b, t) -> b.conv2dBackwardData(t[0], t[1], t[2], g));
        sameBits("conv2dBackwardFilter", kernel, random(g.weightShape(), g.outputShape(), g.inputShape()),
                (b, t) -> b.conv2dBackwardFilter(t[0], t[1], t[2], g));
    }

    @Test
    void elementwiseOpsGiveTheSameBits() {
        GemmKernel kernel = new RowGemmKernel();
        Shape image = Shape.of(7, 6, 5, 4);
        int n = 2 * 1024 + 5;
        Tensor step = Tensor.wrap(StepScalars.of(0.01f, 3, 1000), StepScalars.shape());
        AdamSettings adam = new AdamSettings(0.9f, 0.999f, 1e-7f, AdamEpsilon.KERAS, 0, false);
        sameBits("adamUpdate", kernel, random(Shape.of(n), Shape.of(n), Shape.of(n), Shape.of(n)),
                (b, t) -> b.adamUpdate(t[0], t[1], t[2], t[3], step, adam));
        sameBits("dropoutForward", kernel, random(Shape.of(4099), Shape.of(4099), Shape.of(4099)),
                (b, t) -> b.dropoutForward(t[0], t[1], t[2], step, 0.3f, 17, 5));
        sameBits("dropoutBackward", kernel, random(image, image, image), (b, t) -> b.dropoutBackward(t[0], t[1], t[2]));
        for (Activation act : Activation.values()) {
            sameBits(act + " forward", kernel, random(image, image, Shape.of(6)),
                    (b, t) -> b.biasActivationForward(t[0], t[1], t[2], act, 0.1f));
            sameBits(act + " backward", kernel, random(image, Shape.of(6), image, image),
                    (b, t) -> b.biasActivationBackward(t[0], t[1], t[2], t[3], act, 0.1f));
            sameBits(act + " activation", kernel, random(image, image, image, image), (b, t) -> {
                b.activationForward(t[0], t[1], act, 0.1f);
                b.activationBackward(t[2], t[3], t[1], t[0], act, 0.1f);
            });
        }
        for (Pool2dGeometry g : new Pool2dGeometry[] {new Pool2dGeometry(5, 3, 8, 7, 2, 2, 2, 2, Padding.NONE),
            new Pool2dGeometry(5, 3, 8, 7, 3, 3, 2, 2, new Padding(1, 1, 1, 1))}) {
            sameBits("maxPool2dForward " + g, kernel, random(g.outputShape(), g.outputShape(), g.inputShape()),
                    (b, t) -> b.maxPool2dForward(t[0], t[1], t[2], g));
        }
    }

    /** Whole training runs (shuffled, dropout on, Adam) of a small CNN, each branch with each kernel. */
    @ParameterizedTest
    @MethodSource("kernels")
    void trainingRunsGiveTheSameBits(GemmKernel kernel) {
        Examples data = ReproducibleTraining.smallCnnData(rng, 32);
        assertBitIdentical(
                ReproducibleTraining.run(ReproducibleTraining::smallCnn,
                        new FastCpuBackend(kernel, ParallelSlices.NEVER), data, 2, 32),
                ReproducibleTraining.run(ReproducibleTraining::smallCnn,
                        new FastCpuBackend(kernel, ParallelSlices.ALWAYS), data, 2, 32),
                "parallel against sequential, " + kernel.description());
    }
}
