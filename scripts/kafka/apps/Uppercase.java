// A stateless Kafka Streams application (input -> upper case -> output): no repartition or changelog topic, so it
// also runs on the SeaweedMQ backend, which refuses the configs of Streams' internal topics. Run by
// tests/integration/kafka_streams_test.ts with exactly_once_v2 (transactions through the gateway).
//   java -cp "<kafka lib>/*:<build dir>" Uppercase <bootstrap> <application.id> <input> <output> <guarantee> <state dir>
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

public final class Uppercase {
  public static void main(String[] args) throws InterruptedException {
    if (args.length != 6) {
      System.err.println("usage: Uppercase <bootstrap> <application.id> <input> <output> <guarantee> <state dir>");
      System.exit(2);
    }
    Properties props = new Properties();
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, args[1]);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, args[4]);
    props.put(StreamsConfig.STATE_DIR_CONFIG, args[5]);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 300);
    props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");

    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(args[2], Consumed.with(Serdes.String(), Serdes.String()))
        .mapValues(line -> line.toUpperCase(Locale.ROOT))
        .to(args[3], Produced.with(Serdes.String(), Serdes.String()));

    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    CountDownLatch done = new CountDownLatch(1);
    streams.setStateListener((now, before) -> {
      System.out.println("STATE " + now);
      if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) done.countDown();
    });
    // SIGTERM from the test: close cleanly (last commit, leave the group) before the JVM exits.
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
