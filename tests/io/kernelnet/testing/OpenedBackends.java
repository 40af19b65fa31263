package io.kernelnet.testing;

import io.kernelnet.backend.Backend;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The backends a test class opens, closed once after all its tests (a device context is costly to open for each
 * test). Register as a static field: {@code @RegisterExtension static final OpenedBackends OPENED = ...}.
 */
public final class OpenedBackends implements AfterAllCallback {
    private final List<Backend> opened = new ArrayList<>();

    /** Keeps {@code backend} to close after the class's tests; returns it. */
    public <B extends Backend> B keep(B backend) {
        opened.add(backend);
        return backend;
    }

    @Override
    public void afterAll(ExtensionContext context) {
        opened.forEach(Backend::close);
        opened.clear();
    }
}
