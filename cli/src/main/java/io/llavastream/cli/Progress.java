package io.llavastream.cli;

import java.io.PrintStream;

/** A one-line progress bar on stderr, redrawn at most every 200 ms; quiet when stderr is not a terminal. */
final class Progress implements AutoCloseable {
    private boolean closed;
    private final String label;
    private final long total;
    private final PrintStream err = System.err;
    private final boolean tty = System.console() != null;
    private final long start = System.nanoTime();
    private long lastDraw;
    private long done;

    Progress(String label, long total) {
        this.label = label;
        this.total = total;
    }

    void step() {
        advance(1);
    }

    void advance(long n) {
        done += n;
        long now = System.nanoTime();
        if (now - lastDraw > 200_000_000L || done == total) {
            lastDraw = now;
            draw();
        }
    }

    private void draw() {
        double secs = (System.nanoTime() - start) / 1e9;
        int width = 30;
        int filled = total == 0 ? width : (int) (width * done / total);
        String line = String.format("%s [%s%s] %d/%d %.1fs", label, "#".repeat(filled), ".".repeat(width - filled),
                done, total, secs);
        if (tty) {
            err.print("\r" + line);
        } else if (done == total) {
            err.println(line);
        }
    }

    /** Ends the line; a second close does nothing. */
    @Override
    public void close() {
        if (tty && !closed) {
            err.println();
        }
        closed = true;
    }
}
