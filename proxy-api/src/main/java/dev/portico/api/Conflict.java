package dev.portico.api;

/**
 * Two frontends wanted the same bind address (and server name); {@code winner} is served,
 * {@code loser} is not.
 *
 * @param bind       the contested address
 * @param winner     the frontend kept
 * @param loser      the frontend dropped
 * @param reason     why the winner won, for the report
 * @param serverName the contested TLS server name on a bind shared by name, {@code null} for the bind itself
 */
public record Conflict(BindAddress bind, Frontend winner, Frontend loser, String reason, String serverName) {

    Conflict(BindAddress bind, Frontend winner, Frontend loser, String reason) {
        this(bind, winner, loser, reason, null);
    }

    @Override
    public String toString() {
        return "bind " + bind + (serverName == null ? "" : " server name " + serverName) + " is wanted by "
                + describe(winner) + " and " + describe(loser) + "; " + describe(loser) + " is not served ("
                + reason + ")";
    }

    private static String describe(Frontend f) {
        String where = f.origin().isEmpty() ? f.name() : f.origin();
        return f.source().isEmpty() ? where : f.source() + " " + where;
    }
}
