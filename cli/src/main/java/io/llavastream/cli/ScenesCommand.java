package io.llavastream.cli;

import io.llavastream.scenes.SceneWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code scenes}: writes generated scenes as PNGs plus a JSONL of ground truth. */
@Command(name = "scenes", mixinStandardHelpOptions = true,
        description = "Write N generated scenes (PNG) and their ground truth (scenes.jsonl) to a directory.")
final class ScenesCommand implements Callable<Integer> {
    @Option(names = "--count", required = true, description = "Number of scenes.")
    int count;
    @Option(names = "--seed", defaultValue = "1", description = "Generator seed (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (count < 0) {
            throw new IllegalArgumentException("--count must be >= 0, got " + count);
        }
        Path jsonl;
        try (Progress p = new Progress("scenes", count)) {
            jsonl = SceneWriter.write(seed, count, out, i -> p.step());
        }
        System.err.println("wrote " + count + " scenes to " + out + " (ground truth: " + jsonl + ")");
        return 0;
    }
}
