package io.llavastream.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llavastream.model.Answer;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.decode.SamplingParams;
import io.llavastream.model.image.InvalidImageException;
import io.llavastream.model.text.PromptException;
import io.llavastream.scenes.PromptTemplate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code caption}: captions image files in-process, with no Kafka. */
@Command(name = "caption", mixinStandardHelpOptions = true,
        description = "Caption (or ask about) image files in-process, with no Kafka.")
final class CaptionCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;
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
    @Option(names = "--json", description = "One JSON object per image: file, prompt, text, token_ids.")
    boolean json;
    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Image files (PNG, JPEG, GIF, BMP, WebP).")
    List<Path> files;

    @Override
    public Integer call() throws Exception {
        String p = prompt == null ? PromptTemplate.captionPrompt()
                : prompt.contains(PromptTemplate.IMAGE_TOKEN) ? prompt : PromptTemplate.userTurn(prompt);
        SamplingParams params = new SamplingParams(maxNewTokens, temperature, topP, seed);
        int failures = 0;
        try (LlavaModel model = modelOptions.load()) {
            for (Path f : files) {
                failures += captionOne(model, f, p, params) ? 0 : 1;
            }
        }
        return failures == 0 ? 0 : 1;
    }

    private boolean captionOne(LlavaModel model, Path file, String p, SamplingParams params) {
        ObjectNode out = JsonLines.object().put("file", file.toString()).put("prompt", p);
        try {
            Answer a = model.answer(model.pixelValues(Files.readAllBytes(file)), 1, p, params);
            out.put("text", a.text());
            out.putArray("token_ids").addAll(java.util.Arrays.stream(a.tokenIds())
                    .mapToObj(JsonLines.JSON.getNodeFactory()::numberNode).toList());
            out.put("finish_reason", a.finishReason().name().toLowerCase()).put("model_id", a.modelId());
            print(out, file + ": " + a.text());
            return true;
        } catch (InvalidImageException | PromptException | java.io.IOException e) {
            out.put("error", e.getClass().getSimpleName()).put("message", e.getMessage());
            if (json) {
                JsonLines.print(out);
            } else {
                System.err.println(file + ": error: " + e.getMessage());
            }
            return false;
        }
    }

    private void print(ObjectNode out, String text) {
        if (json) {
            JsonLines.print(out);
        } else {
            System.out.println(text);
        }
    }
}
