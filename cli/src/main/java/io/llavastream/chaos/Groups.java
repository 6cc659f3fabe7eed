package io.llavastream.chaos;

import io.llavastream.rules.StageName;
import io.llavastream.topics.Topics;
import io.llavastream.topology.PipelineConfig;
import java.util.List;
import org.apache.kafka.clients.admin.MemberDescription;

/** The consumer group of a pipeline process and the topics it consumes. */
final class Groups {
    /**
     * The topology's application id, its default (its group, and the prefix of its transactional ids and internal
     * topics).
     */
    static final String TOPOLOGY = (String) PipelineConfig.DEFINITION.defaultValues()
            .get(PipelineConfig.APPLICATION_ID_CONFIG);

    private Groups() {
    }

    static String of(ManagedProcess p) {
        return p.isWorker() ? "llava-" + p.stage() : TOPOLOGY;
    }

    /** A worker's input topic; for the topology, null (every topic its group has committed). */
    static String inputTopic(ManagedProcess p) {
        if (!p.isWorker()) {
            return null;
        }
        return switch (p.stage()) {
            case "vision" -> Topics.VISION_REQUESTS.name();
            case "merge" -> Topics.MERGE_REQUESTS.name();
            case "decode" -> Topics.DECODE_REQUESTS.name();
            default -> throw new IllegalArgumentException("no such stage: " + p.stage());
        };
    }

    /**
     * Whether group member {@code m} is the process with {@code instanceId}: its client.id starts with it (the run sets
     * client.id to the instance id; Kafka Streams adds "-StreamThread-N-consumer"), or its group.instance.id starts
     * or ends with it (Kafka Streams adds "-N"; a worker's is "llava-&lt;stage&gt;-&lt;instance id&gt;").
     */
    static boolean isMember(MemberDescription m, String instanceId) {
        return m.clientId().startsWith(instanceId) || m.groupInstanceId()
                .map(id -> id.startsWith(instanceId) || id.endsWith("-" + instanceId)).orElse(false);
    }

    /** Whether transactional id {@code id} belongs to {@code p}: a worker's ends with its instance id. */
    static boolean ownsTransaction(ManagedProcess p, String id) {
        return p.isWorker() ? id.endsWith("-" + p.instanceId()) : id.startsWith(TOPOLOGY + "-");
    }

    /** The stage workers' default groups, llava-&lt;stage&gt;. */
    static List<String> workerGroups() {
        return StageName.WORKER_STAGES.stream().map(s -> "llava-" + s.id()).toList();
    }
}
