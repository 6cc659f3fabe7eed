package io.llavastream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.model.EngineOptions;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.adapter.AdapterSpecs;
import io.llavastream.rules.PostChecks;
import io.llavastream.rules.DeadLetterReason;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.DeadLetter;
import io.llavastream.schemas.FinishReason;
import io.llavastream.scenes.CaptionStyle;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.topics.Topics;
import io.llavastream.topology.PipelineConfig;
import io.llavastream.worker.WorkerConfig;
import io.llavastream.worker.Workers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Per-source LoRA adapters through the whole pipeline on the embedded broker: the topology tags each image with
 * its source's adapter (source.adapters), one decode worker serves the catalog and terse adapters and the base
 * model in the same batches, and every answer comes out in its adapter's style, tagged with it. A source mapped to
 * an adapter the worker has not loaded gets an ERROR answer and a dead letter naming it, and the worker goes on.
 * Replay with the same source adapters reproduces every answer's tokens and tag.
 */
class AdapterPipelineTest {
    static final int PER_SOURCE = 4;

    /** A caption's words: the tokenizer's decoder writes "circle." for the style's "circle ."; compare words. */
    static List<String> words(String text) {
        return List.of(text.replace(".", " . ").strip().split("\\s+"));
    }

    @Test
    void postsOfTwoSourcesComeOutInTheirAdaptersStylesEachAnswerTaggedAndAnUnknownAdapterIsDeadLettered()
            throws Exception {
        List<Scene> scenes = new SceneGenerator(9090).scenes(0, PER_SOURCE);
        Map<String, String> topology = Map.of(PipelineConfig.SOURCE_ADAPTERS_CONFIG,
                "shop=catalog; blog = terse; legal=contracts");
        Map<String, Object> workers = Map.of(WorkerConfig.DECODE_ADAPTERS, "catalog,terse");
        try (EmbeddedPipeline pipeline = new EmbeddedPipeline(ModelDirectory.bundled(), Workers.STAGES, 8, topology,
                workers, System.err::println);
             PipelineClient client = pipeline.client()) {
            List<String> sources = List.of("shop", "blog", "forum");
            for (int i = 0; i < PER_SOURCE; i++) {
                for (String source : sources) {
                    client.send(PngPosts.of(source + "-" + i, source, SceneRenderer.png(scenes.get(i))));
                }
            }
            client.send(PngPosts.of("legal-0", "legal", SceneRenderer.png(scenes.get(0))));
            client.send(PngPosts.of("forum-after", "forum", SceneRenderer.png(scenes.get(1))));
            io.llavastream.schemas.Post own = PngPosts.of("forum-own", "forum", SceneRenderer.png(scenes.get(2)));
            own.setAdapter("catalog");  // the post's own adapter overrides its source's (none)
            client.send(own);
            client.flush();
            int expected = PER_SOURCE * sources.size() + 3;
            Map<String, Answer> answers = new HashMap<>();
            client.read(Topics.ANSWERS, Duration.ofSeconds(180), r -> answers.put(r.value().getTask().getPostId(),
                    r.value()), () -> answers.size() >= expected);
            assertThat(answers).hasSize(expected);
            int catalogExact = 0;
            int terseExact = 0;
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < PER_SOURCE; i++) {
                Scene s = scenes.get(i);
                Answer shop = answers.get("shop-" + i);
                Answer blog = answers.get("blog-" + i);
                Answer forum = answers.get("forum-" + i);
                texts.add(shop.getText() + " | " + blog.getText() + " | " + forum.getText());
                assertThat(shop.getAdapter()).isEqualTo("catalog");
                assertThat(shop.getTask().getAdapter()).isEqualTo("catalog");
                assertThat(blog.getAdapter()).isEqualTo("terse");
                assertThat(forum.getAdapter()).isEmpty();
                assertThat(shop.getModelId()).isEqualTo(forum.getModelId());
                assertThat(shop.getText()).startsWith("shape : ");
                assertThat(blog.getText()).endsWith(".").doesNotContain(":");
                assertThat(forum.getText()).startsWith("a ");
                catalogExact += words(shop.getText()).equals(words(CaptionStyle.CATALOG.render(s.objects()))) ? 1 : 0;
                terseExact += words(blog.getText()).equals(words(CaptionStyle.TERSE.render(s.objects()))) ? 1 : 0;
            }
            System.err.println("adapter answers (shop | blog | forum): " + texts);
            assertThat(catalogExact).as("catalog answers exactly in style and content: %s", texts)
                    .isGreaterThanOrEqualTo(PER_SOURCE - 1);
            assertThat(terseExact).as("terse answers exactly in style and content: %s", texts)
                    .isGreaterThanOrEqualTo(PER_SOURCE - 1);
            Answer legal = answers.get("legal-0");
            assertThat(legal.getFinishReason()).isEqualTo(FinishReason.ERROR);
            assertThat(legal.getError()).contains("unknown adapter 'contracts'").contains("[catalog, terse]");
            assertThat(answers.get("forum-after").getFinishReason()).as("the worker went on")
                    .isEqualTo(FinishReason.EOS);
            assertThat(answers.get("forum-own").getAdapter()).isEqualTo("catalog");
            assertThat(answers.get("forum-own").getText()).isEqualTo(answers.get("shop-2").getText());
            List<DeadLetter> letters = new ArrayList<>();
            client.read(Topics.DEAD_LETTERS, Duration.ofSeconds(30), r -> letters.add(r.value()),
                    () -> !letters.isEmpty());
            assertThat(letters).anySatisfy(d -> {
                assertThat(d.getErrorType()).isEqualTo(DeadLetterReason.BAD_DECODE_REQUEST.name());
                assertThat(d.getErrorMessage()).contains("unknown adapter 'contracts'");
            });
            // replay with the same source adapters gives every answer's very tokens and tag again
            try (LlavaModel model = LlavaModel.load(ModelDirectory.bundled(), EngineOptions.threads(1),
                    AdapterSpecs.parse(List.of("catalog", "terse"), ModelDirectory.bundled()))) {
                new Replay(Map.of("bootstrap.servers", pipeline.bootstrapServers()), pipeline.registry(), model, 8,
                        PostChecks.defaults()).adapters(Map.of("shop", "catalog", "blog", "terse"), "")
                        .run(PostExport.Range.all(), x -> { }, () -> { });
            }
            Map<String, Answer> replayed = new HashMap<>();
            client.read(Topics.REPLAY_ANSWERS, Duration.ofSeconds(60), r -> replayed.put(r.value().getTask()
                    .getPostId(), r.value()), () -> replayed.size() >= expected);
            answers.forEach((post, live) -> {
                if (live.getFinishReason() != FinishReason.ERROR) {
                    assertThat(replayed.get(post).getTokenIds()).as(post).isEqualTo(live.getTokenIds());
                    assertThat(replayed.get(post).getAdapter()).as(post).isEqualTo(live.getAdapter());
                }
            });
        }
    }
}
