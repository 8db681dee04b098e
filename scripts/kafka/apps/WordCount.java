// Kafka Streams word count, run against the gateway by tests/integration/kafka_streams_test.ts: a groupBy (so a
// repartition topic) and a count materialised as "counts" (so a compacted changelog topic), both internal topics
// created by Streams itself through the gateway's CreateTopics. Counts are written as strings so any consumer
// reads them. The record cache is off so every update is emitted and the last value per word is its count.
//   java -cp "<kafka lib>/*:<build dir>" WordCount <bootstrap> <application.id> <input> <output> <guarantee> <state dir>
import java.util.Arrays;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;

public final class WordCount {
  public static void main(String[] args) throws InterruptedException {
    if (args.length != 6) {
      System.err.println("usage: WordCount <bootstrap> <application.id> <input> <output> <guarantee> <state dir>");
      System.exit(2);
    }
    Properties props = new Properties();
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, args[1]);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, args[4]);
    props.put(StreamsConfig.STATE_DIR_CONFIG, args[5]);
    // Short commits: the test waits for the counts, and under EOS they are visible only once committed.
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 300);
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    // One gateway: internal topics with replication factor 1.
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");

    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(args[2], Consumed.with(Serdes.String(), Serdes.String()))
        .flatMapValues(line -> Arrays.asList(line.toLowerCase(Locale.ROOT).split("\\W+")))
        .filter((key, word) -> !word.isEmpty())
        .groupBy((key, word) -> word, Grouped.with("words", Serdes.String(), Serdes.String()))
        .count(Materialized.as("counts"))
        .toStream()
        .mapValues(count -> Long.toString(count))
        .to(args[3], Produced.with(Serdes.String(), Serdes.String()));

    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    CountDownLatch done = new CountDownLatch(1);
    streams.setUncaughtExceptionHandler(e -> {
      System.err.println("WordCount: stream thread failed: " + e);
      e.printStackTrace();
      return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse
          .SHUTDOWN_CLIENT;
    });
    streams.setStateListener((now, before) -> {
      System.out.println("STATE " + now);
      if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) done.countDown();
    });
    // SIGTERM from the test: close cleanly (commits, leaves the group) before the JVM exits.
    // close() returns once the state is NOT_RUNNING, but KafkaStreams calls the state listener after waking the
    // closer, so the JVM can halt before the listener prints: the hook prints the final state itself.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close();
      System.out.println("CLOSED " + streams.state());
      System.out.flush();
      done.countDown();
    }));
    streams.start();
    done.await();
    streams.close();
    System.exit(streams.state() == KafkaStreams.State.ERROR ? 1 : 0);
  }
}
