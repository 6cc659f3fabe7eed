package io.llavastream.model;

import java.nio.file.Path;

/** Where tests find the model: {@code -Dllava.test.model=DIR}, else the bundled demo model. */
public final class TestModels {
    private TestModels() {
    }

    public static Path demo() {
        String override = System.getProperty("llava.test.model");
        return override != null ? Path.of(override) : ModelDirectory.bundled();
    }
}
