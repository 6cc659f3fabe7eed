package io.llavastream.chaos;

import io.llavastream.schemas.Post;
import io.llavastream.serde.ConfluentSchemaRegistryClient;
import io.llavastream.topics.Topics;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificData;
import org.apache.kafka.common.TopicPartition;

/**
 * A chaos run on the multi-process pipeline ({@link ProcessPipeline}): posts go in slices ({@link ChaosPlan});
 * between them, stage workers (or the topology) are killed with SIGKILL while they have work in flight and
 * restarted ({@link KillProbe}), the broker is restarted on its data directory, the registry may go down, and the
 * hostile corpus is written to every topic a process reads ({@link HostileCorpus}). Then it waits for every post
 * and every dead letter and reports ({@link ChaosReport}); progress goes to {@code log}.
 *
 * <p>Reads {@link Topics#CAPTIONED_POSTS}, {@link Topics#ANSWERS} and {@link Topics#DEAD_LETTERS}; writes
 * {@link Topics#POSTS} and, with the corpus, every topic it covers.
 */
public final class ChaosRun {
    private final ChaosOptions o;
    private final Consumer<String> log;
    private final String runId = UUID.randomUUID().toString().substring(0, 8);
    private final Random random;
    private final long startNanos = System.nanoTime();
    private final List<KillRecord> kills = new ArrayList<>();
    private final List<ChaosReport.BrokerRestart> brokerRestarts = new ArrayList<>();
    private final Map<String, String> unexpectedExits = new LinkedHashMap<>();
    private ChaosReport.RegistryOutage outage;
    private List<HostileWriter.Written> hostile = List.of();
    private ProcessPipeline pipeline;
    private GroupProbe probe;
    private ConfluentSchemaRegistryClient registry;
    private PostFeeder feeder;
    /** Posts of the SEND step before a kill held back to trickle while the kill waits. */
    private int reserve;
    private Ledger ledger;

    private ChaosRun(ChaosOptions o, Consumer<String> log) {
        this.o = o;
        this.log = log;
        this.random = new Random(o.seed());
    }

    /** Runs the chaos test described by {@code options}; the pipeline is stopped when it returns. */
    public static ChaosReport run(ChaosOptions options, Consumer<String> log) throws IOException, InterruptedException {
        // the broker goes down on purpose: this process's clients would warn about it on every reconnect attempt
        System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka.clients.NetworkClient", "error");
        return new ChaosRun(options, log).execute();
    }

    private ChaosReport execute() throws IOException, InterruptedException {
        ModelFacts model = ModelFacts.of(o.modelDir());
        log.accept("chaos " + runId + ": " + o.posts() + " posts, " + o.kills() + " kills, " + o.brokerRestarts()
                + " broker restarts" + (o.registryOutageDue() ? ", a registry outage of " + o.registryOutage() : "")
                + (o.separateRegistry() ? " (registry in this process)" : "")
                + (o.hostile() ? ", the hostile corpus" : "") + "; work dir " + o.workDir());
        pipeline = ProcessPipeline.start(new ProcessPipeline.Settings(o.workDir(), o.modelDir(),
                model.visionModelId(), o.workersPerStage(), o.heap(), o.separateRegistry(), o.statusIntervalMs(),
                o.jvmOptions()), log);
        try {
            probe = new GroupProbe(pipeline.bootstrapServers());
            registry = new ConfluentSchemaRegistryClient(pipeline.registryUrl());
            registry.register(Topics.POSTS.name() + "-value", SpecificData.get().getSchema(Post.class));
            feeder = new PostFeeder(pipeline.bootstrapServers(), registry, runId, o.seed(), o.postIntervalMs());
            ledger = new Ledger(pipeline.bootstrapServers(), registry);
            List<ChaosPlan.Step> steps = ChaosPlan.of(o);
            for (int i = 0; i < steps.size(); i++) {
                ChaosPlan.Step step = steps.get(i);
                boolean killNext = i + 1 < steps.size() && steps.get(i + 1).kind() == ChaosPlan.Kind.KILL;
                if (step.kind() == ChaosPlan.Kind.SEND && killNext) {
                    // half now; the other half trickles while the kill waits for a busy window (see kill)
                    feeder.sendAsync(step.count() - step.count() / 2);
                    reserve = step.count() / 2;
                } else {
                    perform(step, model);
                }
            }
            feeder.awaitSent();
            awaitCompletion();
            return report();
        } finally {
            closeQuietly();
        }
    }

    private void perform(ChaosPlan.Step step, ModelFacts model) throws IOException, InterruptedException {
        checkExits();
        switch (step.kind()) {
            case SEND -> feeder.sendAsync(step.count());
            case KILL -> kill(step.count());
            case BROKER_RESTART -> restartBroker();
            case REGISTRY_OUTAGE -> registryOutage(step.count());
            case HOSTILE -> writeHostile(model);
        }
    }

