package io.kernelnet.backend.cuda;

import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * Device discovery that never crashes a machine without a GPU: every way of not having CUDA becomes a one-line
 * {@link Availability#reason()}. The driver is initialized once per process.
 */
public final class CudaRuntime {
    /** Class-path resource holding every kernel (see kernels/CONTRACT.md), built by native/build-kernels.sh. */
    public static final String KERNELS_RESOURCE = "/kernels/kernelnet.fatbin";
    /** Kernels compiled by CUDA 13 need a driver that supports CUDA 13.0. */
    public static final int MIN_DRIVER_VERSION = 13000;
    /** The fatbin holds SASS for sm_80 and newer (and PTX for compute_90); TF32 mma needs sm_80. */
    public static final int MIN_COMPUTE_MAJOR = 8;
    /**
     * System property, or else environment variable {@link #EMULATOR_ENV}: load the emulated driver
     * (native/cuda-emulator, README "The emulated device") in place of the GPU's: its path, or "1" for the one the
     * build wrote beside the classes or jar ({@code target/cuda-emulator/libcuda.so.1}). Empty: off.
     */
    public static final String EMULATOR_PROPERTY = "kernelnet.cuda.emulator";
    public static final String EMULATOR_ENV = "KERNELNET_CUDA_EMULATOR";
    /** The one device of the emulated driver: its name says what it is wherever a device is named. */
    public static final String EMULATED_DEVICE_NAME = "KernelNet emulated device";

    private static Availability cached;

    private CudaRuntime() {
    }

    /** How many kernels kernels/*.cu declare (the kernel spec): what the fatbin holds when it is built. */
    public static int declaredKernels() {
        return Kernel.values().length;
    }

    /** Discovers once and remembers: a failed native load cannot be retried in the same JVM anyway. */
    public static synchronized Availability availability() {
        if (cached == null) {
            cached = discover();
        }
        return cached;
    }

    private static Availability discover() {
        boolean kernels = CudaRuntime.class.getResource(KERNELS_RESOURCE) != null;
        int driver = 0;
        List<CudaDeviceInfo> devices = new ArrayList<>();
        String emulator = emulatorRequest();
        if (emulator != null) {
            String failure = loadEmulator(emulator);
            if (failure != null) {
                return Availability.unusable("no GPU: " + failure, driver, devices, kernels);
            }
        }
        try {
            JCudaDriver.setExceptionsEnabled(true);
            int[] version = new int[1];
            cuDriverGetVersion(version);
            driver = version[0];
            if (driver < MIN_DRIVER_VERSION) {
                return Availability.unusable("GPU not usable: CUDA driver " + Availability.versionString(driver)
                        + " (" + driver + ") is older than the " + Availability.versionString(MIN_DRIVER_VERSION)
                        + " the kernels need; update the NVIDIA driver", driver, devices, kernels);
            }
            cuInit(0);
            int[] count = new int[1];
            cuDeviceGetCount(count);
            for (int i = 0; i < count[0]; i++) {
                devices.add(describe(i));
            }
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            return Availability.unusable("no GPU: " + LoadFailure.reason(e), driver, devices, kernels);
        } catch (jcuda.CudaException e) {
            String name = e.getMessage();
            String why = CudaException.is(e, CUresult.CUDA_ERROR_NO_DEVICE) ? "no GPU: the driver found no device"
                    : name != null && name.contains("DRIVER")
                    ? "GPU not usable: the driver does not match (too old or mismatched kernel module)"
                    : "GPU not usable: the CUDA driver failed";
            return Availability.unusable(why + " (" + name + ")", driver, devices, kernels);
        }
        if (devices.isEmpty()) {
            return Availability.unusable("no GPU: CUDA driver " + Availability.versionString(driver)
                    + " found no device", driver, devices, kernels);
        }
        CudaDeviceInfo first = devices.get(0);
        if (first.computeMajor() < MIN_COMPUTE_MAJOR) {
            return Availability.unusable("GPU not usable: " + first.summary() + " is older than the sm_"
                    + MIN_COMPUTE_MAJOR + "0 the kernels need", driver, devices, kernels);
        }
        if (!kernels && !first.emulated()) {
            return Availability.unusable("GPU not usable: kernels not built, " + KERNELS_RESOURCE
                    + " is not on the class path (build with nvcc, without -Dkernels.skip=true)", driver, devices,
                    kernels);
        }
        return new Availability(true, "ok", driver, devices, kernels);
    }

    /** The emulated driver asked for by {@link #EMULATOR_PROPERTY} or {@link #EMULATOR_ENV}, or null. */
    private static String emulatorRequest() {
        String value = System.getProperty(EMULATOR_PROPERTY);
        if (value == null) {
            value = System.getenv(EMULATOR_ENV);
        }
        return value == null || value.isBlank() ? null : value.strip();
    }

    /**
     * Loads the emulated libcuda.so.1 before JCuda loads its own library, whose dependency on libcuda.so.1 the
     * dynamic linker then resolves to it (by its soname). Null when loaded, else why not.
     */
    private static String loadEmulator(String request) {
        Path library;
        if (request.equals("1")) {
            try {
                Path code = Path.of(CudaRuntime.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                library = code.getParent().resolve("cuda-emulator").resolve("libcuda.so.1");
            } catch (URISyntaxException | SecurityException e) {
                return "the emulated device was asked for (" + EMULATOR_ENV + "=1) but its library cannot be"
                        + " located: " + e.getMessage();
            }
        } else {
            library = Path.of(request);
        }
        if (!Files.isRegularFile(library)) {
            return "the emulated device was asked for but " + library + " does not exist (the build makes it"
                    + " when g++ is present: mvn -B package)";
        }
        try {
            System.load(library.toAbsolutePath().toString());
            return null;
        } catch (UnsatisfiedLinkError e) {
            return "the emulated device " + library + " did not load: " + LoadFailure.reason(e);
        }
    }

    private static CudaDeviceInfo describe(int ordinal) {
        CUdevice device = new CUdevice();
        cuDeviceGet(device, ordinal);
        byte[] name = new byte[256];
        cuDeviceGetName(name, name.length, device);
        long[] total = new long[1];
        cuDeviceTotalMem(total, device);
        return new CudaDeviceInfo(ordinal, cString(name),
                attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
                attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR),
                total[0], attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT),
                attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE));
    }

    private static int attribute(CUdevice device, int attribute) {
        int[] value = new int[1];
        cuDeviceGetAttribute(value, attribute, device);
        return value[0];
    }

    private static String cString(byte[] bytes) {
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }

    /**
     * The fatbin's bytes; call only when {@link Availability#kernelsBuilt()}, or on the emulated device, whose
     * driver runs the kernels it was built with and takes any image: then an empty one when the fatbin is absent.
     */
    static byte[] kernelImage() {
        if (CudaRuntime.class.getResource(KERNELS_RESOURCE) == null && availability().emulated()) {
            return new byte[0];
        }
        URL url = CudaRuntime.class.getResource(KERNELS_RESOURCE);
        if (url == null) {
            throw new IllegalStateException("kernels not built: " + KERNELS_RESOURCE + " is not on the class path");
        }
        try (InputStream in = url.openStream()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + KERNELS_RESOURCE, e);
        }
    }

    /** Size of the fatbin in bytes, or -1 when absent (for the info report). */
    static long kernelImageSize() {
        URL url = CudaRuntime.class.getResource(KERNELS_RESOURCE);
        if (url == null) {
            return -1;
        }
        try {
            return url.openConnection().getContentLengthLong();
        } catch (IOException e) {
            return -1;
        }
    }
}
