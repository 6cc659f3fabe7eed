package io.llavastream.cli;

import io.llavastream.eval.EvalResult;
import io.llavastream.eval.SceneEvaluation;
import io.llavastream.model.LlavaModel;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code eval}: scores the model in-process on freshly generated scenes. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Caption exact-match, VQA accuracy and text-to-image R@1 (pools of 100) on N fresh scenes.")
final class EvalCommand implements Callable<Integer> {
    /** Never used for training (7) or reference tensors (99). */
    static final String DEFAULT_SEED = "2026";

    @Mixin
    ModelOptions modelOptions;
    @Option(names = "--count", defaultValue = "500", description = "Scenes (default ${DEFAULT-VALUE}).")
    int count;
    @Option(names = "--seed", defaultValue = DEFAULT_SEED, description = "Scene seed (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--json", description = "Print the summary as one JSON object.")
    boolean json;
    @Mixin
    TensorDtypeOption tensorDtype;
    @Option(names = "--adapter", paramLabel = "NAME", description = "Decode with this LoRA adapter (NAME = the model "
            + "directory's adapters/NAME, or NAME=PATH); captions are then scored against the adapter's declared "
            + "style (docs/adapters.md). Default: the base model.")
    String adapter;
    @Option(names = "--verbose", description = "Print every scene's wrong answers.")
    boolean verbose;

    @Override
    public Integer call() {
        if (count < 1) {
            throw new IllegalArgumentException("--count must be >= 1, got " + count);
        }
        EvalResult r;
        String name = adapter == null ? "" : adapter.split("=", 2)[0].strip();
        try (LlavaModel model = modelOptions.load(adapter == null ? java.util.List.of() : java.util.List.of(adapter));
             Progress p = new Progress("eval", count)) {
            r = new SceneEvaluation(model, tensorDtype.dtype(), name).run(seed, count, s -> {
                p.step();
                if (verbose && !s.captionCorrect()) {
                    System.err.println(s.sceneId() + " caption: got '" + s.caption() + "' expected '"
                            + s.expectedCaption() + "'");
                }
            });
        }
        if (json) {
            com.fasterxml.jackson.databind.node.ObjectNode out = JsonLines.JSON.valueToTree(r);
            JsonLines.print(out.put("adapter", name));
        } else {
            System.out.printf("model %s%s, %d scenes of seed %d, %.1fs%n", r.modelId(),
                    name.isEmpty() ? "" : " with adapter " + name, r.scenes(), r.seed(), r.seconds());
            System.out.printf("caption exact-match  %.1f%%%n", 100 * r.captionExactMatch());
            System.out.printf("VQA accuracy         %.1f%%  %s%n", 100 * r.vqaAccuracy(), r.vqaByType());
            System.out.printf("retrieval R@1        %.3f (strict, same scene: %.3f), pools of %d%n",
                    r.retrievalR1(), r.retrievalR1Strict(), r.retrievalPool());
        }
        return 0;
    }
}
