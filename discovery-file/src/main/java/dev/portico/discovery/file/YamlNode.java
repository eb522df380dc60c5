package dev.portico.discovery.file;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * A YAML value with the line and column it starts at. Jackson's own tree forgets locations, and
 * every message this module prints has to name one.
 */
sealed interface YamlNode permits YamlNode.Mapping, YamlNode.Sequence, YamlNode.Scalar {

    /** 1-based line and column, as editors and compilers count. */
    record Mark(int line, int column) {
        @Override
        public String toString() {
            return line + ":" + column;
        }
    }

    Mark mark();

    /** What a value is called in "expected X, got Y" messages. */
    String kindName();

    /** One {@code key: value} pair of a mapping. */
    record Entry(String key, Mark keyMark, YamlNode value) {
    }

    /** A mapping, keys in file order. */
    record Mapping(Mark mark, Map<String, Entry> entries) implements YamlNode {
        @Override
        public String kindName() {
            return "a mapping";
        }
    }

    record Sequence(Mark mark, List<YamlNode> items) implements YamlNode {
        @Override
        public String kindName() {
            return "a list";
        }
    }

    /** The scalar types YAML resolves plain values to. */
    enum ScalarType {
        STRING("a string"), INTEGER("an integer"), DECIMAL("a decimal number"), BOOLEAN("a boolean"), NULL("null");

        private final String description;

        ScalarType(String description) {
            this.description = description;
        }
    }

    /**
     * @param text   the value as written (for a boolean or number, its original spelling)
     * @param number the value of an integer or decimal, else {@code null}
     */
    record Scalar(Mark mark, ScalarType type, String text, BigDecimal number) implements YamlNode {
        @Override
        public String kindName() {
            return type.description;
        }

        public boolean isNull() {
            return type == ScalarType.NULL;
        }
    }
}
