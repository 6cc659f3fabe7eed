package io.llavastream.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.labels.LabelPrompts;
import io.llavastream.model.labels.LabelScorer;
import io.llavastream.model.decode.SamplingParams;
import io.llavastream.pipeline.PngPosts;
import io.llavastream.rules.DeadLetterReason;
import io.llavastream.rules.PostChecks;
import io.llavastream.rules.PromptRule;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.Post;
import io.llavastream.stage.InProcessDriver;
import io.llavastream.stage.Output;
import io.llavastream.stage.StageResult;
import io.llavastream.stage.VisionCache;
import java.io.IOException;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code caption}: captions image files in-process, with no Kafka. */
@Command(name = "caption", mixinStandardHelpOptions = true,
        description = "Caption (or ask about) image files in-process, with no Kafka, through the same stage "
                + "machines and prompt rule as the pipeline (InProcessDriver).")
final class CaptionCommand implements Callable<Integer> {
    /** The source of the posts this command makes of its files. */
    private static final String SOURCE = "caption";
    @Mixin
    ModelOptions modelOptions;
    @Mixin
    TensorDtypeOption tensorDtype;
    @Mixin
    CaptionLabelOptions labelOptions;
    @Option(names = "--prompt", description = "Full prompt with one <image> (default: the caption prompt, "
            + "\"USER: <image>\\ndescribe the image. ASSISTANT:\"). A prompt without <image> is taken as the "
            + "user's question and wrapped in the model's template.")
    String prompt;
    @Option(names = "--max-new-tokens", defaultValue = "32", description = "Default ${DEFAULT-VALUE}.")
    int maxNewTokens;
    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default).")
    float temperature;
    @Option(names = "--top-p", defaultValue = "1", description = "Nucleus sampling mass (default ${DEFAULT-VALUE}).")
    float topP;
    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--adapter", paramLabel = "NAME", description = "Decode with this LoRA adapter (docs/adapters.md): "
            + "NAME = the model directory's adapters/NAME, or NAME=PATH. Default: the base model.")
    String adapter;
    @Option(names = "--json", description = "One JSON object per image: file, prompt, text, token_ids (and labels "
            + "with their scores when labels are asked for).")
    boolean json;
    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Image files (PNG, JPEG, GIF, BMP, WebP).")
    List<Path> files;
    /** Whether labels were asked for: the JSON then always has a labels array, empty when none is carried. */
    private boolean labelled;

    @Override
    public Integer call() throws Exception {
        String template = prompt != null && prompt.contains(PromptRule.IMAGE_PLACEHOLDER) ? prompt : null;
        String question = prompt != null && template == null ? prompt : null;
        PromptRule rule = template == null ? PromptRule.defaults()
                : new PromptRule(template, java.util.Map.of(), PromptRule.DEFAULT_MAX_QUESTION_CHARS);
        SamplingParams params = new SamplingParams(maxNewTokens, temperature, topP, seed);
        List<LabelPrompts> labelSet;
        try {
            labelSet = labelOptions.set();
            labelled = !labelSet.isEmpty();
        } catch (IllegalArgumentException e) {
            System.err.println("caption: " + e.getMessage());
            return 2;
        }
        Map<String, Answer> answers = new HashMap<>();
        Map<String, StageResult.Failure> refused = new HashMap<>();
        InProcessDriver.Sink sink = new InProcessDriver.Sink() {
            @Override
            public void publish(Output<?> o) {
                if (o.value() instanceof Answer a) {
                    answers.put(a.getTask().getPostId(), a);
                }
            }

            @Override
            public void refused(Post post, PostChecks.Refusal refusal) {
                refused.put(post.getId(), new StageResult.Failure(refusal.reason(), refusal.message()));
            }

            @Override
            public void failed(String taskId, StageResult.Failure failure) {
                refused.put(taskId.substring(0, taskId.lastIndexOf('/')), failure);
            }
        };
        List<String> adapters = adapter == null ? List.of() : List.of(adapter);
        String adapterName = adapter == null ? "" : adapter.split("=", 2)[0].strip();
        try (LlavaModel model = modelOptions.load(adapters);
             InProcessDriver driver = new InProcessDriver(model, PostChecks.defaults().withPrompts(rule), 8, params,
                     tensorDtype.dtype(), new VisionCache(), Clock.systemUTC(), sink)) {
            driver.sourceAdapters(adapterName.isEmpty() ? Map.of() : Map.of(SOURCE, adapterName));
            if (!labelSet.isEmpty()) {
                LabelScorer scorer = LabelScorer.build(labelSet, model.textEncoder(),
                        model.directory().config().clipText().logitScale());
                driver.labels(() -> scorer);
            }
            for (int i = 0; i < files.size(); i++) {
                driver.submit(post(i, question));
            }
            driver.drain();
        }
        int failures = 0;
        for (int i = 0; i < files.size(); i++) {
            failures += report(files.get(i), answers.get(postId(i)), refused.get(postId(i)),
                    rule.prompt(question, null)) ? 0 : 1;
        }
        return failures == 0 ? 0 : 1;
    }

    /** File {@code i} as a one-image post; a file that cannot be read is a post with an empty image. */
    private Post post(int i, String question) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(files.get(i));
        } catch (IOException e) {
            bytes = new byte[0];
        }
        Post p = PngPosts.of(postId(i), SOURCE, bytes);
        p.setQuestion(question);
        return p;
    }

    private static String postId(int i) {
        return "file-" + i;
    }

    /** Prints one file's answer (or why it has none); true when it has text. */
    private boolean report(Path file, Answer a, StageResult.Failure failure, String p) {
        ObjectNode out = JsonLines.object().put("file", file.toString()).put("prompt", p);
        if (failure == null && a == null) {
            failure = new StageResult.Failure(DeadLetterReason.STAGE_ERROR, "no answer came back");
        }
        if (failure != null) {
            out.put("error", failure.reason().name()).put("message", failure.message());
            if (json) {
                JsonLines.print(out);
            } else {
                System.err.println(file + ": error: " + failure.reason() + ": " + failure.message());
            }
            return false;
        }
        out.put("text", a.getText());
        out.putArray("token_ids").addAll(a.getTokenIds().stream()
                .map(JsonLines.JSON.getNodeFactory()::numberNode).toList());
        out.put("finish_reason", a.getFinishReason().name().toLowerCase()).put("model_id", a.getModelId())
                .put("adapter", a.getAdapter());
        if (labelled) {
            ArrayNode labels = out.putArray("labels");
            a.getLabels().forEach(l -> labels.addObject().put("label", l.getLabel()).put("score", l.getScore()));
        }
        print(out, file + ": " + a.getText() + a.getLabels().stream()
                .map(l -> String.format("  #%s %.2f", l.getLabel(), l.getScore())).collect(Collectors.joining()));
        return true;
    }

    private void print(ObjectNode out, String text) {
        if (json) {
            JsonLines.print(out);
        } else {
            System.out.println(text);
        }
    }
}
