package io.llavastream.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One embedded broker for the class: its topics, large records through transactions, and its start-up time. */
class EmbeddedKafkaBrokerTest {
    static EmbeddedKafkaBroker broker;
    static long startMillis;
    static KafkaClientConfig client;

    @BeforeAll
    static void start() {
        long t0 = System.nanoTime();
        broker = EmbeddedKafkaBroker.start();
        startMillis = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("embedded Kafka broker started (topics created) in " + startMillis + " ms at "
                + broker.bootstrapServers());
        client = KafkaClientConfig.load(null, Map.of(), broker.bootstrapServers());
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @Test
    void startsOnLoopbackWithinThirtySeconds() {
        assertThat(broker.bootstrapServers()).startsWith("127.0.0.1:");
        assertThat(startMillis).isLessThan(30_000);
    }

    @Test
    void createsEveryPipelineTopicWithItsPartitionCountAndConfigs() throws Exception {
        try (Admin admin = Admin.create(client.admin())) {
            Set<String> names = Topics.ALL.stream().map(Topic::name).collect(Collectors.toSet());
            assertThat(admin.listTopics().names().get()).containsAll(names);
            Map<String, TopicDescription> descriptions = admin.describeTopics(names).allTopicNames().get();
            List<ConfigResource> resources = names.stream()
                    .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
            Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get();
            for (Topic<?> t : Topics.ALL) {
                TopicDescription d = descriptions.get(t.name());
                assertThat(d.partitions()).as(t.name()).hasSize(t.partitions());
                assertThat(d.partitions()).allSatisfy(p -> assertThat(p.replicas()).hasSize(1));
                Config c = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, t.name()));
                t.configs().forEach((k, v) -> assertThat(c.get(k).value()).as(t.name() + " " + k).isEqualTo(v));
                if (!t.configs().containsKey("cleanup.policy")) {
                    assertThat(c.get("cleanup.policy").value()).as(t.name()).isEqualTo("delete");
                }
            }
            assertThat(configs.get(new ConfigResource(ConfigResource.Type.TOPIC, Topics.VISION_FEATURES.name()))
                    .get("cleanup.policy").value()).isEqualTo("compact");
        }
    }

    @Test
    void createsTheSchemaRegistryStoreCompactedWithOnePartition() throws Exception {
        String name = Topics.SCHEMAS.name();
        try (Admin admin = Admin.create(client.admin())) {
            assertThat(admin.describeTopics(List.of(name)).allTopicNames().get().get(name).partitions()).hasSize(1);
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, name);
            assertThat(admin.describeConfigs(List.of(r)).all().get().get(r).get("cleanup.policy").value())
                    .isEqualTo("compact");
        }
    }

    @Test
    void createTopicsAcceptsExistingTopicsAndCreatesNewOnes() throws Exception {
        List<NewTopic> topics = new ArrayList<>(Topics.ALL.stream().map(t -> t.newTopic((short) 1)).toList());
        topics.add(new NewTopic("broker-test.extra", 2, (short) 1));
        broker.createTopics(topics);
        try (Admin admin = Admin.create(client.admin())) {
            assertThat(admin.describeTopics(List.of("broker-test.extra")).allTopicNames().get()
                    .get("broker-test.extra").partitions()).hasSize(2);
        }
    }

    @Test
    void readCommittedConsumerGetsTheCommitted4MiBRecordAndNotTheAbortedOne() {
        String topic = Topics.POSTS.name();
        byte[] aborted = new byte[4 * 1024 * 1024];
        byte[] committed = new byte[4 * 1024 * 1024];
        new Random(1).nextBytes(aborted);
        new Random(2).nextBytes(committed);

        Map<String, Object> p = client.producer();
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "broker-test");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p)) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "post-1", aborted));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "post-1", committed));
            producer.commitTransaction();
        }

        Map<String, Object> c = client.consumer();
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        List<ConsumerRecord<String, byte[]>> got = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.currentTimeMillis() + 20_000;
            while (got.isEmpty() && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(got::add);
            }
            // anything after the committed record would have arrived with it or just after it
            consumer.poll(Duration.ofMillis(500)).forEach(got::add);
        }
        assertThat(got).hasSize(1);
        assertThat(got.get(0).key()).isEqualTo("post-1");
        assertThat(Arrays.equals(got.get(0).value(), committed)).as("value bytes equal the committed record").isTrue();
    }
}
