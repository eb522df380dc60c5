package dev.portico.discovery.kubernetes;

import dev.portico.api.InvalidConfigException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Kubernetes label selectors in their written form ({@code a=b,c!=d,e in (f,g),!h}, {@code e notin (x)},
 * {@code h}): parsed and checked here, so a typo in a flag fails at start with the position of the
 * mistake instead of as an HTTP 400 from the API server later, and matched locally, because the
 * per-class selectors never reach the server and a mock or older server may ignore parts of the
 * one that does.
 */
final class LabelSelectors {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
    private static final Pattern PREFIX =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern INTEGER = Pattern.compile("-?[0-9]{1,18}");
    private static final String SPECIAL = ",()=!<>";

    /** A selector that every label set matches. */
    public static final Selector EVERYTHING = new Selector(List.of());

    private LabelSelectors() {
    }

    /** The operators of a requirement. */
    public enum Operator {
        EQUALS, NOT_EQUALS, IN, NOT_IN, EXISTS, DOES_NOT_EXIST, GREATER_THAN, LESS_THAN
    }

    /**
     * One requirement of a selector.
     *
     * @param key      the label key
     * @param operator how the label is tested
     * @param values   the values, sorted; empty for the existence tests
     */
    public record Requirement(String key, Operator operator, List<String> values) {
        public Requirement {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(operator, "operator");
            values = List.copyOf(values);
        }

        boolean matches(Map<String, String> labels) {
            boolean has = labels.containsKey(key);
            String value = labels.get(key);
            return switch (operator) {
                case EXISTS -> has;
                case DOES_NOT_EXIST -> !has;
                case EQUALS, IN -> has && values.contains(value);
                case NOT_EQUALS, NOT_IN -> !has || !values.contains(value);
                case GREATER_THAN, LESS_THAN -> has && value != null && INTEGER.matcher(value).matches()
                        && (operator == Operator.GREATER_THAN
                        ? Long.parseLong(value) > Long.parseLong(values.get(0))
                        : Long.parseLong(value) < Long.parseLong(values.get(0)));
            };
        }

        /** The canonical written form, as the API server writes it. */
        @Override
        public String toString() {
            return switch (operator) {
                case EXISTS -> key;
                case DOES_NOT_EXIST -> "!" + key;
                case EQUALS -> key + "=" + values.get(0);
                case NOT_EQUALS -> key + "!=" + values.get(0);
                case IN -> key + " in (" + String.join(",", values) + ")";
                case NOT_IN -> key + " notin (" + String.join(",", values) + ")";
                case GREATER_THAN -> key + ">" + values.get(0);
                case LESS_THAN -> key + "<" + values.get(0);
            };
        }
    }

    /**
     * A parsed selector: all requirements must hold. Empty matches everything.
     *
     * @param requirements in written order
     */
    public record Selector(List<Requirement> requirements) {
        public Selector {
            requirements = List.copyOf(requirements);
        }

        public boolean isEmpty() {
            return requirements.isEmpty();
        }

        /** Whether labels (null for none) satisfy every requirement. */
        public boolean matches(Map<String, String> labels) {
            Map<String, String> l = labels == null ? Map.of() : labels;
            for (Requirement r : requirements) {
                if (!r.matches(l)) {
                    return false;
                }
            }
            return true;
        }

