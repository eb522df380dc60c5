package dev.portico.discovery.file;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.portico.discovery.file.YamlNode.Mark;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns YAML text into {@link YamlNode}s by walking Jackson's token stream, keeping each token's
 * location. Rejects what would silently mean something else: duplicate keys (YAML keeps the last
 * one), aliases (Jackson hands back the anchor's name as a string), several documents in one file.
 */
final class YamlReader {

    private static final YAMLFactory FACTORY = YAMLFactory.builder()
            .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL)
            .build();

    /** A problem that stops reading: a syntax error or a construct this reader refuses. */
    static final class SyntaxException extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient Mark mark;

        SyntaxException(Mark mark, String message) {
            super(message);
            this.mark = mark;
        }

        Mark mark() {
            return mark;
        }
    }

    private YamlReader() {
    }

    /** The document's root, or empty when the text holds no document (empty, or only comments). */
    static Optional<YamlNode> read(String text) throws SyntaxException {
        try (JsonParser parser = FACTORY.createParser(text)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return Optional.empty();
            }
            YamlNode root = value(parser);
            if (parser.nextToken() != null) {
                throw new SyntaxException(mark(parser.currentTokenLocation()),
                        "a second YAML document ('---') is not supported; put each configuration in its own file");
            }
            return Optional.of(root);
        } catch (JsonProcessingException e) {
            throw syntaxError(e);
        } catch (RuntimeException e) {
            // SnakeYAML's own limits (nesting, size) surface unwrapped.
            throw new SyntaxException(new Mark(1, 1), "cannot parse YAML: " + e.getMessage());
        } catch (IOException e) {
            // Reading from a String cannot fail with plain I/O; keep the reason if it ever does.
            throw new SyntaxException(new Mark(1, 1), "cannot read YAML: " + e.getMessage());
        }
    }

    private static YamlNode value(JsonParser p) throws IOException, SyntaxException {
        Mark at = mark(p.currentTokenLocation());
        if (p instanceof YAMLParser yp && yp.isCurrentAlias()) {
            throw new SyntaxException(at, "YAML aliases (*" + p.getText() + ") are not supported; write the value out");
        }
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                Map<String, YamlNode.Entry> entries = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    Mark keyMark = mark(p.currentTokenLocation());
                    YamlNode.Entry before = entries.get(key);
                    if (before != null) {
                        throw new SyntaxException(keyMark, "duplicate key '" + key + "' (first at line "
                                + before.keyMark().line() + ")");
                    }
                    p.nextToken();
                    entries.put(key, new YamlNode.Entry(key, keyMark, value(p)));
                }
                return new YamlNode.Mapping(at, entries);
            }
            case START_ARRAY -> {
                List<YamlNode> items = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    items.add(value(p));
                }
                return new YamlNode.Sequence(at, items);
            }
            case VALUE_STRING -> {
                return new YamlNode.Scalar(at, YamlNode.ScalarType.STRING, p.getText(), null);
            }
            case VALUE_NUMBER_INT -> {
                return new YamlNode.Scalar(at, YamlNode.ScalarType.INTEGER, p.getText(),
                        new BigDecimal(p.getBigIntegerValue()));
            }
            case VALUE_NUMBER_FLOAT -> {
                return new YamlNode.Scalar(at, YamlNode.ScalarType.DECIMAL, p.getText(), decimal(p, at));
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return new YamlNode.Scalar(at, YamlNode.ScalarType.BOOLEAN, p.getText(), null);
            }
            case VALUE_NULL -> {
                return new YamlNode.Scalar(at, YamlNode.ScalarType.NULL, "null", null);
            }
            default -> throw new SyntaxException(at, "unsupported YAML value (" + t + ")");
        }
    }

    private static BigDecimal decimal(JsonParser p, Mark at) throws IOException, SyntaxException {
        try {
            return p.getDecimalValue();
        } catch (NumberFormatException | JsonProcessingException e) {
            // .inf and .nan are YAML floats but no setting takes them.
            throw new SyntaxException(at, "'" + p.getText() + "' is not a usable number");
        }
    }

    private static Mark mark(JsonLocation loc) {
        return new Mark(Math.max(1, loc.getLineNr()), Math.max(1, loc.getColumnNr()));
    }

    /**
     * SnakeYAML's own exception carries the problem and its context with separate marks; Jackson's
     * message glues them with source snippets over several lines, unreadable in a one-line log.
     */
    private static SyntaxException syntaxError(JsonProcessingException e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof org.yaml.snakeyaml.error.MarkedYAMLException m && m.getProblemMark() != null) {
                org.yaml.snakeyaml.error.Mark pm = m.getProblemMark();
                StringBuilder msg = new StringBuilder("YAML syntax error: ").append(oneLine(m.getProblem()));
                if (m.getContext() != null) {
                    msg.append(" (").append(oneLine(m.getContext()));
                    org.yaml.snakeyaml.error.Mark cm = m.getContextMark();
                    if (cm != null && cm.getLine() != pm.getLine()) {
                        msg.append(" started at line ").append(cm.getLine() + 1).append(", column ")
                                .append(cm.getColumn() + 1);
                    }
                    msg.append(')');
                }
                return new SyntaxException(new Mark(pm.getLine() + 1, pm.getColumn() + 1), msg.toString());
            }
        }
        JsonLocation loc = e.getLocation();
        Mark at = loc == null ? new Mark(1, 1) : mark(loc);
        return new SyntaxException(at, "YAML syntax error: " + oneLine(e.getOriginalMessage()));
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\n\\s*", " ");
    }
}
