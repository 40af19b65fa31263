package io.kernelnet.backend.cuda;

/** Releasing several resources where one failing must not keep the others from being released. */
final class Cleanup {
    private Cleanup() {
    }

    /**
     * Runs every step, whatever the ones before threw; then throws the first failure, with the later ones attached
     * as suppressed exceptions.
     */
    static void runAll(Iterable<Runnable> steps) {
        RuntimeException first = null;
        for (Runnable step : steps) {
            try {
                step.run();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
