package io.llavastream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llavastream.model.decode.FinishReason;
import io.llavastream.model.decode.SamplingParams;
import io.llavastream.model.image.InvalidImageException;
import io.llavastream.model.text.PromptException;
import io.llavastream.scenes.PromptTemplate;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The whole in-process chain on the demo model, from PNG bytes to text, and its refusals of bad input. */
class LlavaModelTest {
    static LlavaModel model;
    static Scene scene = new SceneGenerator(5).scene(3);
    static byte[] png = SceneRenderer.png(scene);

    @BeforeAll
    static void load() {
        model = LlavaModel.load(TestModels.demo(), EngineOptions.cpu());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void greedyCaptionEndsWithEosAndIsDeterministic() {
        Answer a = model.answer(model.pixelValues(png), 1, PromptTemplate.captionPrompt(), SamplingParams.greedy(32));
        Answer b = model.answer(model.pixelValues(png), 1, PromptTemplate.captionPrompt(), SamplingParams.greedy(32));
        assertThat(a.finishReason()).isEqualTo(FinishReason.EOS);
        assertThat(a.tokenIds()[a.tokenIds().length - 1]).isEqualTo(model.decoder().config().eosTokenId());
        assertThat(a.tokenIds()).containsExactly(b.tokenIds());
        assertThat(a.text()).isNotBlank().doesNotContain("</s>");
        assertThat(a.modelId()).isEqualTo(model.modelId());
    }

    @Test
    void stopsAtMaxNewTokens() {
        Answer a = model.answer(model.pixelValues(png), 1, PromptTemplate.captionPrompt(), SamplingParams.greedy(3));
        assertThat(a.tokenIds()).hasSize(3);
        assertThat(a.finishReason()).isEqualTo(FinishReason.LENGTH);
    }

    @Test
    void samplingWithTheSameSeedRepeatsAndAnotherSeedVaries() {
        float[] px = model.pixelValues(png);
        EncodedImages enc = model.encode(px, 1);
        long[] first = model.answer(enc, PromptTemplate.captionPrompt(), new SamplingParams(16, 3f, 1f, 11)).tokenIds();
        long[] again = model.answer(enc, PromptTemplate.captionPrompt(), new SamplingParams(16, 3f, 1f, 11)).tokenIds();
        assertThat(again).containsExactly(first);
        boolean varied = false;
        for (long seed = 12; seed < 20 && !varied; seed++) {
            long[] other = model.answer(enc, PromptTemplate.captionPrompt(), new SamplingParams(16, 3f, 1f, seed))
                    .tokenIds();
            varied = !Arrays.equals(other, first);
        }
        assertThat(varied).as("temperature 3 with other seeds gives other answers").isTrue();
    }

    @Test
    void truncatedImageIsRefusedWithTypedError() {
        byte[] half = Arrays.copyOf(png, png.length / 2);
        assertThatThrownBy(() -> model.pixelValues(half)).isInstanceOf(InvalidImageException.class)
                .extracting(e -> ((InvalidImageException) e).reason()).isEqualTo(InvalidImageException.Reason.TRUNCATED);
    }

    @Test
    void bytesThatAreNotAnImageAreRefusedWithTypedError() {
        assertThatThrownBy(() -> model.pixelValues("hello, not an image".getBytes()))
                .isInstanceOf(InvalidImageException.class).extracting(e -> ((InvalidImageException) e).reason())
                .isEqualTo(InvalidImageException.Reason.NOT_AN_IMAGE);
    }

    @Test
    void imageOverThePixelLimitIsRefusedBeforeDecoding() {
        try (LlavaModel small = LlavaModel.load(TestModels.demo(), EngineOptions.cpu().withMaxImagePixels(1000))) {
            assertThatThrownBy(() -> small.pixelValues(png)).isInstanceOf(InvalidImageException.class)
                    .hasMessageContaining("64x64 = 4096 pixels, over the limit of 1000")
                    .extracting(e -> ((InvalidImageException) e).reason())
                    .isEqualTo(InvalidImageException.Reason.TOO_MANY_PIXELS);
        }
    }

    @Test
    void promptWithoutImageTokenIsRefused() {
        float[] px = model.pixelValues(png);
        assertThatThrownBy(() -> model.answer(px, 1, "USER: describe it. ASSISTANT:", SamplingParams.greedy(4)))
                .isInstanceOf(PromptException.class).hasMessageContaining("no <image> token");
    }

    @Test
    void promptWithMoreImageTokensThanImagesIsRefused() {
        float[] px = model.pixelValues(png);
        assertThatThrownBy(() -> model.answer(px, 1, "USER: <image> <image> ASSISTANT:", SamplingParams.greedy(4)))
                .isInstanceOf(PromptException.class).hasMessageContaining("2 <image> tokens but 1 image");
    }

    @Test
    void promptLongerThanTheContextIsRefused() {
        float[] px = model.pixelValues(png);
        String longPrompt = PromptTemplate.userTurn("the ".repeat(model.decoder().config().maxPositionEmbeddings()));
        assertThatThrownBy(() -> model.answer(px, 1, longPrompt, SamplingParams.greedy(4)))
                .isInstanceOf(PromptException.class).hasMessageContaining("the context is");
    }
}
