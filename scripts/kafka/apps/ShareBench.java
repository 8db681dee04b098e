// Share-consumer throughput (KIP-932 queues): for each consumer count, a fresh one-partition topic is filled with
// <records> records of <size> bytes, then that many KafkaShareConsumers (one thread each, explicit ACCEPT of every
// record, commitSync after each poll) read the partition together until every record was acknowledged. Prints
// one line per run:
//   share-bench consumers=<n> records=<m> seconds=<s> records/s=<r> acks/s=<a> redelivered=<d>
// where acks/s counts acknowledgements answered by the broker and redelivered records delivered more than once.
// Against the gateway (--group-share-enable) or Apache Kafka 4.1 (group.share.enable=true), same program:
//   java -cp "<kafka lib>/*:<build dir>" ShareBench <bootstrap> <records> <size> <consumers> [<consumers> ...]
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class ShareBench {
  public static void main(String[] args) throws Exception {
    if (args.length < 4) {
      System.err.println("usage: ShareBench <bootstrap> <records> <size> <consumers> [<consumers> ...]");
      System.exit(2);
    }
    String bootstrap = args[0];
    int records = Integer.parseInt(args[1]);
    int size = Integer.parseInt(args[2]);
    for (int i = 3; i < args.length; i++) run(bootstrap, records, size, Integer.parseInt(args[i]));
  }

  static void run(String bootstrap, int records, int size, int consumers) throws Exception {
    String id = "share-bench-" + consumers + "-" + System.currentTimeMillis();
    Properties common = new Properties();
    common.put("bootstrap.servers", bootstrap);
    try (Admin admin = Admin.create(common)) {
      admin.createTopics(List.of(new NewTopic(id, 1, (short) 1))).all().get();
      ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, id);
      admin.incrementalAlterConfigs(Map.of(group, List.of(new AlterConfigOp(
          new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET)))).all().get();
    }
    Properties pp = new Properties();
    pp.putAll(common);
    pp.put("key.serializer", ByteArraySerializer.class.getName());
    pp.put("value.serializer", ByteArraySerializer.class.getName());
    pp.put("linger.ms", "5");
    pp.put("batch.size", "65536");
    byte[] value = new byte[size];
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp)) {
      for (int i = 0; i < records; i++) producer.send(new ProducerRecord<>(id, value));
      producer.flush();
    }
    AtomicLong acked = new AtomicLong();
    AtomicLong redelivered = new AtomicLong();
    long[] first = {0};
    List<Thread> threads = new ArrayList<>();
    long start = System.nanoTime();
    for (int c = 0; c < consumers; c++) {
      Thread t = new Thread(() -> {
        Properties cp = new Properties();
        cp.putAll(common);
        cp.put("group.id", id);
        cp.put("key.deserializer", ByteArrayDeserializer.class.getName());
        cp.put("value.deserializer", ByteArrayDeserializer.class.getName());
        cp.put("share.acknowledgement.mode", "explicit");
        try (KafkaShareConsumer<byte[], byte[]> consumer = new KafkaShareConsumer<>(cp)) {
          consumer.subscribe(List.of(id));
          while (acked.get() < records) {
            ConsumerRecords<byte[], byte[]> got = consumer.poll(Duration.ofMillis(100));
            if (got.isEmpty()) continue;
            synchronized (first) {
              if (first[0] == 0) first[0] = System.nanoTime();
            }
            for (ConsumerRecord<byte[], byte[]> r : got) {
              if (r.deliveryCount().orElse((short) 1) > 1) redelivered.incrementAndGet();
              consumer.acknowledge(r, AcknowledgeType.ACCEPT);
            }
            consumer.commitSync();
            acked.addAndGet(got.count());
          }
        }
      });
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) t.join();
    long end = System.nanoTime();
    double seconds = (end - first[0]) / 1e9;
    System.out.printf("share-bench consumers=%d records=%d seconds=%.2f records/s=%.0f acks/s=%.0f redelivered=%d "
        + "(join %.2f s)%n", consumers, records, seconds, records / seconds, acked.get() / seconds,
        redelivered.get(), (first[0] - start) / 1e9);
  }
}
