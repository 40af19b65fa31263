package io.kernelnet.testing;

import io.kernelnet.backend.ForwardingBackend;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.tensor.Storage;
import java.util.ArrayList;
import java.util.List;

/** The CPU reference, remembering every storage it allocates: tests check what is released and when. */
public class StorageRecorder extends ForwardingBackend {
    public final List<Storage> storages = new ArrayList<>();

    public StorageRecorder() {
        super(new CpuBackend());
    }

    @Override
    public Storage allocate(long floats, String label) {
        Storage s = super.allocate(floats, label);
        storages.add(s);
        return s;
    }
}
