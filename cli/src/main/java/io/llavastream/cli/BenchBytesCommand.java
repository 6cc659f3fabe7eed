package io.llavastream.cli;

import io.llavastream.model.LlavaConfig;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.text.PromptTokenizer;
import io.llavastream.rules.PromptRule;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench bytes}: the serialized bytes of every record that crosses Kafka for one one-image caption post, per
 * hop, at the demo model's size and at LLaVA-1.5-7B's, in the format before issue 9 and now ({@link HopBytes}).
 * No broker: the records go through the real serdes only.
 */
@Command(name = "bytes", mixinStandardHelpOptions = true,
        description = {"Bytes per post per hop: the serialized size of every record one one-image caption post (a "
                + "vision-cache miss) puts on Kafka, with the real Avro serdes on synthetic records of the real "
                + "shapes, at the demo model's size and at LLaVA-1.5-7B's (Zv 576x1024, Hv 576x4096, hidden 4096, "
                + "a 200,000-byte image), before (FP32 Zv, the FP32 [T, D] prompt on decode-requests) and after "
                + "(Zv and Hv in --tensor-dtype, ids and image positions instead of the prompt)."})
final class BenchBytesCommand implements Callable<Integer> {
    /** LLaVA-1.5-7B: CLIP ViT-L/14-336 (576 patches, width 1024, projection 768), Vicuna-7B (4096, vocab 32000). */
    static final int LLAVA_7B_IMAGE_BYTES = 200_000;

    @Mixin
    TensorDtypeOption tensorDtype;
    @Option(names = "--json", description = "One JSON object per line: one per hop, then a total, per model and "
            + "format.")
    boolean json;

    @Override
    public Integer call() {
        HopBytes bytes = new HopBytes();
        for (HopBytes.Shapes s : List.of(demo(), llava7b())) {
            List<HopBytes.Hop> before = bytes.hops(s, "before", tensorDtype.dtype());
            List<HopBytes.Hop> after = bytes.hops(s, "after", tensorDtype.dtype());
            if (json) {
                before.forEach(JsonLines::print);
                after.forEach(JsonLines::print);
            } else {
                table(s, before, after);
            }
        }
        return 0;
    }

    private static void table(HopBytes.Shapes s, List<HopBytes.Hop> before, List<HopBytes.Hop> after) {
        System.out.printf("%s: %d image tokens + %d text tokens, image %,d B%n", s.model(), s.imageTokens(),
                s.textTokens(), s.imageBytes());
        System.out.printf("  %-58s %14s %14s%n", "topic", "before, B", "after, B");
        for (int i = 0; i < before.size(); i++) {
            System.out.printf("  %-58s %,14d %,14d%n", before.get(i).topic(), before.get(i).bytes(),
                    after.get(i).bytes());
        }
    }

    /** The bundled demo model: its config, its tokenizer's count for the caption prompt, a rendered scene's size. */
    static HopBytes.Shapes demo() {
        ModelDirectory dir = ModelDirectory.open(ModelDirectory.bundled(), List.of());
        LlavaConfig c = dir.config();
        Scene scene = new SceneGenerator(2027).scene(0);
        try (PromptTokenizer tokenizer = new PromptTokenizer(dir)) {
            int text = tokenizer.encode(PromptRule.defaults().defaultPrompt()).length - 1;
            int answer = tokenizer.encode(scene.caption()).length;
            return new HopBytes.Shapes("demo", c.tokensPerImage(), c.vision().hiddenSize(), c.text().hiddenSize(),
                    c.vision().projectionDim(), text, SceneRenderer.png(scene).length, c.imageTokenIndex(),
                    c.text().vocabSize(), answer, scene.caption());
        }
    }

    /**
     * LLaVA-1.5-7B: 576 patch tokens of width 1024 (CLIP ViT-L/14 at 336 px), CLIP projection 768, LM hidden 4096,
     * vocabulary 32000 with {@code <image>} = 32000; the caption prompt's text tokens as the demo tokenizer counts
     * them; a 200,000-byte image (a 336x336 screenshot as PNG, or a photo as JPEG, is 100-300 KB); an answer of 60
     * tokens.
     */
    static HopBytes.Shapes llava7b() {
        HopBytes.Shapes d = demo();
        String answer = "The image shows a screenshot of a code editor with a Python function that reads a CSV file, "
                + "filters the rows by date and plots the daily totals as a bar chart; an error message at the "
                + "bottom says that a column is missing.";
        return new HopBytes.Shapes("llava-1.5-7b", 576, 1024, 4096, 768, d.textTokens(), LLAVA_7B_IMAGE_BYTES,
                32000, 32064, 60, answer);
    }
}
