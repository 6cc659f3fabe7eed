package io.llavastream.rules;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;

/**
 * Parses the {@value #CONFIG} setting: {@code source=template;source=template}. In the whole value
 * {@code \n} is a newline, {@code \;} a literal ';' and {@code \\} a backslash; the source ends at the entry's first
 * '=' and is trimmed; empty entries are skipped. Each template must contain {@code <image>} exactly once.
 */
public final class SourcePrompts {
    /** The setting's name, as the topology and replay declare it. */
    public static final String CONFIG = "source.prompts";

    private SourcePrompts() {
    }

    /** source to template, in the value's order; a {@link ConfigException} naming the bad entry otherwise. */
    public static Map<String, String> parse(String value) {
        Map<String, String> out = new LinkedHashMap<>();
        if (value == null) {
            return out;
        }
        StringBuilder entry = new StringBuilder();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' && i + 1 < value.length()) {
                char n = value.charAt(++i);
                switch (n) {
                    case 'n' -> entry.append('\n');
                    case ';' -> entry.append('\u0000');
                    case '\\' -> entry.append('\\');
                    default -> entry.append('\\').append(n);
                }
            } else if (c == ';') {
                add(out, entry.toString(), value);
                entry.setLength(0);
            } else {
                entry.append(c);
            }
        }
        add(out, entry.toString(), value);
        return Collections.unmodifiableMap(out);
    }

    private static void add(Map<String, String> out, String entry, String whole) {
        String e = entry.replace('\u0000', ';');
        if (e.isBlank()) {
            return;
        }
        int eq = e.indexOf('=');
        if (eq <= 0 || e.substring(0, eq).isBlank()) {
            throw new ConfigException(CONFIG, whole,
                    "entry \"" + e + "\" is not source=template");
        }
        String source = e.substring(0, eq).strip();
        String template = e.substring(eq + 1);
        if (out.containsKey(source)) {
            throw new ConfigException(CONFIG, whole,
                    "source \"" + source + "\" is given twice");
        }
        try {
            PromptRule.requireOnePlaceholder("template of source \"" + source + "\"", template);
        } catch (IllegalArgumentException bad) {
            throw new ConfigException(CONFIG, whole, bad.getMessage());
        }
        out.put(source, template);
    }
}
