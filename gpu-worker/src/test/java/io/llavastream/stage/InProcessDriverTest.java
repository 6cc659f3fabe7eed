package io.llavastream.stage;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.labels.LabellingMachine;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.labels.LabelPrompts;
import io.llavastream.model.labels.LabelScorer;
import io.llavastream.rules.DeadLetterReason;
import io.llavastream.rules.PostChecks;
import io.llavastream.rules.PromptRule;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.FinishReason;
import io.llavastream.schemas.Post;
import io.llavastream.schemas.PostImage;
import io.llavastream.schemas.VisionFeatures;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.tensor.TensorCodec;
import io.llavastream.topics.Topics;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The in-process driver on the bundled demo model: the topology's rules, the workers' machines, no Kafka. */
class InProcessDriverTest {
    static LlavaModel model;

    @BeforeAll
    static void load() {
        model = LlavaModel.load(ModelDirectory.bundled(), EngineOptions.cpu());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** What one run produced. */
    static final class Collected implements InProcessDriver.Sink {
        final Map<String, Answer> answers = new HashMap<>();
        final Map<String, DeadLetterReason> refusedPosts = new HashMap<>();
        final Map<String, DeadLetterReason> failedImages = new HashMap<>();
        final List<Output<?>> features = new ArrayList<>();

        @Override
        public void publish(Output<?> o) {
            if (o.value() instanceof Answer a) {
                assertThat(answers.put(a.getTask().getTaskId(), a)).as("answered twice").isNull();
            } else if (o.topic() == Topics.VISION_FEATURES) {
                features.add(o);
            }
        }

        @Override
        public void refused(Post post, PostChecks.Refusal refusal) {
            refusedPosts.put(post.getId(), refusal.reason());
        }

        @Override
        public void failed(String taskId, StageResult.Failure failure) {
            failedImages.put(taskId, failure.reason());
        }
    }

    static Post post(String id, String source, String question, byte[]... images) {
        List<PostImage> list = Arrays.stream(images).map(b -> PostImage.newBuilder().setContentType("image/png")
                .setData(ByteBuffer.wrap(b)).build()).toList();
        return Post.newBuilder().setId(id).setSource(source).setQuestion(question).setCreatedAt(Instant.EPOCH)
                .setImages(list).setAttributes(Map.of()).build();
    }

    static byte[] scene(int i) {
        return SceneRenderer.png(new SceneGenerator(31).scene(i));
    }

    static Collected run(PostChecks checks, int batch, Post... posts) {
        Collected c = new Collected();
        try (InProcessDriver d = new InProcessDriver(model, checks, batch, new VisionCache(), c)) {
            for (Post p : posts) {
                d.submit(p);
            }
            d.drain();
        }
        return c;
    }

    @Test
    void theVisionFeaturesItPublishesAreInTheWireDtypeItWasGiven() {
        for (io.llavastream.schemas.DType wire : io.llavastream.schemas.DType.values()) {
            Collected c = new Collected();
            try (InProcessDriver d = new InProcessDriver(model, PostChecks.defaults(), 2, wire, new VisionCache(), c)) {
                d.submit(post("w-" + wire, "it", null, scene(3)));
                d.drain();
            }
            var f = (io.llavastream.schemas.VisionFeatures) c.features.get(0).value();
            assertThat(f.getPatchFeatures().getDtype()).as("Zv").isEqualTo(wire);
            assertThat(f.getImageEmbedding().getDtype()).as("CLIP embedding").isEqualTo(
                    io.llavastream.schemas.DType.FP32);
            assertThat(c.answers.get("w-" + wire + "/0").getFinishReason()).isNotEqualTo(FinishReason.ERROR);
        }
    }

    @Test
    void questionThenSourcePromptThenDefaultAndABlankQuestionIsACaption() {
        PostChecks checks = PostChecks.defaults().withPrompts(PromptRule.defaults()
                .withSourcePrompts(Map.of("count", "USER: <image>\nhow many shapes are there? ASSISTANT:")));
        Collected c = run(checks, 4, post("a", "count", null, scene(0)), post("b", "blog", "  ", scene(0)),
                post("c", "count", "is there a red circle?", scene(0)));
        assertThat(c.answers.get("a/0").getText()).isIn("one", "two");
        assertThat(c.answers.get("b/0").getText()).startsWith("a ");
        assertThat(c.answers.get("c/0").getText()).isIn("yes", "no");
        assertThat(c.features).as("one image, encoded once").hasSize(1);
    }

    @Test
    void answersDoNotDependOnTheBatchSize() {
        Post[] posts = new Post[12];
        for (int i = 0; i < posts.length; i++) {
            posts[i] = post("p" + i, "s", null, scene(i));
        }
        Collected one = run(PostChecks.defaults(), 1, posts);
        Collected eight = run(PostChecks.defaults(), 8, posts);
        assertThat(eight.answers).hasSize(12);
        one.answers.forEach((task, a) -> assertThat(eight.answers.get(task).getTokenIds()).as(task)
                .isEqualTo(a.getTokenIds()));
    }

    @Test
    void refusedPostsAreReportedAndGetNoAnswers() {
        PostChecks checks = new PostChecks(2, 1_000_000, new PromptRule(PromptRule.defaults().defaultPrompt(),
                Map.of(), 10));
        Collected c = run(checks, 4, post("none", "s", null), post("many", "s", null, scene(0), scene(1), scene(2)),
                post("long", "s", "is there a red circle?", scene(0)), post("ok", "s", null, scene(0)));
        assertThat(c.refusedPosts).containsExactlyInAnyOrderEntriesOf(Map.of("none", DeadLetterReason.NO_IMAGES,
                "many", DeadLetterReason.TOO_MANY_IMAGES, "long", DeadLetterReason.QUESTION_TOO_LONG));
        assertThat(c.answers).containsOnlyKeys("ok/0");
    }

    @Test
    void aCorruptImageFailsWithItsTwinsAndAnOversizedOneFailsAloneWhileThePostCompletes() {
        byte[] good = scene(3);
        byte[] corrupt = Arrays.copyOf(good, good.length / 2);
        PostChecks checks = new PostChecks(4, good.length + 10, PromptRule.defaults());
        Collected c = run(checks, 4, post("x", "s", null, corrupt, good, new byte[good.length + 11]),
                post("y", "s", null, corrupt));
        assertThat(c.failedImages).containsExactlyInAnyOrderEntriesOf(Map.of("x/0", DeadLetterReason.CORRUPT_IMAGE,
                "y/0", DeadLetterReason.CORRUPT_IMAGE, "x/2", DeadLetterReason.IMAGE_TOO_LARGE));
        assertThat(c.answers).containsOnlyKeys("x/0", "x/1", "x/2", "y/0");
        assertThat(c.answers.get("x/1").getFinishReason()).isNotEqualTo(FinishReason.ERROR);
        for (String failed : List.of("x/0", "x/2", "y/0")) {
            assertThat(c.answers.get(failed).getFinishReason()).isEqualTo(FinishReason.ERROR);
            assertThat(c.answers.get(failed).getError()).isNotBlank();
        }
    }

    /**
     * With a label set, every image is labelled as the vision worker's LabellingMachine labels it, whether it was
     * encoded, waited for a twin in the vision stage, or came from the cache; without one, nothing is labelled.
     */
    @Test
    void labelsGoOnEveryAnswerEncodedWaitingOrCachedAsTheVisionWorkerGivesThem() {
        List<LabelPrompts> set = List.of("circle", "square", "triangle", "cross").stream()
                .map(s -> new LabelPrompts(s, List.of("a large " + s, "a red " + s), 0.2)).toList();
        LabelScorer scorer = LabelScorer.build(set, model.textEncoder(), model.directory().config().clipText()
                .logitScale());
        Collected c = new Collected();
        try (InProcessDriver d = new InProcessDriver(model, PostChecks.defaults(), 4, new VisionCache(), c)) {
            d.labels(() -> scorer);
            d.submit(post("a", "s", null, scene(1), scene(2)));
            d.submit(post("b", "s", null, scene(1)));  // waits for a's first image in the vision stage
            d.drain();
            d.submit(post("c", "s", null, scene(2)));  // from the cache
            d.drain();
            assertThat(d.stats().cacheMisses()).isEqualTo(2);
            assertThat(d.stats().cacheHits()).isEqualTo(2);
        }
        Map<String, VisionFeatures> bySha = new HashMap<>();
        c.features.forEach(o -> bySha.put(((VisionFeatures) o.value()).getImageSha256(), (VisionFeatures) o.value()));
        assertThat(c.answers).hasSize(4);
        c.answers.forEach((task, a) -> assertThat(a.getLabels()).as(task).isEqualTo(LabellingMachine.labels(scorer,
                TensorCodec.floats(bySha.get(a.getTask().getImageSha256()).getImageEmbedding()))));
        assertThat(c.answers.values()).allMatch(a -> !a.getLabels().isEmpty());

        Collected none = run(PostChecks.defaults(), 4, post("a", "s", null, scene(1), scene(2)));
        assertThat(none.answers.values()).allMatch(a -> a.getLabels().isEmpty());
    }

    @Test
    void aDuplicatePostIdIsAnsweredAgainNotMerged() {
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        try (InProcessDriver d = new InProcessDriver(model, PostChecks.defaults(), 4, new VisionCache(), o -> {
            if (o.value() instanceof Answer a) {
                seen.add(a.getTask().getTaskId());
            }
        })) {
            d.submit(post("dup", "s", null, scene(5)));
            d.submit(post("dup", "s", null, scene(5)));
            d.drain();
            assertThat(d.stats().cacheHits()).isEqualTo(1);
            assertThat(d.stats().cacheMisses()).isEqualTo(1);
        }
        assertThat(seen).containsExactly("dup/0", "dup/0");
    }

    @Test
    void sourceAdaptersTagEachSourcesImagesAndAnAdapterForAllOverridesThem() {
        java.nio.file.Path root = ModelDirectory.bundled();
        try (LlavaModel withAdapters = LlavaModel.load(root, EngineOptions.cpu(),
                io.llavastream.model.adapter.AdapterSpecs.parse(List.of("catalog", "terse"), root))) {
            Collected bySource = new Collected();
            try (InProcessDriver d = new InProcessDriver(withAdapters, PostChecks.defaults(), 4, new VisionCache(),
                    bySource)) {
                d.sourceAdapters(Map.of("shop", "catalog"));
                d.submit(post("s", "shop", null, scene(0)));
                d.submit(post("b", "blog", null, scene(0)));
                d.drain();
            }
            assertThat(bySource.answers.get("s/0").getAdapter()).isEqualTo("catalog");
            assertThat(bySource.answers.get("s/0").getText()).startsWith("shape : ");
            assertThat(bySource.answers.get("b/0").getAdapter()).isEmpty();
            assertThat(bySource.answers.get("b/0").getText()).startsWith("a ");
            Collected forAll = new Collected();
            try (InProcessDriver d = new InProcessDriver(withAdapters, PostChecks.defaults(), 4, new VisionCache(),
                    forAll)) {
                d.sourceAdapters(Map.of("shop", "catalog"));
                d.adapterForAll("terse");
                d.submit(post("s", "shop", null, scene(0)));
                d.submit(post("b", "blog", null, scene(0)));
                d.drain();
            }
            assertThat(forAll.answers.values()).hasSize(2).allSatisfy(a -> {
                assertThat(a.getAdapter()).isEqualTo("terse");
                assertThat(a.getText()).doesNotContain(":").endsWith(".");
            });
        }
    }
}
