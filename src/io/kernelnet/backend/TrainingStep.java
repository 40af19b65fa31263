package io.kernelnet.backend;

/**
 * One training step as {@link Backend#runStep} sees it. {@code shape} names the step's work: two steps with equal
 * shapes make the same op calls with the same host arguments on the same tensors (what differs between them, the
 * batch and the {@link StepScalars}, is written into tensors before the step), so a backend may record the first
 * and replay it. {@code owner} (the model's memory) lets a backend drop what it recorded for it
 * ({@link Backend#forgetSteps}).
 */
public record TrainingStep(Object owner, Object shape) {
    public TrainingStep {
        if (owner == null || shape == null) {
            throw new IllegalArgumentException("training step: owner and shape must not be null");
        }
    }
}
