package io.kernelnet.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.ForwardingBackend;
import io.kernelnet.backend.TrainingStep;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.tensor.Shape;
import io.kernelnet.testing.TestRandom;
import io.kernelnet.train.Adam;
import io.kernelnet.train.Examples;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.History;
import io.kernelnet.train.LearningRateScheduler;
import io.kernelnet.train.Loss;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What fit() hands to Backend#runStep, which a CUDA backend replays as a graph without running the step's op
 * calls: every full batch's step, one shape for all of them, and exactly the values the step's op calls take from
 * the host (generator position, step number, learning rate); the last, smaller batch runs plainly; and a step's
 * work run twice (after a failed recording) starts from the step's counters both times.
 */
class TrainingStepHookTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private static final int BATCH = 8;

    /** Records each step it is given, and runs its work {@code runs} times. */
    private static final class RecordingBackend extends ForwardingBackend {
        final List<TrainingStep> steps = new ArrayList<>();
        final List<Long> generatorAtWork = new ArrayList<>();
        /** {step count, generator position} after each run of a step's work. */
        final List<List<Long>> countersAfterWork = new ArrayList<>();
        private final int runs;
        private Model model;

        RecordingBackend(int runs) {
            super(new CpuBackend());
            this.runs = runs;
        }

        @Override
        public void runStep(TrainingStep step, Runnable work) {
            steps.add(step);
            generatorAtWork.add(model.state().generatorOffset());
            for (int i = 0; i < runs; i++) {
                work.run();
                countersAfterWork.add(List.of(model.stepCount(), model.state().generatorOffset()));
            }
        }
    }

    private static Model classifier() {
        Model m = new Sequential(6).add(new Dense(16, "relu")).add(new Dropout(0.2)).add(new Dense(3, "softmax"));
        m.seed(9).compile(new Adam(0.01f), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
        return m;
    }

    private Examples data(int n) {
        return Examples.of(rng.uniform(n * 6, -1, 1), Shape.of(6), rng.labels(n, 3), Shape.of());
    }

    @Test
    void everyFullBatchIsOneStepOfOneShapeWithTheValuesItsOpsTake() {
        Examples data = data(BATCH * 5 + 3);
        RecordingBackend backend = new RecordingBackend(1);
        LearningRateScheduler halve = new LearningRateScheduler((epoch, lr) -> epoch == 0 ? lr : lr / 2);
        try (Model model = classifier()) {
            backend.model = model;
            model.build(BATCH, backend);
            model.fit(data, FitOptions.defaults().epochs(2).batchSize(BATCH).verbose(0).callbacks(halve));

            assertEquals(10, backend.steps.size(), "5 full batches per epoch; the partial one runs plainly");
            Set<Object> shapes = new HashSet<>();
            backend.steps.forEach(s -> shapes.add(s.shape()));
            assertEquals(1, shapes.size(), "one shape for every full batch");
            // dropout over [8, 16] draws 32 counters per step, and the partial batch of 3 draws 12
            long perStep = 32;
            long perPartial = 12;
            for (int i = 0; i < 10; i++) {
                TrainingStep s = backend.steps.get(i);
                int epoch = i / 5;
                long stepsBefore = i + epoch;  // each epoch's partial batch is a step too
                assertEquals(stepsBefore + 1, s.step(), "step number of call " + i);
                assertEquals(stepsBefore * perStep - epoch * (perStep - perPartial), s.generatorOffset(),
                        "generator position of call " + i);
                assertEquals((long) backend.generatorAtWork.get(i), s.generatorOffset(), "the model's own position");
                assertEquals(epoch == 0 ? 0.01f : 0.005f, s.learningRate(), "learning rate of call " + i);
                assertTrue(s.owner() == backend.steps.get(0).owner(), "one owner: the model's memory");
            }
            assertEquals(12, model.stepCount());
            assertEquals(10 * perStep + 2 * perPartial, model.state().generatorOffset());
        }
    }

    @Test
    void aStepWhoseWorkRunsTwiceStartsFromTheStepsCountersEachTime() {
        Examples data = data(BATCH * 3);
        RecordingBackend twice = new RecordingBackend(2);
        try (Model model = classifier(); Model plain = classifier()) {
            twice.model = model;
            model.build(BATCH, twice);
            plain.build(BATCH, new CpuBackend());
            model.fit(data, FitOptions.defaults().epochs(1).batchSize(BATCH).verbose(0));
            plain.fit(data, FitOptions.defaults().epochs(1).batchSize(BATCH).verbose(0));
            for (int i = 0; i < twice.countersAfterWork.size(); i += 2) {
                assertEquals(twice.countersAfterWork.get(i), twice.countersAfterWork.get(i + 1), "run 2 of step " + i / 2);
            }
            assertEquals(plain.stepCount(), model.stepCount());
            assertEquals(plain.state().generatorOffset(), model.state().generatorOffset());
        }
    }
}
