// Apache Kafka's Java client (kafka-clients, the version on the classpath) as a compatibility client: the same
// command line and JSON result as the other programs here (see ../README.md). Extra options: assignor=NAME
// (partition.assignment.strategy, e.g. cooperative-sticky) and protocol=consumer (KIP-848 group protocol).
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class Main {
  static final String PAD = "x".repeat(200);
  static final List<List<Object>> got = new ArrayList<>();
  static final List<List<Object>> acks = new ArrayList<>();
  static Map<String, String> opt = new HashMap<>();

  public static void main(String[] args) {
    String scenario = args[0], bootstrap = args[1], topic = args[2], group = args[3];
    for (int i = 4; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      opt.put(args[i].substring(0, eq), args[i].substring(eq + 1));
    }
    int n = Integer.parseInt(opt.getOrDefault("n", "20"));
    int start = Integer.parseInt(opt.getOrDefault("start", "0"));
    long timeoutMs = Long.parseLong(opt.getOrDefault("timeout_ms", "30000"));
    boolean headers = "1".equals(opt.get("headers"));
    long deadline = System.currentTimeMillis() + timeoutMs;
    Properties common = new Properties();
    common.put("bootstrap.servers", bootstrap);
    common.put("client.id", opt.getOrDefault("client_id", "java"));
    common.put("metadata.max.age.ms", "1000");
    try {
      switch (scenario) {
        case "produce": {
          Properties p = producerProps(common);
          p.put("acks", "all");
          p.put("compression.type", opt.getOrDefault("compression", "none"));
          p.put("enable.idempotence", "1".equals(opt.get("idempotent")) ? "true" : "false");
          try (KafkaProducer<byte[], byte[]> pr = new KafkaProducer<>(p)) {
            List<Future<RecordMetadata>> fs = new ArrayList<>();
            for (int i = start; i < start + n; i++) fs.add(pr.send(message(topic, null, i, headers)));
            pr.flush();
            for (int i = 0; i < n; i++) {
              RecordMetadata m = fs.get(i).get();
              acks.add(List.of(start + i, m.partition(), m.offset()));
            }
          }
          done(true, null);
          break;
        }
        case "txn": {
          int parts = Integer.parseInt(opt.getOrDefault("partitions", "3"));
          Properties p = producerProps(common);
          p.put("transactional.id", opt.get("transactional_id"));
          p.put("transaction.timeout.ms", "60000");
          try (KafkaProducer<byte[], byte[]> pr = new KafkaProducer<>(p)) {
            pr.initTransactions();
            for (int round = 0; round < 2; round++) {
              boolean commit = round == 1;
              int first = commit ? start : start + n;
              pr.beginTransaction();
              List<Future<RecordMetadata>> fs = new ArrayList<>();
              for (int i = first; i < first + n; i++) fs.add(pr.send(message(topic, i % parts, i, headers)));
              pr.flush();
              if (commit) {
                for (int i = 0; i < n; i++) {
                  RecordMetadata m = fs.get(i).get();
                  acks.add(List.of(first + i, m.partition(), m.offset()));
                }
                pr.commitTransaction();
              } else {
                pr.abortTransaction();
              }
            }
          }
          done(true, null);
          break;
        }
        case "eos": {
          Properties c = consumerProps(common, group);
          c.put("isolation.level", "read_committed");
          c.put("auto.offset.reset", "earliest");
          Properties p = producerProps(common);
          p.put("transactional.id", opt.get("transactional_id"));
          try (KafkaConsumer<byte[], byte[]> co = new KafkaConsumer<>(c);
               KafkaProducer<byte[], byte[]> pr = new KafkaProducer<>(p)) {
            pr.initTransactions();
            co.subscribe(List.of(topic));
            List<ConsumerRecord<byte[], byte[]>> msgs = new ArrayList<>();
            while (got.size() < n && System.currentTimeMillis() < deadline) {
              for (ConsumerRecord<byte[], byte[]> r : co.poll(Duration.ofMillis(200))) {
                record(r);
                msgs.add(r);
              }
            }
            if (got.size() < n) {
              co.close();
              done(false, "consumed " + got.size() + " of " + n);
              return;
            }
            pr.beginTransaction();
            for (ConsumerRecord<byte[], byte[]> r : msgs) {
              pr.send(new ProducerRecord<>(opt.get("out"), r.partition(), r.key(), r.value(), r.headers()));
            }
            Map<TopicPartition, OffsetAndMetadata> positions = new HashMap<>();
            for (TopicPartition tp : co.assignment()) positions.put(tp, new OffsetAndMetadata(co.position(tp)));
            pr.sendOffsetsToTransaction(positions, co.groupMetadata());
            if ("1".equals(opt.get("abort"))) pr.abortTransaction();
            else pr.commitTransaction();
          }
          done(true, null);
          break;
        }
        case "fetch": {
          Properties c = consumerProps(common, group);
          c.put("isolation.level", opt.getOrDefault("isolation", "read_uncommitted"));
          try (KafkaConsumer<byte[], byte[]> co = new KafkaConsumer<>(c)) {
            List<TopicPartition> tps = new ArrayList<>();
            for (PartitionInfo pi : co.partitionsFor(topic)) tps.add(new TopicPartition(topic, pi.partition()));
            co.assign(tps);
            co.seekToBeginning(tps);
            while (got.size() < n && System.currentTimeMillis() < deadline) {
              for (ConsumerRecord<byte[], byte[]> r : co.poll(Duration.ofMillis(200))) record(r);
            }
          }
          done(got.size() >= n, got.size() >= n ? null : "consumed " + got.size() + " of " + n);
          break;
        }
        case "group": {
          long idle = Long.parseLong(opt.getOrDefault("idle_ms", "0"));
          Properties c = consumerProps(common, group);
          c.put("auto.offset.reset", "earliest");
          boolean ok;
          // closed before done() exits: close() leaves the group (classic LeaveGroup, KIP-848 epoch -1)
          try (KafkaConsumer<byte[], byte[]> co = new KafkaConsumer<>(c)) {
            co.subscribe(List.of(topic));
            long last = System.currentTimeMillis();
            while (got.size() < n && System.currentTimeMillis() < deadline) {
              ConsumerRecords<byte[], byte[]> rs = co.poll(Duration.ofMillis(200));
              if (rs.isEmpty()) {
                if (idle > 0 && !got.isEmpty() && System.currentTimeMillis() - last >= idle) break;
                continue;
              }
              last = System.currentTimeMillis();
              for (ConsumerRecord<byte[], byte[]> r : rs) record(r);
            }
            ok = got.size() >= n || (idle > 0 && !got.isEmpty());
            if (ok && !"0".equals(opt.get("commit"))) co.commitSync();
          }
          done(ok, ok ? null : "consumed " + got.size() + " of " + n);
          break;
        }
        default:
          done(false, "unknown scenario " + scenario);
      }
    } catch (Exception e) {
      Throwable t = e.getCause() != null && e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
      done(false, t.getClass().getSimpleName() + ": " + t.getMessage());
    }
  }

  static Properties producerProps(Properties common) {
    Properties p = new Properties();
    p.putAll(common);
    p.put("key.serializer", ByteArraySerializer.class.getName());
    p.put("value.serializer", ByteArraySerializer.class.getName());
    p.put("linger.ms", "5");
    p.put("delivery.timeout.ms", opt.getOrDefault("timeout_ms", "30000"));
    p.put("request.timeout.ms", "10000");
    p.put("max.block.ms", "20000");
    return p;
  }

  static Properties consumerProps(Properties common, String group) {
    Properties c = new Properties();
    c.putAll(common);
    c.put("key.deserializer", ByteArrayDeserializer.class.getName());
    c.put("value.deserializer", ByteArrayDeserializer.class.getName());
    c.put("group.id", group);
    c.put("enable.auto.commit", "false");
    c.put("fetch.max.wait.ms", "500");
    if ("consumer".equals(opt.get("protocol"))) {
      c.put("group.protocol", "consumer");
    } else {
      c.put("session.timeout.ms", "10000");
      c.put("heartbeat.interval.ms", "500");
      String a = opt.get("assignor");
      if (a != null) {
        c.put("partition.assignment.strategy", "cooperative-sticky".equals(a)
            ? "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"
            : "range".equals(a) ? "org.apache.kafka.clients.consumer.RangeAssignor" : a);
      }
    }
    return c;
  }

  static ProducerRecord<byte[], byte[]> message(String topic, Integer partition, int i, boolean headers) {
    ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, partition, bytes("k-" + i), bytes("v-" + i + "|" + PAD));
    if (headers) r.headers().add("h", bytes(String.valueOf(i)));
    return r;
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String text(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  static void record(ConsumerRecord<byte[], byte[]> r) {
    String h = null;
    for (Header x : r.headers()) if (x.key().equals("h")) h = text(x.value());
    List<Object> row = new ArrayList<>();
    Collections.addAll(row, r.partition(), r.offset(), text(r.key()), text(r.value()), h);
    got.add(row);
  }

  static void done(boolean ok, String error) {
    StringBuilder s = new StringBuilder("{\"ok\": ").append(ok);
    if (error != null) s.append(", \"error\": ").append(json(error));
    s.append(", \"acks\": ").append(json(acks)).append(", \"msgs\": ").append(json(got));
    s.append(", \"info\": {\"version\": ").append(json(org.apache.kafka.common.utils.AppInfoParser.getVersion()))
        .append("}}");
    System.out.println(s);
    System.out.flush();
    System.exit(ok ? 0 : 1);
  }

  static String json(Object o) {
    if (o == null) return "null";
    if (o instanceof Number || o instanceof Boolean) return o.toString();
    if (o instanceof List<?> l) return l.stream().map(Main::json).collect(Collectors.joining(", ", "[", "]"));
    String str = o.toString();
    StringBuilder b = new StringBuilder("\"");
    for (char ch : str.toCharArray()) {
      switch (ch) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
          else b.append(ch);
        }
      }
    }
    return b.append('"').toString();
  }
}
