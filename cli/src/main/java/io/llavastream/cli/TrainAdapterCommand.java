package io.llavastream.cli;

import io.llavastream.model.ModelDirectory;
import io.llavastream.model.adapter.AdapterSpecs;
import io.llavastream.scenes.CaptionStyle;
import io.llavastream.scenes.SceneWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code train-adapter}: fine-tunes a LoRA adapter of the demo model's language model for one caption style
 * ({@link CaptionStyle}) with Debian's python3-torch (tools/train/train_adapter.py) and writes the adapter
 * directory (docs/adapters.md). Training scenes are of seed {@value TrainCommand#TRAIN_SEED} (the base model's),
 * the held-out ones of seed {@value #HELD_OUT_SEED}, never trained on.
 */
@Command(name = "train-adapter", mixinStandardHelpOptions = true,
        description = "Fine-tune a LoRA adapter of the demo model for a caption style (needs /usr/bin/python3 with "
                + "torch, onnx, PIL); writes MODEL/adapters/NAME (docs/adapters.md).")
final class TrainAdapterCommand implements Callable<Integer> {
    /** Held-out scenes for the report: the eval command's default seed, never used in training. */
    static final long HELD_OUT_SEED = 2026;

    @Option(names = "--style", required = true, description = "catalog, inventory or terse (see docs/adapters.md).")
    String style;
    @Option(names = "--name", description = "Adapter name (default: the style).")
    String name;
    @Option(names = "--model", description = "Base model directory (default: the bundled demo model).")
    Path model;
    @Option(names = "--out", description = "Adapter directory (default: MODEL/adapters/NAME).")
    Path out;
    @Option(names = "--rank", defaultValue = "8", description = "LoRA rank r (default ${DEFAULT-VALUE}).")
    int rank;
    @Option(names = "--alpha", defaultValue = "16", description = "lora_alpha; scaling = alpha / r (default "
            + "${DEFAULT-VALUE}).")
    double alpha;
    @Option(names = "--targets", defaultValue = "q_proj,v_proj,o_proj,gate_proj,up_proj,down_proj",
            description = "Target projections, comma-separated, of q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,"
                    + "down_proj (default ${DEFAULT-VALUE}).")
    String targets;
    @Option(names = "--seconds", defaultValue = "240", description = "Training budget, wall clock (default "
            + "${DEFAULT-VALUE}).")
    double seconds;
    @Option(names = "--scenes", defaultValue = "3000", description = "Training scenes (default ${DEFAULT-VALUE}).")
    int scenes;
    @Option(names = "--seed", defaultValue = "0", description = "Training seed (default ${DEFAULT-VALUE}).")
    int seed;
    @Option(names = "--work", description = "Where to write the scenes (default: a temp dir).")
    Path work;
    @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "Python with torch 1.13+.")
    String python;

    @Override
    public Integer call() throws Exception {
        CaptionStyle.of(style);  // an unknown style fails here, naming the known ones
        String adapterName = name != null ? name : style;
        Path root = Path.of(System.getProperty("llava.repo.root", "."));
        Path modelDir = model != null ? model : ModelDirectory.bundled();
        Path target = out != null ? out : AdapterSpecs.parse(List.of(adapterName), modelDir).get(adapterName);
        Path dir = work != null ? work : Files.createTempDirectory("llava-adapter");
        try (Progress p = new Progress("training scenes", scenes)) {
            SceneWriter.write(TrainCommand.TRAIN_SEED, scenes, dir.resolve("train"), i -> p.step());
        }
        SceneWriter.write(HELD_OUT_SEED, 200, dir.resolve("heldout"), i -> { });
        List<String> cmd = new ArrayList<>(List.of(python, root.resolve("tools/train/train_adapter.py").toString(),
                "--model", modelDir.toString(), "--scenes", dir.resolve("train").toString(),
                "--heldout", dir.resolve("heldout").toString(), "--style", style, "--out", target.toString(),
                "--rank", Integer.toString(rank), "--alpha", Double.toString(alpha), "--targets", targets,
                "--seconds", Double.toString(seconds), "--train-scenes", Integer.toString(scenes),
                "--seed", Integer.toString(seed)));
        System.err.println("running: " + String.join(" ", cmd));
        int rc = new ProcessBuilder(cmd).inheritIO().start().waitFor();
        if (rc != 0) {
            System.err.println("adapter training failed (exit " + rc + "). It needs Debian's python3-torch, "
                    + "python3-onnx, python3-pil and libopenblas0-openmp (apt-get install ...).");
        }
        return rc;
    }
}
