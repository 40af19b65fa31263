package io.kernelnet.testing;

import io.kernelnet.backend.cuda.Availability;
import io.kernelnet.backend.cuda.CudaRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestTag;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * After a test run: on which device the tests tagged "gpu" ran (a GPU or the KernelNet emulated device), how many
 * ran and failed, and which were skipped and why, grouped by reason. Registered for every JUnit launch
 * (META-INF/services), so Maven's log and the GPU bundle's gpu-tests both end with it.
 */
public final class GpuTestSummary implements TestExecutionListener {
    private static final TestTag GPU = TestTag.create("gpu");
    private static final int NAMES_PER_REASON = 4;

    private TestPlan plan;
    private int ran;
    private final List<String> failed = new ArrayList<>();
    private final Map<String, List<String>> skipped = new TreeMap<>();

    @Override
    public void testPlanExecutionStarted(TestPlan testPlan) {
        plan = testPlan;
    }

    @Override
    public void executionSkipped(TestIdentifier id, String reason) {
        if (isGpu(id)) {
            skipped.computeIfAbsent(reason, r -> new ArrayList<>()).add(name(id));
        }
    }

    @Override
    public void executionFinished(TestIdentifier id, TestExecutionResult result) {
        if (!isGpu(id)) {
            return;
        }
        switch (result.getStatus()) {
            case ABORTED -> skipped.computeIfAbsent(result.getThrowable().map(Throwable::getMessage)
                    .map(m -> m.replaceFirst("^Assumption failed: ", "")).orElse("aborted"),
                    r -> new ArrayList<>()).add(name(id));
            case FAILED -> {
                if (id.isTest()) {
                    failed.add(name(id));
                }
            }
            case SUCCESSFUL -> ran += id.isTest() ? 1 : 0;
        }
    }

    @Override
    public void testPlanExecutionFinished(TestPlan testPlan) {
        if (ran + failed.size() + skipped.size() == 0) {
            return;
        }
        Availability cuda = CudaRuntime.availability();
        String device = cuda.usable() ? cuda.devices().get(0).summary() : "no device";
        StringBuilder sb = new StringBuilder(String.format("%nGPU tests on %s: %d passed, %d failed, %d skipped%n",
                device, ran, failed.size(), skipped.values().stream().mapToInt(List::size).sum()));
        failed.forEach(f -> sb.append("  failed: ").append(f).append('\n'));
        skipped.forEach((reason, names) -> sb.append(String.format("  skipped %d (%s): %s%s%n", names.size(), reason,
                String.join(", ", names.subList(0, Math.min(NAMES_PER_REASON, names.size()))),
                names.size() > NAMES_PER_REASON ? ", ..." : "")));
        System.out.print(sb);
        System.out.flush();
    }

    /** Tagged "gpu" itself or through its class (dynamic tests carry no tags of their own). */
    private boolean isGpu(TestIdentifier id) {
        for (TestIdentifier at = id; at != null; at = plan.getParent(at).orElse(null)) {
            if (at.getTags().contains(GPU)) {
                return true;
            }
        }
        return false;
    }

    /** "CudaBackendGpuTest > tf32GemmCases()", "gemmCases() > gemm M=33 ..." for a dynamic test. */
    private String name(TestIdentifier id) {
        return plan.getParent(id).map(p -> p.getDisplayName() + " > ").orElse("") + id.getDisplayName();
    }
}