        /** The canonical written form, for the {@code labelSelector} query parameter; empty for everything. */
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            for (Requirement r : requirements) {
                sb.append(sb.length() == 0 ? "" : ",").append(r);
            }
            return sb.toString();
        }
    }

    /**
     * Parses a selector.
     *
     * @param text the selector; null or blank selects everything
     * @param what where it came from, for messages ({@code label selector})
     * @throws InvalidConfigException naming {@code what}, the text and the position (1-based) of the mistake
     */
    public static Selector parse(String text, String what) {
        if (text == null || text.isBlank()) {
            return EVERYTHING;
        }
        return new Parser(text, what).parse();
    }

    private enum Kind { IDENT, COMMA, OPEN, CLOSE, EQ, DOUBLE_EQ, NOT_EQ, BANG, GT, LT, END }

    private record Token(Kind kind, String text, int position) {
    }

    private static final class Parser {
        private final String text;
        private final String what;
        private int at;
        private Token peeked;

        Parser(String text, String what) {
            this.text = text;
            this.what = what;
        }

        Selector parse() {
            List<Requirement> requirements = new ArrayList<>();
            while (true) {
                requirements.add(requirement());
                Token t = next();
                if (t.kind == Kind.END) {
                    return new Selector(requirements);
                }
                if (t.kind != Kind.COMMA) {
                    throw error(t, "expected ',' or the end after a requirement, found " + describe(t));
                }
            }
        }

        private Requirement requirement() {
            Token t = next();
            if (t.kind == Kind.BANG) {
                Token key = next();
                if (key.kind != Kind.IDENT) {
                    throw error(key, "expected a label key after '!', found " + describe(key));
                }
                checkKey(key);
                Token after = peek();
                if (after.kind != Kind.COMMA && after.kind != Kind.END) {
                    throw error(after, "'!" + key.text + "' takes no operator or value, found " + describe(after));
                }
                return new Requirement(key.text, Operator.DOES_NOT_EXIST, List.of());
            }
            if (t.kind != Kind.IDENT) {
                throw error(t, "expected a label key, found " + describe(t));
            }
            checkKey(t);
            Token op = peek();
            switch (op.kind) {
                case COMMA, END -> {
                    return new Requirement(t.text, Operator.EXISTS, List.of());
                }
                case EQ, DOUBLE_EQ, NOT_EQ -> {
                    next();
                    String value = singleValue(op, true);
                    return new Requirement(t.text, op.kind == Kind.NOT_EQ ? Operator.NOT_EQUALS : Operator.EQUALS,
                            List.of(value));
                }
                case GT, LT -> {
                    next();
                    Token v = peek();
                    String value = singleValue(op, false);
                    if (!INTEGER.matcher(value).matches()) {
                        throw error(v, "'" + op.text + "' needs a whole number, found '" + value + "'");
                    }
                    return new Requirement(t.text, op.kind == Kind.GT ? Operator.GREATER_THAN : Operator.LESS_THAN,
                            List.of(value));
                }
                case IDENT -> {
                    next();
                    if (op.text.equals("in") || op.text.equals("notin")) {
                        return new Requirement(t.text, op.text.equals("in") ? Operator.IN : Operator.NOT_IN,
                                valueSet(op));
                    }
                    throw error(op, "expected an operator (=, ==, !=, in, notin, >, <) after '" + t.text
                            + "', found '" + op.text + "'");
                }
                default -> throw error(op, "expected an operator (=, ==, !=, in, notin, >, <) after '" + t.text
                        + "', found " + describe(op));
            }
        }

        /** @param labelValue whether the value must be a label value ({@code >} and {@code <} take any integer) */
        private String singleValue(Token op, boolean labelValue) {
            Token v = peek();
            if (v.kind == Kind.COMMA || v.kind == Kind.END) {
                if (labelValue) {
                    return "";
                }
                throw error(v, "expected a value after '" + op.text + "', found " + describe(v));
            }
            next();
            if (v.kind != Kind.IDENT) {
                throw error(v, "expected a value after '" + op.text + "', found " + describe(v));
            }
            if (labelValue) {
                checkValue(v);
            }
            return v.text;
        }

        private List<String> valueSet(Token op) {
            Token open = next();
            if (open.kind != Kind.OPEN) {
                throw error(open, "expected '(' after '" + op.text + "', found " + describe(open));
            }
            TreeSet<String> values = new TreeSet<>();
            while (true) {
                Token v = next();
                if (v.kind == Kind.CLOSE && values.isEmpty()) {
                    throw error(v, "'" + op.text + "' needs at least one value");
                }
                if (v.kind != Kind.IDENT) {
                    throw error(v, "expected a value in the '" + op.text + "' list, found " + describe(v));
                }
                checkValue(v);
                values.add(v.text);
                Token sep = next();
                if (sep.kind == Kind.CLOSE) {
                    return List.copyOf(values);
                }
                if (sep.kind != Kind.COMMA) {
                    throw error(sep, "expected ',' or ')' in the '" + op.text + "' list, found " + describe(sep));
                }
            }
        }

        private void checkKey(Token key) {
            String k = key.text;
            int slash = k.indexOf('/');
            String name = slash < 0 ? k : k.substring(slash + 1);
            if (slash >= 0) {
                String prefix = k.substring(0, slash);
                if (prefix.isEmpty() || prefix.length() > 253 || !PREFIX.matcher(prefix).matches()) {
                    throw error(key, "'" + k + "' has an invalid key prefix '" + prefix
                            + "' (a lower-case DNS subdomain such as example.com)");
                }
            }
            if (!NAME.matcher(name).matches()) {
                throw error(key, "'" + k + "' is not a valid label key (up to 63 letters, digits, '-', '_' or '.', "
                        + "starting and ending with a letter or digit, optionally after a DNS prefix and '/')");
            }
        }

        private void checkValue(Token v) {
            if (!NAME.matcher(v.text).matches()) {
                throw error(v, "'" + v.text + "' is not a valid label value (up to 63 letters, digits, '-', '_' "
                        + "or '.', starting and ending with a letter or digit)");
            }
        }

        private Token peek() {
            if (peeked == null) {
                peeked = scan();
            }
            return peeked;
        }

        private Token next() {
            Token t = peek();
            peeked = null;
            return t;
        }

        private Token scan() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                at++;
            }
            int start = at;
            if (at >= text.length()) {
                return new Token(Kind.END, "", start + 1);
            }
            char c = text.charAt(at);
            char n = at + 1 < text.length() ? text.charAt(at + 1) : 0;
            switch (c) {
                case ',' -> {
                    at++;
                    return new Token(Kind.COMMA, ",", start + 1);
                }
                case '(' -> {
                    at++;
                    return new Token(Kind.OPEN, "(", start + 1);
                }
                case ')' -> {
                    at++;
                    return new Token(Kind.CLOSE, ")", start + 1);
                }
                case '>' -> {
                    at++;
                    return new Token(Kind.GT, ">", start + 1);
                }
                case '<' -> {
                    at++;
                    return new Token(Kind.LT, "<", start + 1);
                }
                case '=' -> {
                    at += n == '=' ? 2 : 1;
                    return n == '=' ? new Token(Kind.DOUBLE_EQ, "==", start + 1) : new Token(Kind.EQ, "=", start + 1);
                }
                case '!' -> {
                    at += n == '=' ? 2 : 1;
                    return n == '=' ? new Token(Kind.NOT_EQ, "!=", start + 1) : new Token(Kind.BANG, "!", start + 1);
                }
                default -> {
                    while (at < text.length() && !Character.isWhitespace(text.charAt(at))
                            && SPECIAL.indexOf(text.charAt(at)) < 0) {
                        at++;
                    }
                    return new Token(Kind.IDENT, text.substring(start, at), start + 1);
                }
            }
        }

        private static String describe(Token t) {
            return t.kind == Kind.END ? "the end" : "'" + t.text + "'";
        }

        private InvalidConfigException error(Token t, String message) {
            return new InvalidConfigException(what + " '" + text + "': at position " + t.position + ": " + message);
        }
    }
}
