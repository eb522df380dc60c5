package dev.portico.examples;

/**
 * The component column of a log line: a short word for where a message comes from
 * ({@code router}, {@code engine}, {@code file}, {@code netty}) instead of a class name.
 */
final class ComponentConverter {

    private ComponentConverter() {
    }

    static String component(String logger) {
        if (logger.startsWith(Logging.PREFIX)) {
            return logger.substring(Logging.PREFIX.length());
        }
        if (logger.startsWith("dev.portico.netty")) {
            return "engine";
        }
        if (logger.startsWith("dev.portico.discovery.file")) {
            return "file";
        }
        if (logger.startsWith("dev.portico.discovery.kubernetes")) {
            return "kube";
        }
        if (logger.startsWith("dev.portico.api")) {
            return "core";
        }
        if (logger.startsWith("io.netty")) {
            return "netty";
        }
        int dot = logger.lastIndexOf('.');
        return dot < 0 ? logger : logger.substring(dot + 1);
    }
}
