package io.llavastream.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.serde.InMemorySchemaRegistry;
import io.llavastream.topics.Topics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.TopologyDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TopologyShapeTest {
    @TempDir
    Path stateDir;

    static TopologyDescription describe() {
        PipelineConfig config = new PipelineConfig(Map.of(PipelineConfig.VISION_MODEL_ID_CONFIG, "m"));
        InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
        return PipelineTopology.build(PipelineTopology.newBuilder(StreamsProperties.of(config, "unused:9092",
                Map.of(), registry)), config, registry, new DeadLetterCounts()).describe();
    }

    static List<TopologyDescription.Node> nodes() {
        List<TopologyDescription.Node> nodes = new ArrayList<>();
        describe().subtopologies().forEach(s -> nodes.addAll(s.nodes()));
        return nodes;
    }

    @Test
    void everyNodeHasAnExplicitName() {
        assertThat(nodes()).extracting(TopologyDescription.Node::name)
                .noneMatch(n -> n.startsWith("KSTREAM-") || n.startsWith("KTABLE-"));
    }

    @Test
    void readsAndWritesOnlyThePipelineTopicsAndItsNamedRepartition() {
        List<String> topics = new ArrayList<>();
        for (TopologyDescription.Node n : nodes()) {
            if (n instanceof TopologyDescription.Source s) {
                topics.addAll(s.topicSet());
            } else if (n instanceof TopologyDescription.Sink s) {
                topics.add(s.topic());
            }
        }
        assertThat(topics).as("no vision-features table, no repartition of image bytes").containsOnly(
                Topics.POSTS.name(), Topics.ANSWERS.name(), Topics.VISION_REQUESTS.name(),
                Topics.CAPTIONED_POSTS.name(), Topics.DEAD_LETTERS.name(),
                TopologyNames.POST_PARTS_BY_POST + "-repartition", Topics.LABELED_POSTS_CIRCLE.name(),
                Topics.LABELED_POSTS_SQUARE.name(), Topics.LABELED_POSTS_TRIANGLE.name(),
                Topics.LABELED_POSTS_CROSS.name(), Topics.UNLABELED_POSTS.name());
    }

    @Test
    void visionRequestsAreCoPartitionedWithVisionFeaturesSoEachVisionWorkerCachesItsOwnPartitions() {
        assertThat(Topics.VISION_REQUESTS.partitions()).isEqualTo(Topics.VISION_FEATURES.partitions());
    }

    @Test
    void namedStoresBelongToTheirProcessors() {
        assertThat(nodes()).filteredOn(n -> n instanceof TopologyDescription.Processor)
                .flatExtracting(n -> ((TopologyDescription.Processor) n).stores())
                .containsOnly(TopologyNames.PENDING_POSTS_STORE, TopologyNames.COMPLETED_POSTS_STORE,
                        TopologyNames.PENDING_BY_TIME_STORE, TopologyNames.COMPLETED_BY_TIME_STORE);
    }
}
