package io.llavastream.topology;

import static io.llavastream.topology.PipelineDriver.START;
import static io.llavastream.topology.PipelineDriver.answer;
import static io.llavastream.topology.PipelineDriver.post;
import static io.llavastream.topology.PipelineDriver.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llavastream.schemas.Answer;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.FinishReason;
import io.llavastream.schemas.ImageLabel;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.TaskRef;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Routing of captioned posts by the zero-shot labels of their answers ({@link LabelRouting}), on a test driver. */
class LabelRoutingTopologyTest {
    @TempDir
    Path stateDir;
    PipelineDriver p;

    @AfterEach
    void close() {
        if (p != null) {
            p.close();
        }
    }

    private TestOutputTopic<String, CaptionedPost> out(String topic) {
        Topic<CaptionedPost> t = Topics.labeledPosts("x");
        return p.driver.createOutputTopic(topic, t.keySerde().deserializer(), t.valueSerde(p.registry).deserializer());
    }

    private static Answer labelled(TaskRef task, String... labels) {
        return Answer.newBuilder(answer(task, "a shape", FinishReason.EOS, START))
                .setLabels(Arrays.stream(labels).map(l -> ImageLabel.newBuilder().setLabel(l).setScore(0.9f).build())
                        .toList()).build();
    }

    /** Sends a post with one image per entry of {@code labelsPerImage} and answers each with those labels. */
    private void postWith(String id, String[]... labelsPerImage) {
        byte[][] images = new byte[labelsPerImage.length][];
        for (int i = 0; i < images.length; i++) {
            images[i] = (id + i).getBytes();
        }
        p.posts.pipeInput(id, post(id, null, images));
        List<TaskRef> tasks = values(p.visionRequests).stream().map(ImageTask::getTask).toList();
        for (int i = 0; i < tasks.size(); i++) {
            p.answers.pipeInput(tasks.get(i).getTaskId(), labelled(tasks.get(i), labelsPerImage[i]));
        }
    }

    @Test
    void aPostGoesToTheTopicOfEachLabelItsImagesCarryOnce() {
        p = new PipelineDriver(stateDir, Map.of());
        postWith("two", new String[] {"circle"}, new String[] {"square", "circle"});
        CaptionedPost c = values(p.captioned).get(0);
        assertThat(c.getLabels()).containsExactly("circle", "square");
        assertThat(c.getAnswers().get(1).getLabels()).extracting(ImageLabel::getLabel).containsExactly("square",
                "circle");
        assertThat(values(out(Topics.LABELED_POSTS_CIRCLE.name()))).extracting(CaptionedPost::getPostId)
                .containsExactly("two");
        assertThat(values(out(Topics.LABELED_POSTS_SQUARE.name()))).extracting(CaptionedPost::getPostId)
                .containsExactly("two");
        assertThat(out(Topics.LABELED_POSTS_TRIANGLE.name()).isEmpty()).isTrue();
        assertThat(out(Topics.UNLABELED_POSTS.name()).isEmpty()).isTrue();
    }

    @Test
    void aPostWithNoLabelOrOnlyUnroutedLabelsGoesToTheDefaultTopic() {
        p = new PipelineDriver(stateDir, Map.of());
        postWith("none", new String[] {});
        postWith("unrouted", new String[] {"hexagon"});
        assertThat(values(out(Topics.UNLABELED_POSTS.name()))).extracting(CaptionedPost::getPostId)
                .containsExactly("none", "unrouted");
        assertThat(values(p.captioned)).hasSize(2);
    }

    @Test
    void theMappingIsConfigurableAndTwoLabelsOnOneTopicWriteThePostOnce() {
        p = new PipelineDriver(stateDir, Map.of(PipelineConfig.LABEL_TOPICS_CONFIG, "code=mod.code,shell=mod.code",
                PipelineConfig.LABEL_DEFAULT_TOPIC_CONFIG, "mod.other"));
        postWith("both", new String[] {"code", "shell"});
        postWith("circle", new String[] {"circle"});
        assertThat(values(out("mod.code"))).extracting(CaptionedPost::getPostId).containsExactly("both");
        assertThat(values(out("mod.other"))).extracting(CaptionedPost::getPostId).containsExactly("circle");
        assertThat(out(Topics.LABELED_POSTS_CIRCLE.name()).isEmpty()).isTrue();
    }

    @Test
    void anEmptyMappingRoutesNothing() {
        p = new PipelineDriver(stateDir, Map.of(PipelineConfig.LABEL_TOPICS_CONFIG, ""));
        postWith("plain", new String[] {"circle"});
        assertThat(values(p.captioned)).hasSize(1);
        assertThat(out(Topics.LABELED_POSTS_CIRCLE.name()).isEmpty()).isTrue();
        assertThat(out(Topics.UNLABELED_POSTS.name()).isEmpty()).isTrue();
    }

    @Test
    void aBadMappingIsRefusedNamingTheEntry() {
        assertThatThrownBy(() -> new PipelineConfig(Map.of(PipelineConfig.VISION_MODEL_ID_CONFIG, "m",
                PipelineConfig.LABEL_TOPICS_CONFIG, "circle")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("circle").hasMessageContaining("label=topic");
        assertThatThrownBy(() -> new PipelineConfig(Map.of(PipelineConfig.VISION_MODEL_ID_CONFIG, "m",
                PipelineConfig.LABEL_TOPICS_CONFIG, "a=t1,a=t2")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("mapped twice");
        assertThatThrownBy(() -> new PipelineConfig(Map.of(PipelineConfig.VISION_MODEL_ID_CONFIG, "m",
                PipelineConfig.LABEL_TOPICS_CONFIG, "a=bad topic")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("not a legal Kafka topic name");
    }
}
