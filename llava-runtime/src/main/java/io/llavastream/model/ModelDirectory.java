package io.llavastream.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A LLaVA model directory in the Hugging Face / transformers.js layout: configs at the top, graphs under
 * {@code onnx/}. {@link #open} checks that every file the runtime needs is there; {@link #open(Path, List)} checks
 * only the graphs one set of parts loads, so a stage's pod needs only its own graphs.
 */
public record ModelDirectory(Path root, LlavaConfig config) {
    /** The graphs the Java runtime runs (vision_encoder.onnx is for transformers.js and is optional here). */
    public static final List<String> GRAPHS = List.of("vision_tower.onnx", "projector.onnx", "embed_tokens.onnx",
            "decoder_model_merged.onnx", "text_encoder.onnx");
    public static final List<String> CONFIGS = List.of("config.json", "preprocessor_config.json",
            "processor_config.json", "tokenizer.json", "generation_config.json");
    /** The demo model bundled with the repository, relative to its root. */
    public static final String BUNDLED = "models/llava-demo";

    public static ModelDirectory open(Path root) {
        return open(root, GRAPHS);
    }

    /** The directory at {@code root}, after checking its configs and the given graphs (names under onnx/). */
    public static ModelDirectory open(Path root, List<String> graphs) {
        if (!Files.isDirectory(root)) {
            throw new ModelException("model directory " + root + " does not exist");
        }
        for (String c : CONFIGS) {
            requireFile(root.resolve(c));
        }
        for (String g : graphs) {
            requireFile(root.resolve("onnx").resolve(g));
        }
        return new ModelDirectory(root, LlavaConfig.read(root));
    }

    /** The bundled demo model: {@code -Dllava.repo.root} (set by the launcher and the build) or the working dir. */
    public static Path bundled() {
        Path base = Path.of(System.getProperty("llava.repo.root", "."));
        return base.resolve(BUNDLED);
    }

    public Path graph(String name) {
        return root.resolve("onnx").resolve(name);
    }

    public Path file(String name) {
        return root.resolve(name);
    }

    private static void requireFile(Path p) {
        if (!Files.isRegularFile(p)) {
            throw new ModelException("model directory is missing " + p
                    + " (expected the Hugging Face LLaVA layout written by tools/train or tools/export)");
        }
    }
}
