package dev.portico.api;

import java.util.List;

/**
 * What an {@link ForwardingEngine#apply} changed, one entry per change, for the log.
 *
 * @param changes  what was done
 * @param failures listeners that could not be opened (the others run)
 */
public record ApplyResult(List<Change> changes, List<ListenerFailure> failures) {
    public ApplyResult {
        changes = List.copyOf(changes);
        failures = List.copyOf(failures);
    }

    public boolean isEmpty() {
        return changes.isEmpty() && failures.isEmpty();
    }

    /** Kinds of change. */
    public enum ChangeKind {
        LISTENER_OPENED, LISTENER_CLOSED, BACKEND_ADDED, BACKEND_REMOVED, BACKEND_UPDATED, SETTINGS_CHANGED
    }

    /**
     * One change.
     *
     * @param kind     what happened
     * @param frontend the frontend's name
     * @param bind     its bind address
     * @param detail   the backend or setting concerned, or the bound socket address
     */
    public record Change(ChangeKind kind, String frontend, BindAddress bind, String detail) {
        @Override
        public String toString() {
            String what = switch (kind) {
                case LISTENER_OPENED -> "listening on";
                case LISTENER_CLOSED -> "stopped listening on";
                case BACKEND_ADDED -> "backend added:";
                case BACKEND_REMOVED -> "backend removed:";
                case BACKEND_UPDATED -> "backend updated:";
                case SETTINGS_CHANGED -> "settings changed:";
            };
            return "frontend " + frontend + " (" + bind + ") " + what + " " + detail;
        }
    }

    /**
     * A listener that could not be opened, with the OS's reason.
     *
     * @param frontend the frontend's name
     * @param bind     its bind address
     * @param reason   why (address in use, permission denied, no such interface...)
     */
    public record ListenerFailure(String frontend, BindAddress bind, String reason) {
        @Override
        public String toString() {
            return "frontend " + frontend + ": cannot listen on " + bind + ": " + reason;
        }
    }
}
