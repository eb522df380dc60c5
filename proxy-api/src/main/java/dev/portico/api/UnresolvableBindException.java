package dev.portico.api;

/** A bind address that cannot be turned into a socket address now (it may later). */
public class UnresolvableBindException extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient BindAddress bind;

    UnresolvableBindException(BindAddress bind, String reason) {
        super(reason);
        this.bind = bind;
    }

    BindAddress bind() {
        return bind;
    }
}
