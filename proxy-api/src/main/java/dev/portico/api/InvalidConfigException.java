package dev.portico.api;

/**
 * A configuration value that cannot be used. The message says what is wrong with the value;
 * callers that know where the value came from (a file and line, a Kubernetes object) prefix
 * that place.
 */
public class InvalidConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /**
     * A bad value.
     *
     * @param message what is wrong with the value, readable on its own
     */
    public InvalidConfigException(String message) {
        super(message);
    }

    /**
     * A bad value, found by a lower-level reader.
     *
     * @param message what is wrong with the value, readable on its own
     * @param cause   the reader's exception
     */
    public InvalidConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
