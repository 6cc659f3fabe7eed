package io.llavastream.chaos;

import io.llavastream.status.ProcessStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Waits for processes to be up: the broker answers (and its registry, when it runs one), the topology's status
 * says RUNNING, and each worker has written a status and joined its group.
 */
final class Readiness {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private Readiness() {
    }

    static void awaitBroker(ManagedProcess broker, GroupProbe probe, String registryUrl, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!(probe.brokerUp() && registryAnswers(registryUrl))) {
            failIfDead(broker);
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the broker did not come up within " + timeout + "; see "
                        + broker.log());
            }
            Thread.sleep(200);
        }
    }

    /** Waits until every process is running; a process that exits first fails the wait, naming its log. */
    static void awaitRunning(List<ManagedProcess> processes, GroupProbe probe, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (ManagedProcess p : processes) {
            while (!running(p, probe)) {
                failIfDead(p);
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(p.name() + " is not running after " + timeout + " (status "
                            + p.status().orElse(null) + "); see " + p.log());
                }
                Thread.sleep(200);
            }
        }
    }

    /** The current incarnation has written a status, and (topology) is RUNNING or (worker) holds a group seat. */
    static boolean running(ManagedProcess p, GroupProbe probe) {
        Optional<ProcessStatus> s = p.status();
        if (s.isEmpty()) {
            return false;
        }
        return switch (p.role()) {
            case "topology" -> s.get().state().equals("RUNNING");
            case "worker" -> isMember(p, probe);
            default -> true;
        };
    }

    private static boolean isMember(ManagedProcess p, GroupProbe probe) {
        try {
            return probe.members(Groups.of(p)).stream().anyMatch(m -> Groups.isMember(m, p.instanceId()));
        } catch (IllegalStateException e) {
            return false;
        }
    }

    private static boolean registryAnswers(String url) {
        try {
            HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/subjects"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (java.io.IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void failIfDead(ManagedProcess p) {
        if (!p.alive()) {
            throw new IllegalStateException(p.name() + " exited with code " + p.exitCode().orElse(-1)
                    + " before it was running; see " + p.log());
        }
    }
}
