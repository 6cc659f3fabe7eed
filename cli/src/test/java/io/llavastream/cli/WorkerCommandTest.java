package io.llavastream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The worker command's refusals, which come before any model or broker is touched. */
class WorkerCommandTest {
    record Run(int exit, String err) {
    }

    static Run run(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int exit;
        try (PrintStream p = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setErr(p);
            exit = Main.commandLine().execute(args);
        } finally {
            System.setErr(old);
        }
        return new Run(exit, buf.toString(StandardCharsets.UTF_8));
    }

    @Test
    void isASubcommand() {
        assertThat(Main.commandLine().getSubcommands()).containsKey("worker");
    }

    @Test
    void refusesAStageThatDoesNotExist() {
        Run r = run("worker", "--stage", "projector", "--bootstrap-servers", "127.0.0.1:1");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--stage must be one of [vision, merge, decode], got projector");
    }

    @Test
    void refusesAMetricsPortOutOfRangeNamingIt() {
        Run r = run("worker", "--stage", "vision", "--bootstrap-servers", "127.0.0.1:1", "--metrics-port", "70000");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--metrics-port must be 0..65535 (0 takes a free port), got 70000");
    }

    @Test
    void refusesAnEmptyBatch() {
        Run r = run("worker", "--stage", "vision", "--bootstrap-servers", "127.0.0.1:1", "--max-batch", "0");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("max.batch.size");
    }

    @Test
    void refusesAnUnknownEngineNamingIt() {
        Run r = run("worker", "--stage", "vision", "--bootstrap-servers", "127.0.0.1:1", "--engine", "gpu");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("Invalid value gpu for configuration engine");
    }

    @Test
    void engineOptionsComeFromEngineDeviceAndFallback() {
        io.llavastream.model.EngineOptions o = ModelOptions.engineOptions(2, "CUDA", 1, "cpu");
        assertThat(o.engine()).isEqualTo(io.llavastream.model.Engine.CUDA);
        assertThat(o.deviceId()).isEqualTo(1);
        assertThat(o.fallbackToCpu()).isTrue();
        assertThat(o.intraOpThreads()).isEqualTo(2);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ModelOptions.engineOptions(0, "cpu", 0, "gpu"))
                .hasMessageContaining("--engine-fallback must be none or cpu, got gpu");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ModelOptions.engineOptions(0, "rocm", 0, "none"))
                .hasMessageContaining("unknown engine 'rocm'");
    }

    @Test
    void decodeStreamsTokensUnlessToldNoStreamTokens() throws Exception {
        WorkerCommand on = new WorkerCommand();
        new picocli.CommandLine(on).parseArgs("--stage", "decode", "--bootstrap-servers", "127.0.0.1:1");
        assertThat(on.checkedConfig().streamTokens()).isTrue();
        WorkerCommand off = new WorkerCommand();
        new picocli.CommandLine(off).parseArgs("--stage", "decode", "--bootstrap-servers", "127.0.0.1:1",
                "--no-stream-tokens");
        assertThat(off.checkedConfig().streamTokens()).isFalse();
    }
}
