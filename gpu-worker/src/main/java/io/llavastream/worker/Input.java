package io.llavastream.worker;

import org.apache.avro.specific.SpecificRecord;

/**
 * One record handed to a stage: its key and its decoded value. Nothing of Kafka (topic, partition, offset) reaches
 * a stage; the runtime keeps those to commit and to dead-letter.
 *
 * @param key the record key (a task id on the per-image topics); null when the record had none
 */
public record Input<I extends SpecificRecord>(String key, I value) {
}
