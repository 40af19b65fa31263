package io.kernelnet.examples;

import io.kernelnet.nn.Conv2D;
import io.kernelnet.nn.Dense;
import io.kernelnet.nn.Dropout;
import io.kernelnet.nn.Flatten;
import io.kernelnet.nn.MaxPooling2D;
import io.kernelnet.nn.Model;
import io.kernelnet.nn.Sequential;
import java.util.List;

/** The two MNIST models of the seeds' Keras examples, on [1, 28, 28] inputs. */
public final class MnistModels {
    /** The names {@link #named} knows. */
    public static final List<String> NAMES = List.of("mlp", "cnn");

    private MnistModels() {
    }

    /** Flatten, Dense 128 relu, Dropout 0.2, Dense 10 softmax. */
    public static Model mlp() {
        return new Sequential(1, 28, 28)
                .add(new Flatten())
                .add(new Dense(128, "relu"))
                .add(new Dropout(0.2))
                .add(new Dense(10, "softmax"));
    }

    /** Conv 32 3x3 relu, MaxPool 2, Conv 64 3x3 relu, MaxPool 2, Conv 64 3x3 relu, Flatten, Dense 64 relu, Dense 10 softmax. */
    public static Model cnn() {
        return new Sequential(1, 28, 28)
                .add(new Conv2D(32, 3).activation("relu"))
                .add(new MaxPooling2D(2))
                .add(new Conv2D(64, 3).activation("relu"))
                .add(new MaxPooling2D(2))
                .add(new Conv2D(64, 3).activation("relu"))
                .add(new Flatten())
                .add(new Dense(64, "relu"))
                .add(new Dense(10, "softmax"));
    }

    public static Model named(String name) {
        return switch (name) {
            case "mlp" -> mlp();
            case "cnn" -> cnn();
            default -> throw new IllegalArgumentException("unknown model '" + name + "': expected mlp or cnn");
        };
    }
}
