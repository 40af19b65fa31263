package io.kernelnet.nn;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kernelnet.backend.AdamEpsilon;
import io.kernelnet.backend.Backend;
import io.kernelnet.backend.ForwardingBackend;
import io.kernelnet.backend.ShapeChecks;
import io.kernelnet.backend.TrainingStep;
import io.kernelnet.examples.MnistModels;
import io.kernelnet.io.Json;
import io.kernelnet.io.SafeTensors;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.testing.Compare;
import io.kernelnet.train.Adam;
import io.kernelnet.train.Examples;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.Loss;
import io.kernelnet.train.Optimizer;
import io.kernelnet.train.Sgd;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntToDoubleFunction;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.function.Executable;

/**
 * A golden file that PyTorch wrote for one of the seeds' models (bench/pytorch/make_golden.py, which says what each
 * tensor is), and the check of our model against it on a backend: one batch's logits, loss and every parameter's
 * gradient, then the parameters after 3 Adam steps (PyTorch's epsilon placement) and after 3 SGD steps with
 * momentum 0.9, each run from the file's initial parameters through {@code fit}. The mlp's Dropout takes the file's
 * mask through the backend's dropout op ({@link GoldenBackend}).
 *
 * <p>Tolerances. The golden values are PyTorch's float64 results (rounded to float32 in the file); ours are float32
 * computations, so each bound is our rounding error at a stated confidence. Under the standard probabilistic model
 * of rounding (each float32 operation's relative error an independent, mean-zero variable in [-u, u], u = 2^-24;
 * Higham and Mary, SIAM J. Sci. Comput. 2019), a computed value's error is, to first order, a sum of c_k d_k over
 * its roundings d_k, and Hoeffding's inequality gives P(|error| >= L sigma) <= 2 exp(-L^2 / 2) with
 * sigma = u sqrt(sum c_k^2). The script computes sigma for every logit, the loss and every gradient element
 * (bench/pytorch/make_golden.py, error_model): each dot product of K terms contributes u^2 K (sum |w x| + |b|)^2,
 * whatever its summation order, and the errors of its inputs arrive through W^2 (forward), (W^2)^T (backward) and
 * the softmax's Jacobian (dLogits), taken as independent of each other (the model's one approximation beyond first
 * order; PyTorch's own float32 pass stays within 0.3 sigma of its float64 one on these files' batches); the ReLU
 * masks, max-pool choices and dropout mask pass them on. A ReLU input or
 * max-pool runner-up within L sigmas of its kink may fall on the other side in our float32 pass: for each, the
 * script backpropagated the change to every gradient and summed the magnitudes per output unit (the file's
 * kink_allowance/NAME, [1, units] for a Dense kernel, [c_out, 1, 1, 1] for a conv kernel); gradients may differ by
 * that too (A below). With L = {@value #CONFIDENCE}, 2 exp(-32) = 2.5e-14 per compared value:
 * <ul>
 * <li>logits: L sigma + u |z| (the golden value's rounding to float32 in the file);
 * <li>loss: L sigma + u |loss|;
 * <li>gradients: d + u |g| with d = L sigma_p + A, sigma_p the largest sigma of parameter p's gradient over every
 *     pass that the runs below make (one for all its elements: the file holds no per-element sigmas), A the
 *     element's kink allowance;
 * <li>SGD, 3 steps with momentum m: p3 = p0 - lr (g1 (1 + m + m^2) + g2 (1 + m) + g3), so gradient errors of at
 *     most d move p3 by 5.61 lr d at m = 0.9 (first order: the gradients at the next parameters move by
 *     second-order amounts); plus the updates' own roundings 4u (|p| + 5.61 lr max |g1|);
 * <li>Adam, 3 steps: the update u_t = mhat / (sqrt(vhat) + eps) has |u_t| <= 1.01 for t <= 3 at the default betas
 *     (Cauchy-Schwarz over the moment weights), and |du_t / dg_s| <= (1 + |u_t|) / (sqrt(vhat_t) + eps), where
 *     sqrt(vhat_t) >= 0.577 |g1| (the first gradient's share of vhat). Over the 6 (t, s <= t) pairs p3 moves by at
 *     most 21 lr d / (|g1| + eps), g1 the golden gradient; plus the roundings 4u (|p| + 3 lr). Where g1 is near 0
 *     this allows a full step's difference; the elements with |g1| well above d pin the update.
 * </ul>
 */
final class PyTorchGolden {
    private static final double U = 0x1p-24;
    /** Sigmas of a compared value's rounding error that its bound allows (see the class comment). */
    static final double CONFIDENCE = 8;
    /** The SGD bound's 1 + m + m^2 + 1 + m + 1 at momentum 0.9; the golden SGD runs at 0.9. */
    private static final double SGD_GAIN = 5.61;
    private static final double ADAM_GAIN = 21;

    final String model;
    final SafeTensors.Contents file;
    final int n;

