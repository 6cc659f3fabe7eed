package io.llavastream.scale;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/**
 * Task ids that spread evenly over the partitions: id {@code i} hashes (Kafka's default partitioner, murmur2 of
 * the UTF-8 key) to partition {@code i % partitions}. Every bench-scale topic has the same partition count and
 * every stage keys its output by task id, so a post stays on the same partition number through all stages, and
 * the workers of a stage get equal shares however many posts a run sends. With random ids a short run would leave
 * some partitions, and so some workers, with more posts than others.
 */
final class BalancedKeys {
    private BalancedKeys() {
    }

    static String taskId(String prefix, int index, int partitions) {
        int target = index % partitions;
        for (int salt = 0; ; salt++) {
            String id = prefix + "-" + index + "-" + salt;
            if (partition(id, partitions) == target) {
                return id;
            }
        }
    }

    static int partition(String key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }
}
