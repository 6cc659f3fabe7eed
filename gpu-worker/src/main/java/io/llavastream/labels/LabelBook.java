package io.llavastream.labels;

import io.llavastream.model.labels.LabelPrompts;
import io.llavastream.model.labels.LabelScorer;
import io.llavastream.rules.LabelRules;
import io.llavastream.schemas.LabelDefinition;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SerdeException;
import io.llavastream.topics.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live label set, built from the labels topic's records in offset order: a record sets its label, a tombstone
 * removes it, a record that breaks {@link LabelRules} is skipped (with a warning, counted) and leaves the label as it
 * was. {@link #publish()} turns the set into a new {@link LabelScorer} when it changed (every prompt through the
 * text tower once per version); readers take {@link #scorer()} without locking. A scorer that cannot be built
 * (the text tower fails) keeps the previous one and is counted as a skip.
 */
public final class LabelBook {
    private static final Logger LOG = LoggerFactory.getLogger(LabelBook.class);

    private final Function<List<LabelPrompts>, LabelScorer> scorers;
    private final Map<String, LabelPrompts> labels = new TreeMap<>();
    private volatile Version current = new Version(0, LabelScorer.empty());
    private boolean dirty;
    private long changes;
    private volatile long skipped;

    /** The scorer of one version of the label set; version counts the changes applied since the reader started. */
    public record Version(long version, LabelScorer scorer) {
    }

    /** @param scorers builds the scorer of a label set ({@code LabelText::scorer}) */
    public LabelBook(Function<List<LabelPrompts>, LabelScorer> scorers) {
        this.scorers = scorers;
    }

    /** A label's record ({@code null}: a tombstone, the label is removed). */
    public void apply(String key, LabelDefinition d) {
        apply(key, d, "key " + key);
    }

    /** As above; {@code where} names the record in a warning (topic-partition@offset). */
    public synchronized void apply(String key, LabelDefinition d, String where) {
        if (d == null) {
            dirty |= labels.remove(key) != null;
            changes++;
            return;
        }
        LabelPrompts p;
        try {
            LabelRules.check(key, d);
            p = new LabelPrompts(d.getLabel(), List.copyOf(d.getPrompts()), d.getThreshold());
        } catch (IllegalArgumentException e) {
            skip(where + ": label record refused: " + e.getMessage());
            return;
        }
        labels.put(key, p);
        dirty = true;
        changes++;
    }

    /**
     * One record of the labels topic as it is on the wire, decoded as every reader of the topic must: no key is
     * skipped, a tombstone removes its label, bytes {@code serde} cannot read are skipped with the reason.
     *
     * @param key   the record's key (the label's name), null when it has none
     * @param where names the record in a warning (topic-partition@offset)
     * @return false when the schema registry cannot be reached: nothing was applied, read the record again later
     */
    public boolean applyRecord(String key, byte[] value, AvroSerde<LabelDefinition> serde, String where) {
        if (key == null) {
            skip(where + ": no key; a label record is keyed by the label's name");
            return true;
        }
        if (value == null) {
            apply(key, null, where);
            return true;
        }
        try {
            apply(key, serde.deserialize(Topics.LABELS.name(), value), where);
        } catch (SerdeException e) {
            if (e.reason() == SerdeException.Reason.REGISTRY_UNAVAILABLE) {
                LOG.warn("labels: the schema registry cannot be reached ({}); {} is to be read again", e.getMessage(),
                        where);
                return false;
            }
            skip(where + ": " + e.reason() + ": " + e.getMessage());
        } catch (RuntimeException e) {  // whatever Avro refuses is not a label record
            skip(where + ": NOT_AVRO: cannot decode " + value.length + " bytes as LabelDefinition: " + e);
        }
        return true;
    }

    /** A record that is not a label definition at all (not Avro, a bomb, an unknown schema id): skipped. */
    public void skip(String why) {
        skipped++;
        LOG.warn("labels: skipped a record of the labels topic ({}); the label set is unchanged", why);
    }

    /** Builds and publishes the scorer of the current set if it changed since the last call. */
    public synchronized void publish() {
        if (!dirty) {
            return;
        }
        List<LabelPrompts> set = new ArrayList<>(labels.values());
        try {
            current = new Version(changes, scorers.apply(set));
            dirty = false;
            LOG.info("labels: label set version {} in force: {}", changes, labels.keySet());
        } catch (RuntimeException e) {
            dirty = false;
            skip("the text tower could not embed the set " + labels.keySet() + ": " + e);
        }
    }

    /** The scorer in force. */
    public LabelScorer scorer() {
        return current.scorer();
    }

    public Version current() {
        return current;
    }

    /** Records skipped so far. */
    public long skipped() {
        return skipped;
    }
}
