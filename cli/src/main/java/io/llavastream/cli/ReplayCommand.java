package io.llavastream.cli;

import io.llavastream.rules.PostChecks;
import io.llavastream.schemas.DType;
import io.llavastream.tensor.WireDtype;
import io.llavastream.topology.PipelineConfig;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import io.llavastream.model.LlavaModel;
import io.llavastream.pipeline.PostExport;
import io.llavastream.pipeline.Replay;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code replay}: re-runs a range of the posts topic with another model version. */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Re-run a range of the posts topic with another model version (--model DIR) in this process, "
                + "without consumer groups, so the live pipeline is not disturbed. Answers go to the replay-answers "
                + "topic tagged with the model's id; images whose features the vision cache holds for the model's "
                + "vision tower (config.json vision_model_id) skip the vision stage.",
                "Posts are checked, split and prompted exactly as the topology does, from the same settings: pass the "
                        + "topology's --set values (source.prompts, default.prompt, max.question.chars, "
                        + "max.images.per.post, max.image.bytes) to reproduce its answers, and the workers' "
                        + "tensor.dtype when it is not the default FP16."})
final class ReplayCommand implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;
    @Mixin
    RegistryOptions registry;
    @Mixin
    ModelOptions modelOptions;
    @Option(names = "--from", description = "First post time, ISO-8601 (e.g. 2026-11-01T00:00:00Z).")
    Instant from;
    @Option(names = "--to", description = "End time, exclusive.")
    Instant to;
    @Option(names = "--from-offset", description = "First offset, on every partition.")
    Long fromOffset;
    @Option(names = "--to-offset", description = "End offset, exclusive, on every partition.")
    Long toOffset;
    @Option(names = "--max-batch", defaultValue = "16", description = "Batch size (default ${DEFAULT-VALUE}).")
    int maxBatch;
    @Option(names = "--adapter", paramLabel = "NAME", description = "Decode every replayed post with this LoRA "
            + "adapter (NAME = the model directory's adapters/NAME, or NAME=PATH). Without it, posts use the "
            + "adapters of --set source.adapters=..., as the topology would (those are loaded from the model "
            + "directory's adapters/).")
    String adapter;
    @Option(names = "--labels", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Score every image "
            + "against the label set on the labels topic when the replay starts, with this model's CLIP, as the "
            + "vision workers do (default); --no-labels: no labels.")
    boolean labels;
    @Option(names = "--json", description = "Print the summary as one JSON object.")
    boolean json;
    @Option(names = "--set", paramLabel = "NAME=VALUE", description = "A topology setting that decides prompts "
            + "and checks, as given to the topology, e.g. --set 'source.prompts=forum=USER: <image>\\nWhat code "
            + "is shown? ASSISTANT:' (see topology --list-config).")
    Map<String, String> settings = new LinkedHashMap<>();
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Replay.Summary s;
        Map<String, String> bySource = sourceAdapters();
        java.util.List<String> specs = new java.util.ArrayList<>(new java.util.LinkedHashSet<>(bySource.values()));
        String name = adapter == null ? "" : adapter.split("=", 2)[0].strip();
        if (adapter != null) {
            specs.remove(name);
            specs.add(adapter);
        }
        try (LlavaModel model = modelOptions.load(specs)) {
            Progress[] bar = new Progress[1];
            Replay replay = new Replay(kafka.load().common(), registry.connect(), model, maxBatch,
                    checks(model.visionModelId()), wireDtype()).adapters(bySource, name).labels(labels);
            s = replay.run(new PostExport.Range(from, to, fromOffset, toOffset),
                    total -> bar[0] = new Progress("replay " + model.modelId(), total), () -> bar[0].step());
            if (bar[0] != null) {
                bar[0].close();
            }
        }
        if (json) {
            JsonLines.print(s);
        } else {
            System.out.printf("replayed %d posts (%d images) with %s in %.1f s: %d answers (%d failed images); "
                    + "vision cache %d hits, %d misses%n", s.posts(), s.images(), s.modelId(), s.seconds(), s.answers(),
                    s.failed(), s.cacheHits(), s.cacheMisses());
        }
        return 0;
    }

    /** The workers' {@value WireDtype#CONFIG} given with --set, so that replayed answers match theirs. */
    private DType wireDtype() {
        try {
            return WireDtype.of(settings);
        } catch (ConfigException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    /** The topology's source.adapters given with --set. */
    private Map<String, String> sourceAdapters() {
        try {
            return io.llavastream.rules.SourceAdapters.parse(settings.get(PipelineConfig.SOURCE_ADAPTERS_CONFIG));
        } catch (ConfigException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    /** The topology's post checks and prompt rule for the settings given with --set. */
    private PostChecks checks(String visionModelId) {
        Map<String, Object> pipeline = new HashMap<>(settings);
        pipeline.put(PipelineConfig.VISION_MODEL_ID_CONFIG, visionModelId);
        try {
            PipelineConfig c = new PipelineConfig(pipeline);
            return new PostChecks(c.maxImagesPerPost(), c.maxImageBytes(), c.promptRule());
        } catch (ConfigException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }
}
