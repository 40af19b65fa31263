package io.kernelnet.backend.cuda;

import java.util.List;

/**
 * Whether the CUDA backend can run here, and if not, why, in one line: no driver library, no device, a driver
 * older than the kernels need, a device too old for them, or kernels not built into the jar.
 *
 * @param usable        a {@link CudaBackend} can be created on device 0
 * @param reason        "ok", or why not, starting "no GPU: " or "GPU not usable: "
 * @param driverVersion the CUDA driver API version (13000 for 13.0), or 0 when no driver could be loaded
 * @param devices       the GPUs found (possibly some even when not usable)
 * @param kernelsBuilt  the fatbin resource is on the class path
 */
public record Availability(boolean usable, String reason, int driverVersion, List<CudaDeviceInfo> devices,
                           boolean kernelsBuilt) {

    public Availability {
        devices = List.copyOf(devices);
    }

    static Availability unusable(String reason, int driverVersion, List<CudaDeviceInfo> devices, boolean kernels) {
        return new Availability(false, reason, driverVersion, devices, kernels);
    }

    /** Whether device 0 is the KernelNet emulated device (CudaRuntime.EMULATOR_PROPERTY). */
    public boolean emulated() {
        return !devices.isEmpty() && devices.get(0).emulated();
    }

    /**
     * Refuses to time work on the emulated device: its event times measure the emulation on the CPU, never a GPU.
     * {@code what} names the benchmark.
     */
    public void refuseTimingOnEmulatedDevice(String what) {
        if (emulated()) {
            throw new IllegalStateException(what + ": refused on the " + CudaRuntime.EMULATED_DEVICE_NAME
                    + ": it runs the kernels on the CPU to check them, and its times are not GPU figures");
        }
    }

    /** "13.0" for 13000. */
    public static String versionString(int version) {
        return version / 1000 + "." + version % 1000 / 10;
    }
}
