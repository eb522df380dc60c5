package dev.portico.api;

/** How a proxied connection ended. */
public enum CloseReason {
    /** The client closed (both directions finished, the client's first). */
    CLIENT_CLOSED,
    /** The backend closed first. */
    BACKEND_CLOSED,
    /** No bytes either way for the idle timeout. */
    IDLE_TIMEOUT,
    /** A reset or I/O error on either side. */
    RESET,
    /** No healthy backend, or every connect attempt failed. */
    NO_BACKEND,
    /** The frontend was removed or the engine shut down past its drain deadline. */
    SHUTDOWN,
    /** Refused by the frontend's allow/deny lists (or an untrusted PROXY header sender). */
    DENIED,
    /** Refused because a connection limit was reached. */
    LIMIT,
    /** A PROXY protocol header was missing, malformed, cut short or late. */
    BAD_PROXY_HEADER,
    /** The client is this router itself: a backend leads back to one of its own listeners. */
    LOOP,
    /**
     * The proxy ran out of file descriptors (its open-files limit) and could not open the backend
     * connection: a local shortage, not the backend's fault.
     */
    NO_DESCRIPTORS
}
