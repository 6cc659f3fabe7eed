package io.llavastream.chaos;

import java.util.ArrayList;
import java.util.List;

/**
 * The order of a run: slices of posts, each followed by a fault; the broker restart, the registry outage (which
 * sends its own slice while the registry is down) and the hostile corpus after the first half of the kills; the
 * last slice after everything, so that valid posts follow the hostile records.
 */
final class ChaosPlan {
    enum Kind { SEND, KILL, BROKER_RESTART, REGISTRY_OUTAGE, HOSTILE }

    /** One step; {@code count} is the slice size (SEND, REGISTRY_OUTAGE) or the kill's 0-based number (KILL). */
    record Step(Kind kind, int count) {
    }

    private ChaosPlan() {
    }

    static List<Step> of(ChaosOptions o) {
        int slices = o.kills() + o.brokerRestarts() + (o.registryOutageDue() ? 2 : 0) + 1;
        int[] sizes = sizes(o.posts(), slices);
        int slice = 0;
        List<Step> steps = new ArrayList<>();
        int half = o.kills() / 2;
        for (int k = 0; k < half; k++) {
            steps.add(new Step(Kind.SEND, sizes[slice++]));
            steps.add(new Step(Kind.KILL, k));
        }
        for (int b = 0; b < o.brokerRestarts(); b++) {
            steps.add(new Step(Kind.SEND, sizes[slice++]));
            steps.add(new Step(Kind.BROKER_RESTART, 0));
        }
        if (o.registryOutageDue()) {  // a slice first, so that every process has its schemas cached
            steps.add(new Step(Kind.SEND, sizes[slice++]));
            steps.add(new Step(Kind.REGISTRY_OUTAGE, sizes[slice++]));
        }
        if (o.hostile()) {
            steps.add(new Step(Kind.HOSTILE, 0));
        }
        for (int k = half; k < o.kills(); k++) {
            steps.add(new Step(Kind.SEND, sizes[slice++]));
            steps.add(new Step(Kind.KILL, k));
        }
        steps.add(new Step(Kind.SEND, sizes[slice]));
        return steps;
    }

    /** {@code total} split into {@code n} nearly equal parts, each at least 1 when total allows. */
    static int[] sizes(int total, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = total / n + (i < total % n ? 1 : 0);
        }
        return out;
    }
}
