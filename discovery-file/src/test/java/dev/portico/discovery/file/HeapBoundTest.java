package dev.portico.discovery.file;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The limits keep any set of config files within the launcher's heap (-Xmx64m): a child JVM with
 * that heap reads the largest files the limits accept, the densest file they parse before refusing
 * it, and a 10 MB one, and neither runs out of memory.
 */
class HeapBoundTest {

    @TempDir
    Path dir;

    @Test
    void largestAcceptedAndOversizedFilesFitA64MebibyteHeap() throws IOException, InterruptedException {
        // The most backends one file can hold, and the rest of the frontends the source may hold.
        Path backends = write("a.yaml", fill("apiVersion: v1\nfrontends:\n- bind: 80\n  backends:\n",
                i -> "  - address: h" + (i / 60000) + ":" + (1 + i % 60000) + "\n"));
        Path frontends = write("b.yaml", lines("apiVersion: v1\nfrontends:\n", 4095, i -> "- bind: " + (1000 + i) + "\n"));
        // The densest tree within the byte limit: parsed whole, then refused for its frontend count.
        Path dense = write("c.yaml", fill("apiVersion: v1\nfrontends:\n", i -> "- bind: 0\n"));
        Path huge = write("d.yaml", "apiVersion: v1\nfrontends:\n" + "- bind: 0\n".repeat(1_000_000));
        Path oneLine = write("e.yaml", "# " + "x".repeat(10_000_000) + "\n");

        Path output = dir.resolve("child.out");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "-XX:+ExitOnOutOfMemoryError", "-cp", classPath(), HeapProbe.class.getName(),
                backends.toString(), frontends.toString(), dense.toString(), huge.toString(), oneLine.toString())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        child.getOutputStream().close();
        boolean exited = child.waitFor(60, TimeUnit.SECONDS);
        if (!exited) {
            child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        String out = Files.readString(output);
        assertThat(exited).as("the child ended within 60 s: " + out).isTrue();
        assertThat(out).doesNotContain("OutOfMemoryError");
        assertThat(child.exitValue()).as(out).isZero();
        int acceptedBackends = Files.readString(backends).split("address").length - 1;
        assertThat(out.lines().filter(l -> l.matches("(error|snapshot) .*|done")).toList()).as(out).containsExactly(
                "error " + dense + ":3:1: " + (Files.size(dense) - 26) / 10 + " frontends, more than the limit of 4096 "
                        + "per source",
                "error " + huge + ": " + Files.size(huge) + " bytes, larger than the limit of 262144 bytes (256 KiB) "
                        + "for a config file",
                "error " + oneLine + ": 10000003 bytes, larger than the limit of 262144 bytes (256 KiB) for a config file",
                "snapshot 4096 frontends " + acceptedBackends + " backends",
                "done");
    }

    /** The test class path for the child; surefire may hand this JVM a manifest-only jar instead. */
    private static String classPath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private static String fill(String head, java.util.function.IntFunction<String> line) {
        StringBuilder sb = new StringBuilder(head);
        for (int i = 0; ; i++) {
            String next = line.apply(i);
            if (sb.length() + next.length() > ConfigText.MAX_FILE_BYTES) {
                return sb.toString();
            }
            sb.append(next);
        }
    }

    private static String lines(String head, int count, java.util.function.IntFunction<String> line) {
        StringBuilder sb = new StringBuilder(head);
        for (int i = 0; i < count; i++) {
            sb.append(line.apply(i));
        }
        return sb.toString();
    }

}
