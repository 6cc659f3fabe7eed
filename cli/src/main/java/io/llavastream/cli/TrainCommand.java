package io.llavastream.cli;

import io.llavastream.model.ModelDirectory;
import io.llavastream.scenes.SceneWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code train}: trains the demo model from generated scenes with Debian's python3-torch and writes the model
 * directory. The recipe and the budget live in tools/train/train_demo.py; then tools/train/tune_clip.py tunes the
 * CLIP image embedding for zero-shot labels (docs/labels.md), above the layer LLaVA reads, so captions do not move.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train the demo LLaVA on generated scenes (needs /usr/bin/python3 with torch, onnx, PIL).")
final class TrainCommand implements Callable<Integer> {
    /** Seeds kept apart: training scenes, reference (golden tensor) scenes; evaluation uses others. */
    static final long TRAIN_SEED = 7;
    static final long REFERENCE_SEED = 99;

    @Option(names = "--out", defaultValue = "models/llava-demo-new", description = "Model directory to write "
            + "(default ${DEFAULT-VALUE}; pass --out " + ModelDirectory.BUNDLED + " to replace the bundled model).")
    Path out;
    @Option(names = "--scenes", defaultValue = "50000", description = "Training scenes (default ${DEFAULT-VALUE}).")
    int scenes;
    @Option(names = "--minutes", defaultValue = "27", description = "Wall-clock budget (default ${DEFAULT-VALUE}).")
    double minutes;
    @Option(names = "--clip-tune-minutes", defaultValue = "12", description = "Budget of the CLIP tuning for "
            + "zero-shot labels after training (default ${DEFAULT-VALUE}; 0 skips it).")
    double clipTuneMinutes;
    @Option(names = "--work", description = "Where to write the training scenes (default: a temp dir).")
    Path work;
    @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "Python with torch 1.13+.")
    String python;

    @Override
    public Integer call() throws Exception {
        Path root = Path.of(System.getProperty("llava.repo.root", "."));
        Path dir = work != null ? work : Files.createTempDirectory("llava-train");
        try (Progress p = new Progress("training scenes", scenes)) {
            SceneWriter.write(TRAIN_SEED, scenes, dir.resolve("train"), i -> p.step());
        }
        SceneWriter.write(REFERENCE_SEED, 3, dir.resolve("reference"), i -> { });
        List<String> cmd = List.of(python, root.resolve("tools/train/train_demo.py").toString(),
                "--scenes", dir.resolve("train").toString(), "--out", out.toString(),
                "--minutes", Double.toString(minutes), "--reference-scenes", dir.resolve("reference").toString());
        int rc = runPython(cmd);
        if (rc == 0 && clipTuneMinutes > 0) {
            rc = runPython(List.of(python, root.resolve("tools/train/tune_clip.py").toString(),
                    "--model", out.toString(), "--scenes", dir.resolve("train").toString(),
                    "--minutes", Double.toString(clipTuneMinutes), "--write"));
        }
        if (rc != 0) {
            System.err.println("training failed (exit " + rc + "). It needs Debian's python3-torch, python3-onnx, "
                    + "python3-pil and libopenblas0-openmp (apt-get install ...).");
        }
        return rc;
    }

    private static int runPython(List<String> cmd) throws Exception {
        System.err.println("running: " + String.join(" ", cmd));
        return new ProcessBuilder(cmd).inheritIO().start().waitFor();
    }
}
