package io.llavastream.scale;

/**
 * What one run (one worker count) measured, over its steady window: from the first sample with 10 % of the posts
 * answered to the first with 90 % (the ramp-up and the drain left out).
 *
 * @param workers             workers per stage
 * @param timeScale           simulated GPU time multiplier of the run (0: no compute at all)
 * @param posts               posts sent (one image each)
 * @param answers             distinct posts answered
 * @param duplicates          answers that arrived a second time for the same post
 * @param errors              ERROR answers
 * @param postsPerSecond      answers per second in the window
 * @param windowMbInPerSecond bytes the broker took in per second in the window, in MB (10^6); in a short run the
 *                            upstream stages may be done before the window starts, so see {@link #mbInPerSecond}
 * @param windowMbOutPerSecond bytes the broker sent per second in the window, in MB
 * @param brokerBytesInPerPost broker bytes in over the whole run, per post sent
 * @param brokerBytesOutPerPost broker bytes out over the whole run, per post sent
 * @param visionBusy          share of the window the simulated vision GPUs were busy (0..1, mean over workers)
 * @param mergeBusy           the same for merge
 * @param decodeBusy          the same for decode
 * @param decodeMeanBatch     rows per decode step in the window, mean over all decode workers' steps
 * @param decodeOverheadMs    per decode step, the decode workers' time in the window that was not simulated GPU
 *                            time: polling, serializing, committing transactions, waiting for input, in ms
 * @param seconds             wall time of the run, from the first post sent to the last answer
 */
public record RunResult(int workers, double timeScale, int posts, int answers, int duplicates, int errors,
                        double postsPerSecond, double windowMbInPerSecond, double windowMbOutPerSecond,
                        double brokerBytesInPerPost, double brokerBytesOutPerPost, double visionBusy,
                        double mergeBusy, double decodeBusy, double decodeMeanBatch, double decodeOverheadMs,
                        double seconds) {

    /** The broker's intake at this rate in steady state: posts/s times the bytes in per post, MB/s. */
    public double mbInPerSecond() {
        return postsPerSecond * brokerBytesInPerPost / 1e6;
    }

    /** The broker's output at this rate in steady state: posts/s times the bytes out per post, MB/s. */
    public double mbOutPerSecond() {
        return postsPerSecond * brokerBytesOutPerPost / 1e6;
    }

    /** Posts sent that never got an answer. */
    public int missing() {
        return posts - answers;
    }
}
