package io.kernelnet.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Discovery on whatever machine runs the suite: it never throws, and without a driver (CI) it says so in one line
 * that names libcuda. On a GPU host the same test checks the device list instead.
 */
class CudaRuntimeTest {

    @Test
    void discoveryNeverThrowsAndIsRemembered() {
        Availability a = CudaRuntime.availability();
        assertSame(a, CudaRuntime.availability());
        assertFalse(a.reason().isBlank());
        assertTrue(a.reason().lines().count() == 1, "one line: " + a.reason());
    }

    @Test
    void withoutADriverTheReasonNamesLibcudaAndNoDeviceIsListed() {
        Availability a = CudaRuntime.availability();
        if (a.driverVersion() == 0) {
            assertFalse(a.usable());
            assertTrue(a.reason().startsWith("no GPU: ") && a.reason().contains("libcuda"), a.reason());
            assertTrue(a.devices().isEmpty());
        } else if (a.usable()) {
            assertTrue(a.driverVersion() >= CudaRuntime.MIN_DRIVER_VERSION);
            assertFalse(a.devices().isEmpty());
            assertTrue(a.kernelsBuilt() || a.emulated(), "the emulated device needs no fatbin, a GPU does");
            assertTrue(a.devices().get(0).multiprocessors() > 0 && a.devices().get(0).totalBytes() > 0);
        } else {
            assertTrue(a.reason().startsWith("no GPU: ") || a.reason().startsWith("GPU not usable: "), a.reason());
        }
    }

    @Test
    void openingTheBackendWhereCudaIsNotUsableThrowsTheReason() {
        Availability a = CudaRuntime.availability();
        if (!a.usable()) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> new CudaBackend(0, CudaOptions.DEFAULT));
            assertTrue(e.getMessage().contains(a.reason()), e.getMessage());
        }
    }

    @Test
    void vendorLibraryProbesReportAVersionOrOneLineWhy() {
        for (VendorLibraries.Status s : new VendorLibraries.Status[] {VendorLibraries.cublas(),
            VendorLibraries.cudnn()}) {
            if (s.loaded()) {
                assertTrue(s.detail().matches("\\d+\\.\\d+\\.\\d+"), s.toString());
            } else {
                assertFalse(s.detail().isBlank());
                assertTrue(s.detail().lines().count() == 1, s.toString());
            }
        }
    }
}
