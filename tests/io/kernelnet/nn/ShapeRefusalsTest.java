package io.kernelnet.nn;

import io.kernelnet.train.Loss;
import org.junit.jupiter.api.Test;

/**
 * Impossible models are refused at build, before any memory is allocated, naming the layer, its input shape and
 * what it expected: one test per way a shape can fail to fit.
 */
class ShapeRefusalsTest {
    private static void assertBuildRefused(Model model, String... mentions) {
        GraphRefusalsTest.assertBuildRefused(model, Loss.MSE, mentions);
    }

    @Test
    void denseAfterConvWithoutFlatten() {
        assertBuildRefused(new Sequential(1, 8, 8).add(new Conv2D(4, 3)).add(new Dense(10)),
                "layer dense (Dense)", "input shape [4, 6, 6]", "a flat [features] input", "Flatten");
    }

    @Test
    void softmaxOverTheBatchAxisOrAnAxisTheInputLacks() {
        assertBuildRefused(new Sequential(2, 3, 3).add(new Softmax(0)), "layer softmax (Softmax)",
                "input shape [2, 3, 3]", "other than the batch axis for axis 0");
        assertBuildRefused(new Sequential(2, 3, 3).add(new Softmax(-4)), "layer softmax (Softmax)",
                "other than the batch axis for axis -4");
        assertBuildRefused(new Sequential(2, 3, 3).add(Softmax.logSoftmax(4)), "layer softmax (Softmax)",
                "input shape [2, 3, 3]", "an axis from -4 to 3 of the batched input for axis 4");
    }

    @Test
    void denseOnAnImageInput() {
        assertBuildRefused(new Sequential(1, 28, 28).add(new Dense(10)), "layer dense (Dense)", "[1, 28, 28]", "Flatten");
    }

    @Test
    void convKernelLargerThanItsInput() {
        assertBuildRefused(new Sequential(3, 4, 4).add(new Conv2D(8, 5)),
                "layer conv2d (Conv2D)", "input shape [3, 4, 4]", "no smaller than the kernel 5x5");
    }

    @Test
    void convKernelLargerThanTheOutputOfAnEarlierLayer() {
        assertBuildRefused(new Sequential(1, 8, 8).add(new Conv2D(4, 3)).add(new MaxPooling2D(2)).add(new Conv2D(4, 4)),
                "layer conv2d_1 (Conv2D)", "input shape [4, 3, 3]", "kernel 4x4");
    }

    @Test
    void dilatedConvKernelReachingBeyondItsInput() {
        // a 3x3 kernel at dilation 3 spans 7x7
        assertBuildRefused(new Sequential(1, 6, 6).add(new Conv2D(2, 3).dilation(3, 3)),
                "layer conv2d (Conv2D)", "input shape [1, 6, 6]", "kernel 3x3");
    }

    @Test
    void convOnAFlatInput() {
        assertBuildRefused(new Sequential(784).add(new Conv2D(4, 3)),
                "layer conv2d (Conv2D)", "input shape [784]", "[channels, height, width]");
    }

    @Test
    void poolingWindowLargerThanItsInput() {
        assertBuildRefused(new Sequential(2, 3, 3).add(new MaxPooling2D(4)),
                "layer max_pooling2d (MaxPooling2D)", "input shape [2, 3, 3]", "window 4x4");
        assertBuildRefused(new Sequential(2, 5, 3).add(new AveragePooling2D(2, 4)),
                "(AveragePooling2D)", "input shape [2, 5, 3]", "window 2x4");
    }

    @Test
    void poolingAfterFlatten() {
        assertBuildRefused(new Sequential(1, 4, 4).add(new Flatten()).add(new MaxPooling2D(2)),
                "layer max_pooling2d (MaxPooling2D)", "input shape [16]", "[channels, height, width]");
    }

    @Test
    void addOfMismatchedShapes() {
        Node in = Node.input(6);
        Node a = new Dense(4).apply(in);
        Node b = new Dense(5).apply(in);
        assertBuildRefused(new Model(in, new Add().named("residual").apply(a, b)),
                "layer residual (Add)", "[[4], [5]]", "two inputs of the same shape");
    }

    @Test
    void addOfAnImageAndItsFlattenedSelf() {
        Node in = Node.input(1, 2, 2);
        Node flat = new Flatten().apply(in);
        assertBuildRefused(new Model(in, new Add().apply(in, flat)),
                "layer add (Add)", "[[1, 2, 2], [4]]", "two inputs of the same shape");
    }
}
