package io.kernelnet.backend;

import static io.kernelnet.backend.ActivationCases.softmaxLines;
import static io.kernelnet.backend.CrossCheckCases.LARGE;
import static io.kernelnet.backend.CrossCheckCases.NONE;
import static io.kernelnet.backend.CrossCheckCases.absSum;
import static io.kernelnet.backend.CrossCheckCases.labels;
import static io.kernelnet.backend.CrossCheckCases.oneHot;
import static io.kernelnet.backend.CrossCheckCases.uniform;

import io.kernelnet.backend.CrossCheck.Case;
import io.kernelnet.backend.CrossCheck.Setup;
import io.kernelnet.backend.CrossCheck.Tolerance;
import io.kernelnet.tensor.Shape;
import java.util.List;

/**
 * The cross-check cases of the losses and of the reductions and metrics (kernels/loss.cu, the cross-entropies
 * of kernels/softmax.cu, kernels/reduce.cu, kn_flag_nonfinite). Bounds: {@link CrossCheck}.
 */
final class LossCases {
    private LossCases() {
    }

    // ---- losses -----------------------------------------------------------------------------------------------

    static void losses(List<Case> cases) {
        Shape[] shapes = {Shape.of(1, 1), Shape.of(7, 10), Shape.of(257, 33), Shape.of(129, 1000), Shape.of(3, 4097),
            Shape.of(0, 10)};
        for (Shape s : shapes) {
            cases.add(sparseCrossEntropy(s, 3, ""));
        }
        cases.add(sparseCrossEntropy(Shape.of(64, 1000), 30, " logits in [-30, 30)"));
        cases.add(denseCrossEntropy(Shape.of(257, 33), "one-hot"));
        cases.add(denseCrossEntropy(Shape.of(64, 1000), "probabilities"));
        cases.add(denseCrossEntropy(Shape.of(7, 10), "unnormalized"));
        for (Shape s : new Shape[] {Shape.of(1), Shape.of(4097), Shape.of(257, 33), Shape.of(1000, 1000)}) {
            cases.add(new Case("mseLoss", s.toString(), r -> new Setup()
                    .input("pred", s, uniform(r, (int) s.size(), -1, 1))
                    .input("target", s, uniform(r, (int) s.size(), -1, 1))
                    .output("dPred", s, Tolerance.relative())
                    .scalar("loss", Tolerance.relative())
                    .run((b, t) -> new float[] {b.mseLoss(t.get("dPred"), t.get("pred"), t.get("target"))})));
        }
        // the variants that leave the mean on the device, as a training step uses them
        for (Shape s : new Shape[] {Shape.of(257, 33), Shape.of(0, 3)}) {
            cases.add(new Case("mseLoss into a tensor", s.toString(), r -> new Setup()
                    .input("pred", s, uniform(r, (int) s.size(), -1, 1))
                    .input("target", s, uniform(r, (int) s.size(), -1, 1))
                    .output("dPred", s, Tolerance.relative())
                    .output("loss", Shape.of(1), Tolerance.relative())
                    .run((b, t) -> {
                        b.mseLoss(t.get("loss"), t.get("dPred"), t.get("pred"), t.get("target"));
                        return NONE;
                    })));
        }
        for (Shape s : new Shape[] {Shape.of(128, 10), Shape.of(3, 4097), Shape.of(0, 10)}) {
            int n = s.dim(0);
            int k = s.dim(1);
            cases.add(new Case("softmaxCrossEntropySparse into a tensor", s.toString(), r -> new Setup()
                    .input("logits", s, uniform(r, n * k, -3, 3))
                    .input("labels", Shape.of(n), labels(r, n, k))
                    .output("probs", s, Tolerance.relative())
                    .output("dLogits", s, Tolerance.relative())
                    .output("loss", Shape.of(1), Tolerance.relative())
                    .run((b, t) -> {
                        b.softmaxCrossEntropySparse(t.get("loss"), t.get("probs"), t.get("dLogits"), t.get("logits"),
                                t.get("labels"));
                        return NONE;
                    })));
            cases.add(new Case("softmaxCrossEntropy into a tensor", s + " one-hot", r -> new Setup()
                    .input("logits", s, uniform(r, n * k, -3, 3))
                    .input("targets", s, oneHot(labels(r, n, k), k))
                    .output("probs", s, Tolerance.relative())
                    .output("dLogits", s, Tolerance.relative())
                    .output("loss", Shape.of(1), Tolerance.relative())
                    .run((b, t) -> {
                        b.softmaxCrossEntropy(t.get("loss"), t.get("probs"), t.get("dLogits"), t.get("logits"),
                                t.get("targets"));
                        return NONE;
                    })));
        }
    }

    private static Case sparseCrossEntropy(Shape s, float logitRange, String note) {
        int n = s.dim(0);
        int k = s.dim(1);
        return new Case("softmaxCrossEntropySparse", s + note, r -> new Setup()
                .input("logits", s, uniform(r, n * k, -logitRange, logitRange))
                .input("labels", Shape.of(n), labels(r, n, k))
                .output("probs", s, Tolerance.relative())
                .output("dLogits", s, Tolerance.relative())
                .scalar("loss", Tolerance.relative())
                .run((b, t) -> new float[] {b.softmaxCrossEntropySparse(t.get("probs"), t.get("dLogits"),
                        t.get("logits"), t.get("labels"))}));
    }

