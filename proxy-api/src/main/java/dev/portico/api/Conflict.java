package dev.portico.api;

/**
 * Two frontends wanted the same bind address; {@code winner} is served, {@code loser} is not.
 *
 * @param bind   the contested address
 * @param winner the frontend kept
 * @param loser  the frontend dropped
 * @param reason why the winner won, for the report
 */
public record Conflict(BindAddress bind, Frontend winner, Frontend loser, String reason) {

    @Override
    public String toString() {
        return "bind " + bind + " is wanted by " + describe(winner) + " and " + describe(loser) + "; "
                + describe(loser) + " is not served (" + reason + ")";
    }

    private static String describe(Frontend f) {
        String where = f.origin().isEmpty() ? f.name() : f.origin();
        return f.source().isEmpty() ? where : f.source() + " " + where;
    }
}
