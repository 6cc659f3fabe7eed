package io.llavastream.labels;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.model.EngineOptions;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.VisionParts;
import io.llavastream.model.labels.LabelPrompts;
import io.llavastream.model.labels.LabelScorer;
import io.llavastream.model.labels.LabelText;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.scenes.ShapeKind;
import io.llavastream.schemas.ImageEmbedding;
import io.llavastream.schemas.ImageLabel;
import io.llavastream.schemas.MergeRequest;
import io.llavastream.stage.CachedVisionMachine;
import io.llavastream.stage.EncoderCache;
import io.llavastream.stage.Finished;
import io.llavastream.stage.StageResult;
import io.llavastream.stage.VisionMachine;
import io.llavastream.topics.Topics;
import io.llavastream.worker.TestRecords;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The vision machine with labels, on the demo model's real towers: misses and cache hits are both labelled. */
class LabellingMachineTest {
    static VisionParts parts;
    static LabelText text;

    @BeforeAll
    static void load() {
        parts = VisionParts.load(ModelDirectory.bundled(), EngineOptions.cpu());
        text = LabelText.load(ModelDirectory.bundled(), EngineOptions.cpu());
    }

    @AfterAll
    static void close() {
        text.close();
        parts.close();
    }

    static LabelScorer shapes() {
        return text.scorer(Arrays.stream(ShapeKind.values()).map(k -> new LabelPrompts(k.word(),
                List.of("a large " + k.word(), "a small " + k.word()), 0.5)).toList());
    }

    static <T> T output(StageResult r, Class<T> type) {
        return r.outputs().stream().map(o -> o.value()).filter(type::isInstance).map(type::cast).findFirst()
                .orElse(null);
    }

    @Test
    void missesAndCacheHitsCarryTheLabelsOfTheSetInForceAtTheirStep() {
        AtomicReference<LabelScorer> inForce = new AtomicReference<>(shapes());
        LabellingMachine m = new LabellingMachine(new CachedVisionMachine(new VisionMachine(parts, 8,
                Clock.systemUTC()), parts.visionModelId(), new EncoderCache(64L << 20)), inForce::get);
        SceneGenerator gen = new SceneGenerator(31);
        Scene single = java.util.stream.IntStream.range(0, 50).mapToObj(gen::scene)
                .filter(s -> s.objects().size() == 1).findFirst().orElseThrow();
        byte[] png = SceneRenderer.png(single);
        String shape = single.objects().get(0).shape().word();

        m.submit("a", TestRecords.imageTask("a", 0, 1, png));
        StageResult miss = m.step().get(0).result();
        assertThat(output(miss, MergeRequest.class).getLabels()).extracting(ImageLabel::getLabel)
                .containsExactly(shape);
        assertThat(output(miss, ImageEmbedding.class).getLabels()).extracting(ImageLabel::getLabel)
                .containsExactly(shape);
        assertThat(output(miss, MergeRequest.class).getLabels().get(0).getScore()).isBetween(0.5f, 1f);
        m.committed(List.of("a"));

        m.submit("b", TestRecords.imageTask("b", 0, 1, png));
        StageResult hit = m.step().get(0).result();
        assertThat(output(hit, MergeRequest.class).getCacheHit()).isTrue();
        assertThat(output(hit, MergeRequest.class).getLabels()).extracting(ImageLabel::getLabel)
                .containsExactly(shape);

        inForce.set(LabelScorer.empty());  // the set was emptied on the topic
        m.submit("c", TestRecords.imageTask("c", 0, 1, png));
        List<Finished> none = m.step();
        assertThat(output(none.get(0).result(), MergeRequest.class).getLabels()).isEmpty();
        m.close();
    }

    @Test
    void aFailedImageIsPassedOnUntouched() {
        LabellingMachine m = new LabellingMachine(new VisionMachine(parts, 8, Clock.systemUTC()), LabellingMachineTest::shapes);
        m.submit("x", TestRecords.imageTask("x", 0, 1, "not an image".getBytes()));
        StageResult r = m.step().get(0).result();
        assertThat(r.isFailure()).isTrue();
        assertThat(r.outputs()).allSatisfy(o -> assertThat(o.topic()).isEqualTo(Topics.ANSWERS));
        m.close();
    }
}
