package dev.portico.discovery.file;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the paths a user gave into the files to read, in a fixed order (paths in the order given,
 * a directory's entries by name), and the directories whose events matter.
 */
final class ConfigPaths {
    private static final Logger log = LoggerFactory.getLogger(ConfigPaths.class);

    /**
     * One file to read.
     *
     * @param key      absolute, normalised path: the identity of the file's state across reloads
     * @param path     the path to open (symlinks are followed when reading)
     * @param display  the name messages use: as given, or directory/entry (control and bidi
     *                 characters escaped: a file name is text from outside too)
     * @param explicit named by the user, so its absence is an error rather than a deletion
     */
    record Candidate(Path key, Path path, String display, boolean explicit) {
    }

    /** The files to read and the directories to watch. */
    record Expansion(List<Candidate> files, Set<Path> watchDirs) {
    }

    /** A directory that is there but cannot be listed: nothing under it can be judged this round. */
    static final class UnlistableException extends IOException {
        private static final long serialVersionUID = 1L;
        private final String display;

        UnlistableException(String display, IOException cause) {
            super(cause.toString(), cause);
            this.display = display;
        }

        String display() {
            return display;
        }
    }

    private ConfigPaths() {
    }

    static Expansion expand(List<Path> inputs) throws UnlistableException {
        List<Candidate> files = new ArrayList<>();
        Set<Path> dirs = new LinkedHashSet<>();
        Set<Path> seen = new HashSet<>();
        for (Path input : inputs) {
            Path abs = input.toAbsolutePath().normalize();
            // The parent sees the input created, deleted or renamed into place, and a directory re-created.
            if (abs.getParent() != null) {
                dirs.add(abs.getParent());
            }
            if (Files.isDirectory(input)) {
                dirs.add(abs);
                for (Path entry : entries(input)) {
                    add(files, seen, dirs, new Candidate(abs.resolve(entry.getFileName()), entry, SafeText.escape(entry.toString()), false));
                }
            } else {
                add(files, seen, dirs, new Candidate(abs, input, SafeText.escape(input.toString()), true));
            }
        }
        return new Expansion(files, dirs);
    }

    private static void add(List<Candidate> files, Set<Path> seen, Set<Path> dirs, Candidate c) {
        if (!seen.add(c.key())) {
            return;
        }
        files.add(c);
        if (Files.isSymbolicLink(c.path())) {
            // An edit of a symlink's target happens in the target's directory, not the link's.
            try {
                Path target = c.path().toRealPath().getParent();
                if (target != null) {
                    dirs.add(target);
                }
            } catch (IOException e) {
                // A dangling link: the file counts as missing, and the link's directory is watched anyway.
                log.debug("cannot resolve symlink {}: {}", c.path(), e.toString());
            }
        }
    }

    /**
     * The {@code *.yaml} and {@code *.yml} entries of a directory, by name. Hidden entries are skipped:
     * editors' swap files and a ConfigMap's {@code ..data} and {@code ..2026_...} directories, whose
     * files are read through the visible symlinks that point into them. An entry that is no regular
     * file (a FIFO, a device, a directory) is kept, so that reading it reports what it is.
     */
    private static List<Path> entries(Path dir) throws UnlistableException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path entry : stream) {
                String name = entry.getFileName().toString();
                String lower = name.toLowerCase(Locale.ROOT);
                if (!name.startsWith(".") && (lower.endsWith(".yaml") || lower.endsWith(".yml"))) {
                    out.add(entry);
                }
            }
        } catch (IOException e) {
            throw new UnlistableException(SafeText.escape(dir.toString()), e);
        }
        out.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        return out;
    }
}
