package io.llavastream.worker;

import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A batch after compute, ready for its transaction.
 *
 * @param records     every record to send: the stage's outputs and the dead letters, in input order
 * @param inputs      input records the batch consumed
 * @param deadLetters how many of {@code records} are dead letters
 */
record ProcessedBatch(List<ProducerRecord<byte[], byte[]>> records, int inputs, int deadLetters) {
}