    /**
     * Kills the k-th target once it has work in flight, trickling the posts held back from the SEND before it one at
     * a time while the probe waits, so that a fast stage (merge, on a quiet machine) is busy again and again until the
     * kill lands in flight.
     */
    private void kill(int k) throws InterruptedException {
        ManagedProcess target = pickTarget(k);
        if (!target.alive()) {  // it died on its own: that is the finding; it is not restarted
            feeder.sendAsync(reserve);
            reserve = 0;
            kills.add(KillRecord.notDone(kills.size() + 1, target.name(), "it had exited on its own before"));
            log.accept("kill " + kills.size() + "/" + o.kills() + ": " + target.name() + " had exited on its own");
            return;
        }
        Trickle trickle = new Trickle(reserve);
        reserve = 0;
        KillRecord r = new KillProbe(probe).kill(kills.size() + 1, target, o.killPatience(), trickle);
        trickle.sendRest();
        target.start();
        long restartMs = awaitRunning(target, Duration.ofMinutes(3));
        r = r.withRestartMs(restartMs < 0 ? -1 : restartMs);
        kills.add(r);
        log.accept(String.format("kill %d/%d: %s (pid %d) %s: read %d beyond committed, transaction %s, lag %d; "
                        + "running again after %.1f s", r.index(), o.kills(), r.target(), r.pid(),
                r.inFlight() ? "in flight" : "NOT in flight", r.readNotCommitted(), r.openTransaction(),
                r.logEnd() - r.committed(), restartMs / 1e3));
    }

    private ManagedProcess pickTarget(int k) {
        String target = o.killTargets().isEmpty() ? null : o.killTargets().get(k % o.killTargets().size());
        if ("topology".equals(target)) {
            return pipeline.topology();
        }
        List<ManagedProcess> candidates = pipeline.workers().stream()
                .filter(p -> target == null || p.stage().equals(target)).toList();
        List<ManagedProcess> alive = candidates.stream().filter(ManagedProcess::alive).toList();
        List<ManagedProcess> pool = alive.isEmpty() ? candidates : alive;
        return pool.get(random.nextInt(pool.size()));
    }

    private void restartBroker() throws InterruptedException {
        long lag = awaitLag(Duration.ofSeconds(30));
        long at = System.currentTimeMillis();
        Duration down = pipeline.restartBroker(probe);
        brokerRestarts.add(new ChaosReport.BrokerRestart(at, lag, down.toMillis()));
        log.accept(String.format("broker restarted on its data directory with %d records of worker lag; back after "
                + "%.1f s", lag, down.toMillis() / 1e3));
    }

