// A KafkaShareConsumer (KIP-932 queues) that prints what it receives, one line per record, and a line per poll
// once its acknowledgements were answered:
//   REC <offset> <delivery count> <value>
//   ACKED <records of the poll>
// and acknowledges each record explicitly as its mode says: accept (every record), release-first (releases a
// record's first delivery, accepts the next), reject-poison (rejects values starting with "poison", accepts the
// rest), hold (never acknowledges: the records go back only when their lock passes or the consumer is killed),
// release (releases every delivery: a record comes back until share.delivery.count.limit archives it),
// renew-<ms> (kafka-clients 4.2+, KIP-1222: renews each record's lock on every poll until it has held it <ms>,
// then accepts it; a renewed record comes back in the next poll, printed once, and each answered renewal prints
// RENEWED <records>).
// It runs until it is killed, or until <idle ms> pass without a record after the first one (a minute before it). Used by tests/integration/share_consumers_test.ts.
//   java -cp "<kafka lib>/*:<build dir>" ShareConsume <bootstrap> <group> <topic> <mode> <idle ms> [max.poll.records [share.acquire.mode]]
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

public final class ShareConsume {
  public static void main(String[] args) throws InterruptedException {
    if (args.length < 5) {
      System.err.println("usage: ShareConsume <bootstrap> <group> <topic> <mode> <idle ms> [max.poll.records [share.acquire.mode]]");
      System.exit(2);
    }
    String mode = args[3];
    long idleMs = Long.parseLong(args[4]);
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("group.id", args[1]);
    props.put("key.deserializer", StringDeserializer.class.getName());
    props.put("value.deserializer", StringDeserializer.class.getName());
    props.put("share.acknowledgement.mode", "explicit");
    props.put("max.poll.records", args.length > 5 ? args[5] : "500");
    // kafka-clients 4.2+: batch_optimized (whole batches) or record_limit (never more than max.poll.records)
    if (args.length > 6) props.put("share.acquire.mode", args[6]);
    try (KafkaShareConsumer<String, String> consumer = new KafkaShareConsumer<>(props)) {
      consumer.subscribe(List.of(args[2]));
      System.out.println("SUBSCRIBED");
      System.out.flush();
      // The idle time counts from the last record; before the first one (joining the group, the first fetch of a
      // cold JVM on a loaded machine) it waits up to a minute, whatever the idle time.
      long last = System.currentTimeMillis();
      long wait = Math.max(idleMs, 60_000);
      long holdMs = mode.startsWith("renew-") ? Long.parseLong(mode.substring("renew-".length())) : 0;
      // RENEW by name: the type exists from kafka-clients 4.2 on, and this file compiles against 4.1 too.
      AcknowledgeType renew = holdMs > 0 ? AcknowledgeType.valueOf("RENEW") : null;
      Map<Long, Long> heldSince = new HashMap<>();
      while (System.currentTimeMillis() - last < wait) {
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
        int renewed = 0;
        for (ConsumerRecord<String, String> r : records) {
          last = System.currentTimeMillis();
          wait = idleMs;
          int count = r.deliveryCount().orElse((short) 0);
          Long since = heldSince.get(r.offset());
          if (since == null) {
            heldSince.put(r.offset(), last);
            System.out.println("REC " + r.offset() + " " + count + " " + r.value());
          }
          if (mode.equals("hold")) continue;
          AcknowledgeType type = AcknowledgeType.ACCEPT;
          if (mode.equals("release-first") && count == 1) type = AcknowledgeType.RELEASE;
          if (mode.equals("release")) type = AcknowledgeType.RELEASE;
          if (mode.equals("reject-poison") && r.value().startsWith("poison")) type = AcknowledgeType.REJECT;
          if (renew != null && last - heldSince.get(r.offset()) < holdMs) {
            type = renew;
            renewed++;
          }
          if (type != renew) heldSince.remove(r.offset());
          consumer.acknowledge(r, type);
        }
        if (mode.equals("hold") && !records.isEmpty()) {
          // Holds what it got without acknowledging or polling again (polling would close the consumer with an
          // error, releasing them): they go back only when their lock passes after this process is killed.
          System.out.println("HOLDING");
          System.out.flush();
          Thread.sleep(Long.MAX_VALUE);
        }
        if (!mode.equals("hold") && !records.isEmpty()) {
          consumer.commitSync();
          if (renewed > 0) System.out.println("RENEWED " + renewed);
          if (records.count() > renewed) System.out.println("ACKED " + (records.count() - renewed));
          // Renewals a few seconds apart, well inside the shortest lock (15 s).
          if (renewed > 0) Thread.sleep(2_000);
        }
        System.out.flush();
      }
    }
    System.out.println("DONE");
  }
}
