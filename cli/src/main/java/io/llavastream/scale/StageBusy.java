package io.llavastream.scale;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The simulated GPU time each stage has spent, summed over its workers, and the decode stage's steps and the rows
 * they carried (their ratio is the mean decode batch).
 */
record StageBusy(AtomicLong vision, AtomicLong merge, AtomicLong decode, AtomicLong decodeSteps,
                 AtomicLong decodeRows) {
    StageBusy() {
        this(new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong());
    }
}