    private static Case denseCrossEntropy(Shape s, String targets) {
        int n = s.dim(0);
        int k = s.dim(1);
        return new Case("softmaxCrossEntropy", s + " " + targets, r -> {
            float[] t = switch (targets) {
                case "one-hot" -> oneHot(labels(r, n, k), k);
                case "probabilities" -> softmaxLines(uniform(r, n * k, -2, 2), Shape.of(n, k), 1, false);
                default -> uniform(r, n * k, 0.1f, 1);
            };
            return new Setup()
                    .input("logits", s, uniform(r, n * k, -3, 3))
                    .input("targets", s, t)
                    .output("probs", s, Tolerance.relative())
                    .output("dLogits", s, Tolerance.relative())
                    .scalar("loss", Tolerance.relative())
                    .run((b, m) -> new float[] {b.softmaxCrossEntropy(m.get("probs"), m.get("dLogits"),
                            m.get("logits"), m.get("targets"))});
        });
    }

    // ---- reductions and metrics -------------------------------------------------------------------------------

    static void reductions(List<Case> cases) {
        for (Shape s : new Shape[] {Shape.of(300_001), Shape.of(1), Shape.of(0), Shape.of(1000, 33)}) {
            cases.add(new Case("sum", s.toString(), r -> {
                float[] x = uniform(r, (int) s.size(), -1, 1);
                return new Setup()
                        .input("x", s, x)
                        .scalar("sum", Tolerance.scaled(Tolerance.FP32_BOUND, absSum(x)))
                        .run((b, t) -> new float[] {b.sum(t.get("x"))});
            }));
        }
        for (Shape s : new Shape[] {Shape.of(300_001), Shape.of(7), Shape.of(0)}) {
            cases.add(new Case("mean", s.toString(), r -> {
                float[] x = uniform(r, (int) s.size(), -1, 1);
                return new Setup()
                        .input("x", s, x)
                        .scalar("mean", Tolerance.scaled(Tolerance.FP32_BOUND, absSum(x) / x.length))
                        .run((b, t) -> new float[] {b.mean(t.get("x"))});
            }));
        }
        for (Shape s : new Shape[] {Shape.of(257, 33), Shape.of(7, 4097), Shape.of(1000, 1), Shape.of(0, 5)}) {
            cases.add(new Case("argmax", s.toString(), r -> new Setup()
                    .input("x", s, uniform(r, (int) s.size(), -1, 1))
                    .output("indices", Shape.of(s.dim(0)), Tolerance.exact())
                    .run((b, t) -> {
                        b.argmax(t.get("indices"), t.get("x"));
                        return NONE;
                    })));
        }
        for (Shape s : new Shape[] {Shape.of(257, 33), Shape.of(1000, 10)}) {
            cases.add(accuracy(s, false));
        }
        cases.add(accuracy(Shape.of(129, 10), true));
        for (Shape s : new Shape[] {Shape.of(300_001), Shape.of(0)}) {
            cases.add(new Case("sum into a tensor", s.toString(), r -> {
                float[] x = uniform(r, (int) s.size(), -1, 1);
                return new Setup()
                        .input("x", s, x)
                        .output("result", Shape.of(1), Tolerance.scaled(Tolerance.FP32_BOUND, absSum(x)))
                        .run((b, t) -> {
                            b.sum(t.get("result"), t.get("x"));
                            return NONE;
                        });
            }));
        }
        Shape scores = Shape.of(1000, 10);
        cases.add(new Case("accuracyCount into a tensor", scores + " class labels", r -> new Setup()
                .input("scores", scores, uniform(r, (int) scores.size(), -1, 1))
                .input("labels", Shape.of(scores.dim(0)), labels(r, scores.dim(0), scores.dim(1)))
                .output("count", Shape.of(1), Tolerance.exact())
                .run((b, t) -> {
                    b.accuracyCount(t.get("count"), t.get("scores"), t.get("labels"));
                    return NONE;
                })));
        // finite, a NaN, an infinity (at a random place of a large tensor), and a flag already set by an earlier call
        float[][] planted = {{}, {Float.NaN}, {Float.NEGATIVE_INFINITY}};
        for (float[] bad : planted) {
            for (float before : new float[] {0f, 1f}) {
                String what = (bad.length == 0 ? "all finite" : "one " + bad[0]) + ", halt before " + before;
                cases.add(new Case("flagNonFinite", "[" + LARGE + "] " + what, r -> {
                    float[] x = uniform(r, LARGE, -1, 1);
                    if (bad.length > 0) {
                        x[r.nextInt(LARGE)] = bad[0];
                    }
                    return new Setup()
                            .input("x", Shape.of(LARGE), x)
                            .inout("halt", Shape.of(1), new float[] {before}, Tolerance.exact())
                            .run((b, t) -> {
                                b.flagNonFinite(t.get("halt"), t.get("x"));
                                return NONE;
                            });
                }));
            }
        }
    }

    /** Scores with about half the rows' argmax equal to the label, so that the count is neither 0 nor n. */
    private static Case accuracy(Shape s, boolean oneHot) {
        int n = s.dim(0);
        int k = s.dim(1);
        return new Case("accuracyCount", s + (oneHot ? " one-hot labels" : " class labels"), r -> {
            float[] scores = uniform(r, n * k, -1, 1);
            float[] labels = labels(r, n, k);
            for (int row = 0; row < n; row++) {
                if (r.nextBoolean()) {
                    int best = 0;
                    for (int j = 1; j < k; j++) {
                        if (scores[row * k + j] > scores[row * k + best]) {
                            best = j;
                        }
                    }
                    labels[row] = best;
                }
            }
            Setup setup = new Setup().input("scores", s, scores);
            if (oneHot) {
                setup.input("labels", s, oneHot(labels, k));
            } else {
                setup.input("labels", Shape.of(n), labels);
            }
            return setup.scalar("count", Tolerance.exact())
                    .run((b, t) -> new float[] {b.accuracyCount(t.get("scores"), t.get("labels"))});
        });
    }
}
