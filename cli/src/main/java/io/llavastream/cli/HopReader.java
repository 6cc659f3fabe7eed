package io.llavastream.cli;

import java.time.Duration;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/** Polls until a number of records has arrived, handing each to a callback; gives up when none come for a while. */
final class HopReader {
    /** With no record for this long, the sender has failed or the broker is gone: the bench stops with an error. */
    static final Duration PATIENCE = Duration.ofSeconds(60);

    private HopReader() {
    }

    static void drain(KafkaConsumer<byte[], byte[]> consumer, int count,
                      Consumer<ConsumerRecord<byte[], byte[]>> each) {
        int got = 0;
        long lastProgress = System.nanoTime();
        while (got < count) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                each.accept(r);
                got++;
                lastProgress = System.nanoTime();
            }
            if (System.nanoTime() - lastProgress > PATIENCE.toNanos()) {
                throw new IllegalStateException("bench read " + got + " of " + count + " records from "
                        + consumer.assignment() + " and then nothing for " + PATIENCE.toSeconds() + " s");
            }
        }
    }
}
