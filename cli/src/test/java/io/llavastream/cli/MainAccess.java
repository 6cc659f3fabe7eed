package io.llavastream.cli;

/** Runs a command line as {@code ./llava-stream} would, for tests outside this package. */
public final class MainAccess {
    private MainAccess() {
    }

    public static int execute(String... args) {
        return Main.commandLine().execute(args);
    }
}
