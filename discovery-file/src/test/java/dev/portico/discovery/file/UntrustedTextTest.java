package dev.portico.discovery.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Text no config file should contain, refused with its place before it can cost much. */
class UntrustedTextTest {

    private static String onlyProblem(String text) {
        ConfigParser.Result r = ConfigParser.parse("a.yaml", text, "file");
        assertThat(r.frontends()).isEmpty();
        assertThat(r.problems()).hasSize(1);
        return r.problems().get(0).toString();
    }

    @Test
    void tenMegabyteCommentLineIsRefusedWithoutParsing() {
        String text = "apiVersion: v1\n# " + "x".repeat(10_000_000) + "\nfrontends: []\n";

        // SnakeYAML alone takes minutes over such a line; the bound only guards against a hang.
        String problem = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> onlyProblem(text));

        assertThat(problem).isEqualTo("a.yaml: 10000032 characters, larger than the limit of 262144");
    }

    @Test
    void lineLongerThanTheLimitIsRefusedNamingItsLine() {
        String text = "apiVersion: v1\nfrontends:\n  - bind: :80\n    name: " + "n".repeat(70_000) + "\n";

        String problem = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> onlyProblem(text));

        assertThat(problem).isEqualTo("a.yaml:4:1: line is 70010 characters long (limit 65536)");
    }

    @Test
    void lineJustWithinTheLimitIsRead() {
        String name = "n".repeat(ConfigParser.MAX_LINE_CHARS - "    name: ".length());
        ConfigParser.Result r = ConfigParser.parse("a.yaml",
                "apiVersion: v1\nfrontends:\n  - bind: :80\n    name: " + name + "\n", "file");

        assertThat(r.problems()).isEmpty();
        assertThat(r.frontends()).singleElement().satisfies(f -> assertThat(f.name()).isEqualTo(name));
    }

    @Test
    void nameWithBidiOverrideIsRefusedNamingTheCodePoint() {
        assertThat(onlyProblem("apiVersion: v1\nfrontends:\n  - bind: :80\n    name: \"api\\u202Eexe\"\n"))
                .isEqualTo("a.yaml:4:11: name contains U+202E (RIGHT-TO-LEFT OVERRIDE); "
                        + "names may not contain control or bidi characters");
    }

    @Test
    void namesWithControlCharactersAreRefused() {
        for (String escape : new String[] {"\\a", "\\n", "\\x7f", "\\x85", "\\u2066", "\\u200F", "\\u061C"}) {
            String text = "apiVersion: v1\nfrontends:\n  - bind: :80\n    name: \"x" + escape + "y\"\n";

            assertThat(onlyProblem(text)).as(escape)
                    .startsWith("a.yaml:4:11: name contains U+")
                    .endsWith("; names may not contain control or bidi characters");
        }
    }

    @Test
    void nameWithOrdinaryUnicodeIsKept() {
        ConfigParser.Result r = ConfigParser.parse("a.yaml",
                "apiVersion: v1\nfrontends:\n  - bind: :80\n    name: Café – שלום\n", "file");

        assertThat(r.problems()).isEmpty();
        assertThat(r.frontends().get(0).name()).isEqualTo("Café – שלום");
    }

    @Test
    void controlCharactersEchoedInMessagesAreEscaped() {
        // An unknown key or a bad value is quoted back; the quote must not carry the control through.
        assertThat(onlyProblem("apiVersion: v1\nfrontends:\n  - bind: :80\n    \"x\\u202Ey\": 1\n"))
                .startsWith("a.yaml:4:5: unknown key 'x\\u202Ey'");
        assertThat(onlyProblem("apiVersion: v1\nfrontends:\n  - bind: \"a\\e[31m:80\"\n"))
                .startsWith("a.yaml:3:11: bind address 'a\\u001B[31m:80'");
    }

    @Test
    void backendHostWithControlCharactersIsNoHostName() {
        assertThat(onlyProblem("apiVersion: v1\nfrontends:\n  - bind: :80\n    backends:\n"
                + "      - address: \"db\\u202E.local:5432\"\n"))
                .isEqualTo("a.yaml:5:18: backend address 'db\\u202E.local:5432': 'db\\u202E.local' is neither an IP "
                        + "address nor a valid host name");
    }
}
