package io.llavastream.model;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the independent reference, transformers.js, through tools/reference/transformersjs_generate.mjs. Without
 * Node or the installed package the calling test is skipped, unless {@code LLAVA_REQUIRE_TRANSFORMERS_JS=1} (set
 * by CI), in which case it fails.
 */
final class TransformersJs {
    static final Path ROOT = Path.of(System.getProperty("llava.repo.root", "..")).toAbsolutePath().normalize();
    static final Path SCRIPT = ROOT.resolve("tools/reference/transformersjs_generate.mjs");
    private static final ObjectMapper JSON = new ObjectMapper();

    private TransformersJs() {
    }

    static void assumeAvailable() {
        boolean available = Files.isDirectory(ROOT.resolve("tools/reference/node_modules/@huggingface/transformers"))
                && onPath("node");
        if (!available && "1".equals(System.getenv("LLAVA_REQUIRE_TRANSFORMERS_JS"))) {
            throw new IllegalStateException("transformers.js is required but not installed: run "
                    + "'cd tools/reference && ONNXRUNTIME_NODE_INSTALL=skip npm ci'");
        }
        assumeTrue(available, "transformers.js not installed (cd tools/reference && ONNXRUNTIME_NODE_INSTALL=skip "
                + "npm ci); skipping the independent-reference check");
    }

    /** Runs the harness on {@code cases} ({"image","prompt"} lines); returns its output lines. */
    static List<JsonNode> run(Path model, Path cases, String... extra) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("node", SCRIPT.toString(), "--model", model.toString(),
                "--cases", cases.toString()));
        cmd.addAll(List.of(extra));
        Path out = Files.createTempFile("tjs", ".jsonl");
        Path err = Files.createTempFile("tjs", ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("transformers.js harness failed: " + Files.readString(err));
        }
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(out)) {
            if (!line.isBlank()) {
                lines.add(JSON.readTree(line));
            }
        }
        return lines;
    }

    private static boolean onPath(String exe) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, exe))) {
                return true;
            }
        }
        return false;
    }
}
