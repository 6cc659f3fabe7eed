package io.llavastream.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llavastream.topics.Topics;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starting on a given data directory, restarting on it, cleaning up a temporary one, and refusing a busy port. */
class EmbeddedKafkaBrokerLifecycleTest {
    @TempDir
    Path dir;

    @Test
    void aGivenDataDirectoryKeepsItsRecordsAcrossARestartAndIsNotDeleted() throws Exception {
        String topic = Topics.ANSWERS.name();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir, 0)) {
            Map<String, Object> p = KafkaClientConfig.load(null, Map.of(), broker.bootstrapServers()).producer();
            p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
            p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
                producer.send(new ProducerRecord<>(topic, 0, "k", "kept")).get();
            }
        }
        assertThat(dir).isNotEmptyDirectory();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir, 0)) {
            Map<String, Object> c = KafkaClientConfig.load(null, Map.of(), broker.bootstrapServers()).consumer();
            c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
            c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
            List<String> values = new ArrayList<>();
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
                TopicPartition tp = new TopicPartition(topic, 0);
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                long deadline = System.currentTimeMillis() + 20_000;
                while (values.isEmpty() && System.currentTimeMillis() < deadline) {
                    consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
                }
            }
            assertThat(values).containsExactly("kept");
        }
    }

    @Test
    void closeDeletesATemporaryDataDirectoryAndCanBeCalledTwice() {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start();
        Path data = broker.dataDir();
        assertThat(data).isDirectory();
        broker.close();
        broker.close();
        assertThat(Files.exists(data)).isFalse();
    }

    @Test
    void refusesAPortInUseAndNamesIt() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = busy.getLocalPort();
            assertThatThrownBy(() -> EmbeddedKafkaBroker.start(dir, port))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("port " + port)
                    .hasMessageContaining("in use");
        }
    }

    @Test
    void refusesAPortOutOfRange() {
        assertThatThrownBy(() -> EmbeddedKafkaBroker.start(dir, 70000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("70000");
    }
}
