package io.kernelnet.backend;

/**
 * One training step as {@link Backend#runStep} sees it. {@code shape} names the step's work: two steps with equal
 * shapes make the same op calls on the same tensors, so a backend may record the first and replay it. The other
 * values are the only ones that change between such steps, and the only host values those op calls may take: the
 * dropout generator's position at the step's start (each dropoutForward's offset is it plus a fixed amount), the
 * optimizer step number (from 1) and the learning rate of the step's one optimizer update. {@code owner} (the
 * model) lets a backend drop what it recorded for it ({@link Backend#forgetSteps}).
 */
public record TrainingStep(Object owner, Object shape, long generatorOffset, long step, float learningRate) {
    public TrainingStep {
        if (owner == null || shape == null) {
            throw new IllegalArgumentException("training step: owner and shape must not be null");
        }
        if (step < 1) {
            throw new IllegalArgumentException("training step: the optimizer step counts from 1, got " + step);
        }
    }
}
