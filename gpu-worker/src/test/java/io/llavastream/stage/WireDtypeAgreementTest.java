package io.llavastream.stage;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.model.EngineOptions;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.decode.SamplingParams;
import io.llavastream.rules.PostChecks;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.DType;
import io.llavastream.schemas.Post;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The wire dtype does not change the answers: the in-process driver with Zv and Hv as FP16 (the default) gives the
 * same greedy tokens as the FP32 model path ({@link LlavaModel#answer}, the path TransformersJsAgreementTest holds
 * equal to transformers.js) on the sample set (samples/: four scenes and a photograph) and on the twenty scenes of
 * the transformers.js test, each with the caption prompt and with a question. BF16's agreement is printed, not
 * asserted: it keeps 8 bits of mantissa, and a change of token there is a finding to report, not a bug.
 */
class WireDtypeAgreementTest {
    static final int SCENES = 20;
    static LlavaModel model;
    static Map<String, Post> posts = new LinkedHashMap<>();

    @BeforeAll
    static void load() throws IOException {
        model = LlavaModel.load(ModelDirectory.bundled(), EngineOptions.cpu());
        List<Path> samples;
        try (Stream<Path> files = Files.list(Path.of("..", "samples"))) {
            samples = files.filter(p -> p.toString().matches(".*\\.(png|jpg)$")).sorted().toList();
        }
        assertThat(samples).as("samples/").hasSizeGreaterThanOrEqualTo(5);
        for (Path p : samples) {
            add("sample-" + p.getFileName(), Files.readAllBytes(p), "what color is the shape on the left?");
        }
        for (Scene s : new SceneGenerator(31).scenes(0, SCENES)) {
            add("scene-" + s.id(), SceneRenderer.png(s), s.questions().get(s.index() % s.questions().size())
                    .question());
        }
    }

    private static void add(String id, byte[] image, String question) {
        posts.put(id + "-caption", InProcessDriverTest.post(id + "-caption", "it", null, image));
        posts.put(id + "-question", InProcessDriverTest.post(id + "-question", "it", question, image));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Answers by post id, from the in-process driver with Zv and Hv as {@code wire}. */
    static Map<String, Answer> answers(DType wire) {
        Map<String, Answer> out = new LinkedHashMap<>();
        try (InProcessDriver d = new InProcessDriver(model, PostChecks.defaults(), 8, wire, new VisionCache(),
                o -> {
                    if (o.value() instanceof Answer a) {
                        out.put(a.getTask().getPostId(), a);
                    }
                })) {
            posts.values().forEach(d::submit);
            d.drain();
        }
        assertThat(out).hasSize(posts.size());
        return out;
    }

    /** Post ids whose tokens differ from the FP32 model path's for the same image and prompt. */
    static List<String> changed(Map<String, Answer> answers) {
        List<String> out = new ArrayList<>();
        answers.forEach((id, a) -> {
            byte[] image = bytes(posts.get(id));
            long[] reference = model.answer(model.pixelValues(image), 1, a.getTask().getPrompt(),
                    SamplingParams.greedy(StageMachines.MAX_NEW_TOKENS)).tokenIds();
            long[] got = a.getTokenIds().stream().mapToLong(Long::longValue).toArray();
            if (!Arrays.equals(got, reference)) {
                out.add(id + ": " + a.getText() + " vs fp32 " + model.tokenizer().decode(reference));
            }
        });
        return out;
    }

    private static byte[] bytes(Post p) {
        var b = p.getImages().get(0).getData().duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    @Test
    void fp16AndFp32OnTheWireGiveTheFp32ModelsGreedyTokensOnTheSampleSet() {
        List<String> fp16 = changed(answers(DType.FP16));
        List<String> fp32 = changed(answers(DType.FP32));
        List<String> bf16 = changed(answers(DType.BF16));
        System.out.printf("wire dtype vs the fp32 model path, %d cases: FP16 %d changed %s; BF16 %d changed %s; "
                + "FP32 %d changed%n", posts.size(), fp16.size(), fp16, bf16.size(), bf16, fp32.size());
        assertThat(fp32).as("FP32 on the wire is lossless").isEmpty();
        assertThat(fp16).as("FP16 on the wire (the default)").isEmpty();
    }
}
