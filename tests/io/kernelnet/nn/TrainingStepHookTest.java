package io.kernelnet.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.kernelnet.backend.ForwardingBackend;
import io.kernelnet.backend.StepScalars;
import io.kernelnet.backend.TrainingStep;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.testing.TestRandom;
import io.kernelnet.train.Adam;
import io.kernelnet.train.Callback;
import io.kernelnet.train.Examples;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.Loss;
import io.kernelnet.train.TrainingRun;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What fit() hands to Backend#runStep, which a CUDA backend replays as a graph without running the step's op
 * calls: every full batch's step, one shape for all of them, and op calls that take the same host arguments every
 * step; what changes from step to step (generator position, step number, learning rate) is in the step scalars
 * when runStep is called. The last, smaller batch runs plainly, and a step's work run twice (after a failed
 * recording) leaves the counters as one run does.
 */
class TrainingStepHookTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private static final int BATCH = 8;

    /** Records each step it is given, the step scalars its work finds, and runs its work {@code runs} times. */
    private static final class RecordingBackend extends ForwardingBackend {
        final List<TrainingStep> steps = new ArrayList<>();
        final List<Tensor> scalarsAtWork = new ArrayList<>();
        /** The host offset of every dropout draw, in call order. */
        final List<Long> dropoutOffsets = new ArrayList<>();
        Object forgotten;
        private final int runs;
        private Tensor stepScalars;

        RecordingBackend(int runs) {
            super(new CpuBackend());
            this.runs = runs;
        }

        @Override
        public void uploadAsync(Tensor dst, float[] src, int srcOffset) {
            if (dst.name().equals("step scalars")) {
                stepScalars = dst;
            }
            super.uploadAsync(dst, src, srcOffset);
        }

        @Override
        public void dropoutForward(Tensor y, Tensor mask, Tensor x, Tensor step, float rate, long seed, long offset) {
            dropoutOffsets.add(offset);
            super.dropoutForward(y, mask, x, step, rate, seed, offset);
        }

        @Override
        public void runStep(TrainingStep step, Runnable work) {
            steps.add(step);
            for (int i = 0; i < runs; i++) {
                float[] values = new float[StepScalars.SIZE];
                download(values, 0, stepScalars);
                scalarsAtWork.add(Tensor.wrap(values, StepScalars.shape()));
                work.run();
            }
        }

        @Override
        public void forgetSteps(Object owner) {
            forgotten = owner;
            super.forgetSteps(owner);
        }
    }

    private static Model classifier() {
        Model m = new Sequential(6).add(new Dense(16, "relu")).add(new Dropout(0.2)).add(new Dense(3, "softmax"));
        m.seed(9).compile(new Adam(0.01f), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
        return m;
    }

    private Examples data(int n) {
        return rng.classification(n, Shape.of(6), 3);
    }

    /** A learning rate of 0.01 / (1 + the steps taken so far), set before every batch. */
    private static final Callback DECAY_EVERY_STEP = new Callback() {
        @Override
        public void onBatchBegin(TrainingRun run, int epoch, int batch) {
            run.optimizer().learningRate(0.01f / (1 + run.stepCount()));
        }
    };

    @Test
    void everyFullBatchIsOneStepOfOneShapeWhoseChangingValuesAreInTheStepScalars() {
        Examples data = data(BATCH * 5 + 3);
        RecordingBackend backend = new RecordingBackend(1);
        Object owner;
        try (Model model = classifier()) {
            model.build(BATCH, backend);
            model.fit(data, FitOptions.defaults().epochs(2).batchSize(BATCH).verbose(0).callbacks(DECAY_EVERY_STEP));

            assertEquals(10, backend.steps.size(), "5 full batches per epoch; the partial one runs plainly");
            Set<Object> shapes = new HashSet<>();
            backend.steps.forEach(s -> shapes.add(s.shape()));
            assertEquals(1, shapes.size(), "one shape for every full batch");
            // dropout over [8, 16] draws 32 counters per step, and the partial batch of 3 draws 12
            long perStep = 32;
            long perPartial = 12;
            for (int i = 0; i < 10; i++) {
                Tensor scalars = backend.scalarsAtWork.get(i);
                int epoch = i / 5;
                long stepsBefore = i + epoch;  // each epoch's partial batch is a step too
                assertEquals(stepsBefore + 1, StepScalars.step(scalars), "step number of call " + i);
                assertEquals(stepsBefore * perStep - epoch * (perStep - perPartial), StepScalars.generatorOffset(scalars),
                        "generator position of call " + i);
                assertEquals(0.01f / (1 + stepsBefore), StepScalars.learningRate(scalars), "learning rate of call " + i);
                assertSame(backend.steps.get(0).owner(), backend.steps.get(i).owner());
            }
            assertEquals(List.of(0L), backend.dropoutOffsets.stream().distinct().toList(),
                    "every dropout draw takes the same host offset: its place within the step");
            assertEquals(12, model.stepCount());
            assertEquals(10 * perStep + 2 * perPartial, model.state().generatorOffset());
            owner = backend.steps.get(0).owner();
        }
        assertSame(owner, backend.forgotten, "closing the model drops its recorded steps");
    }

    @Test
    void aStepWhoseWorkRunsTwiceLeavesTheCountersAsOneRunDoes() {
        Examples data = data(BATCH * 3);
        RecordingBackend twice = new RecordingBackend(2);
        try (Model model = classifier(); Model plain = classifier()) {
            model.build(BATCH, twice);
            plain.build(BATCH, new CpuBackend());
            model.fit(data, FitOptions.defaults().epochs(1).batchSize(BATCH).verbose(0));
            plain.fit(data, FitOptions.defaults().epochs(1).batchSize(BATCH).verbose(0));
            for (int i = 0; i < twice.scalarsAtWork.size(); i += 2) {
                assertArrayEquals(twice.scalarsAtWork.get(i).toArray(), twice.scalarsAtWork.get(i + 1).toArray(),
                        "run 2 of step " + i / 2);
            }
            assertEquals(plain.stepCount(), model.stepCount());
            assertEquals(plain.state().generatorOffset(), model.state().generatorOffset());
        }
    }
}
