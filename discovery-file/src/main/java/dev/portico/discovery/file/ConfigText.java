package dev.portico.discovery.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;

/**
 * Reads a config file so that no file can stall or exhaust the reader: only regular files are
 * opened (opening a FIFO blocks until a writer comes, a device never ends), and no more than
 * {@link #MAX_FILE_BYTES} are read, however the file grows meanwhile. Decoding names the line,
 * column and byte offset of the first byte that is not UTF-8.
 */
final class ConfigText {
    /**
     * Per file. Parsing holds the whole YAML tree; measured with a 64 MiB heap (the launcher's), a
     * 256 KiB file of the densest shape (26,000 one-line frontends) parses within a 24 MiB heap,
     * and 512 KiB no longer fits a 32 MiB one.
     */
    static final int MAX_FILE_BYTES = 256 << 10;

    /** A config file's text that is refused, with the place of the problem. */
    static final class RejectedException extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient ConfigProblem problem;

        RejectedException(ConfigProblem problem) {
            super(problem.toString());
            this.problem = problem;
        }

        ConfigProblem problem() {
            return problem;
        }
    }

    private ConfigText() {
    }

    /**
     * The file's bytes. The type is checked before opening and follows symlinks, since a
     * ConfigMap's files are symlinks; it is checked again on every call.
     *
     * @throws java.nio.file.NoSuchFileException when the file (or a symlink's target) is missing
     */
    static byte[] read(Path path, String display) throws IOException, RejectedException {
        BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class);
        if (!attrs.isRegularFile()) {
            throw new RejectedException(new ConfigProblem(display, 0, 0, "is " + kind(path, attrs)
                    + ", not a regular file"));
        }
        if (attrs.size() > MAX_FILE_BYTES) {
            throw tooLarge(display, attrs.size());
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            // One byte more than the limit tells a file that grew past it since the check.
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(MAX_FILE_BYTES + 1L, Math.max(attrs.size() + 1, 4096)));
            while (ch.read(buf) >= 0) {
                if (!buf.hasRemaining()) {
                    if (buf.capacity() > MAX_FILE_BYTES) {
                        throw new RejectedException(new ConfigProblem(display, 0, 0, "reads as more than "
                                + MAX_FILE_BYTES + " bytes, the limit for a config file, though its size was "
                                + attrs.size() + " when checked"));
                    }
                    buf = ByteBuffer.allocate((int) Math.min(MAX_FILE_BYTES + 1L, 2L * buf.capacity()))
                            .put(buf.flip());
                }
            }
            return Arrays.copyOf(buf.array(), buf.position());
        }
    }

    private static RejectedException tooLarge(String display, long size) {
        return new RejectedException(new ConfigProblem(display, 0, 0, size + " bytes, larger than the limit of "
                + MAX_FILE_BYTES + " bytes (" + (MAX_FILE_BYTES >> 10) + " KiB) for a config file"));
    }

    /** What a path that is not a regular file is, for the message. */
    private static String kind(Path path, BasicFileAttributes attrs) {
        if (attrs.isDirectory()) {
            return "a directory";
        }
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode");
            return switch (mode & 0170000) {
                case 0010000 -> "a FIFO";
                case 0020000 -> "a character device";
                case 0060000 -> "a block device";
                case 0140000 -> "a socket";
                default -> "not a file";
            };
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            // No unix attribute view on this platform: the rule is still told.
            return "a special file";
        }
    }

    /** The bytes as text; the first byte that is not UTF-8 is reported with its place. */
    static String decode(String display, byte[] bytes) throws RejectedException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = decoder.decode(in, out, true);
        if (!r.isError()) {
            r = decoder.flush(out);
        }
        if (r.isError()) {
            int offset = in.position();
            int line = 1;
            int lineStart = 0;
            for (int i = 0; i < offset; i++) {
                if (bytes[i] == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            int column = 1;
            for (int i = lineStart; i < offset; i++) {
                // Columns count characters: every byte but UTF-8 continuation bytes starts one.
                if ((bytes[i] & 0xC0) != 0x80) {
                    column++;
                }
            }
            throw new RejectedException(new ConfigProblem(display, line, column, String.format(
                    "not UTF-8 text (byte 0x%02X at byte offset %d)", bytes[offset] & 0xFF, offset)));
        }
        return out.flip().toString();
    }
}
