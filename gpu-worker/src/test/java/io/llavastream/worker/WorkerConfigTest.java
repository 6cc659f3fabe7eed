package io.llavastream.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llavastream.topics.Topics;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class WorkerConfigTest {

    @Test
    void defaultsNameTheGroupAfterTheStageAndGiveEachProcessItsOwnTransactionalId() {
        WorkerConfig a = new WorkerConfig(Map.of("stage", "vision", "bootstrap.servers", "h:1,h:2"));
        WorkerConfig b = new WorkerConfig(Map.of("stage", "vision", "bootstrap.servers", "h:1,h:2"));
        assertThat(a.groupId()).isEqualTo("llava-vision");
        assertThat(a.transactionalId()).startsWith("llava-vision-").isNotEqualTo(b.transactionalId());
        assertThat(a.maxBatchSize()).isEqualTo(8);
        assertThat(a.modelDir()).isNull();
    }

    @Test
    void tensorDtypeIsFp16ByDefaultTakesBf16AndFp32AndIsNotPassedToTheClients() {
        Map<String, String> base = Map.of("stage", "vision", "bootstrap.servers", "h:1");
        assertThat(new WorkerConfig(base).tensorDtype()).isEqualTo(io.llavastream.schemas.DType.FP16);
        Map<String, String> fp32 = new java.util.HashMap<>(base);
        fp32.put(WorkerConfig.TENSOR_DTYPE, "fp32");
        WorkerConfig c = new WorkerConfig(fp32);
        assertThat(c.tensorDtype()).isEqualTo(io.llavastream.schemas.DType.FP32);
        assertThat(c.producerProperties()).doesNotContainKey(WorkerConfig.TENSOR_DTYPE);
        fp32.put(WorkerConfig.TENSOR_DTYPE, "int4");
        assertThatThrownBy(() -> new WorkerConfig(fp32)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("int4").hasMessageContaining("tensor.dtype");
    }

    @Test
    void aConfiguredInstanceIdMakesTheTransactionalIdStable() {
        WorkerConfig c = new WorkerConfig(Map.of("stage", "merge", "bootstrap.servers", "h:1",
                "instance.id", "m0", "group.id", "g"));
        assertThat(c.transactionalId()).isEqualTo("llava-merge-m0");
        assertThat(c.groupId()).isEqualTo("g");
        assertThat(c.consumerProperties()).containsEntry("group.instance.id", "llava-merge-m0");
    }

    @Test
    void tokensStreamByDefaultOnAProducerThatIsNotTransactionalSendsAtOnceAndBlocksBriefly() {
        WorkerConfig c = new WorkerConfig(Map.of("stage", "decode", "bootstrap.servers", "h:1", "instance.id", "d0",
                "security.protocol", "SASL_SSL", "transactional.id", "mine", "linger.ms", "50"));
        assertThat(c.streamTokens()).isTrue();
        assertThat(c.streamTokensFlushTimeoutMs()).isEqualTo(1_000);
        Map<String, Object> p = c.previewProducerProperties();
        assertThat(p).doesNotContainKey("transactional.id").containsEntry("client.id", "llava-decode-d0-tokens")
                .containsEntry("linger.ms", 0).containsEntry("max.block.ms", WorkerConfig.PREVIEW_MAX_BLOCK_MS)
                .containsEntry("enable.idempotence", true).containsEntry("security.protocol", "SASL_SSL")
                .doesNotContainKey(WorkerConfig.DECODE_STREAM_TOKENS);
        assertThat(c.producerProperties()).containsEntry("transactional.id", "llava-decode-d0");
        assertThat(new WorkerConfig(Map.of("stage", "decode", "bootstrap.servers", "h:1",
                WorkerConfig.DECODE_STREAM_TOKENS, "false")).streamTokens()).isFalse();
    }

    @Test
    void withoutAnInstanceIdThereIsNoStaticMembership() {
        WorkerConfig c = new WorkerConfig(Map.of("stage", "decode", "bootstrap.servers", "h:1"));
        assertThat(c.groupInstanceId()).isEmpty();
        assertThat(c.consumerProperties()).doesNotContainKey("group.instance.id");
    }

    @Test
    void retriesAreBoundedAndBackOffByDefault() {
        WorkerConfig c = new WorkerConfig(Map.of("stage", "decode", "bootstrap.servers", "h:1"));
        assertThat(c.maxRecordAttempts()).isEqualTo(3);
        assertThat(c.retryBackoffMs()).isEqualTo(100);
        assertThat(c.retryBackoffMaxMs()).isEqualTo(5_000);
        assertThatThrownBy(() -> new WorkerConfig(Map.of("stage", "decode", "bootstrap.servers", "h:1",
                "max.record.attempts", "0"))).hasMessageContaining("max.record.attempts");
    }

    @Test
    void exactlyOnceSettingsAreForcedAndOtherClientPropertiesPassThrough() {
        WorkerConfig c = new WorkerConfig(Map.of("stage", "vision", "bootstrap.servers", "h:1",
                "isolation.level", "read_uncommitted", "security.protocol", "SASL_SSL", "max.batch.size", "3",
                "enable.auto.commit", "true"));
        Map<String, Object> consumer = c.consumerProperties();
        assertThat(consumer).containsEntry("isolation.level", "read_committed")
                .containsEntry("enable.auto.commit", false).containsEntry("group.id", "llava-vision")
                .containsEntry("security.protocol", "SASL_SSL").containsEntry("max.poll.records", 3)
                .containsEntry("bootstrap.servers", "h:1").doesNotContainKeys("stage", "max.batch.size");
        Map<String, Object> producer = c.producerProperties();
        assertThat(producer).containsEntry("transactional.id", c.transactionalId())
                .containsEntry("enable.idempotence", true).containsEntry("security.protocol", "SASL_SSL")
                .doesNotContainKeys("stage", "group.id", "max.batch.size");
    }

    @Test
    void largeRecordFetchSizesAndOperatingSystemSocketBuffersApplyUnlessTheUserSetsThem() {
        WorkerConfig c = new WorkerConfig(Map.of("stage", "merge", "bootstrap.servers", "h:1"));
        assertThat(c.consumerProperties()).containsEntry("max.partition.fetch.bytes", Topics.MAX_RECORD_BYTES)
                .containsEntry("fetch.max.bytes", 4 * Topics.MAX_RECORD_BYTES)
                .containsEntry("receive.buffer.bytes", -1);
        assertThat(c.producerProperties()).containsEntry("send.buffer.bytes", -1)
                .containsEntry("max.request.size", Topics.MAX_RECORD_BYTES + 64 * 1024);
        WorkerConfig user = new WorkerConfig(Map.of("stage", "merge", "bootstrap.servers", "h:1",
                "receive.buffer.bytes", "65536", "send.buffer.bytes", "131072"));
        assertThat(user.consumerProperties()).containsEntry("receive.buffer.bytes", "65536");
        assertThat(user.producerProperties()).containsEntry("send.buffer.bytes", "131072");
    }

    @Test
    void realClientsAcceptThePropertiesWithoutABroker() {
        WorkerConfig c = new WorkerConfig(Map.of("stage", "vision", "bootstrap.servers", "127.0.0.1:1"));
        new KafkaConsumer<byte[], byte[]>(c.consumerProperties()).close(Duration.ZERO);
        new KafkaProducer<byte[], byte[]>(c.producerProperties()).close(Duration.ZERO);
    }

    @Test
    void refusesAnUnknownStageAndAZeroBatch() {
        assertThatThrownBy(() -> new WorkerConfig(Map.of("stage", "paint", "bootstrap.servers", "h:1")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("stage");
        assertThatThrownBy(() -> new WorkerConfig(Map.of("stage", "vision", "bootstrap.servers", "h:1",
                "max.batch.size", 0))).isInstanceOf(ConfigException.class).hasMessageContaining("max.batch.size");
        assertThatThrownBy(() -> new WorkerConfig(Map.of("stage", "vision")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("bootstrap.servers");
    }

    @Test
    void engineSettingsBecomeEngineOptions() {
        WorkerConfig c = new WorkerConfig(Map.of("stage", "decode", "bootstrap.servers", "h:1", "engine", "TensorRT",
                "engine.device.id", "2", "engine.fallback", "cpu", "engine.tensorrt.fp16", "true",
                "engine.tensorrt.cache.dir", "/cache/trt",
                "engine.tensorrt.profiles", "inputs_embeds:1x1x128,8x1x128,32x256x128"));
        io.llavastream.model.EngineOptions o = c.engineOptions();
        assertThat(o.engine()).isEqualTo(io.llavastream.model.Engine.TENSORRT);
        assertThat(o.deviceId()).isEqualTo(2);
        assertThat(o.fallbackToCpu()).isTrue();
        assertThat(o.tensorRt().fp16()).isTrue();
        assertThat(o.tensorRt().engineCacheDir()).hasToString("/cache/trt");
        assertThat(o.tensorRt().profiles()).containsOnlyKeys("inputs_embeds");
        assertThat(c.consumerProperties()).doesNotContainKeys("engine", "engine.fallback", "engine.tensorrt.fp16");
        WorkerConfig d = new WorkerConfig(Map.of("stage", "decode", "bootstrap.servers", "h:1"));
        assertThat(d.engineOptions().engine()).isEqualTo(io.llavastream.model.Engine.CPU);
        assertThat(d.engineOptions().fallbackToCpu()).isFalse();
    }

    @Test
    void anUnknownEngineIsRejectedNamingIt() {
        assertThatThrownBy(() -> new WorkerConfig(Map.of("stage", "vision", "bootstrap.servers", "h:1",
                "engine", "gpu"))).isInstanceOf(ConfigException.class).hasMessageContaining("gpu")
                .hasMessageContaining("engine").hasMessageContaining("CUDA");
        assertThatThrownBy(() -> new WorkerConfig(Map.of("stage", "vision", "bootstrap.servers", "h:1",
                "engine.fallback", "gpu0"))).isInstanceOf(ConfigException.class).hasMessageContaining("gpu0");
    }

    @Test
    void aBadTensorRtProfileIsRejectedNamingIt() {
        assertThatThrownBy(() -> new WorkerConfig(Map.of("stage", "vision", "bootstrap.servers", "h:1",
                "engine.tensorrt.profiles", "inputs_embeds:1x1x128,8xQx128,32x256x128")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("engine.tensorrt.profiles")
                .hasMessageContaining("'Q'");
    }

    @Test
    void engineSettingsAloneGiveEngineOptionsWithTheDeclaredDefaultsAndRefuseOtherKeys() {
        io.llavastream.model.EngineOptions defaults = WorkerConfig.engineOptions(Map.of());
        assertThat(defaults.engine()).isEqualTo(io.llavastream.model.Engine.CPU);
        assertThat(defaults.fallbackToCpu()).isFalse();
        io.llavastream.model.EngineOptions cuda = WorkerConfig.engineOptions(Map.of("engine", "cuda",
                "engine.device.id", 2, "engine.threads", "3"));
        assertThat(cuda.engine()).isEqualTo(io.llavastream.model.Engine.CUDA);
        assertThat(cuda.deviceId()).isEqualTo(2);
        assertThat(cuda.intraOpThreads()).isEqualTo(3);
        assertThatThrownBy(() -> WorkerConfig.engineOptions(Map.of("engine", "cuda", "stage", "decode")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("[stage]")
                .hasMessageContaining("engine.tensorrt.profiles");
        assertThatThrownBy(() -> WorkerConfig.engineOptions(Map.of("engine.device.id", "-1")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("engine.device.id").hasMessageContaining("-1");
    }

    @Test
    void anEngineOptionMustBeATensorRtKeyWithAValidValue() {
        WorkerConfig.checkEngineOption("engine.tensorrt.fp16", "true");
        assertThatThrownBy(() -> WorkerConfig.checkEngineOption("engine.device.id", "1"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("unknown key engine.device.id")
                .hasMessageContaining("--device");
        assertThatThrownBy(() -> WorkerConfig.checkEngineOption("engine.tensorrt.fp16", "maybe"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("engine.tensorrt.fp16")
                .hasMessageContaining("maybe");
    }
}
