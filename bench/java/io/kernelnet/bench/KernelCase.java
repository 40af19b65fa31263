package io.kernelnet.bench;

/**
 * One row of {@code bench kernels}: an op family ("gemm", "conv", ...), the op within it ("forward", "dW", ...),
 * where the shape comes from ({@code source}: "mlp", "cnn", "square", "skinny", "large"; {@code batch} 0 where
 * none is meant; {@code layer} the layer, N of a square GEMM, the size of a large tensor, or empty), and the call
 * with its shapes.
 */
public record KernelCase(String family, String op, String source, int batch, String layer, OpSpec spec) {
    /** The families a vendor library also computes: cuBLAS for GEMM, cuDNN for convolution and pooling. */
    public boolean hasVendor() {
        return family.equals(KernelCases.GEMM) || family.equals(KernelCases.CONV) || family.equals(KernelCases.POOL);
    }

    /** "cnn b128 conv2d_1 backward-data", "square 4096 gemm", "large 256 MiB adam". */
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
