package io.llavastream.kafka;

import io.llavastream.topics.LargeRecords;
import io.llavastream.topics.Topics;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The server properties of the embedded broker: one KRaft node that is both broker and controller, with both
 * listeners bound to 127.0.0.1 only (a demo broker must not be reachable from the network), replication settings of
 * 1 (there is one node), size limits raised so that records of {@link Topics#MAX_RECORD_BYTES} fit, and the
 * operating system's autotuned socket buffers for them.
 */
final class BrokerSettings {
    static final int NODE_ID = 1;
    static final String HOST = "127.0.0.1";
    static final String BROKER_LISTENER = "PLAINTEXT";
    static final String CONTROLLER_LISTENER = "CONTROLLER";
    /** Produce requests carry whole batches: room for several of the largest records in one request. */
    static final int SOCKET_REQUEST_MAX_BYTES = 6 * Topics.MAX_RECORD_BYTES;

    private BrokerSettings() {
    }

    /**
     * @param logDir         where the partitions and the metadata log live
     * @param brokerPort     the clients' port
     * @param controllerPort the KRaft controller's port (static quorum of this one node)
     */
    static Map<String, String> of(Path logDir, int brokerPort, int controllerPort) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("listeners", BROKER_LISTENER + "://" + HOST + ":" + brokerPort + ","
                + CONTROLLER_LISTENER + "://" + HOST + ":" + controllerPort);
        p.put("advertised.listeners", BROKER_LISTENER + "://" + HOST + ":" + brokerPort);
        p.put("listener.security.protocol.map", BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("inter.broker.listener.name", BROKER_LISTENER);
        p.put("log.dirs", logDir.toString());
        // one node: every internal topic has one replica
        p.put("offsets.topic.replication.factor", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        // 50 partitions each (the defaults) are for spreading load over many brokers; here they only slow the first
        // group join and the first transaction
        p.put("offsets.topic.num.partitions", "4");
        p.put("transaction.state.log.num.partitions", "4");
        // nothing to wait for: with one process per stage, a rebalance delay only delays the first poll
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("message.max.bytes", Integer.toString(Topics.MAX_RECORD_BYTES));
        p.put("socket.request.max.bytes", Integer.toString(SOCKET_REQUEST_MAX_BYTES));
        // the operating system's socket buffers, which Linux grows with the traffic, instead of Kafka's fixed 100 KiB:
        // the broker's halves of LargeRecords.SOCKET_BUFFER_BYTES (a produce request is read, and a fetch response
        // sent, in a few large chunks rather than dozens); see there for the measured effect
        p.put("socket.send.buffer.bytes", Integer.toString(LargeRecords.SOCKET_BUFFER_BYTES));
        p.put("socket.receive.buffer.bytes", Integer.toString(LargeRecords.SOCKET_BUFFER_BYTES));
        // the compacted topics' cleaner allocates this up front; the 128 MiB default is a lot inside the demo's JVM
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(16 * 1024 * 1024));
        // request handler and network threads: the defaults (8 and 3) are sized for a server; the embedded broker
        // shares the machine's (2 on the development machine) cores with the pipeline in the same JVM, where more
        // threads than cores only add context switches (issue 9: Kafka CPU per post in bench pipeline)
        p.put("num.io.threads", "2");
        p.put("num.network.threads", "2");
        return p;
    }
}
