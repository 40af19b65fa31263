package io.kernelnet.backend;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.backend.cpu.FastCpuBackend;
import io.kernelnet.backend.cuda.CudaBackend;
import io.kernelnet.tensor.Tensor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The checks cannot be bypassed: every op of {@link Backend} that takes a tensor is final in
 * {@link CheckedBackend}, so no backend can replace the checking method, only the computation behind it; and every
 * backend of the product extends it.
 */
class CheckedBackendTest {

    @Test
    void everyTensorOpOfTheInterfaceIsCheckedByAFinalMethod() throws NoSuchMethodException {
        List<String> unchecked = new ArrayList<>();
        int ops = 0;
        for (Method op : Backend.class.getMethods()) {
            boolean takesTensor = Arrays.asList(op.getParameterTypes()).contains(Tensor.class);
            // the 5-argument optimizer defaults pass on to the checked 6-argument ops; useWorkspace is a planning
            // call whose tensor may be null (none), no op on data
            if (!takesTensor || (op.isDefault() && op.getName().endsWith("Update"))
                    || op.getName().equals("useWorkspace")) {
                continue;
            }
            ops++;
            Method checked = CheckedBackend.class.getMethod(op.getName(), op.getParameterTypes());
            if (checked.getDeclaringClass() != CheckedBackend.class || !Modifier.isFinal(checked.getModifiers())) {
                unchecked.add(op.getName() + Arrays.toString(op.getParameterTypes()));
            }
        }
        assertTrue(unchecked.isEmpty(), "ops a backend could implement without the checks: " + unchecked);
        assertTrue(ops > 40, ops + " ops found");
    }

    @Test
    void everyBackendOfTheProductExtendsIt() {
        for (Class<?> backend : List.of(CpuBackend.class, FastCpuBackend.class, CudaBackend.class)) {
            assertTrue(CheckedBackend.class.isAssignableFrom(backend), backend.getSimpleName());
        }
    }
}
