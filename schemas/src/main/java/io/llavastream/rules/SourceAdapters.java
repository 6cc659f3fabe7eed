package io.llavastream.rules;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;

/**
 * Parses the {@value #CONFIG} setting: {@code source=adapter;source=adapter}, the LoRA adapter that decodes the
 * images of each source's posts (TaskRef.adapter). A source without an entry decodes on the base model. Names are
 * letters, digits, '.', '_' or '-' (as the decode workers' adapter specs); sources are trimmed, empty entries
 * skipped, a source given twice is refused.
 */
public final class SourceAdapters {
    /** The setting's name, as the topology and replay declare it. */
    public static final String CONFIG = "source.adapters";

    private SourceAdapters() {
    }

    /** source to adapter name, in the value's order; a {@link ConfigException} naming the bad entry otherwise. */
    public static Map<String, String> parse(String value) {
        Map<String, String> out = new LinkedHashMap<>();
        if (value == null) {
            return out;
        }
        for (String raw : value.split(";")) {
            String e = raw.strip();
            if (e.isEmpty()) {
                continue;
            }
            int eq = e.indexOf('=');
            String source = eq <= 0 ? "" : e.substring(0, eq).strip();
            String adapter = eq <= 0 ? "" : e.substring(eq + 1).strip();
            if (source.isEmpty() || !adapter.matches("[A-Za-z0-9._-]+")) {
                throw new ConfigException(CONFIG, value, "entry \"" + e + "\" is not source=adapter (an adapter "
                        + "name of letters, digits, '.', '_' or '-')");
            }
            if (out.put(source, adapter) != null) {
                throw new ConfigException(CONFIG, value, "source \"" + source + "\" is given twice");
            }
        }
        return Collections.unmodifiableMap(out);
    }
}
