package io.kernelnet.examples;

import io.kernelnet.nn.Dense;
import io.kernelnet.nn.Model;
import io.kernelnet.nn.Sequential;
import io.kernelnet.tensor.Shape;
import io.kernelnet.train.Adam;
import io.kernelnet.train.Examples;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.History;
import io.kernelnet.train.Loss;

/**
 * The seeds' tiny regression: two inputs, one Dense unit with ReLU, mean squared error, Adam, fitted to two
 * points. Run: {@code java -cp target/kernelnet.jar:target/lib/* io.kernelnet.examples.TinyRegression}.
 */
public final class TinyRegression {
    private TinyRegression() {
    }

    /** Trains the model for {@code epochs} full-batch epochs and returns its loss history. */
    public static History train(int epochs, long seed) {
        float[] x = {1f, 2f, 3f, 4f};
        float[] y = {3f, 7f};
        try (Model model = new Sequential(2).add(new Dense(1, "relu"))) {
            model.seed(seed).compile(new Adam(0.1f), Loss.MSE);
            return model.fit(Examples.of(x, Shape.of(2), y, Shape.of(1)),
                    FitOptions.defaults().epochs(epochs).batchSize(2).shuffle(false).verbose(0));
        }
    }

    public static void main(String[] args) {
        History h = train(200, 1);
        System.out.printf("mse after 1 epoch: %.4f, after %d epochs: %.6f%n", h.get("loss").get(0), h.epochs(), h.last("loss"));
    }
}
