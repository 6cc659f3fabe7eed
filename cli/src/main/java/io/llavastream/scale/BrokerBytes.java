package io.llavastream.scale;

import java.lang.management.ManagementFactory;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * The bytes the broker has taken in (produce requests) and sent out (fetch responses) since it started, from its
 * own meters {@code kafka.server:type=BrokerTopicMetrics,name=BytesInPerSec} and {@code BytesOutPerSec} (all
 * topics), read over JMX. Works for a broker in this JVM, which is what the simulation runs.
 */
final class BrokerBytes {
    private static final String IN = "kafka.server:type=BrokerTopicMetrics,name=BytesInPerSec";
    private static final String OUT = "kafka.server:type=BrokerTopicMetrics,name=BytesOutPerSec";

    private BrokerBytes() {
    }

    static long in() {
        return count(IN);
    }

    static long out() {
        return count(OUT);
    }

    private static long count(String name) {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try {
            return ((Number) server.getAttribute(new ObjectName(name), "Count")).longValue();
        } catch (JMException e) {
            throw new IllegalStateException("cannot read the broker meter " + name + " over JMX (expected an "
                    + "embedded broker in this JVM): " + e, e);
        }
    }
}
