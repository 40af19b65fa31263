package io.kernelnet.testing;

import io.kernelnet.backend.Backend;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The CUDA backends of a GPU test class: each test is skipped without a usable device ({@link
 * GpuAssumptions#usableDevice}; per test, not per class, so that every test shows up as skipped with the reason),
 * and the backends the class opened are closed once after all its tests (a device context is costly to open for
 * each). Register as a static field: {@code @RegisterExtension static final GpuBackends OPENED = ...}.
 */
public final class GpuBackends implements BeforeEachCallback, AfterAllCallback {
    private final List<Backend> opened = new ArrayList<>();

    /** Keeps {@code backend} to close after the class's tests; returns it. */
    public <B extends Backend> B keep(B backend) {
        opened.add(backend);
        return backend;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        GpuAssumptions.usableDevice();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        opened.forEach(Backend::close);
        opened.clear();
    }
}
