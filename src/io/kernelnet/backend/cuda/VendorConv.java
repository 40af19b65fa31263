package io.kernelnet.backend.cuda;

import java.lang.reflect.InvocationTargetException;

/**
 * Opens the cuDNN engine, {@code CudnnConv(CudaContext, boolean deterministic)}, looked up by name so that this
 * backend builds and runs (on our kernels) in a tree where that class is absent. Never silent: every way it can
 * fail becomes an IllegalStateException with the reason, which the backend logs once.
 */
final class VendorConv {
    static final String CLASS_NAME = "io.kernelnet.backend.cuda.CudnnConv";

    private VendorConv() {
    }

    static ConvEngine open(CudaContext context, boolean deterministic) {
        Class<?> type;
        try {
            type = Class.forName(CLASS_NAME);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("the cuDNN engine (" + CLASS_NAME + ") is not part of this build");
        }
        try {
            var constructor = type.getDeclaredConstructor(CudaContext.class, boolean.class);
            constructor.setAccessible(true);
            return (ConvEngine) constructor.newInstance(context, deterministic);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IllegalStateException ise) {
                throw ise;
            }
            throw new IllegalStateException("cuDNN engine failed to open: " + cause, cause);
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException("cuDNN engine " + CLASS_NAME + " does not have the ConvEngine contract: "
                    + e, e);
        }
    }
}
