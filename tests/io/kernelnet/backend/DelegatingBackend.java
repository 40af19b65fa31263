package io.kernelnet.backend;

/** A forwarding backend whose name says it is not the real one; tests override one op to make it wrong. */
class DelegatingBackend extends ForwardingBackend {
    DelegatingBackend(Backend delegate) {
        super(delegate);
    }

    @Override
    public String name() {
        return "wrong-" + delegate.name();
    }
}
