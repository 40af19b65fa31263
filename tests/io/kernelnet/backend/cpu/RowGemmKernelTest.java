package io.kernelnet.backend.cpu;

/** {@link FastCpuBackendTest}'s checks on the plain-Java kernel, which JVMs without jdk.incubator.vector run. */
class RowGemmKernelTest extends FastCpuBackendTest {
    @Override
    GemmKernel kernel() {
        return new RowGemmKernel();
    }
}
