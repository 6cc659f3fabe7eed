package io.llavastream.console;

import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * One stage as the console measures it from Kafka: its consumer group's lag on {@code input}, the growth of
 * {@code output}'s end offsets, and the latency {@link Latencies} keeps under its name.
 *
 * @param stage  topology, vision, merge or decode
 * @param group  its consumer group (a worker's group.id, the topology's application.id)
 * @param input  the topic whose lag is the stage's backlog
 * @param output the topic whose end offsets grow as it works
 */
public record StageView(String stage, String group, Topic<?> input, Topic<?> output) {
    /**
     * The pipeline's four stages.
     *
     * @param topologyGroup the topology's application.id
     * @param workerGroup   a worker stage's id (vision, merge, decode) to its consumer group
     */
    public static List<StageView> pipeline(String topologyGroup, UnaryOperator<String> workerGroup) {
        return List.of(new StageView("topology", topologyGroup, Topics.POSTS, Topics.CAPTIONED_POSTS),
                new StageView("vision", workerGroup.apply("vision"), Topics.VISION_REQUESTS, Topics.VISION_FEATURES),
                new StageView("merge", workerGroup.apply("merge"), Topics.MERGE_REQUESTS, Topics.DECODE_REQUESTS),
                new StageView("decode", workerGroup.apply("decode"), Topics.DECODE_REQUESTS, Topics.ANSWERS));
    }
}
