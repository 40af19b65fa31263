package io.kernelnet.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The backend runs the Vector API kernel exactly when the JVM has jdk.incubator.vector, and says which. The build
 * runs the CPU tests in two JVMs, with the module and without (pom.xml: the plain-java execution), and tells this
 * test which one it is in, so that a changed flag cannot leave either path untested unnoticed.
 */
class GemmKernelSelectionTest {
    @Test
    void theKernelFollowsTheJvmsModules() {
        String expected = System.getProperty("kernelnet.test.vectorApi");
        assertNotNull(expected, "the build sets kernelnet.test.vectorApi to say whether this JVM has the module");
        assertEquals(Boolean.parseBoolean(expected), FastCpuBackend.VECTOR_API, "jdk.incubator.vector in this JVM");
        GemmKernel kernel = FastCpuBackend.fastestKernel();
        assertEquals(FastCpuBackend.VECTOR_API ? VectorGemmKernel.class : RowGemmKernel.class, kernel.getClass());
        try (FastCpuBackend backend = new FastCpuBackend()) {
            String says = FastCpuBackend.VECTOR_API ? "Vector API kernel" : "plain-Java row kernel";
            assertTrue(kernel.description().startsWith(says), kernel.description());
            assertEquals("plain-Java row kernel", new RowGemmKernel().description());
            assertTrue(backend.description().contains(kernel.description()), backend.description());
        }
    }
}