    private PyTorchGolden(String model, SafeTensors.Contents file) {
        this.model = model;
        this.file = file;
        this.n = file.tensors().get("labels").shape().dim(0);
    }

    static PyTorchGolden load(String model) throws Exception {
        Path path = Path.of(PyTorchGolden.class.getResource("golden/" + model + ".safetensors").toURI());
        PyTorchGolden golden = new PyTorchGolden(model, SafeTensors.read(path));
        assertEquals("kernelnet-golden/1", golden.file.metadata().get("format"), path.toString());
        assertEquals(model, golden.file.metadata().get("model"), path.toString());
        // its kink allowances cover the kinks within its confidence: the bounds must allow as many sigmas
        assertEquals(CONFIDENCE, Double.parseDouble(golden.file.metadata().get("confidence")), path.toString());
        return golden;
    }

    float[] tensor(String name) {
        SafeTensors.TensorData t = file.tensors().get(name);
        if (t == null) {
            throw new IllegalArgumentException(model + " golden file has no tensor '" + name + "'");
        }
        return t.data();
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> settings(String key) {
        return (Map<String, Object>) Json.parse(file.metadata().get(key));
    }

    double setting(String key, String field) {
        return ((Number) settings(key).get(field)).doubleValue();
    }

    Examples batch() {
        return Examples.of(tensor("images"), Shape.of(1, 28, 28), tensor("labels"), Shape.of());
    }

    /** The file's initial parameters by our names, through {@code change} (a test's deliberate mistake, or none). */
    Map<String, float[]> initialParameters(UnaryOperator<Map<String, float[]>> change) {
        Map<String, float[]> initial = new LinkedHashMap<>();
        file.tensors().forEach((name, t) -> {
            if (name.startsWith("initial/")) {
                initial.put(name.substring("initial/".length()), t.data());
            }
        });
        return change.apply(initial);
    }

    Optimizer adam() {
        return new Adam((float) setting("adam", "lr"), (float) setting("adam", "beta_1"),
                (float) setting("adam", "beta_2"), (float) setting("adam", "epsilon"), 0, false)
                .epsilonPlacement(AdamEpsilon.named((String) settings("adam").get("epsilon_placement")));
    }

    Optimizer sgd() {
        return new Sgd((float) setting("sgd", "lr"), (float) setting("sgd", "momentum"), false, 0);
    }

    /**
     * Runs the three checks on {@code backend} (wrapped in a {@link GoldenBackend}) with the initial parameters
     * passed through {@code change}, and asserts every comparison, reporting all that fail.
     */
    void check(Backend backend, UnaryOperator<Map<String, float[]>> change) {
        List<Executable> checks = new ArrayList<>();
        GoldenBackend golden = new GoldenBackend(backend, model.equals("mlp") ? tensor("dropout_mask") : null);
        Map<String, float[]> initial = initialParameters(change);
        try (Model m = built(golden, adam(), initial)) {
            float loss = m.lossAndGradients(batch(), n, 0);
            checks.addAll(forward(golden.logits, loss));
            m.gradients().forEach((name, g) -> checks.add(gradient(name, g)));
            m.fit(batch(), FitOptions.defaults().epochs(3).batchSize(n).shuffle(false).verbose(0));
            m.parameters().forEach((name, p) -> checks.add(adamStep(name, p)));
        }
        try (Model m = built(golden, sgd(), initial)) {
            m.fit(batch(), FitOptions.defaults().epochs(3).batchSize(n).shuffle(false).verbose(0));
            m.parameters().forEach((name, p) -> checks.add(sgdStep(name, p)));
        }
        assertAll(model + " on " + backend.name() + " against PyTorch " + file.metadata().get("torch"), checks);
    }

    private Model built(Backend backend, Optimizer optimizer, Map<String, float[]> initial) {
        Model m = MnistModels.named(model);
        m.compile(optimizer, Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
        m.build(n, backend);
        assertEquals(m.parameterShapes().keySet(), initial.keySet(), "the golden file's parameters");
        initial.forEach(m::setParameter);
        return m;
    }

    private List<Executable> forward(float[] logits, float loss) {
        float[] golden = tensor("logits");
        float[] sigma = tensor("logits_sigma");
        double goldenLoss = Double.parseDouble(file.metadata().get("loss"));
        double lossBound = CONFIDENCE * Double.parseDouble(file.metadata().get("loss_sigma")) + U * Math.abs(goldenLoss);
        return List.of(
                () -> within("logits", golden, logits, i -> CONFIDENCE * sigma[i] + U * Math.abs(golden[i]),
                        String.format("%.0f logits_sigma + u |z|", CONFIDENCE)),
                () -> Compare.assertWithin("loss", new double[] {goldenLoss}, new float[] {loss}, i -> lossBound,
                        String.format("%.0f loss_sigma + u |loss| = %.3g", CONFIDENCE, lossBound)));
    }

    private Executable gradient(String name, float[] ours) {
        float[] golden = tensor("gradient/" + name);
        IntToDoubleFunction d = gradientError(name);
        return () -> within("gradient of " + name, golden, ours, i -> d.applyAsDouble(i) + U * Math.abs(golden[i]),
                boundText(name, "d") + ", + u |g|");
    }

    private Executable sgdStep(String name, float[] ours) {
        float[] golden = tensor("sgd/" + name);
        double lr = setting("sgd", "lr");
        IntToDoubleFunction d = gradientError(name);
        double moved = SGD_GAIN * lr * Compare.largestMagnitude(tensor("gradient/" + name));
        return () -> within(name + " after 3 SGD steps", golden, ours,
                i -> SGD_GAIN * lr * d.applyAsDouble(i) + 4 * U * (Math.abs(golden[i]) + moved),
                "5.61 lr d, " + boundText(name, "d") + ", + 4u");
    }

    private Executable adamStep(String name, float[] ours) {
        float[] golden = tensor("adam/" + name);
        float[] g1 = tensor("gradient/" + name);
        double lr = setting("adam", "lr");
        double eps = setting("adam", "epsilon");
        IntToDoubleFunction d = gradientError(name);
        return () -> within(name + " after 3 Adam steps", golden, ours,
                i -> ADAM_GAIN * lr * d.applyAsDouble(i) / (Math.abs(g1[i]) + eps)
                        + 4 * U * (Math.abs(golden[i]) + 3 * lr),
                "21 lr d / (|g1| + eps), " + boundText(name, "d") + ", + 4u");
    }

    /** d of the class comment for each element of parameter {@code name}'s gradient: L sigma_p + its allowance. */
    private IntToDoubleFunction gradientError(String name) {
        double rounding = CONFIDENCE * gradientSigma(name);
        Shape full = file.tensors().get("gradient/" + name).shape();
        SafeTensors.TensorData allowance = file.tensors().get("kink_allowance/" + name);
        return i -> rounding + allowance.data()[broadcastIndex(full, allowance.shape(), i)];
    }

    private String boundText(String name, String d) {
        return String.format("%s = %.0f sigma + A = %.3g + A (A <= %.3g)", d, CONFIDENCE,
                CONFIDENCE * gradientSigma(name), Compare.largestMagnitude(tensor("kink_allowance/" + name)));
    }

    private double gradientSigma(String name) {
        Object sigma = settings("gradient_sigmas").get(name);
        if (!(sigma instanceof Number s)) {
            throw new IllegalArgumentException(model + " golden file has no gradient sigma for '" + name + "'");
        }
        return s.doubleValue();
    }

    /** The element of {@code small} (each axis either full's or 1) that element i of {@code full} broadcasts from. */
    static int broadcastIndex(Shape full, Shape small, int i) {
        int index = 0;
        int stride = 1;
        for (int axis = full.rank() - 1; axis >= 0; axis--) {
            int at = i % full.dim(axis);
            i /= full.dim(axis);
            if (small.dim(axis) != 1) {
                index += at * stride;
                stride *= small.dim(axis);
            }
        }
        return index;
    }

    private static void within(String what, float[] golden, float[] ours, IntToDoubleFunction bound, String text) {
        double[] expected = new double[golden.length];
        for (int i = 0; i < golden.length; i++) {
            expected[i] = golden[i];
        }
        Compare.assertWithin(what, expected, ours, bound, text);
    }

    /**
     * The backend under test with the golden file's hooks: the logits the loss reads are kept, the Dropout layer
     * applies the file's mask (written into the layer's mask buffer, so that its backward uses it too; y = x * mask
     * is the mask multiply of dropout's backward), and training steps run as plain op calls (no CUDA graph: the
     * mask's upload is a host copy inside the step).
     */
    private static final class GoldenBackend extends ForwardingBackend {
        private final float[] mask;
        float[] logits;

        GoldenBackend(Backend delegate, float[] mask) {
            super(delegate);
            this.mask = mask;
        }

        @Override
        public void softmaxCrossEntropySparse(Tensor loss, Tensor probs, Tensor dLogits, Tensor logits, Tensor labels) {
            super.softmaxCrossEntropySparse(loss, probs, dLogits, logits, labels);
            this.logits = new float[Math.toIntExact(logits.size())];
            download(this.logits, 0, logits);
        }

        @Override
        public void dropoutForward(Tensor y, Tensor mask, Tensor x, Tensor step, float rate, long seed, long offset) {
            if (this.mask == null || this.mask.length != x.size()) {
                throw ShapeChecks.error("dropoutForward", "the golden file's mask does not fit x " + x.shape());
            }
            upload(mask, this.mask, 0);
            dropoutBackward(y, x, mask);
        }

        @Override
        public void runStep(TrainingStep step, Runnable work) {
            work.run();
        }
    }
}
