package io.llavastream.worker;

import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.IllegalGenerationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnknownMemberIdException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

/**
 * Which Kafka errors end a worker and which say something about the records. The clients often wrap the cause
 * (a rebalance callback's error, a producer already in an error state), so the whole cause chain is examined.
 */
final class Fatal {
    private Fatal() {
    }

    /**
     * True for errors no retry can fix: another process took this transactional.id or group.instance.id, the
     * worker may not read or write, the broker does not support what it needs, the producer's sequence broke, or a
     * commit that kept timing out (it may or may not have gone through: a restart resolves it, a retry cannot).
     */
    static boolean is(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ProducerFencedException || t instanceof FencedInstanceIdException
                    || t instanceof AuthorizationException || t instanceof UnsupportedVersionException
                    || t instanceof OutOfOrderSequenceException || t instanceof CommitTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when a failed transaction may be the records' fault (the broker refused them: too large, invalid, ...);
     * false for what says nothing about them: timeouts and other retriable errors, a registry outage, and a group
     * that moved on (a rebalance bumped the generation, so the offsets of the old one were refused).
     */
    static boolean blamesRecords(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RetriableException || RecordReader.registryUnavailable(t)
                    || t instanceof CommitFailedException || t instanceof RebalanceInProgressException
                    || t instanceof IllegalGenerationException || t instanceof UnknownMemberIdException
                    || t instanceof InvalidProducerEpochException) {
                return false;
            }
        }
        return true;
    }

    /** commitTransaction timed out several times in a row. */
    static final class CommitTimeoutException extends KafkaException {
        CommitTimeoutException(TimeoutException cause, int tries) {
            super("commitTransaction timed out " + tries + " times in a row; whether it went through is unknown, "
                    + "so this worker stops and a restart (initTransactions) settles it", cause);
        }
    }
}
