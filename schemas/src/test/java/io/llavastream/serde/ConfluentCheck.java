package io.llavastream.serde;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs Confluent's own serde through tools/confluent-check/confluent_roundtrip.mjs. Without Node or the installed
 * package the calling test is skipped, unless {@code LLAVA_REQUIRE_CONFLUENT_CHECK=1} (set by CI), in which case it
 * fails.
 */
final class ConfluentCheck {
    static final Path ROOT = Path.of(System.getProperty("llava.repo.root", "..")).toAbsolutePath().normalize();
    static final Path DIR = ROOT.resolve("tools/confluent-check");
    private static final ObjectMapper JSON = new ObjectMapper();

    private ConfluentCheck() {
    }

    static void assumeAvailable() {
        boolean installed = Files.isDirectory(DIR.resolve("node_modules/@confluentinc/schemaregistry"));
        boolean node = onPath("node");
        if ((!installed || !node) && "1".equals(System.getenv("LLAVA_REQUIRE_CONFLUENT_CHECK"))) {
            throw new IllegalStateException("the Confluent cross-check is required (LLAVA_REQUIRE_CONFLUENT_CHECK=1) "
                    + "but " + (node ? "" : "node is not on PATH; ") + (installed ? "" : DIR
                    + "/node_modules is missing: run 'cd tools/confluent-check && npm ci'"));
        }
        assumeTrue(node && installed, "Confluent's serde not installed (cd tools/confluent-check && npm ci) or no "
                + "node on PATH; skipping the Confluent cross-check");
    }

    /** Runs {@code mode} (deserialize or serialize) on {@code inputLines}; returns the printed JSON lines. */
    static List<JsonNode> run(String mode, String registryUrl, List<String> inputLines)
            throws IOException, InterruptedException {
        Path in = Files.createTempFile("confluent-check", ".in");
        Path out = Files.createTempFile("confluent-check", ".out");
        Path err = Files.createTempFile("confluent-check", ".err");
        try {
            Files.write(in, inputLines);
            Process p = new ProcessBuilder("node", DIR.resolve("confluent_roundtrip.mjs").toString(), mode,
                    "--registry", registryUrl, "--input", in.toString())
                    .directory(DIR.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("confluent_roundtrip.mjs " + mode + " timed out after 2 min");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("confluent_roundtrip.mjs " + mode + " exited " + p.exitValue()
                        + ": " + Files.readString(err));
            }
            List<JsonNode> lines = new ArrayList<>();
            for (String line : Files.readAllLines(out)) {
                if (!line.isBlank()) {
                    lines.add(JSON.readTree(line));
                }
            }
            return lines;
        } finally {
            Files.deleteIfExists(in);
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static boolean onPath(String exe) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, exe))) {
                return true;
            }
        }
        return false;
    }
}
