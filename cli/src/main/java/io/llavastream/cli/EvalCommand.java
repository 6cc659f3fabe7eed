package io.llavastream.cli;

import io.llavastream.eval.EvalResult;
import io.llavastream.eval.LabelEvalResult;
import io.llavastream.eval.LabelEvaluation;
import io.llavastream.model.labels.LabelPrompts;
import io.llavastream.pipeline.DemoLabels;
import java.util.List;
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
    @Option(names = "--labels", description = "Zero-shot label accuracy instead: the demo's label set (the shape "
            + "of the largest object; DemoLabels) scored as the vision worker scores it, against each scene's "
            + "largest object (docs/labels.md).")
    boolean labels;
    @Option(names = "--threshold", description = "With --labels: every label's threshold instead of the demo "
            + "set's (" + DemoLabels.THRESHOLD + "); changes which scenes carry a label, not the top label.")
    Double threshold;

    @Override
    public Integer call() {
        if (count < 1) {
            throw new IllegalArgumentException("--count must be >= 1, got " + count);
        }
        if (labels) {
            return labels();
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

    private int labels() {
        LabelEvalResult r;
        try (LlavaModel model = modelOptions.load(); Progress p = new Progress("eval --labels", count)) {
            List<LabelPrompts> set = DemoLabels.prompts(threshold != null ? threshold : DemoLabels.THRESHOLD);
            r = new LabelEvaluation(model, set).run(seed, count, i -> p.step());
        }
        if (json) {
            JsonLines.print(r);
        } else {
            System.out.printf("model %s, labels %s, %d scenes of seed %d, %.1fs%n", r.modelId(), r.labels(),
                    r.scenes(), r.seed(), r.seconds());
            System.out.printf("zero-shot accuracy (largest object)  %.1f%%%n", 100 * r.accuracy());
            System.out.printf("  one object                         %.1f%% of %d%n", 100 * r.singleAccuracy(),
                    r.singleScenes());
            System.out.printf("  a large and a small object         %.1f%% of %d%n", 100 * r.mixedSizeAccuracy(),
                    r.mixedSizeScenes());
            System.out.printf("  two objects of one size (either)   %.1f%% of %d%n", 100 * r.sameSizeAccuracy(),
                    r.sameSizeScenes());
            System.out.printf("by extent in pixels                  %.1f%%%n", 100 * r.extentAccuracy());
            System.out.printf("scenes carrying a label (threshold)  %.1f%%, carried labels right %.1f%%%n",
                    100 * r.coverage(), 100 * r.carriedPrecision());
        }
        return 0;
    }
}
