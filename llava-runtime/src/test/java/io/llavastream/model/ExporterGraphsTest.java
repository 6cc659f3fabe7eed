package io.llavastream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs tools/export's own test suite (the Hugging Face exporter's hand-written graphs on random weights with HF
 * parameter names) when Debian's python3-torch and python3-onnx are installed; CI sets
 * {@code LLAVA_REQUIRE_PYTHON_TOOLS=1} after installing them, and then a missing toolchain fails instead.
 */
class ExporterGraphsTest {
    static final Path PYTHON = Path.of("/usr/bin/python3");

    @Test
    void exporterGraphModulesPassTheirOwnTests() throws Exception {
        boolean available = Files.isExecutable(PYTHON) && new ProcessBuilder(PYTHON.toString(), "-c",
                "import torch, onnx").start().waitFor() == 0;
        if (!available && "1".equals(System.getenv("LLAVA_REQUIRE_PYTHON_TOOLS"))) {
            throw new IllegalStateException("python3 with torch and onnx is required but missing");
        }
        assumeTrue(available, "python3-torch / python3-onnx not installed; skipping the exporter's graph tests");
        Path script = TransformersJs.ROOT.resolve("tools/export/test_export_graphs.py");
        Path log = Files.createTempFile("export-tests", ".log");
        Process p = new ProcessBuilder(PYTHON.toString(), script.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        boolean done = p.waitFor(5, TimeUnit.MINUTES);
        String out = Files.readString(log);
        System.out.println(out.lines().filter(l -> l.startsWith("Ran ") || l.startsWith("OK") || l.contains("FAIL"))
                .reduce("", (a, b) -> a + b + "\n"));
        assertThat(done && p.exitValue() == 0).as("tools/export/test_export_graphs.py output:%n%s", out).isTrue();
    }
}