    /**
     * Stops the registry; while it is down, posts keep coming and each process in turn (decode, merge, vision, then
     * the topology; downstream first, so that the stages upstream of it still flow on their cached schemas) is
     * killed while it has work in flight and restarted: the new process has no schema cached and must read that work
     * again while the registry is down. Then the registry comes back.
     */
    private void registryOutage(int posts) throws IOException, InterruptedException {
        feeder.awaitSent();
        awaitCaptioned(Duration.ofMinutes(3));  // every process has met every schema and cached it
        long at = System.currentTimeMillis();
        pipeline.stopRegistry();
        log.accept("registry stopped; killing each pipeline process in flight and restarting it while it is down");
        List<ManagedProcess> order = new ArrayList<>();
        for (String stage : List.of("decode", "merge", "vision")) {
            pipeline.workers().stream().filter(p -> p.stage().equals(stage)).findFirst().ifPresent(order::add);
        }
        order.add(pipeline.topology());
        int[] parts = ChaosPlan.sizes(posts, order.size());
        List<KillRecord> outageKills = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            Trickle trickle = new Trickle(parts[i]);
            ManagedProcess p = order.get(i);
            KillRecord r = new KillProbe(probe).kill(outageKills.size() + 1, p, o.killPatience(), trickle);
            trickle.sendRest();
            p.start();
            outageKills.add(r);
            log.accept(String.format("  %s killed %s (read %d beyond committed, transaction %s) and restarted",
                    p.name(), r.inFlight() ? "in flight" : "NOT in flight", r.readNotCommitted(),
                    r.openTransaction()));
        }
        long left = o.registryOutage().toMillis() - (System.currentTimeMillis() - at);
        Thread.sleep(Math.max(0, left));
        pipeline.startRegistry();
        long downMs = System.currentTimeMillis() - at;
        outage = new ChaosReport.RegistryOutage(at, downMs, order.stream().map(ManagedProcess::name).toList(),
                outageKills, posts);
        log.accept(String.format("registry back after %.1f s", downMs / 1e3));
    }

    private void writeHostile(ModelFacts model) throws InterruptedException {
        feeder.awaitSent();
        List<HostileRecord> corpus = HostileCorpus.build(registry, model, runId, Groups.TOPOLOGY);
        hostile = HostileWriter.write(pipeline.bootstrapServers(), corpus);
        feeder.markHostileWritten();
        log.accept(hostile.size() + " hostile records written to " + hostile.stream().map(w -> w.record().topic())
                .distinct().count() + " topics");
    }

    /** The worker groups' total lag, once it is above 0 (or after {@code patience}). */
    private long awaitLag(Duration patience) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        long lag = 0;
        while (System.nanoTime() < deadline) {
            lag = workerLag();
            if (lag > 0) {
                return lag;
            }
            Thread.sleep(20);
        }
        return lag;
    }

    private long workerLag() {
        long lag = 0;
        try {
            for (String group : Groups.workerGroups()) {
                Map<TopicPartition, Long> committed = probe.committed(group);
                for (Map.Entry<TopicPartition, Long> e : probe.logEnd(committed.keySet()).entrySet()) {
                    lag += Math.max(0, e.getValue() - committed.get(e.getKey()));
                }
            }
        } catch (IllegalStateException e) {
            return 0;
        }
        return lag;
    }

    private long awaitRunning(ManagedProcess p, Duration timeout) throws InterruptedException {
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < timeout.toNanos()) {
            if (Readiness.running(p, probe)) {
                return (System.nanoTime() - t0) / 1_000_000;
            }
            if (!p.alive()) {
                return -1;
            }
            Thread.sleep(100);
        }
        return -1;
    }

    /** Polls what came out until every post and every due dead letter is there, or the timeout passes. */
    private void awaitCompletion() throws InterruptedException {
        long deadline = System.nanoTime() + o.completionTimeout().toNanos();
        long lastLog = 0;
        while (System.nanoTime() < deadline) {
            ledger.poll(Duration.ofMillis(500));
            checkExits();
            int captioned = captionedValid();
            long pending = hostile.stream().filter(w -> !HostileVerdict.settled(w, ledger.deadLetters(),
                    ledger.captioned())).count();
            if (System.nanoTime() - lastLog > 5_000_000_000L) {
                lastLog = System.nanoTime();
                log.accept(String.format("%d/%d posts captioned, %d dead letters, %d hostile records pending (%.0f s)",
                        captioned, feeder.sent().size(), ledger.deadLetters().size(), pending,
                        (System.nanoTime() - startNanos) / 1e9));
            }
            if (captioned == feeder.sent().size() && pending == 0) {
                Thread.sleep(5000);  // room for a late duplicate
                return;
            }
        }
        log.accept("completion timeout " + o.completionTimeout() + " passed");
    }

    /** Waits until every post sent so far is captioned (or {@code timeout}). */
    private void awaitCaptioned(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (captionedValid() < feeder.sent().size() && System.nanoTime() < deadline) {
            ledger.poll(Duration.ofMillis(200));
        }
    }

    private int captionedValid() {
        Map<String, Integer> out = ledger.captioned();
        return (int) feeder.sent().keySet().stream().filter(out::containsKey).count();
    }

    private void checkExits() {
        for (ManagedProcess p : pipeline.all()) {
            if (!p.alive() && !unexpectedExits.containsKey(p.name())) {
                String how = "exit code " + p.exitCode().orElse(-1) + " after " + (System.nanoTime() - startNanos)
                        / 1_000_000_000 + " s";
                unexpectedExits.put(p.name(), how);
                log.accept(p.name() + " exited on its own (" + how + "); see " + p.log());
            }
        }
    }

    private ChaosReport report() throws InterruptedException {
        checkExits();
        List<ProcessReport> processes = pipeline.all().stream()
                .map(p -> ProcessReport.of(p, unexpectedExits.get(p.name()))).toList();
        try (Ledger last = new Ledger(pipeline.bootstrapServers(), registry)) {
            if (!last.catchUp(Duration.ofMinutes(2))) {
                log.accept("the final read did not reach the end of the topics within 2 minutes");
            }
            boolean readersNeeded = hostile.stream()
                    .anyMatch(w -> w.record().expected().outcome() == Expectation.Outcome.SKIPPED_BY_READERS);
            ReaderCheck readers = readersNeeded ? ReaderCheck.run(pipeline.bootstrapServers(), registry) : null;
            return ChaosReports.build(new ChaosReports.Inputs(runId, o, feeder.sent(), feeder.sentAfterHostile(),
                    feeder.tasks(), PostFeeder.prefix(runId), last, kills, brokerRestarts, outage, hostile, readers,
                    processes, (System.nanoTime() - startNanos) / 1e9));
        }
    }

    private void closeQuietly() {
        for (AutoCloseable c : new AutoCloseable[] {feeder, ledger, probe}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                log.accept("closing: " + e);
            }
        }
        pipeline.close();
    }

    /**
     * Posts sent one at a time while a kill waits for a busy window, so that a fast stage is busy again and again
     * until the kill lands in flight; what is left when it lands goes out at once ({@link #sendRest}).
     */
    private final class Trickle implements Runnable {
        private int left;

        Trickle(int posts) {
            this.left = posts;
        }

        @Override
        public void run() {
            if (left > 0) {
                feeder.sendAsync(1);
                left--;
            }
        }

        void sendRest() {
            if (left > 0) {
                feeder.sendAsync(left);
                left = 0;
            }
        }
    }
}
