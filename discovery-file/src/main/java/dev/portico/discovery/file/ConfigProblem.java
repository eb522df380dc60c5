package dev.portico.discovery.file;

/**
 * What is wrong in a config file and where, printed as a compiler does:
 * {@code /etc/portico/a.yaml:12:5: unknown key 'healthIntreval' (did you mean 'healthInterval'?)}.
 *
 * @param file    the file as it was named (a directory entry as directory/name)
 * @param line    1-based line, 0 when the problem concerns the whole file
 * @param column  1-based column, 0 when the problem concerns the whole file
 * @param message what is wrong, readable on its own
 */
record ConfigProblem(String file, int line, int column, String message) {

    /**
     * Stores control and bidi characters of the file name and the message as escapes, so a
     * problem can be logged as it is.
     *
     * @param file    the file as it was named
     * @param line    1-based line, 0 for the whole file
     * @param column  1-based column, 0 for the whole file
     * @param message what is wrong
     */
    public ConfigProblem {
        file = SafeText.escape(file);
        message = SafeText.escape(message);
    }

    /** {@code file:line:column}, or just the file when no line applies. */
    String place() {
        return line <= 0 ? file : file + ":" + line + ":" + column;
    }

    @Override
    public String toString() {
        return place() + ": " + message;
    }
}
