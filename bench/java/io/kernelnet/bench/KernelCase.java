package io.kernelnet.bench;

/**
 * One row of {@code bench kernels}: an op family ("gemm", "conv", ...), the op within it ("forward", "dW", ...),
 * where the shape comes from ({@code source}: "mlp", "cnn", "square", "skinny", "256 MiB"; {@code batch} 0 and
 * {@code layer} empty where no layer is meant), and the call with its shapes.
 */
public record KernelCase(String family, String op, String source, int batch, String layer, OpSpec spec) {
    /** The families a vendor library also computes: cuBLAS for GEMM, cuDNN for convolution and pooling. */
    public boolean hasVendor() {
        return family.equals(KernelCases.GEMM) || family.equals(KernelCases.CONV) || family.equals(KernelCases.POOL);
    }

    /** "cnn b128 conv2d_1 forward", "square 4096 gemm", "256 MiB adam". */
    public String label() {
        StringBuilder sb = new StringBuilder(source);
        if (batch > 0) {
            sb.append(" b").append(batch);
        }
        if (!layer.isEmpty()) {
            sb.append(' ').append(layer);
        }
        return sb.append(' ').append(op).toString();
    }
}
