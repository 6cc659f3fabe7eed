package io.llavastream.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Whether a hostile record led to what it must: its dead letters (found by the record's topic, partition and
 * offset, or by its post's task ids), its post captioned, or nothing.
 *
 * @param got the dead letters found for it, as "ERROR_TYPE by stage"
 */
public record HostileVerdict(String name, String topic, int partition, long offset, String expected,
                             List<String> got, boolean ok, String what) {

    static List<HostileVerdict> judge(List<HostileWriter.Written> written, List<Ledger.DeadLetterSeen> deadLetters,
                                      Map<String, Integer> captioned, Map<String, Integer> failedImages,
                                      ReaderCheck readers) {
        List<HostileVerdict> out = new ArrayList<>();
        for (HostileWriter.Written w : written) {
            List<Ledger.DeadLetterSeen> mine = deadLetters.stream().filter(d -> matches(w, d)).toList();
            HostileRecord h = w.record();
            out.add(new HostileVerdict(h.name(), h.topic(), w.partition(), w.offset(), h.expected().describe(),
                    mine.stream().map(d -> d.errorType() + " by " + d.stage()).distinct().toList(),
                    ok(h, mine, captioned, failedImages, readers), h.what()));
        }
        return out;
    }

    static boolean matches(HostileWriter.Written w, Ledger.DeadLetterSeen d) {
        if (d.topic().equals(w.record().topic()) && d.partition() == w.partition() && d.offset() == w.offset()) {
            return true;
        }
        String post = w.record().postId();
        return post != null && d.key() != null && d.key().startsWith(post + "/");
    }

    private static boolean ok(HostileRecord h, List<Ledger.DeadLetterSeen> mine, Map<String, Integer> captioned,
                              Map<String, Integer> failedImages, ReaderCheck readers) {
        Expectation e = h.expected();
        boolean reasonSeen = e.reason() != null
                && mine.stream().anyMatch(d -> d.errorType().equals(e.reason().name()));
        boolean cleanlyCaptioned = h.postId() != null && captioned.containsKey(h.postId())
                && failedImages.getOrDefault(h.postId(), 0) == 0 && mine.isEmpty();
        return switch (e.outcome()) {
            case DEAD_LETTER -> reasonSeen;
            case DEAD_LETTER_OR_CAPTIONED -> reasonSeen || cleanlyCaptioned;
            case CAPTIONED -> cleanlyCaptioned;
            case IGNORED -> mine.isEmpty();
            case SKIPPED_BY_READERS -> mine.isEmpty() && readers != null && readers.ok();
        };
    }

    /** Whether the run may stop waiting for this record: a dead letter or its post has shown up, or none is due. */
    static boolean settled(HostileWriter.Written w, List<Ledger.DeadLetterSeen> deadLetters,
                           Map<String, Integer> captioned) {
        HostileRecord h = w.record();
        boolean dead = deadLetters.stream().anyMatch(d -> matches(w, d));
        return switch (h.expected().outcome()) {
            case DEAD_LETTER -> dead;
            case DEAD_LETTER_OR_CAPTIONED, CAPTIONED -> dead || captioned.containsKey(h.postId());
            case IGNORED, SKIPPED_BY_READERS -> true;
        };
    }
}
