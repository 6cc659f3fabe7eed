package io.llavastream.model.adapter;

import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adapter names to directories, from specs as the command line and the worker config write them: {@code NAME}
 * (the directory {@code adapters/NAME} of the model directory) or {@code NAME=PATH}.
 */
public final class AdapterSpecs {
    /** Where a model directory keeps its adapters. */
    public static final String ADAPTERS_DIR = "adapters";

    private AdapterSpecs() {
    }

    /** Parses {@code specs} in order (index 1 first); a name given twice is refused. */
    public static Map<String, Path> parse(Collection<String> specs, Path modelRoot) {
        Map<String, Path> out = new LinkedHashMap<>();
        for (String raw : specs) {
            String spec = raw.trim();
            if (spec.isEmpty()) {
                continue;
            }
            int eq = spec.indexOf('=');
            String name = eq < 0 ? spec : spec.substring(0, eq).trim();
            Path dir = eq < 0 ? modelRoot.resolve(ADAPTERS_DIR).resolve(name) : Path.of(spec.substring(eq + 1).trim());
            if (!name.matches("[A-Za-z0-9._-]+")) {
                throw new AdapterException("adapter spec '" + raw + "': the name '" + name + "' must be letters, "
                        + "digits, '.', '_' or '-'; expected NAME or NAME=PATH");
            }
            if (out.put(name, dir) != null) {
                throw new AdapterException("adapter '" + name + "' is given twice in " + specs);
            }
        }
        return out;
    }
}
