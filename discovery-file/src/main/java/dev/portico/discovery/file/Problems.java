package dev.portico.discovery.file;

import dev.portico.discovery.file.YamlNode.Mark;
import java.util.ArrayList;
import java.util.List;

/** Collects the problems of one file, each with its place; stops counting after a screenful. */
final class Problems {
    static final int MAX = 20;

    private final String file;
    private final List<ConfigProblem> list = new ArrayList<>();

    Problems(String file) {
        this.file = file;
    }

    String file() {
        return file;
    }

    void add(Mark at, String message) {
        if (list.size() < MAX) {
            list.add(new ConfigProblem(file, at.line(), at.column(), message));
        }
    }

    /** {@code file:line:column} of a mark, for messages that point at a second place. */
    String place(Mark at) {
        return file + ":" + at;
    }

    int count() {
        return list.size();
    }

    List<ConfigProblem> list() {
        return List.copyOf(list);
    }
}
