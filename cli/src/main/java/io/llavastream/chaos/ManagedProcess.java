package io.llavastream.chaos;

import io.llavastream.status.ProcessStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One process of the pipeline (broker, topology or a stage worker) as a JVM of its own: its command line, its
 * environment, its status file and its log (appended to across restarts). {@link #kill} is SIGKILL
 * ({@link Process#destroyForcibly}): no shutdown hook runs, nothing is flushed or committed.
 */
public final class ManagedProcess {
    private final String name;
    private final String role;
    private final String stage;
    private final String instanceId;
    private final List<String> command;
    private final Map<String, String> env;
    private final Path statusFile;
    private final Path log;
    private Process process;
    private int starts;
    private int kills;

    ManagedProcess(String name, String role, String stage, String instanceId, List<String> command,
                   Map<String, String> env, Path statusFile, Path log) {
        this.name = name;
        this.role = role;
        this.stage = stage;
        this.instanceId = instanceId;
        this.command = List.copyOf(command);
        this.env = Map.copyOf(env);
        this.statusFile = statusFile;
        this.log = log;
    }

    /** Starts a new incarnation (the previous one must be gone). */
    synchronized void start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is still running (pid " + process.pid() + ")");
        }
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(Redirect.appendTo(
                log.toFile()));
        b.environment().putAll(env);
        try {
            process = b.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + command, e);
        }
        starts++;
    }

    /** SIGKILL, then waits for the process to be gone. */
    synchronized void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException(name + " (pid " + process.pid() + ") survived SIGKILL for 30 s");
        }
        kills++;
    }

    /** SIGSTOP: the process stops where it is (no thread runs, nothing is sent) until {@link #thaw}. */
    void freeze() throws InterruptedException {
        signal("STOP");
    }

    /** SIGCONT: a frozen process goes on where it stopped. */
    void thaw() throws InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws InterruptedException {
        long pid = pid();
        try {
            // the shell's own kill: no procps needed; pid is a number and name a constant
            Process k = new ProcessBuilder("sh", "-c", "kill -" + name + " " + pid).redirectErrorStream(true).start();
            if (!k.waitFor(10, TimeUnit.SECONDS) || k.exitValue() != 0) {
                throw new IllegalStateException("kill -" + name + " " + pid + " (" + this.name + ") failed: "
                        + new String(k.getInputStream().readAllBytes()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill -" + name + " " + pid, e);
        }
    }

    /** SIGTERM (the shutdown hook stops it cleanly), SIGKILL after {@code graceSeconds}; true when it stopped in time. */
    synchronized boolean stop(int graceSeconds) throws InterruptedException {
        if (process == null || !process.isAlive()) {
            return true;
        }
        try {
            thaw();  // a frozen process would not see SIGTERM
        } catch (IllegalStateException e) {
            // gone meanwhile
        }
        process.destroy();
        if (process.waitFor(graceSeconds, TimeUnit.SECONDS)) {
            return true;
        }
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        return false;
    }

    public synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    /** The exit code of the current incarnation, when it has ended. */
    public synchronized Optional<Integer> exitCode() {
        return process == null || process.isAlive() ? Optional.empty() : Optional.of(process.exitValue());
    }

    public synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    /** The status file of the current incarnation; empty until it has written one. */
    public Optional<ProcessStatus> status() {
        long pid = pid();
        return ProcessStatus.read(statusFile).filter(s -> s.pid() == pid);
    }

    public String name() {
        return name;
    }

    public String role() {
        return role;
    }

    /** vision, merge, decode, topology; null for the broker. */
    public String stage() {
        return stage;
    }

    public String instanceId() {
        return instanceId;
    }

    public synchronized int starts() {
        return starts;
    }

    public synchronized int kills() {
        return kills;
    }

    public Path log() {
        return log;
    }

    public boolean isWorker() {
        return role.equals("worker");
    }
}
