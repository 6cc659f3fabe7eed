package io.llavastream.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llavastream.kafka.EmbeddedKafkaBroker;
import io.llavastream.rules.ImageTasks;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.AnswerToken;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.FinishReason;
import io.llavastream.schemas.ImageAnswer;
import io.llavastream.schemas.Post;
import io.llavastream.schemas.StageTimings;
import io.llavastream.schemas.TaskRef;
import io.llavastream.serde.InMemorySchemaRegistry;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.imageio.ImageIO;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The console against a real broker (embedded KRaft): uploads reach the posts topic, bad uploads are refused with
 * their reason, token deltas and captioned posts reach a browser's event stream, hostile records on every topic it
 * reads are skipped and counted, stage lag is read from a group's committed offsets, and a console bound beyond
 * loopback wants its token.
 */
class ConsoleTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    static EmbeddedKafkaBroker broker;
    static InMemorySchemaRegistry registry;
    static KafkaProducer<String, byte[]> producer;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedKafkaBroker.start();
        registry = new InMemorySchemaRegistry();
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                new StringSerializer(), new ByteArraySerializer());
    }

    @AfterAll
    static void stopBroker() {
        producer.close();
        broker.close();
    }

    static Console console(Map<String, Object> settings) throws Exception {
        Map<String, Object> s = new HashMap<>(settings);
        s.putIfAbsent(ConsoleConfig.PORT, 0);
        s.putIfAbsent(ConsoleConfig.STATS_INTERVAL_MS, 200L);
        return Console.start(new ConsoleConfig(s), Map.of("bootstrap.servers", broker.bootstrapServers()),
                registry, StageView.pipeline("llava-topology", stage -> "llava-" + stage), null, null);
    }

    static String base(Console c) {
        return "http://127.0.0.1:" + c.port();
    }

    static <V extends SpecificRecord> void send(Topic<V> topic, String key, V value) throws Exception {
        sendRaw(topic, key, topic.valueSerde(registry).serialize(topic.name(), value));
    }

    static void sendRaw(Topic<?> topic, String key, byte[] value) throws Exception {
        producer.send(new ProducerRecord<>(topic.name(), key, value)).get();
    }

    static byte[] png(Color color) throws Exception {
        BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
        var g = img.createGraphics();
        g.setColor(color);
        g.fillRect(4, 4, 24, 24);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    static HttpResponse<String> upload(Console c, byte[] body, String query, boolean withHeader) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base(c) + "/api/upload" + query))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (withHeader) {
            b.header(ConsoleServer.UPLOAD_HEADER, ConsoleServer.UPLOAD_HEADER_VALUE);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String url, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).GET();
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static CaptionedPost captioned(String postId, String sha, String text) {
        return CaptionedPost.newBuilder().setPostId(postId).setSource("test").setReceivedAt(Instant.ofEpochMilli(1000))
                .setCompletedAt(Instant.ofEpochMilli(1250)).setAnswers(List.of(ImageAnswer.newBuilder()
                        .setImageIndex(0).setImageSha256(sha).setText(text).setFailed(false).setModelId("m")
                        .build())).build();
    }

    static AnswerToken token(String postId, String stream, int seq, String delta, boolean last) {
        return AnswerToken.newBuilder().setTaskId(postId + "/0").setPostId(postId).setImageIndex(0)
                .setStreamId(stream).setSeq(seq).setTokenIds(List.of(7L)).setDelta(delta).setFinal$(last)
                .setModelId("m").setEmittedAt(Instant.now()).build();
    }

    @Test
    void anUploadedImageIsWrittenToThePostsTopicAndShownWithItsImage() throws Exception {
        byte[] png = png(Color.RED);
        try (Console c = console(Map.of());
             EventStream events = new EventStream(base(c) + "/events")) {
            HttpResponse<String> r = upload(c, png, "?name=red.png&question=What%20colour%3F", true);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode body = JSON.readTree(r.body());
            String postId = body.get("post_id").asText();
            String sha = ImageTasks.sha256Hex(ByteBuffer.wrap(png));
            assertThat(body.get("images").get(0).asText()).isEqualTo(sha);

            Post posted = readPost(postId);
            assertThat(posted.getSource()).isEqualTo("console");
            assertThat(posted.getTitle()).isEqualTo("red.png");
            assertThat(posted.getQuestion()).isEqualTo("What colour?");
            assertThat(posted.getImages().get(0).getContentType()).isEqualTo("image/png");
            byte[] data = new byte[posted.getImages().get(0).getData().remaining()];
            posted.getImages().get(0).getData().get(data);
            assertThat(data).isEqualTo(png);

            JsonNode shown = events.await("post", n -> n.get("post_id").asText().equals(postId), WAIT).data();
            assertThat(shown.get("images").get(0).get("sha256").asText()).isEqualTo(sha);
            HttpResponse<byte[]> image = HTTP.send(HttpRequest.newBuilder(URI.create(base(c) + "/api/image/" + sha))
                    .build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(image.statusCode()).isEqualTo(200);
            assertThat(image.headers().firstValue("Content-Type")).contains("image/png");
            assertThat(image.body()).isEqualTo(png);
        }
    }

    private static Post readPost(String postId) {
        var serde = Topics.POSTS.valueSerde(registry);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.POSTS.name()));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (postId.equals(r.key())) {
                        return serde.deserialize(r.topic(), r.value());
                    }
                }
            }
        }
        throw new AssertionError("post " + postId + " never reached " + Topics.POSTS.name());
    }

    @Test
    void badUploadsGet400NamingWhatIsWrong() throws Exception {
        try (Console c = console(Map.of(ConsoleConfig.UPLOAD_MAX_BYTES, 2000))) {
            HttpResponse<String> empty = upload(c, new byte[0], "", true);
            assertThat(empty.statusCode()).isEqualTo(400);
            assertThat(empty.body()).contains("the upload is empty");

            HttpResponse<String> text = upload(c, "hello, not an image".getBytes(StandardCharsets.UTF_8), "", true);
            assertThat(text.statusCode()).isEqualTo(400);
            assertThat(text.body()).contains("not an image").contains("68 65 6c 6c 6f");

            byte[] large = new byte[5000];
            System.arraycopy(png(Color.BLUE), 0, large, 0, 8);
            HttpResponse<String> tooLarge = upload(c, large, "", true);
            assertThat(tooLarge.statusCode()).isEqualTo(400);
            assertThat(tooLarge.body()).contains("at most 2000 bytes");

            byte[] broken = java.util.Arrays.copyOf(png(Color.BLUE), 40);
            HttpResponse<String> undecodable = upload(c, broken, "", true);
            assertThat(undecodable.statusCode()).isEqualTo(400);
            assertThat(undecodable.body()).contains("image/png upload cannot be decoded");

            HttpResponse<String> crossSite = upload(c, png(Color.BLUE), "", false);
            assertThat(crossSite.statusCode()).isEqualTo(403);
            assertThat(crossSite.body()).contains(ConsoleServer.UPLOAD_HEADER);

            HttpResponse<String> longQuestion = upload(c, png(Color.BLUE), "?question=" + "x".repeat(
                    Uploads.MAX_QUESTION_CHARS + 1), true);
            assertThat(longQuestion.statusCode()).isEqualTo(400);
            assertThat(longQuestion.body()).contains("the question has " + (Uploads.MAX_QUESTION_CHARS + 1));
        }
    }

    @Test
    void tokenDeltasGrowATasksTextAndANewStreamStartsItOver() throws Exception {
        String post = "tokens-" + UUID.randomUUID();
        try (Console c = console(Map.of());
             EventStream events = new EventStream(base(c) + "/events")) {
            send(Topics.ANSWER_TOKENS, post + "/0", token(post, "s1", 0, "a red", false));
            send(Topics.ANSWER_TOKENS, post + "/0", token(post, "s1", 1, " circle", false));
            send(Topics.ANSWER_TOKENS, post + "/0", token(post, "s1", 1, " circle", false));  // a repeat
            events.await("token", n -> n.get("text").asText().equals("a red circle"), WAIT);
            send(Topics.ANSWER_TOKENS, post + "/0", token(post, "s2", 0, "a blue", false));
            send(Topics.ANSWER_TOKENS, post + "/0", token(post, "s2", 1, " square", true));
            JsonNode last = events.await("token", n -> n.get("final").asBoolean(), WAIT).data();
            assertThat(last.get("text").asText()).isEqualTo("a blue square");
            assertThat(last.get("stream_id").asText()).isEqualTo("s2");
            assertThat(events.all("token").stream().filter(n -> n.get("post_id").asText().equals(post))
                    .map(n -> n.get("text").asText()).toList())
                    .containsExactly("a red", "a red circle", "a blue", "a blue square");
        }
    }

    @Test
    void hostileRecordsOnEveryTopicItReadsAreSkippedCountedAndTheFeedGoesOn() throws Exception {
        String post = "after-hostiles-" + UUID.randomUUID();
        try (Console c = console(Map.of());
             EventStream events = new EventStream(base(c) + "/events")) {
            byte[] junk = "\0\0\0\0\7junk".getBytes(StandardCharsets.ISO_8859_1);
            for (Topic<?> t : List.of(Topics.POSTS, Topics.ANSWER_TOKENS, Topics.ANSWERS, Topics.CAPTIONED_POSTS)) {
                sendRaw(t, "hostile", junk);
                sendRaw(t, "hostile", "not avro at all".getBytes(StandardCharsets.UTF_8));
                sendRaw(t, "hostile", null);
            }
            // a post whose "image" is no image still shows (the pipeline dead-letters it); its bytes are cached as
            // posted and served only as application/octet-stream
            send(Topics.CAPTIONED_POSTS, post, captioned(post, "ab".repeat(32), "a green triangle"));
            JsonNode shown = events.await("captioned", n -> n.get("post_id").asText().equals(post), WAIT).data();
            assertThat(shown.get("answers").get(0).get("text").asText()).isEqualTo("a green triangle");
            assertThat(shown.get("latency_ms").asLong()).isEqualTo(250);
            Map<String, Long> skipped = c.skipped();
            for (Topic<?> t : List.of(Topics.POSTS, Topics.ANSWER_TOKENS, Topics.ANSWERS, Topics.CAPTIONED_POSTS)) {
                assertThat(skipped.get(t.name())).as(t.name()).isGreaterThanOrEqualTo(3);
            }
            JsonNode stats = events.await("stats", n -> n.path("skipped").path(Topics.ANSWERS.name()).asLong() >= 3,
                    WAIT).data();
            assertThat(stats.get("skipped").get(Topics.POSTS.name()).asLong()).isGreaterThanOrEqualTo(3);
        }
    }

    @Test
    void stageStatsReadLagFromTheGroupsCommittedOffsetsAndLatencyFromAnswers() throws Exception {
        try (Console c = console(Map.of());
             EventStream events = new EventStream(base(c) + "/events")) {
            TopicPartition p0 = new TopicPartition(Topics.MERGE_REQUESTS.name(), 0);
            long start = endOffset(p0);
            for (int i = 0; i < 5; i++) {
                producer.send(new ProducerRecord<>(p0.topic(), 0, "k" + i, new byte[] {1})).get();
            }
            try (KafkaConsumer<String, byte[]> group = new KafkaConsumer<>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                    ConsumerConfig.GROUP_ID_CONFIG, "llava-merge"), new StringDeserializer(),
                    new ByteArrayDeserializer())) {
                group.commitSync(Map.of(p0, new OffsetAndMetadata(start + 2)));
            }
            TaskRef task = TaskRef.newBuilder().setTaskId("p/0").setPostId("p").setSource("t").setImageIndex(0)
                    .setImageCount(1).setImageSha256("cd".repeat(32)).setPrompt("x").setReceivedAt(Instant.now())
                    .build();
            send(Topics.ANSWERS, "p/0", Answer.newBuilder().setTask(task).setText("t").setTokenIds(List.of(1L))
                    .setFinishReason(FinishReason.EOS).setModelId("m").setCompletedAt(Instant.now())
                    .setTimings(StageTimings.newBuilder().setMergeMs(12.5).setPrefillMs(30).setDecodeMs(70).build())
                    .build());
            JsonNode stats = events.await("stats", n -> stage(n, "merge").path("lag").asLong(-1) == 3
                    && stage(n, "decode").path("latency_ms").asDouble() == 100.0, WAIT).data();
            assertThat(stage(stats, "merge").get("group").asText()).isEqualTo("llava-merge");
            assertThat(stage(stats, "merge").get("latency_ms").asDouble()).isEqualTo(12.5);
            assertThat(stage(stats, "topology").get("lag").isNull()).as("no topology group has committed").isTrue();

            // throughput: the merge stage's output topic grows between two snapshots
            for (int i = 0; i < 20; i++) {
                producer.send(new ProducerRecord<>(Topics.DECODE_REQUESTS.name(), "k" + i, new byte[] {1}));
            }
            producer.flush();
            events.await("stats", n -> stage(n, "merge").path("offsets_per_second").asDouble() > 0, WAIT);
        }
    }

    @Test
    void anIdleStageReadsZeroLagThoughACommitMarkerFollowsItsLastRecordAndOneRecordBehindReadsOne()
            throws Exception {
        TopicPartition marked = new TopicPartition(Topics.VISION_REQUESTS.name(), 1);
        TopicPartition behind = new TopicPartition(Topics.VISION_REQUESTS.name(), 2);
        long start = endOffset(marked);
        try (KafkaProducer<String, byte[]> tx = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "test-" + UUID.randomUUID()), new StringSerializer(),
                new ByteArraySerializer())) {
            tx.initTransactions();
            tx.beginTransaction();
            tx.send(new ProducerRecord<>(marked.topic(), marked.partition(), "k", new byte[] {1}));
            tx.commitTransaction();
        }
        long afterRecord = start + 1;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (endOffset(marked) < start + 2 && System.nanoTime() < deadline) {
            Thread.sleep(50);  // the broker writes the commit marker after the commit returns
        }
        assertThat(endOffset(marked)).as("record and commit marker").isEqualTo(start + 2);
        long before = endOffset(behind);
        producer.send(new ProducerRecord<>(behind.topic(), behind.partition(), "k", new byte[] {1})).get();
        try (KafkaConsumer<String, byte[]> group = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "llava-vision"), new StringDeserializer(),
                new ByteArrayDeserializer())) {
            group.commitSync(Map.of(marked, new OffsetAndMetadata(afterRecord),
                    behind, new OffsetAndMetadata(before)));
        }
        try (Console c = console(Map.of());
             EventStream events = new EventStream(base(c) + "/events")) {
            JsonNode stats = events.await("stats", n -> !stage(n, "vision").path("lag").isMissingNode()
                    && !stage(n, "vision").path("lag").isNull(), WAIT).data();
            assertThat(stage(stats, "vision").get("lag").asLong()).isEqualTo(1);
        }
    }

    private static long endOffset(TopicPartition tp) {
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                broker.bootstrapServers()), new StringDeserializer(), new ByteArrayDeserializer())) {
            return c.endOffsets(List.of(tp)).get(tp);
        }
    }

    private static JsonNode stage(JsonNode stats, String stage) {
        for (JsonNode n : stats.path("stages")) {
            if (n.get("stage").asText().equals(stage)) {
                return n;
            }
        }
        return JSON.createObjectNode();
    }

    @Test
    void boundBeyondLoopbackEveryRequestNeedsTheGivenToken() throws Exception {
        try (Console c = console(Map.of(ConsoleConfig.HOST, "0.0.0.0", ConsoleConfig.TOKEN, "s3cret-token"))) {
            String stats = base(c) + "/api/stats";
            assertThat(get(stats).statusCode()).isEqualTo(401);
            assertThat(get(stats).body()).contains("needs its token");
            assertThat(get(base(c) + "/").statusCode()).isEqualTo(401);
            assertThat(get(base(c) + "/events").statusCode()).isEqualTo(401);
            assertThat(get(stats, "Authorization", "Bearer wrong").statusCode()).isEqualTo(401);
            assertThat(get(stats, "Authorization", "Bearer s3cret-token").statusCode()).isEqualTo(200);
            assertThat(get(stats, "X-Console-Token", "s3cret-token").statusCode()).isEqualTo(200);
            HttpResponse<String> page = get(base(c) + "/?token=s3cret-token");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("llava-stream");
            String cookie = page.headers().firstValue("Set-Cookie").orElseThrow();
            assertThat(cookie).startsWith(ConsoleAccess.COOKIE + "=s3cret-token").contains("HttpOnly");
            assertThat(get(stats, "Cookie", ConsoleAccess.COOKIE + "=s3cret-token").statusCode()).isEqualTo(200);
            assertThat(get(stats, "Cookie", ConsoleAccess.COOKIE + "=nope").statusCode()).isEqualTo(401);
            assertThat(c.url()).endsWith("/?token=s3cret-token");
        }
    }

    @Test
    void boundBeyondLoopbackWithoutATokenOneIsGeneratedAndRequired() throws Exception {
        try (Console c = console(Map.of(ConsoleConfig.HOST, "0.0.0.0"))) {
            assertThat(c.access().generated()).isTrue();
            String token = c.access().token();
            assertThat(token).hasSizeGreaterThanOrEqualTo(32);
            assertThat(c.url()).contains("?token=" + token);
            assertThat(get(base(c) + "/api/stats").statusCode()).isEqualTo(401);
            assertThat(get(base(c) + "/api/stats?token=" + token).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void onLoopbackNoTokenIsNeededButRequestsForOtherHostNamesAreRefused() throws Exception {
        try (Console c = console(Map.of())) {
            assertThat(c.access().token()).isNull();
            assertThat(get(base(c) + "/api/stats").statusCode()).isEqualTo(200);
            assertThat(get("http://localhost:" + c.port() + "/").statusCode()).isEqualTo(200);
            assertThat(rawStatus(c.port(), "rebound.example:" + c.port())).isEqualTo(403);
            assertThat(rawStatus(c.port(), "127.0.0.1:" + c.port())).isEqualTo(200);
        }
    }

    /** A request with a Host header of our choosing (the JDK's clients do not let one set it). */
    private static int rawStatus(int port, String host) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream out = s.getOutputStream();
            out.write(("GET /api/stats HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String status = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            return Integer.parseInt(status.substring(9, 12));
        }
    }

    @Test
    void thePageAndUPlotAreServedAndUnknownPathsAre404() throws Exception {
        try (Console c = console(Map.of())) {
            assertThat(get(base(c) + "/").body()).contains("id=\"upload-file\"").contains("id=\"search-input\"");
            assertThat(get(base(c) + "/static/console.js").statusCode()).isEqualTo(200);
            HttpResponse<String> uplot = get(base(c) + "/vendor/uplot/uPlot.iife.min.js");
            assertThat(uplot.statusCode()).isEqualTo(200);
            assertThat(uplot.headers().firstValue("Content-Type")).contains("text/javascript; charset=utf-8");
            assertThat(get(base(c) + "/vendor/uplot/LICENSE").body()).contains("MIT");
            assertThat(get(base(c) + "/static/..%2Fconsole.js").statusCode()).isEqualTo(404);
            assertThat(get(base(c) + "/api/image/" + "0".repeat(64)).statusCode()).isEqualTo(404);
            assertThat(get(base(c) + "/api/image/not-a-sha").statusCode()).isEqualTo(400);
            HttpResponse<String> search = get(base(c) + "/api/search?q=red");
            assertThat(search.statusCode()).isEqualTo(503);
            assertThat(search.body()).contains("search is off");
        }
    }

    @Test
    void aBusyPortFallsBackToAFreeOneOnlyWhenAllowed() throws Exception {
        try (Console first = console(Map.of())) {
            try (Console second = console(Map.of(ConsoleConfig.PORT, first.port(), ConsoleConfig.PORT_FALLBACK,
                    true))) {
                assertThat(second.port()).isNotEqualTo(first.port());
            }
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> console(Map.of(ConsoleConfig.PORT, first.port())))
                    .isInstanceOf(java.net.BindException.class).hasMessageContaining(":" + first.port());
        }
    }
}
