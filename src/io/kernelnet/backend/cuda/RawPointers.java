package io.kernelnet.backend.cuda;

import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * JavaCPP views of addresses that JCuda owns (device memory, the stream), so that cuBLAS works on our buffers and
 * stream: no allocation, no deallocator, just the address.
 */
final class RawPointers {
    private RawPointers() {
    }

    static final class Floats extends FloatPointer {
        Floats(long address) {
            this.address = address;
        }
    }

    static final class Bytes extends Pointer {
        Bytes(long address) {
            this.address = address;
        }
    }

    static final class Stream extends CUstream_st {
        Stream(long address) {
            this.address = address;
        }
    }
}
