package io.llavastream.cli;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.TreeMap;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * The embedded broker's own counters, read from its JMX metrics in this process: requests handled by type
 * ({@code kafka.network:type=RequestMetrics,name=RequestsPerSec}), and records and bytes appended
 * ({@code kafka.server:type=BrokerTopicMetrics}, all topics). A snapshot before and after a timed window gives the
 * Kafka work per post, a count that the machine's load does not blur as it blurs CPU time. Touches no topic.
 */
record BrokerCounters(Map<String, Long> requests, long messagesIn, long bytesIn) {
    /** The counters now; zeros where the broker has not registered a metric (yet). */
    static BrokerCounters now() {
        MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
        Map<String, Long> requests = new TreeMap<>();
        try {
            for (ObjectName n : jmx.queryNames(new ObjectName(
                    "kafka.network:type=RequestMetrics,name=RequestsPerSec,*"), null)) {
                requests.merge(n.getKeyProperty("request"), count(jmx, n), Long::sum);
            }
            return new BrokerCounters(requests,
                    count(jmx, new ObjectName("kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec")),
                    count(jmx, new ObjectName("kafka.server:type=BrokerTopicMetrics,name=BytesInPerSec")));
        } catch (javax.management.MalformedObjectNameException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long count(MBeanServer jmx, ObjectName n) {
        try {
            return ((Number) jmx.getAttribute(n, "Count")).longValue();
        } catch (Exception absent) {
            return 0;
        }
    }

    /** What happened between {@code before} and this snapshot. */
    BrokerCounters minus(BrokerCounters before) {
        Map<String, Long> r = new TreeMap<>(requests);
        before.requests.forEach((k, v) -> r.merge(k, -v, Long::sum));
        r.values().removeIf(v -> v == 0);
        return new BrokerCounters(r, messagesIn - before.messagesIn, bytesIn - before.bytesIn);
    }

    long totalRequests() {
        return requests.values().stream().mapToLong(Long::longValue).sum();
    }
}
