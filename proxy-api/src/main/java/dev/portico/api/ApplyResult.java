package dev.portico.api;

import java.util.List;

/**
 * What an {@link ForwardingEngine#apply} changed, one entry per change, for the log.
 *
 * @param changes  what was done
 * @param failures listeners that could not be opened (the others run)
 */
public record ApplyResult(List<Change> changes, List<ListenerFailure> failures) {
    /**
     * Copies both lists, so a result never changes after the engine returns it.
     *
     * @param changes  what was done
     * @param failures listeners that could not be opened
     */
    public ApplyResult {
        changes = List.copyOf(changes);
        failures = List.copyOf(failures);
    }

    /**
     * Whether the apply changed nothing, as when a source republishes what is already running.
     *
     * @return true if there are neither changes nor failures
     */
    public boolean isEmpty() {
        return changes.isEmpty() && failures.isEmpty();
    }

    /** Kinds of change. */
    public enum ChangeKind {
        /** A frontend's listener was bound; the detail is the bound socket address. */
        LISTENER_OPENED,
        /** A frontend's listener was closed; the detail says whether open connections drain. */
        LISTENER_CLOSED,
        /** A backend joined a frontend; the detail is the backend. */
        BACKEND_ADDED,
        /** A backend left a frontend; the detail is its address. */
        BACKEND_REMOVED,
        /** A backend's weight changed, in place; the detail is the backend with its new weight. */
        BACKEND_UPDATED,
        /** Settings of a running frontend changed, without rebinding; the detail lists them. */
        SETTINGS_CHANGED
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
